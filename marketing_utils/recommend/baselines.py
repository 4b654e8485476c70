"""Baselines every recommender must beat: what is popular, overall or in the customer's segment.

**Popularity** ranks products by the number of distinct customers who bought
them before the cutoff; every customer gets the same list (minus what they
already bought). **Segment popularity** does the same within the customer's
segment, so a gift shopper sees what gift shoppers buy. It needs no purchase
history of the customer, only a segment, which is why it also serves the
customers without history (cold start).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender

__all__ = [
    "PopularityRecommender",
    "SegmentPopularityRecommender",
    "favourite_category",
    "resolve_segments",
]

#: Segment columns of stage 02's ``segments`` artifact, in order of preference.
SEGMENT_COLUMNS = ("cluster_name", "rfm_segment")


class PopularityRecommender(Recommender):
    """The same list for everyone: products by number of distinct buyers."""

    name = "popularity"
    handles_cold_start = True

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Every customer's scores are the products' buyer counts."""
        self._check_fitted()
        return np.tile(self.popularity_.astype(np.float64), (len(rows), 1))


class SegmentPopularityRecommender(Recommender):
    """Products by number of distinct buyers *within the customer's segment*.

    Segments with fewer than ``min_segment_size`` customers in the matrix are
    too small to rank products reliably: their customers, and customers
    without a segment, get the overall popularity list.

    Parameters
    ----------
    segments : Mapping or Series
        Customer id -> segment label.
    min_segment_size : int
        Smallest segment with its own list.

    Attributes
    ----------
    segment_popularity_ : DataFrame
        Segments (rows, with their own list) x products: distinct buyers.
    segment_sizes_ : Series
        Customers of each segment found in the matrix.
    """

    name = "segment_popularity"
    handles_cold_start = True

    def __init__(self, segments: Mapping | pd.Series, min_segment_size: int = 20) -> None:
        self.segments = pd.Series(segments, dtype=object)
        self.min_segment_size = min_segment_size

    def _fit(self) -> None:
        interactions = self.interactions_
        labels = self.segments.reindex(pd.Index(interactions.customer_ids))
        known = labels.notna().to_numpy()
        codes, names = pd.factorize(labels[known].astype(str), sort=True)
        binary = interactions.binary()[np.flatnonzero(known)]
        sizes = np.bincount(codes, minlength=len(names))
        counts = np.zeros((len(names), interactions.shape[1]))
        for code in range(len(names)):
            counts[code] = np.asarray(binary[codes == code].sum(axis=0)).ravel()
        large = sizes >= self.min_segment_size
        self.segment_sizes_ = pd.Series(sizes, index=names, name="customers")
        self.segment_popularity_ = pd.DataFrame(
            counts[large], index=names[large], columns=interactions.product_ids
        )
        # Row 0 is the overall list, for customers whose segment has no list of its own.
        self._table = np.vstack([self.popularity_[None, :], counts[large]]).astype(np.float64)
        self._row_of = {name: i + 1 for i, name in enumerate(names[large])}

    def summary(self, n_products: int = 3) -> pd.DataFrame:
        """Each segment with its own list: customers and its ``n_products`` most bought products.

        Segments below ``min_segment_size`` are not shown one by one: they
        form one row (the overall list) with their total customers.
        """
        self._check_fitted()
        rows = []
        for segment, counts in self.segment_popularity_.iterrows():
            best = counts.sort_values(ascending=False, kind="stable").index[:n_products]
            rows.append(
                {
                    "segment": segment,
                    "customers": int(self.segment_sizes_[segment]),
                    "top_products": ", ".join(map(str, best)),
                }
            )
        small = self.segment_sizes_[~self.segment_sizes_.index.isin(self.segment_popularity_.index)]
        if small.sum() > 0:
            rows.append(
                {
                    "segment": f"{len(small)} segments below {self.min_segment_size} customers",
                    "customers": int(small.sum()),
                    "top_products": "(overall popularity list)",
                }
            )
        return pd.DataFrame(rows, columns=["segment", "customers", "top_products"])

    def segment_rows(self, customer_ids: np.ndarray) -> np.ndarray:
        """Row of each customer's list in the segment table (0: the overall list)."""
        labels = self.segments.reindex(pd.Index(np.asarray(customer_ids, dtype=object)))
        return np.array([self._row_of.get(str(x), 0) if pd.notna(x) else 0 for x in labels])

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each customer's scores are their segment's buyer counts."""
        self._check_fitted()
        return self._table[self.segment_rows(customer_ids)]


def favourite_category(transactions: pd.DataFrame, cutoff: str | pd.Timestamp) -> pd.Series:
    """Each customer's category with the most spend before the cutoff (ties: first by name).

    The fallback segmentation when stage 02 has not run.

    Returns
    -------
    Series
        Customer id -> category, named ``favourite_category``.
    """
    for column in ("customer_id", "category", "amount", "timestamp"):
        if column not in transactions.columns:
            raise DataValidationError(
                "transactions",
                f"expected a {column} column for the favourite-category segments",
                column=column,
            )
    before = transactions[pd.to_datetime(transactions["timestamp"]) < pd.Timestamp(cutoff)]
    before = before[before["category"].notna()]
    spend = before.groupby(["customer_id", "category"], as_index=False)["amount"].sum()
    spend = spend.sort_values(["customer_id", "amount", "category"], ascending=[True, False, True])
    best = spend.drop_duplicates("customer_id")
    return pd.Series(
        best["category"].to_numpy(), index=best["customer_id"].to_numpy(), name="favourite_category"
    )


def resolve_segments(
    segments: pd.DataFrame | None,
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    segment_column: str = "auto",
) -> tuple[pd.Series, str]:
    """The customer -> segment map of the segment baseline, and where it came from.

    ``"auto"``: stage 02's ``cluster_name``, else its ``rfm_segment``; without
    stage 02, each customer's favourite category (most spend before the
    cutoff); without categories either, one segment for everybody (the
    baseline is then plain popularity). A column name picks that column of
    02's ``segments``.

    Returns
    -------
    (Series, str)
        Customer id -> label, and a description of the source.
    """
    if segment_column != "auto":
        if segments is None or segment_column not in segments.columns:
            found = "no segments artifact" if segments is None else ", ".join(segments.columns)
            raise DataValidationError(
                "params recommendations.segment_column",
                f"expected 'auto' or a column of stage 02's segments, found {segment_column!r} "
                f"(available: {found})",
            )
        column = segment_column
    elif segments is not None:
        column = next((c for c in SEGMENT_COLUMNS if c in segments.columns), None)
    else:
        column = None
    if column is not None:
        labels = pd.Series(
            segments[column].astype(str).to_numpy(),
            index=segments["customer_id"].astype(str).to_numpy(),
            name=column,
        )
        return labels, f"stage 02 segments ({column})"
    if "category" in transactions.columns and transactions["category"].notna().any():
        return favourite_category(transactions, cutoff), "favourite category before the cutoff"
    ids = transactions["customer_id"].astype(str).unique()
    return pd.Series("all customers", index=ids, name="segment"), "one segment (no segments)"
