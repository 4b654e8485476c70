"""Stage 06 glue: who is recommended for, which models, and the headline metrics.

The notebook ``06_recommendations`` calls these one by one; each is small and
reachable by tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender
from .baselines import PopularityRecommender, SegmentPopularityRecommender
from .coldstart import CategoryPopularityRecommender, ColdStartEvaluation
from .evaluation import Evaluation, recommend_with_fallback
from .interactions import Interactions, TimeSplit, interaction_matrix
from .item_cf import ItemKNNRecommender
from .latent import ALSRecommender, BPRRecommender
from .rules import RulesRecommender, RulesResult, baskets, mine_rules
from .text import ContentRecommender, HybridRecommender, ProductVectors
from .user_cf import UserKNNRecommender

__all__ = [
    "METHODS",
    "ModelSettings",
    "cold_start_models",
    "cold_start_verdict",
    "export_recommendations",
    "fit_for_export",
    "fit_models",
    "latent_factory",
    "latent_verdict",
    "population_at_cutoff",
    "select_methods",
    "stage_metrics",
]

#: Methods the stage knows, in the order they are shown.
METHODS = (
    "popularity",
    "segment_popularity",
    "item_cf",
    "user_cf",
    "als",
    "bpr",
    "rules",
    "content",
    "hybrid",
)

#: How a reader calls each method (the report's decisions and headline labels).
METHOD_NAMES = {
    "popularity": "most popular products",
    "segment_popularity": "segment popularity",
    "item_cf": "item-based neighbours",
    "user_cf": "user-based neighbours",
    "als": "ALS",
    "bpr": "BPR",
    "rules": "association rules",
    "content": "product text",
    "hybrid": "hybrid (purchases and product text)",
}


@dataclass(frozen=True)
class ModelSettings:
    """Every setting of the stage's models (the notebook's parameters).

    ``latent`` maps ``"als"`` and ``"bpr"`` to their ``factors``,
    ``regularization`` and ``iterations`` (the validation search's choice).
    """

    similarity: str = "cosine"
    n_item_neighbours: int = 50
    n_user_neighbours: int = 50
    user_neighbour_pool: int = 0
    min_segment_size: int = 20
    latent: Mapping[str, dict] = field(
        default_factory=lambda: {
            "als": {"factors": 32, "regularization": 0.1, "iterations": 15},
            "bpr": {"factors": 32, "regularization": 0.01, "iterations": 100},
        }
    )
    als_alpha: float = 1.0
    bpr_learning_rate: float = 0.05
    n_threads: int = 1
    seed: int = 0
    min_support: float = 0.001
    min_lift: float = 1.0
    rules_max_length: int = 2
    hybrid_base: str = "als"
    hybrid_min_purchases: int = 5
    n_text_neighbours: int = 10


def latent_factory(family: str, settings: ModelSettings):
    """A callable building an unfitted ALS or BPR model from a setting (for the search)."""
    if family == "als":
        return lambda **config: ALSRecommender(
            **config,
            alpha=settings.als_alpha,
            random_state=settings.seed,
            n_threads=settings.n_threads,
        )
    if family == "bpr":
        return lambda **config: BPRRecommender(
            **config,
            learning_rate=settings.bpr_learning_rate,
            random_state=settings.seed,
            n_threads=settings.n_threads,
        )
    raise DataValidationError(
        "params recommendations.hybrid_base", f"expected 'als' or 'bpr', found {family!r}"
    )


def fit_models(
    interactions: Interactions,
    *,
    transactions: pd.DataFrame,
    cutoff: str | pd.Timestamp,
    segments: pd.Series,
    vectors: ProductVectors | None,
    settings: ModelSettings,
    methods: Sequence[str] = METHODS,
    prefitted: Mapping[str, Recommender] | None = None,
) -> tuple[dict[str, Recommender], RulesResult | None]:
    """Fit the named methods on one matrix (validation or test); rules mined before ``cutoff``.

    ``segment_popularity`` is always fitted (it is the cold-start fallback);
    ``content`` and ``hybrid`` need ``vectors``. ``prefitted`` (e.g. the
    search's :attr:`~.selection.SearchResult.models`) are ALS or BPR models
    reused instead of fitted again when fitted on this ``interactions`` with
    the settings' parameters; the hybrid reuses the fitted ``hybrid_base``
    model likewise. Fits are seeded and single-threaded, so reuse gives the
    same models.

    Returns
    -------
    (dict, RulesResult or None)
        Method name -> fitted model, in :data:`METHODS` order; the product
        rules when ``rules`` was asked for.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise DataValidationError(
            "params recommendations.methods",
            f"expected methods among {', '.join(METHODS)}, found {unknown!r}",
        )
    if vectors is None and {"content", "hybrid"} & set(methods):
        raise DataValidationError(
            "params recommendations.methods",
            "content and hybrid need product text vectors, found none (no product text)",
        )
    wanted = set(methods) | {"segment_popularity"}
    build = {
        "popularity": PopularityRecommender,
        "segment_popularity": lambda: SegmentPopularityRecommender(
            segments, settings.min_segment_size
        ),
        "item_cf": lambda: ItemKNNRecommender(settings.similarity, settings.n_item_neighbours),
        "user_cf": lambda: UserKNNRecommender(
            settings.similarity,
            settings.n_user_neighbours,
            neighbour_pool=settings.user_neighbour_pool,
            seed=settings.seed,
        ),
        "als": lambda: latent_factory("als", settings)(**settings.latent["als"]),
        "bpr": lambda: latent_factory("bpr", settings)(**settings.latent["bpr"]),
        "content": lambda: ContentRecommender(vectors),
    }

    def reusable(name: str) -> Recommender | None:
        model = (prefitted or {}).get(name) or models.get(name)
        if (
            model is not None
            and getattr(model, "interactions_", None) is interactions
            and model.params() == latent_factory(name, settings)(**settings.latent[name]).params()
        ):
            return model
        return None

    build["hybrid"] = lambda: HybridRecommender(
        reusable(settings.hybrid_base)
        or latent_factory(settings.hybrid_base, settings)(**settings.latent[settings.hybrid_base]),
        vectors,
        min_purchases=settings.hybrid_min_purchases,
        n_text_neighbours=settings.n_text_neighbours,
    )
    rules = None
    models = {}
    for name in METHODS:
        if name not in wanted:
            continue
        if name == "rules":
            rules = mine_rules(
                baskets(transactions, cutoff=cutoff, level="product"),
                min_support=settings.min_support,
                min_lift=settings.min_lift,
                max_length=settings.rules_max_length,
                min_customers=settings.min_segment_size,
            )
            models[name] = RulesRecommender(rules.rules).fit(interactions)
        elif name in ("als", "bpr") and reusable(name) is not None:
            models[name] = reusable(name)
        else:
            models[name] = build[name]().fit(interactions)
    return models, rules


def fit_for_export(
    method: str,
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    segments: pd.Series,
    vectors: ProductVectors | None,
    settings: ModelSettings,
    **matrix_options,
) -> dict[str, Recommender]:
    """``method`` and the segment baseline (the lists' fallback) fitted on every customer.

    When the methods were compared on a sample of customers
    (:func:`~.sampling.customer_sample`), the exported lists still come
    from a model that learned from everyone's purchases before ``cutoff``,
    with the settings chosen on the sample.

    Returns
    -------
    dict
        ``method`` and ``"segment_popularity"`` -> fitted model; the
        interaction matrix of everyone is the models' ``interactions_``.
    """
    if method not in METHODS:
        raise DataValidationError(
            "params recommendations.export_method",
            f"expected one of the methods {', '.join(METHODS)}, found {method!r}",
        )
    interactions = interaction_matrix(transactions, cutoff=cutoff, **matrix_options)
    models, _ = fit_models(
        interactions,
        transactions=transactions,
        cutoff=cutoff,
        segments=segments,
        vectors=vectors,
        settings=settings,
        methods=[method],
    )
    return models


def cold_start_models(
    methods: Sequence[str],
    *,
    categories: Mapping[str, str] | None,
    vectors: ProductVectors | None,
    settings: ModelSettings,
) -> tuple[dict[str, Recommender], dict[str, str]]:
    """The unfitted models of the cold-start split, and those that cannot run, with why.

    ``popularity`` ranks new products by their category's buyers
    (:class:`~.coldstart.CategoryPopularityRecommender`); ``content`` and
    ``hybrid`` (when in ``methods``) need the products' text ``vectors``.
    Without categories the category baseline is a tie of every new product:
    it is still kept as the baseline of the text methods, but alone it says
    nothing, so with neither categories nor text vectors no model is returned
    and the split is to be skipped.

    Returns
    -------
    (dict, dict)
        Method name -> unfitted model (``popularity``, ``content``,
        ``hybrid``, in that order); method name -> why it is left out.
    """
    models: dict[str, Recommender] = {}
    left_out: dict[str, str] = {}
    has_categories = bool(categories)
    if vectors is None:
        for name in ("content", "hybrid"):
            if name in methods:
                left_out[name] = "no product text vectors (no product text)"
    text_models = [m for m in ("content", "hybrid") if m in methods and vectors is not None]
    if has_categories or text_models:
        models["popularity"] = CategoryPopularityRecommender(dict(categories or {}))
    else:
        left_out["popularity"] = "no product categories to count the buyers of"
    if "content" in text_models:
        models["content"] = ContentRecommender(vectors)
    if "hybrid" in text_models:
        base = settings.hybrid_base
        models["hybrid"] = HybridRecommender(
            latent_factory(base, settings)(**settings.latent[base]),
            vectors,
            min_purchases=settings.hybrid_min_purchases,
            n_text_neighbours=settings.n_text_neighbours,
        )
    return models, left_out


def latent_verdict(
    evaluation: Evaluation,
    metric: str = "ndcg",
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> str:
    """One sentence comparing ALS and BPR with item-kNN on ``metric``, from the run's numbers.

    A method "beats" item-kNN only when the paired bootstrap interval of the
    difference (:meth:`~.evaluation.Evaluation.paired_difference`) lies
    above 0, "does worse than" it when the interval lies below 0; otherwise
    the two tie on this data, however the means are ordered.
    """
    table = evaluation.table
    if "item_cf" not in table.index:
        return "item-kNN was not evaluated: no comparison."
    base = float(table.loc["item_cf", metric])
    parts = []
    for name, label in (("als", "ALS"), ("bpr", "BPR")):
        if name not in table.index:
            continue
        value = float(table.loc[name, metric])
        diff = evaluation.paired_difference(
            name, "item_cf", metric, level=level, n_boot=n_boot, seed=seed
        )
        if diff["low"] > 0:
            relation = "beats"
        elif diff["high"] < 0:
            relation = "does worse than"
        else:
            relation = "ties with"
        change = f", {value / base - 1:+.1%}" if base > 0 else ""
        parts.append(
            f"{label} {relation} item-kNN ({value:.3f} vs {base:.3f}{change}; "
            f"{level:.0%} interval of the difference {diff['low']:+.3f} to {diff['high']:+.3f})"
        )
    if not parts:
        return "No latent-factor model ran."
    return (
        "; ".join(parts) + f" on {metric}@k (paired bootstrap over the "
        f"{int(table.loc['item_cf', 'n_evaluated']):,} evaluated customers; an interval "
        "holding 0 is a tie)."
    )


def best_cold_start_method(cold_start: ColdStartEvaluation, metric: str = "ndcg") -> str | None:
    """The method with the highest ``metric`` on the new products (first on a tie).

    ``None`` when nothing was measured: an empty table, or a split where no
    customer bought a new product, so every score is undefined.
    """
    scores = cold_start.table[metric].dropna() if not cold_start.table.empty else pd.Series()
    if scores.empty:
        return None
    return str(scores.sort_values(ascending=False, kind="stable").index[0])


def cold_start_verdict(cold_start: ColdStartEvaluation, metric: str = "ndcg") -> str:
    """Which method to launch new products with, from the cold-start split's numbers.

    Names the method with the highest ``metric`` at k on the new products,
    with its NDCG, MAP and coverage against every other method's, and the
    advice that follows from it.
    """
    table = cold_start.table
    best = best_cold_start_method(cold_start, metric)
    if best is None:
        return (
            "No cold-start evaluation (no customer bought a new product in the split): no "
            "advice on new products."
        )
    order = table[metric].sort_values(ascending=False, kind="stable", na_position="last").index
    k = cold_start.k

    def name(method: str) -> str:
        if method == "popularity":
            return "category popularity"
        return METHOD_NAMES.get(method, method)

    def against(column: str, label: str) -> str:
        others = ", ".join(f"{table.loc[m, column]:.3g} for {name(m)}" for m in order[1:])
        return f"{label} {table.loc[best, column]:.3g}" + (f" against {others}" if others else "")

    comparisons = "; ".join(
        against(column, label)
        for column, label in (("ndcg", f"NDCG@{k}"), ("map", f"MAP@{k}"), ("coverage", "coverage"))
        if column in table.columns
    )
    return (
        f"On new products {name(best)} ({best}) does best: {comparisons}. "
        f"Launch new products to the customers {name(best)} puts them in front of."
    )


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
    chosen_model: str | None = None,
    validation: Evaluation | None = None,
    latent: Mapping[str, dict] | None = None,
    cold_start=None,
    cold_start_counts: dict | None = None,
    rules_counts: Mapping[str, dict] | None = None,
    oracle: Mapping | None = None,
    customer_sample: Mapping | None = None,
    methods_left_out: Mapping[str, str] | None = None,
) -> dict:
    """The headline metrics of stage 06 (JSON-ready, deterministic for a seed).

    ``item_cf_ndcg_lift`` is item CF's NDCG@k relative to popularity
    (``0.2`` = 20% better); ``best_method`` has the highest test NDCG@k,
    ``chosen_model`` the highest *validation* NDCG@k (the one exported), and
    ``chosen_within_best`` its test NDCG@k relative to the best test NDCG@k
    (1 = the choice was the best on test too). ``cold_start.methods.<name>``
    are the metrics of ranking the new products (see
    :func:`~.coldstart.evaluate_cold_start`) and ``cold_start.best_method``
    the one with the highest NDCG@k on them (see :func:`cold_start_verdict`). With ``oracle`` (see
    :func:`~.oracle.oracle_comparison`, synthetic data only): ``oracle``
    (its metrics), ``oracle_ndcg_at_k``, ``share_of_oracle`` and
    ``share_of_oracle_recall`` (method -> share). With ``customer_sample``
    (the non-empty counts of :class:`~.sampling.CustomerSample`), the
    methods were compared on a sample of customers: ``customer_sample``
    gives its sizes, ``customers`` the population in the sample and
    ``export_customers`` everyone who got a list. With ``methods_left_out``
    (method -> why, e.g. :meth:`~.text.ProductText.left_out`; recorded only
    when not empty), ``methods_left_out`` names the asked-for methods that
    could not run.
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
        # Scored on a seeded sample (:func:`~.interactions.sample_evaluated`): of how many.
        **{
            key: split.counts[key]
            for key in ("evaluated_customers_before_sample",)
            if key in split.counts
        },
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
    if chosen_model is not None:
        out["chosen_model"] = chosen_model
        best = max(m["ndcg"] for m in methods.values())
        out["chosen_within_best"] = methods[chosen_model]["ndcg"] / best if best > 0 else 1.0
    if validation is not None:
        out["validation"] = {
            "methods": {
                name: {"ndcg": float(row["ndcg"]), "recall": float(row["recall"])}
                for name, row in validation.table.iterrows()
            },
            "evaluated_customers": int(validation.table["n_evaluated"].max()),
        }
    if latent is not None:
        out["latent_settings"] = {name: dict(config) for name, config in latent.items()}
    if cold_start is not None:
        out["cold_start"] = {
            **dict(cold_start_counts or {}),
            # The method that ranks the new products best (NDCG@k): the launch advice.
            "best_method": best_cold_start_method(cold_start),
            "methods": {
                name: {m: float(v) for m, v in row.items() if m != "n_evaluated"}
                for name, row in cold_start.table.iterrows()
            },
        }
    if oracle is not None:
        out.update({key: oracle[key] for key in ("oracle", "oracle_ndcg_at_k", "share_of_oracle")})
        out["share_of_oracle_recall"] = oracle["share_of_oracle_recall"]
    if customer_sample:
        out["customer_sample"] = dict(customer_sample)
    if rules_counts is not None:
        out["rules"] = {level: dict(counts) for level, counts in rules_counts.items()}
    if methods_left_out:
        out["methods_left_out"] = dict(methods_left_out)
    return out
