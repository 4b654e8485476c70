"""User-based collaborative filtering (Resnick et al. 1994; Herlocker et al. 1999).

Customers who bought the same products are similar. With :math:`s_{uv}` the
similarity of customers :math:`u` and :math:`v` and :math:`N_k(u)` the
:math:`k` customers most similar to :math:`u` (:math:`u` excluded), the score
of product :math:`j` is the similarity-weighted average of the neighbours'
interactions:

.. math:: \\hat r_{uj} = \\frac{\\sum_{v \\in N_k(u)} s_{uv}\\, r_{vj}}{\\sum_{v \\in N_k(u)} |s_{uv}|}

The similarities of a block of customers with every customer are one sparse
product; the block is small enough that its dense copy (block x customers)
stays within a fixed budget, so memory does not grow with the square of the
number of customers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import BLOCK_CELLS, Recommender
from .similarity import check_count, check_metric, prepare_rows, similarity_block, top_n

__all__ = ["UserKNNRecommender"]


class UserKNNRecommender(Recommender):
    """User-based k-nearest-neighbour recommender.

    Parameters
    ----------
    metric : {"cosine", "jaccard"}
        Customer-customer similarity.
    n_neighbours : int
        Most similar customers averaged over (:math:`k`).
    block_cells : int
        Dense cells (block customers x all customers) computed at once.
    """

    name = "user_cf"

    def __init__(
        self, metric: str = "cosine", n_neighbours: int = 50, block_cells: int = BLOCK_CELLS
    ) -> None:
        check_metric(metric)
        check_count(n_neighbours, "n_user_neighbours")
        check_count(block_cells, "block_cells")
        self.metric = metric
        self.n_neighbours = n_neighbours
        self.block_cells = block_cells

    def _fit(self) -> None:
        self._rows, self._sizes = prepare_rows(self.interactions_.matrix, self.metric)
        self._rows_t = sp.csr_matrix(self._rows.T)

    def block_size(self) -> int:
        """Customers per block: ``block_cells`` / number of customers."""
        return max(1, self.block_cells // max(1, self.interactions_.shape[0]))

    def neighbours(self, rows: np.ndarray) -> sp.csr_matrix:
        """The weights :math:`s_{uv}` of each row's :math:`k` nearest customers (others 0)."""
        self._check_fitted()
        similarity = similarity_block(
            self._rows[rows], self._rows_t, self.metric, self._sizes[rows], self._sizes
        )
        similarity[np.arange(len(rows)), rows] = 0.0  # a customer is not their own neighbour
        columns, values = top_n(similarity, self.n_neighbours)
        positive = values > 0
        return sp.csr_matrix(
            (values[positive], (np.nonzero(positive)[0], columns[positive])),
            shape=(len(rows), self.interactions_.shape[0]),
        )

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Similarity-weighted average of the neighbours' interactions."""
        if (rows < 0).any():
            raise ValueError("user-based scores need customers with a row in the matrix")
        weights = self.neighbours(rows)
        total = np.asarray(abs(weights).sum(axis=1)).ravel()
        numerator = sp.csr_matrix(weights @ self.interactions_.matrix).toarray()
        return np.divide(
            numerator, total[:, None], out=np.zeros_like(numerator), where=total[:, None] > 0
        )
