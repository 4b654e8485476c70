"""Item-based collaborative filtering (Sarwar et al. 2001; Deshpande & Karypis 2004).

Products bought by the same customers are similar. With :math:`s_{ij}` the
similarity of product :math:`i` to product :math:`j` (only each product's
``n_neighbours`` most similar products kept), customer :math:`u`'s score for
product :math:`j` is the similarity-weighted sum over the products
:math:`I_u` the customer bought:

.. math:: \\hat r_{uj} = \\sum_{i \\in I_u} r_{ui}\\, s_{ij}

For a block of customers this is one sparse product ``R[block] @ S``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Recommender
from .similarity import check_count, check_metric, item_similarity

__all__ = ["ItemKNNRecommender"]


class ItemKNNRecommender(Recommender):
    """Item-based k-nearest-neighbour recommender.

    Parameters
    ----------
    metric : {"cosine", "jaccard"}
        Item-item similarity.
    n_neighbours : int
        Most similar products kept per product.
    similarity_block_size : int
        Products compared with all products at once while fitting.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix
        Products x products, row :math:`i` holding :math:`s_{ij}` for
        :math:`i`'s neighbours :math:`j`.
    """

    name = "item_cf"

    def __init__(
        self, metric: str = "cosine", n_neighbours: int = 50, similarity_block_size: int = 512
    ) -> None:
        check_metric(metric)
        check_count(n_neighbours, "n_item_neighbours")
        self.metric = metric
        self.n_neighbours = n_neighbours
        self.similarity_block_size = similarity_block_size

    def _fit(self) -> None:
        self.similarity_ = item_similarity(
            self.interactions_.matrix,
            metric=self.metric,
            n_neighbours=self.n_neighbours,
            block_size=self.similarity_block_size,
        )

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """:math:`\\hat r_{uj} = \\sum_i r_{ui} s_{ij}` for the block's customers."""
        self._check_fitted()
        if (rows < 0).any():
            raise ValueError("item-based scores need customers with a row in the matrix")
        block = self.interactions_.matrix[rows]
        return sp.csr_matrix(block @ self.similarity_).toarray()
