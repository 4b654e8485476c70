"""Stage 06 glue: who is recommended for, which models, and the headline metrics.

The notebook ``06_recommendations`` calls these one by one; each is small and
reachable by tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender
from .evaluation import Evaluation, recommend_with_fallback
from .interactions import TimeSplit

__all__ = [
    "METHODS",
    "export_recommendations",
    "population_at_cutoff",
    "select_methods",
    "stage_metrics",
]

#: Methods the stage knows, in the order they are shown.
METHODS = ("popularity", "segment_popularity", "item_cf", "user_cf")


def population_at_cutoff(
    features: pd.DataFrame, customers: pd.DataFrame | None, cutoff: str | pd.Timestamp
) -> np.ndarray:
    """Customers known at the cutoff: stage 01's customers with a purchase history,
    plus customers of the customers table who signed up before the cutoff.

    The second group has no purchases to learn from: they are the cold-start
    customers.
    """
    if "customer_id" not in features.columns:
        raise DataValidationError(
            "customer_features", "expected a customer_id column", column="customer_id"
        )
    ids = [features["customer_id"].astype(str).to_numpy()]
    if customers is not None and "signup_date" in customers.columns:
        signed = pd.to_datetime(customers["signup_date"]) < pd.Timestamp(cutoff)
        ids.append(customers.loc[signed.fillna(False), "customer_id"].astype(str).to_numpy())
    return np.unique(np.concatenate(ids)).astype(object)


def select_methods(methods: Sequence[str], fitted: Iterable[Recommender]) -> dict[str, Recommender]:
    """The fitted models named in ``methods``, in that order, by name.

    Raises
    ------
    DataValidationError
        When ``methods`` is empty or names a method that is not fitted.
    """
    by_name = {model.name: model for model in fitted}
    unknown = [m for m in methods if m not in by_name]
    if unknown or not methods:
        raise DataValidationError(
            "params recommendations.methods",
            f"expected a non-empty list of {', '.join(by_name)}, found {list(methods)!r}",
        )
    return {method: by_name[method] for method in methods}


def export_recommendations(
    models: dict[str, Recommender],
    export_method: str,
    customer_ids: Sequence[str],
    *,
    fallback: Recommender,
    n: int = 10,
    exclude_purchased: bool = True,
) -> pd.DataFrame:
    """Top-``n`` lists of ``export_method`` for every customer, cold start from ``fallback``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``rank``, ``product_id``, ``score``, ``source``.
    """
    if export_method not in models:
        raise DataValidationError(
            "params recommendations.export_method",
            f"expected one of the fitted methods {', '.join(models)}, found {export_method!r}",
        )
    return recommend_with_fallback(
        models[export_method],
        customer_ids,
        fallback=fallback,
        n=n,
        exclude_purchased=exclude_purchased,
    )


def stage_metrics(
    split: TimeSplit,
    evaluation: Evaluation,
    *,
    export: pd.DataFrame,
    export_method: str,
    segment_source: str,
    plan_counts: dict | None = None,
) -> dict:
    """The headline metrics of stage 06 (JSON-ready, deterministic for a seed).

    ``item_cf_ndcg_lift`` is item CF's NDCG@k relative to popularity
    (``0.2`` = 20% better); ``best_method`` has the highest NDCG@k.
    """
    table = evaluation.table
    methods = {
        name: {metric: float(value) for metric, value in row.items() if metric != "n_evaluated"}
        for name, row in table.iterrows()
    }
    out = {
        "k": evaluation.k,
        "cutoff": str(split.cutoff.date()),
        "horizon_days": split.horizon_days,
        "customers": split.counts["population"],
        "products": int(split.interactions.shape[1]),
        "interactions": int(split.interactions.matrix.nnz),
        "cold_start_customers": split.counts["cold_start"],
        "evaluated_customers": split.counts["evaluated_customers"],
        "new_customers_after_cutoff": split.counts["new_customers_after_cutoff"],
        "filtered": {
            "products_below_min_customers": split.interactions.counts[
                "products_below_min_customers"
            ],
            "customers_below_min_products": split.interactions.counts[
                "customers_below_min_products"
            ],
            "lines_without_product_id": split.interactions.counts["lines_without_product_id"],
        },
        "segment_source": segment_source,
        "methods": methods,
        "best_method": str(table["ndcg"].idxmax()),
        "export_method": export_method,
        "export_customers": int(export["customer_id"].nunique()),
        "export_fill_share": float((export["source"] == "popularity_fill").mean())
        if len(export)
        else 0.0,
    }
    if "item_cf" in methods and "popularity" in methods:
        out["item_cf_ndcg"] = methods["item_cf"]["ndcg"]
        out["popularity_ndcg"] = methods["popularity"]["ndcg"]
        out["item_cf_ndcg_lift"] = evaluation.lift("item_cf", "popularity")
    if plan_counts is not None:
        out["contact_plan"] = dict(plan_counts)
    return out
