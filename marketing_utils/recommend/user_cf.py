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

The exact search costs, per customer scored, in proportion to the number of
customers who share a product with them: on an export of 400,000 customers,
about 2.5 ms each, 17 minutes for everyone's list. ``neighbour_pool`` bounds
it: the neighbours are searched among a seeded random sample of at most that
many customers (the *pool*), so the cost falls in proportion (0.17 ms with a
pool of 20,000). Every customer still gets a list from their own purchases;
their neighbours are the most similar customers *of the pool*, as in the
sampled neighbourhoods of Herlocker et al. (1999, section 4.3, who weigh
neighbourhood size against cost). The pool is drawn among the matrix rows,
which :func:`~.interactions.interaction_matrix` orders by their content, so
the pool does not depend on the pseudonyms; only which of several customers
with the same purchases was drawn does, so a customer outside the pool does
not count the first pool member with their purchases (their stand-in) as a
neighbour, as a customer in the pool does not count themself: every such
twin gets the same list under any pseudonymization key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .base import BLOCK_CELLS, Recommender
from .interactions import identical_rows
from .similarity import check_count, check_limit, check_metric, prepare_rows

__all__ = ["UserKNNRecommender", "sparse_top_n"]


def sparse_top_n(
    similarity: sp.csr_matrix, n: int, *, exclude: np.ndarray | None = None
) -> sp.csr_matrix:
    """The ``n`` largest positive entries of each row of a sparse matrix, as a sparse matrix.

    Equal to densifying each row, setting column ``exclude[r]`` of row ``r``
    to 0, taking :func:`~.similarity.top_n` (ties: lowest column) and keeping
    the positive values; the kept entries of a row are stored best first.
    Only stored entries can be positive, so only they are read: a row's
    entries are cut into ``8 n`` runs, and the ``n``-th largest of the run
    maxima (``n + 1``-th with ``exclude``) is a lower bound of the row's
    ``n``-th largest kept entry (as in :func:`~.similarity._top_n_wide`); only
    the entries at or above it are sorted. Rows with fewer than ``16 n``
    stored entries sort all their positive entries.

    Parameters
    ----------
    similarity : scipy.sparse.csr_matrix
        Rows x columns (not modified).
    n : int
        Entries kept per row.
    exclude : numpy.ndarray, optional
        One column per row never kept (a customer is not their own neighbour).

    Returns
    -------
    scipy.sparse.csr_matrix
        Same shape, at most ``n`` entries per row.
    """
    check_count(n, "n")
    matrix = sp.csr_matrix(similarity)
    n_rows = matrix.shape[0]
    counts = np.diff(matrix.indptr)
    values = matrix.data
    # "value >= bound" with the smallest positive float as the least bound
    # is "value > 0 and value >= bound" in one pass.
    bound = np.full(n_rows, np.nextafter(0.0, 1.0))
    n_runs = 8 * n
    long = np.flatnonzero(counts >= 2 * n_runs)
    if len(long):
        # The (n+1)-th largest of the run maxima when a column is excluded:
        # of those n + 1 distinct entries at most one is the excluded one, so
        # n kept entries are at least that large. Each long row's edges are
        # its run starts and then its end, so that the last run stops there
        # (reduceat runs up to the next index given); the end's own value (the
        # next row's, or the sentinel) is dropped.
        nth = n if exclude is not None else n - 1
        edges = np.hstack(
            [
                matrix.indptr[long][:, None]
                + (np.arange(n_runs)[None, :] * counts[long][:, None]) // n_runs,
                matrix.indptr[long + 1][:, None],
            ]
        )
        padded = np.append(values, -np.inf)
        maxima = np.maximum.reduceat(padded, edges.ravel()).reshape(len(long), n_runs + 1)
        lower = -np.partition(-maxima[:, :n_runs], nth, axis=1)[:, nth]
        bound[long] = np.maximum(bound[long], lower)
    candidate = np.flatnonzero(values >= np.repeat(bound, counts))
    row = np.searchsorted(matrix.indptr, candidate, side="right") - 1
    column, value = matrix.indices[candidate], values[candidate]
    if exclude is not None:
        own = column == np.asarray(exclude)[row]
        row, column, value = row[~own], column[~own], value[~own]
    # Best first within a row, ties by the lower column; then the first n of each row.
    order = np.lexsort((column, -value, row))
    row, column, value = row[order], column[order], value[order]
    place = np.arange(len(row)) - np.searchsorted(row, row, side="left")
    keep = place < n
    return sp.csr_matrix((value[keep], (row[keep], column[keep])), shape=matrix.shape)


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
    neighbour_pool : int
        Neighbours are searched among a seeded random sample of at most this
        many customers; 0 (default): among every customer (exact).
    seed : int
        Seed of the pool's draw.
    """

    name = "user_cf"

    def __init__(
        self,
        metric: str = "cosine",
        n_neighbours: int = 50,
        block_cells: int = BLOCK_CELLS,
        *,
        neighbour_pool: int = 0,
        seed: int = 0,
    ) -> None:
        check_metric(metric)
        check_count(n_neighbours, "n_user_neighbours")
        check_count(block_cells, "block_cells")
        check_limit(neighbour_pool, "user_neighbour_pool")
        self.metric = metric
        self.n_neighbours = n_neighbours
        self.block_cells = block_cells
        self.neighbour_pool = int(neighbour_pool)
        self.seed = int(seed)

    def _fit(self) -> None:
        self._rows, self._sizes = prepare_rows(self.interactions_.matrix, self.metric)
        n_rows = self.interactions_.shape[0]
        if 0 < self.neighbour_pool < n_rows:
            pool = np.random.default_rng(self.seed).choice(
                n_rows, size=self.neighbour_pool, replace=False
            )
            self.pool_ = np.sort(pool)
            # The pool column each customer does not count as a neighbour: their own, or,
            # outside the pool, that of the first pool member with the same purchases.
            # Which of several such twins was drawn follows their pseudonyms; treating a
            # twin like the customer themself gives every twin the same list, whatever
            # the pseudonymization key.
            groups = identical_rows(self.interactions_.matrix)
            first = pd.Series(np.arange(len(self.pool_))).groupby(groups[self.pool_]).min()
            self._own_column = first.reindex(groups, fill_value=-1).to_numpy(np.int64, copy=True)
            self._own_column[self.pool_] = np.arange(len(self.pool_))
            self._rows_t = sp.csr_matrix(self._rows[self.pool_].T)
        else:
            self.pool_ = np.arange(n_rows)
            self._own_column = self.pool_
            self._rows_t = sp.csr_matrix(self._rows.T)

    def block_size(self) -> int:
        """Customers per block: ``block_cells`` / (customers in the pool, or products if more)."""
        widest = max(1, len(self.pool_), self.interactions_.shape[1])
        return max(1, self.block_cells // widest)

    def neighbours(self, rows: np.ndarray) -> sp.csr_matrix:
        """The weights :math:`s_{uv}` of each row's :math:`k` nearest customers (others 0).

        The same weights as taking the :math:`k` largest entries of each dense
        row of similarities (the customer's own set to 0; ties: lowest
        column) and keeping the positive ones (see :func:`sparse_top_n`), but
        read from the sparse product: only the pairs of customers who share
        a product are ever looked at. With a ``neighbour_pool``, the columns
        outside the pool are 0: the :math:`k` nearest are those of the pool.
        """
        self._check_fitted()
        rows = np.asarray(rows)
        pool = self.pool_
        similarity = sp.csr_matrix(self._rows[rows] @ self._rows_t)
        if self.metric == "jaccard":
            # |X & Y| / (|X| + |Y| - |X & Y|), entry by entry, as similarity_block does densely.
            owner = np.repeat(np.arange(len(rows)), np.diff(similarity.indptr))
            product = similarity.data
            union = self._sizes[rows][owner] + self._sizes[pool[similarity.indices]] - product
            similarity.data = np.divide(product, union, out=np.zeros_like(product), where=union > 0)
        nearest = sparse_top_n(similarity, self.n_neighbours, exclude=self._own_column[rows])
        # Pool columns back to matrix rows (the pool is sorted, so the order is kept).
        return sp.csr_matrix(
            (nearest.data, pool[nearest.indices], nearest.indptr),
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
