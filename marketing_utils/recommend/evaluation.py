"""Evaluate recommenders on the time split, the way recommender-system practitioners do.

Every method recommends for the evaluated customers with the purchases
before the cutoff only; the products they bought in the horizon after it are
the truth. Cold-start customers (known at the cutoff, but without purchases
the collaborative models can use) get the fallback baseline's list in every
method, as they would in production, so all methods are judged on the same
customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender
from .interactions import TimeSplit
from .metrics import (
    METRIC_NAMES,
    catalog_coverage,
    mean_metrics,
    per_customer_metrics_at,
    per_customer_metrics_from_columns,
)

__all__ = ["Evaluation", "evaluate_recommenders", "recommend_with_fallback"]


def recommend_with_fallback(
    model: Recommender,
    customer_ids: Iterable[str],
    *,
    fallback: Recommender | None = None,
    n: int = 10,
    exclude_purchased: bool = True,
) -> pd.DataFrame:
    """``model``'s lists for customers it can score, ``fallback``'s for the others.

    Returns
    -------
    DataFrame
        ``customer_id``, ``rank``, ``product_id``, ``score``, ``source``,
        sorted by customer and rank.
    """
    ids = np.asarray(list(customer_ids), dtype=object)
    known = _known(model, ids, fallback)
    warm, cold = ids[known], ids[~known]
    parts = [model.recommend(warm, n=n, exclude_purchased=exclude_purchased)]
    if len(cold):
        parts.append(fallback.recommend(cold, n=n, exclude_purchased=exclude_purchased))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["customer_id", "rank"], kind="stable").reset_index(drop=True)


def _known(model: Recommender, ids: np.ndarray, fallback: Recommender | None) -> np.ndarray:
    """Which customers ``model`` ranks itself (the others get ``fallback``'s list)."""
    if model.handles_cold_start:
        return np.ones(len(ids), dtype=bool)
    known = model.interactions_.rows_of(ids) >= 0
    if not known.all() and fallback is None:
        cold = ids[~known]
        raise DataValidationError(
            "customers",
            f"{model.name} cannot recommend for {len(cold)} customers without purchases before "
            "the cutoff; pass a fallback (e.g. the segment baseline)",
            column="customer_id",
            examples=cold,
        )
    return known


def _columns_with_fallback(
    model: Recommender,
    ids: np.ndarray,
    *,
    fallback: Recommender | None,
    n: int,
    exclude_purchased: bool,
) -> np.ndarray | None:
    """:func:`recommend_with_fallback`'s lists as column numbers, one row per customer of ``ids``.

    ``None`` when ``fallback`` ranks another catalogue than ``model`` (its
    column numbers would mean other products): the caller then compares
    frames of ids. The warm and cold customers are ranked in the same groups
    and order as :func:`recommend_with_fallback` does, so the blocks, hence
    the lists, are the same.
    """
    ids = np.asarray(list(ids), dtype=object)
    known = _known(model, ids, fallback)
    if not known.all() and not np.array_equal(
        np.asarray(fallback.interactions_.product_ids), np.asarray(model.interactions_.product_ids)
    ):
        return None
    warm = model.top_columns(ids[known], n=n, exclude_purchased=exclude_purchased)
    out = np.full((len(ids), warm.shape[1]), -1, dtype=np.int64)
    out[known] = warm
    if not known.all():
        out[~known] = fallback.top_columns(ids[~known], n=n, exclude_purchased=exclude_purchased)
    return out


@dataclass(frozen=True)
class Evaluation:
    """Metrics of several methods on one time split.

    Attributes
    ----------
    table : DataFrame
        One row per method (index), columns :data:`METRIC_NAMES` at ``k``.
    by_k : DataFrame
        ``method``, ``k`` and the metrics at every cut-off in ``ks``.
    per_customer : DataFrame
        Per evaluated customer and method (``method`` column): the metrics at
        ``k`` and ``history`` (distinct products bought before the cutoff).
    k : int
    """

    table: pd.DataFrame
    by_k: pd.DataFrame
    per_customer: pd.DataFrame
    k: int

    def lift(self, method: str, baseline: str, metric: str = "ndcg") -> float:
        """Relative improvement of ``method`` over ``baseline``: ``m / b - 1``."""
        base = self.table.loc[baseline, metric]
        return float(self.table.loc[method, metric] / base - 1.0) if base > 0 else float("nan")

    def paired_difference(
        self,
        method: str,
        baseline: str,
        metric: str = "ndcg",
        *,
        level: float = 0.95,
        n_boot: int = 1000,
        seed: int = 0,
    ) -> dict:
        """``method`` minus ``baseline`` on ``metric``, with a paired bootstrap interval.

        Both methods are scored on the same evaluated customers, so the
        difference is resampled customer by customer (a *paired* bootstrap:
        each resample draws customers with replacement and takes the mean of
        their differences); the interval is the percentile interval of those
        means. A difference whose interval holds 0 is a tie on this data.

        Returns
        -------
        dict
            ``method``, ``baseline``, ``difference`` (the mean of the
            differences, equal to the difference of the table's means),
            ``low`` and ``high`` (the interval), ``level``, ``n_customers``.

        Raises
        ------
        DataValidationError
            When a method was not evaluated or ``level`` is not in (0, 1).
        """
        if not 0 < level < 1:
            raise DataValidationError("level", f"expected a level in (0, 1), found {level}")
        missing = [m for m in (method, baseline) if m not in self.table.index]
        if missing:
            raise DataValidationError(
                "method",
                f"expected evaluated methods among {list(self.table.index)}, found {missing}",
            )
        people = self.per_customer[self.per_customer["method"].isin([method, baseline])]
        wide = people.pivot(index="customer_id", columns="method", values=metric)
        differences = (wide[method] - wide[baseline]).dropna().to_numpy(dtype=float)
        n = len(differences)
        rng = np.random.default_rng(seed)
        means = []
        chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))  # bounded memory per draw
        for start in range(0, n_boot, chunk):
            draws = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
            means.append(differences[draws].mean(axis=1))
        means = np.concatenate(means) if n else np.zeros(1)
        tail = (1.0 - level) / 2.0
        return {
            "method": method,
            "baseline": baseline,
            "difference": float(differences.mean()) if n else 0.0,
            "low": float(np.quantile(means, tail)),
            "high": float(np.quantile(means, 1.0 - tail)),
            "level": float(level),
            "n_customers": int(n),
        }


