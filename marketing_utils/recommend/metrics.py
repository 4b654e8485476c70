"""Top-N metrics of recommender systems, with their conventions stated.

For one customer with relevant set :math:`T` (the distinct products bought
after the cutoff) and a ranked list whose item at rank :math:`r` has
relevance :math:`\\text{rel}_r \\in \\{0, 1\\}`, at cut-off :math:`k`:

- precision@k :math:`= \\frac{1}{k}\\sum_{r \\le k} \\text{rel}_r` (always divided
  by :math:`k`, also when the list or :math:`T` is shorter);
- recall@k :math:`= \\frac{1}{|T|}\\sum_{r \\le k} \\text{rel}_r`;
- NDCG@k :math:`= \\text{DCG}/\\text{IDCG}` with
  :math:`\\text{DCG} = \\sum_{r \\le k} \\text{rel}_r / \\log_2(r + 1)` and the
  ideal :math:`\\text{IDCG} = \\sum_{r=1}^{\\min(k, |T|)} 1/\\log_2(r + 1)`
  (binary relevance; the base of the logarithm cancels in the ratio);
- AP@k :math:`= \\frac{1}{\\min(k, |T|)} \\sum_{r \\le k} \\text{rel}_r\\,
  \\text{precision@}r` (normalised by :math:`\\min(k, |T|)`, as
  ``map_at_k`` of Microsoft Recommenders and ``apk`` of ml_metrics), MAP@k
  its mean;
- hit rate@k: 1 when at least one of the top :math:`k` is relevant.

Means are over the **evaluated customers**: those with at least one relevant
product (the truth); a customer with no list scores 0. **Catalog coverage**
is the share of the catalogue that appears in at least one top-:math:`k`
list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "METRIC_NAMES",
    "average_precision_at_k",
    "catalog_coverage",
    "ndcg_at_k",
    "per_customer_metrics",
    "per_customer_metrics_at",
    "per_customer_metrics_from_columns",
    "precision_at_k",
    "ranking_metrics",
    "recall_at_k",
]

#: Metrics returned by :func:`ranking_metrics`, in order.
METRIC_NAMES = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage")


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise DataValidationError(
            "params recommendations.k", f"expected an integer >= 1, found {k!r}"
        )
    return int(k)


def _relevance(recommended: Sequence, relevant: Iterable, k: int) -> tuple[np.ndarray, int]:
    k = _check_k(k)
    relevant = set(relevant)
    if len(set(recommended)) != len(list(recommended)):
        raise DataValidationError(
            "recommendations", "expected distinct products in a list, found repeats"
        )
    return np.array([item in relevant for item in list(recommended)[:k]], dtype=float), len(
        relevant
    )


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def precision_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    """Relevant items among the top ``k``, divided by ``k``."""
    rel, _ = _relevance(recommended, relevant, k)
    return float(rel.sum() / k)


def recall_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    """Relevant items among the top ``k``, divided by the number of relevant items (0 if none)."""
    rel, n_relevant = _relevance(recommended, relevant, k)
    return float(rel.sum() / n_relevant) if n_relevant else 0.0


def ndcg_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    """Binary-relevance NDCG@k, ideal DCG over ``min(k, |relevant|)`` (0 if nothing is relevant)."""
    rel, n_relevant = _relevance(recommended, relevant, k)
    if n_relevant == 0:
        return 0.0
    dcg = float((rel * _discounts(len(rel))).sum())
    return dcg / float(_discounts(min(k, n_relevant)).sum())


def average_precision_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    """AP@k: mean of precision@r over the relevant ranks r <= k, normalised by min(k, |relevant|)."""
    rel, n_relevant = _relevance(recommended, relevant, k)
    if n_relevant == 0:
        return 0.0
    precision_at_rank = np.cumsum(rel) / np.arange(1, len(rel) + 1)
    return float((precision_at_rank * rel).sum() / min(k, n_relevant))


def catalog_coverage(recommendations: pd.DataFrame, k: int, n_catalog: int) -> float:
    """Share of the ``n_catalog`` products found in at least one top-``k`` list."""
    k = _check_k(k)
    if n_catalog < 1:
        raise DataValidationError("catalog", f"expected at least one product, found {n_catalog}")
    top = recommendations.loc[recommendations["rank"] <= k, "product_id"]
    return float(top.nunique() / n_catalog)


def _check_frames(recommendations: pd.DataFrame, truth: pd.DataFrame) -> None:
    for name, frame, columns in (
        ("recommendations", recommendations, ("customer_id", "rank", "product_id")),
        ("truth", truth, ("customer_id", "product_id")),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                name,
                f"expected the columns {', '.join(columns)}, found {', '.join(map(str, frame.columns))}",
                column=missing[0],
            )
    keys = recommendations[["customer_id", "rank"]]
    if keys.duplicated().any():
        raise DataValidationError(
            "recommendations",
            "expected one product per customer and rank, found repeated ranks",
            column="rank",
            examples=keys[keys.duplicated()].itertuples(index=False, name=None),
        )
    pairs = recommendations[["customer_id", "product_id"]]
    if pairs.duplicated().any():
        raise DataValidationError(
            "recommendations",
            "expected distinct products in each customer's list, found repeats",
            column="product_id",
            examples=pairs[pairs.duplicated()].itertuples(index=False, name=None),
        )
    ranks = recommendations["rank"]
    if len(ranks) and (ranks.min() < 1):
        raise DataValidationError(
            "recommendations", "expected ranks >= 1", column="rank", examples=ranks[ranks < 1]
        )


def per_customer_metrics(
    recommendations: pd.DataFrame, truth: pd.DataFrame, k: int
) -> pd.DataFrame:
    """Every metric for every evaluated customer (each customer in ``truth``).

    Parameters
    ----------
    recommendations : DataFrame
        ``customer_id``, ``rank`` (1 = best), ``product_id``. Ranks need not
        be consecutive; the list is read in rank order.
    truth : DataFrame
        ``customer_id``, ``product_id``: the relevant products (repeated pairs
        count once).
    k : int
        Cut-off.

    Returns
    -------
    DataFrame
        One row per evaluated customer: ``customer_id``, ``n_relevant``,
        ``hits``, ``precision``, ``recall``, ``ndcg``, ``ap``, ``hit``.
    """
    return per_customer_metrics_at(recommendations, truth, [k])[_check_k(k)]


def per_customer_metrics_at(
    recommendations: pd.DataFrame, truth: pd.DataFrame, ks: Iterable[int]
) -> dict[int, pd.DataFrame]:
    """:func:`per_customer_metrics` at several cut-offs, checking and matching the lists once.

    Returns
    -------
    dict
        Cut-off -> the table :func:`per_customer_metrics` returns for it.
    """
    cutoffs = sorted({_check_k(k) for k in ks})
    _check_frames(recommendations, truth)
    relevant = truth[["customer_id", "product_id"]].drop_duplicates()
    n_relevant = relevant.groupby("customer_id").size().rename("n_relevant")
    ranked = recommendations[["customer_id", "rank", "product_id"]].sort_values(
        ["customer_id", "rank"], kind="stable"
    )
    # Position in the list (1-based), so that gaps in the ranks do not matter.
    ranked = ranked.assign(position=ranked.groupby("customer_id").cumcount() + 1)
    ranked = ranked[ranked["position"] <= cutoffs[-1]]
    all_hits = ranked.merge(
        relevant.assign(hit=1.0), on=["customer_id", "product_id"], how="inner"
    ).sort_values(["customer_id", "position"], kind="stable")
    return {k: _metrics_from_hits(all_hits, n_relevant, k) for k in cutoffs}


def per_customer_metrics_from_columns(
    columns: np.ndarray,
    customer_ids: Sequence[str],
    product_ids: Sequence[str],
    truth: pd.DataFrame,
    ks: Iterable[int],
) -> dict[int, pd.DataFrame]:
    """:func:`per_customer_metrics_at` of lists given as column numbers (no frame of ids).

    The lists of a whole evaluation are matched with the truth as integers
    (customer position x number of products + column) instead of merging
    frames of string ids; the per-customer sums then go through the same
    steps as :func:`per_customer_metrics_at`, in the same order, so the
    numbers are the same to the last bit.

    Parameters
    ----------
    columns : numpy.ndarray
        Shape (customers, list length), integers: entry ``(c, r)`` is the
        column (in ``product_ids``) at rank ``r + 1`` of customer ``c``'s
        list, -1 past its end (see :meth:`~.base.Recommender.top_columns`).
    customer_ids : sequence of str
        Customer of each row of ``columns`` (distinct).
    product_ids : sequence of str
        Product of each column number (distinct).
    truth : DataFrame
        ``customer_id``, ``product_id``: the relevant products (repeated
        pairs count once); customers without a row in ``columns`` score 0.
    ks : iterable of int
        Cut-offs.

    Returns
    -------
    dict
        Cut-off -> the table :func:`per_customer_metrics` returns for it.
    """
    cutoffs = sorted({_check_k(k) for k in ks})
    _check_frames(pd.DataFrame(columns=["customer_id", "rank", "product_id"]), truth)
    columns = np.asarray(columns)
    customers = pd.Index(np.asarray(customer_ids, dtype=object))
    if columns.ndim != 2 or columns.shape[0] != len(customers):
        raise DataValidationError(
            "recommendations",
            f"expected one row of columns per customer ({len(customers)}), found shape "
            f"{columns.shape}",
        )
    if not customers.is_unique:
        raise DataValidationError(
            "recommendations",
            "expected one list per customer, found repeated customers",
            column="customer_id",
            examples=customers[customers.duplicated()],
        )
    relevant = truth[["customer_id", "product_id"]].drop_duplicates()
    n_relevant = relevant.groupby("customer_id").size().rename("n_relevant")
    evaluated = n_relevant.index
    n_products = len(product_ids)
    # Rows of the evaluated customers' lists (-1: no list, nothing can be hit).
    depth = min(columns.shape[1], cutoffs[-1])
    where = customers.get_indexer(evaluated)
    lists = np.full((len(evaluated), depth), -1, dtype=np.int64)
    listed = where >= 0
    lists[listed] = columns[where[listed], :depth]
    # Relevant pairs as one integer each: evaluated position x products + column.
    position = evaluated.get_indexer(relevant["customer_id"])
    column = pd.Index(np.asarray(product_ids, dtype=object)).get_indexer(
        relevant["product_id"].astype(str)
    )
    known = column >= 0
    relevant_keys = position[known].astype(np.int64) * n_products + column[known]
    list_keys = np.arange(len(evaluated), dtype=np.int64)[:, None] * n_products + lists
    hit = (lists >= 0) & np.isin(list_keys, relevant_keys)
    # np.nonzero reads row by row: customers in order, each by rank, as the
    # sorted frame of per_customer_metrics_at.
    who, rank = np.nonzero(hit)
    return {
        k: _metrics_from_hit_arrays(who, rank.astype(np.int64) + 1, n_relevant, k) for k in cutoffs
    }


def _metrics_from_hit_arrays(
    who: np.ndarray, position: np.ndarray, n_relevant: pd.Series, k: int
) -> pd.DataFrame:
    """:func:`_metrics_from_hits` from arrays: hit ``j`` is customer ``who[j]``'s rank ``position[j]``.

    ``who`` indexes ``n_relevant`` and is sorted, ranks ascending within a
    customer. Every number is computed with the same operations, on the same
    values, as :func:`_metrics_from_hits`; only the per-customer sums of
    gains and precisions go through pandas' grouped sum as there (the sum
    is not a plain left-to-right one, and the metrics must stay bit-identical),
    the rest is numpy on integer positions instead of frames.
    """
    keep = position <= k
    who, position = who[keep], position[keep]
    n_evaluated = len(n_relevant)
    # Rank of each hit among its customer's hits (groupby().cumcount()).
    nth = np.arange(len(who)) - np.searchsorted(who, who, side="left")
    gain = 1.0 / np.log2(position + 1.0)
    precision_at_hit = (nth + 1) / position
    sums = (
        pd.DataFrame({"customer_id": who, "gain": gain, "precision_at_hit": precision_at_hit})
        .groupby("customer_id")
        .agg(dcg=("gain", "sum"), ap_sum=("precision_at_hit", "sum"))
    )
    dcg, ap_sum = np.zeros(n_evaluated), np.zeros(n_evaluated)
    dcg[sums.index.to_numpy()] = sums["dcg"].to_numpy()
    ap_sum[sums.index.to_numpy()] = sums["ap_sum"].to_numpy()
    hits = np.bincount(who, minlength=n_evaluated).astype(np.float64)
    relevant = n_relevant.to_numpy().astype(np.int64)
    ideal = np.cumsum(_discounts(k))
    depth = np.minimum(relevant, k).astype(int)
    return pd.DataFrame(
        {
            "customer_id": n_relevant.index,
            "n_relevant": relevant,
            "hits": hits.astype(np.int64),
            "precision": hits / k,
            "recall": hits / relevant,
            "ndcg": dcg / ideal[depth - 1],
            "ap": ap_sum / depth,
            "hit": (hits > 0).astype(float),
        }
    )


def _metrics_from_hits(all_hits: pd.DataFrame, n_relevant: pd.Series, k: int) -> pd.DataFrame:
    hits = all_hits[all_hits["position"] <= k]
    hits = hits.assign(
        gain=1.0 / np.log2(hits["position"] + 1.0),
        precision_at_hit=(hits.groupby("customer_id").cumcount() + 1) / hits["position"],
    )
    per = hits.groupby("customer_id").agg(
        hits=("hit", "sum"), dcg=("gain", "sum"), ap_sum=("precision_at_hit", "sum")
    )
    table = n_relevant.to_frame().join(per, how="left").fillna(0.0)
    ideal = np.cumsum(_discounts(k))
    depth = np.minimum(table["n_relevant"].to_numpy(), k).astype(int)
    table = table.assign(
        precision=table["hits"] / k,
        recall=table["hits"] / table["n_relevant"],
        ndcg=table["dcg"] / ideal[depth - 1],
        ap=table["ap_sum"] / depth,
        hit=(table["hits"] > 0).astype(float),
    )
    out = table.reset_index()[
        ["customer_id", "n_relevant", "hits", "precision", "recall", "ndcg", "ap", "hit"]
    ]
    return out.astype({"n_relevant": np.int64, "hits": np.int64})


def ranking_metrics(
    recommendations: pd.DataFrame, truth: pd.DataFrame, k: int, *, n_catalog: int
) -> dict[str, float]:
    """precision@k, recall@k, NDCG@k, MAP@k, hit rate@k (means over ``truth``'s customers) and coverage.

    Coverage is measured over every list in ``recommendations`` (also those
    of customers without relevant products).

    Returns
    -------
    dict
        Keys :data:`METRIC_NAMES` plus ``n_evaluated``.
    """
    per = per_customer_metrics(recommendations, truth, k)
    if per.empty:
        raise DataValidationError(
            "truth", "expected at least one customer with a relevant product, found none"
        )
    return {
        **mean_metrics(per),
        "coverage": catalog_coverage(recommendations, k, n_catalog),
        "n_evaluated": int(len(per)),
    }


def mean_metrics(per_customer: pd.DataFrame) -> dict[str, float]:
    """Means of :func:`per_customer_metrics`' columns: precision, recall, ndcg, map, hit_rate.

    The sums are exactly rounded (:func:`math.fsum`), so the means do not
    depend on the order of the customers: pseudonyms, hence that order,
    change with the pseudonymization key, and the report's metrics must not.
    """
    n = len(per_customer)
    columns = {"precision": "precision", "recall": "recall", "ndcg": "ndcg"}
    columns |= {"map": "ap", "hit_rate": "hit"}
    return {
        name: math.fsum(per_customer[column].to_numpy(dtype=float)) / n if n else float("nan")
        for name, column in columns.items()
    }
