"""What every recommender shares: fit on an interaction matrix, recommend top-N lists.

A model only says how much it likes every product for a block of customers
(:meth:`Recommender.score_rows`); turning scores into ranked lists is done
here once, block by block, so memory stays bounded and every model follows
the same rules:

- products the customer already bought are excluded when
  ``exclude_purchased`` is set;
- a product the model scores 0 (it knows nothing about it for this
  customer) is ranked after every product with a positive score, by overall
  popularity: when a customer's few purchases have few neighbours the list
  is filled with popular products, marked ``source = "popularity_fill"``;
- the top ``n`` are picked with ``np.argpartition`` (linear time per row).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .. import threads
from ..errors import DataValidationError
from .interactions import Interactions
from .similarity import check_count, top_n

__all__ = ["RECOMMENDATION_COLUMNS", "Recommender", "fill_key", "with_one_blas_thread"]

#: Columns of every recommendation frame.
RECOMMENDATION_COLUMNS = ("customer_id", "rank", "product_id", "score", "source")

#: Dense cells (customers x products or customers x customers) of one block.
BLOCK_CELLS = 2**22


def with_one_blas_thread(function):
    """Run ``function`` with the BLAS limited to one thread (same result, less CPU).

    The stage's dense products are small (a block of customers times a few
    hundred products, a TF-IDF matrix of a few hundred texts): with two
    OpenBLAS threads on the shared 2-core machine the threads' synchronisation
    cost more CPU than they saved, 2.3 of the notebook's 18.8 CPU seconds on
    the default data. OpenBLAS splits a product's output between its threads,
    never a sum, so each entry is computed alike and the results keep their
    bits (the report's metrics were checked to be byte-identical).
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threads.one_blas_thread():
            return function(*args, **kwargs)

    return wrapper


def fill_key(popularity: np.ndarray) -> np.ndarray:
    """Ranking key of products a model scores 0: in [-1, -0.5), more popular higher.

    Products are ranked by popularity, ties by column; the key is strictly
    below any positive score and above ``-inf`` (excluded products).
    """
    n_items = len(popularity)
    order = np.lexsort((np.arange(n_items), -np.asarray(popularity, dtype=float)))
    key = np.empty(n_items)
    key[order] = -0.5 - 0.5 * np.arange(n_items) / max(n_items, 1)
    return key


class Recommender:
    """Base class: subclasses implement :meth:`_fit` and :meth:`score_rows`.

    Attributes set by :meth:`fit`: ``interactions_`` and ``popularity_``
    (distinct buyers of each product).
    """

    #: Name of the method in the ``source`` column and in the evaluation tables.
    name = "recommender"
    #: Whether customers without a row in the matrix can be scored.
    handles_cold_start = False

    @with_one_blas_thread
    def fit(self, interactions: Interactions) -> Recommender:
        """Learn from the interactions (not modified); returns the model."""
        if not isinstance(interactions, Interactions):
            raise TypeError(
                f"{type(self).__name__}.fit expects an Interactions object "
                f"(see interaction_matrix), found {type(interactions).__name__}"
            )
        self.interactions_ = interactions
        self.popularity_ = interactions.popularity()
        self._fill_key = fill_key(self.popularity_)
        self._fit()
        return self

    def _fit(self) -> None:
        """Model-specific fitting (nothing by default)."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "interactions_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(interactions) first")

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Scores of every product for these customers (row -1: not in the matrix).

        Returns a dense float array of shape (customers, products).
        """
        raise NotImplementedError

    def block_size(self) -> int:
        """Customers scored at once (bounded dense memory)."""
        return max(1, BLOCK_CELLS // max(1, self.interactions_.shape[1]))

    @with_one_blas_thread
    def recommend(
        self,
        customer_ids: Iterable[str],
        *,
        n: int = 10,
        exclude_purchased: bool = True,
    ) -> pd.DataFrame:
        """Top-``n`` products for each customer, best first.

        Parameters
        ----------
        customer_ids : iterable of str
            Customers to recommend for; unless the model handles cold start,
            every one must have a row in the interaction matrix.
        n : int
            Length of each list (shorter only when fewer products are left).
        exclude_purchased : bool
            Leave out products the customer bought before the cutoff.

        Returns
        -------
        DataFrame
            ``customer_id``, ``rank`` (1 = best), ``product_id``, ``score``
            (the model's score; 0 for popularity fill), ``source``.
        """
        self._check_fitted()
        product_ids = np.asarray(self.interactions_.product_ids)
        parts = []
        for block_ids, scores, columns, values in self._ranked_blocks(
            customer_ids, n, exclude_purchased
        ):
            keep = np.isfinite(values)
            position, rank = np.nonzero(keep)
            chosen = columns[keep]
            raw = scores[position, chosen]
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": pd.array(block_ids[position].astype(str), dtype="str"),
                        "rank": rank.astype(np.int64) + 1,
                        "product_id": pd.array(product_ids[chosen].astype(str), dtype="str"),
                        "score": np.where(raw > 0, raw, 0.0),
                        "source": np.where(raw > 0, self.name, "popularity_fill"),
                    }
                )
            )
        if not parts:
            return pd.DataFrame({c: [] for c in RECOMMENDATION_COLUMNS})
        out = pd.concat(parts, ignore_index=True)
        out["source"] = out["source"].astype("str")
        return out

    @with_one_blas_thread
    def top_columns(
        self,
        customer_ids: Iterable[str],
        *,
        n: int = 10,
        exclude_purchased: bool = True,
    ) -> np.ndarray:
        """The columns of :meth:`recommend`'s lists, one row per customer (-1 past a list's end).

        The same ranking as :meth:`recommend` (same blocks, scores and ties),
        without building the frame of ids and scores: the evaluation only
        needs which products sit at which rank.

        Parameters
        ----------
        customer_ids : iterable of str
            As for :meth:`recommend`.
        n : int
            Length of each list.
        exclude_purchased : bool
            Leave out products the customer bought before the cutoff.

        Returns
        -------
        numpy.ndarray
            Shape (customers, min(n, products)), int64: row ``c`` holds the
            column (in ``interactions_.product_ids``) at rank ``r + 1`` of
            customer ``c``'s list in entry ``r``, -1 where the list is shorter.
        """
        self._check_fitted()
        parts = [
            np.where(np.isfinite(values), columns, -1)
            for _, _, columns, values in self._ranked_blocks(customer_ids, n, exclude_purchased)
        ]
        if not parts:
            return np.empty((0, min(n, self.interactions_.shape[1])), dtype=np.int64)
        return np.concatenate(parts).astype(np.int64, copy=False)

    def _ranked_blocks(self, customer_ids: Iterable[str], n: int, exclude_purchased: bool):
        """Yield ``(ids, scores, columns, values)`` of each block: the shared ranking rules.

        ``columns`` and ``values`` come from :func:`~.similarity.top_n` of the
        ranking key; entries with value ``-inf`` (excluded purchases) are past
        the end of the list. One generator serves :meth:`recommend` and
        :meth:`top_columns`, so both rank exactly alike.
        """
        self._check_fitted()
        check_count(n, "n_recommendations")
        ids = np.asarray(list(customer_ids), dtype=object)
        rows = self.interactions_.rows_of(ids)
        if not self.handles_cold_start and (rows < 0).any():
            unknown = ids[rows < 0]
            raise DataValidationError(
                "customers",
                f"{self.name} needs customers with purchases before the cutoff, found "
                f"{len(unknown)} without (recommend for them with a baseline)",
                column="customer_id",
                examples=unknown,
            )
        matrix = self.interactions_.matrix
        step = self.block_size()
        for start in range(0, len(ids), step):
            block_ids, block_rows = ids[start : start + step], rows[start : start + step]
            scores = np.asarray(self.score_rows(block_ids, block_rows), dtype=np.float64)
            key = np.where(scores > 0, scores, self._fill_key[None, :])
            if exclude_purchased:
                warm = np.flatnonzero(block_rows >= 0)
                bought = matrix[block_rows[warm]].tocoo()
                key[warm[bought.row], bought.col] = -np.inf
            columns, values = top_n(key, n)
            yield block_ids, scores, columns, values