def _coverage(columns: np.ndarray, k: int, n_catalog: int) -> float:
    """:func:`~.metrics.catalog_coverage` of lists given as column numbers (-1: none)."""
    top = columns[:, :k]
    return float(len(np.unique(top[top >= 0])) / n_catalog)


def evaluate_recommenders(
    models: Mapping[str, Recommender],
    split: TimeSplit,
    *,
    k: int = 10,
    ks: Sequence[int] = (1, 3, 5, 10, 20),
    fallback: Recommender | None = None,
    exclude_purchased: bool = True,
    reuse: Mapping[str, Evaluation] | None = None,
) -> Evaluation:
    """Recommend with every fitted model for the evaluated customers and score the lists.

    Parameters
    ----------
    models : mapping of name -> fitted Recommender
    split : TimeSplit
        Its ``truth`` defines the evaluated customers.
    k : int
        Cut-off of the headline table.
    ks : sequence of int
        Cut-offs of ``by_k``.
    fallback : Recommender, optional
        Lists for cold-start customers (needed when some evaluated customers
        have no row in the matrix).
    exclude_purchased : bool
        Must match the split's setting.
    reuse : mapping of name -> Evaluation, optional
        Methods already evaluated on this very split, with the same
        ``fallback`` and ``exclude_purchased`` and at these cut-offs (e.g. the
        validation search's winners, see
        :attr:`~.selection.SearchResult.evaluations`): their rows are taken as
        they are instead of recommending and scoring again (the lists would
        be the same). An evaluation at another ``k`` or without every cut-off
        of ``ks`` is not reused.

    Returns
    -------
    Evaluation
    """
    if not models:
        raise DataValidationError("params recommendations.methods", "expected at least one method")
    cutoffs = sorted({int(x) for x in (*ks, k)})
    reusable = {
        name: known
        for name, known in (reuse or {}).items()
        if name in models
        and known.k == int(k)
        and name in known.table.index
        and set(cutoffs) <= set(known.by_k.loc[known.by_k["method"] == name, "k"])
    }
    customers = split.truth["customer_id"].unique()
    n_catalog = split.interactions.shape[1]
    history = pd.Series(
        np.diff(split.interactions.matrix.indptr), index=split.interactions.customer_ids
    )
    rows, curves, people = {}, [], []
    for name, model in models.items():
        if name in reusable:
            known = reusable[name]
            rows[name] = {
                **known.table.loc[name].to_dict(),
                "n_evaluated": int(known.table.loc[name, "n_evaluated"]),
            }
            curves += known.by_k[
                (known.by_k["method"] == name) & known.by_k["k"].isin(cutoffs)
            ].to_dict("records")
            people.append(known.per_customer[known.per_customer["method"] == name])
            continue
        # Lists as column numbers, matched with the truth as integers: the
        # same metrics as through frames of string ids, several times faster.
        columns = _columns_with_fallback(
            model, customers, fallback=fallback, n=max(cutoffs), exclude_purchased=exclude_purchased
        )
        if columns is None:
            lists = recommend_with_fallback(
                model,
                customers,
                fallback=fallback,
                n=max(cutoffs),
                exclude_purchased=exclude_purchased,
            )
            at = per_customer_metrics_at(lists, split.truth, cutoffs)
        else:
            at = per_customer_metrics_from_columns(
                columns, customers, model.interactions_.product_ids, split.truth, cutoffs
            )
        for cut in cutoffs:
            per = at[cut]
            coverage = (
                catalog_coverage(lists, cut, n_catalog)
                if columns is None
                else _coverage(columns, cut, n_catalog)
            )
            scores = {**mean_metrics(per), "coverage": coverage}
            curves.append({"method": name, "k": cut, **scores})
            if cut == k:
                rows[name] = {**scores, "n_evaluated": int(len(per))}
                people.append(
                    per.assign(
                        method=name,
                        history=history.reindex(per["customer_id"]).fillna(0).to_numpy(dtype=int),
                    )
                )
    table = pd.DataFrame.from_dict(rows, orient="index")[[*METRIC_NAMES, "n_evaluated"]]
    table.index.name = "method"
    return Evaluation(
        table=table,
        by_k=pd.DataFrame(curves),
        per_customer=pd.concat(people, ignore_index=True),
        k=int(k),
    )
