"""Cosine and Jaccard similarities, computed sparsely and block by block.

Both similarities compare two columns (items) or two rows (customers) of the
interaction matrix. For vectors :math:`x, y` (binary sets :math:`X, Y`)

.. math::

    \\cos(x, y) = \\frac{x \\cdot y}{\\lVert x\\rVert\\,\\lVert y\\rVert}, \\qquad
    J(X, Y) = \\frac{|X \\cap Y|}{|X| + |Y| - |X \\cap Y|}.

The dot products of a block of rows with every row come from one sparse
matrix product, so memory is bounded by ``block_size`` times the number of
rows compared with; only the ``n_neighbours`` largest similarities of each
row are kept.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import DataValidationError

__all__ = [
    "METRICS",
    "item_similarity",
    "prepare_rows",
    "similarity_block",
    "top_n",
]

#: Similarity measures understood by :func:`item_similarity` and the user-based model.
METRICS = ("cosine", "jaccard")


def check_metric(metric: str) -> None:
    """Raise a clear error for an unknown similarity name."""
    if metric not in METRICS:
        raise DataValidationError(
            "params recommendations.similarity",
            f"expected one of {', '.join(METRICS)}, found {metric!r}",
        )


def check_count(value: int, name: str) -> None:
    """Raise a clear error unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataValidationError(
            f"params recommendations.{name}", f"expected an integer >= 1, found {value!r}"
        )


def check_limit(value: int, name: str) -> None:
    """Raise a clear error unless ``value`` is an integer >= 0 (a size limit, 0: no limit)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise DataValidationError(
            f"params recommendations.{name}",
            f"expected an integer >= 0 (0: every customer), found {value!r}",
        )


def prepare_rows(matrix: sp.spmatrix, metric: str) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows ready for :func:`similarity_block`, and their sizes.

    Cosine: every row scaled to unit length (all-zero rows stay zero), sizes
    are the norms. Jaccard: every stored entry set to 1, sizes are the number
    of entries (the set sizes).
    """
    check_metric(metric)
    rows = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    rows.eliminate_zeros()
    if metric == "jaccard":
        rows.data = np.ones_like(rows.data)
        return rows, np.diff(rows.indptr).astype(np.float64)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ rows), norms


def similarity_block(
    left: sp.csr_matrix,
    right_t: sp.csr_matrix,
    metric: str,
    left_sizes: np.ndarray | None = None,
    right_sizes: np.ndarray | None = None,
) -> np.ndarray:
    """Dense similarities of the rows of ``left`` with the columns of ``right_t``.

    ``left`` and ``right_t.T`` come from :func:`prepare_rows` (the same
    ``metric``); for Jaccard the set sizes of both sides are needed.

    Returns
    -------
    numpy.ndarray
        Shape (left rows, right_t columns), float64; 0 where nothing is shared.
    """
    product = (left @ right_t).toarray()
    if metric == "cosine":
        return product
    if left_sizes is None or right_sizes is None:
        raise ValueError("the Jaccard similarity needs left_sizes and right_sizes")
    union = left_sizes[:, None] + right_sizes[None, :] - product
    return np.divide(product, union, out=np.zeros_like(product), where=union > 0)


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``n`` largest entries of every row, best first.

    The ``n``-th largest value of each row is found in linear time
    (``np.partition``); every entry above it is kept, and of the entries equal
    to it the lowest columns fill the remaining places. Only the ``n`` kept
    entries are sorted (by value, descending, then by column). Rows keep
    ``min(n, columns)`` entries; entries equal to ``-inf`` are returned too
    (callers drop them). Rows at least 64 times longer than ``n`` (a block of
    customers against every customer) are first narrowed to candidates by a
    lower bound of the ``n``-th largest entry (see :func:`_top_n_wide`): the
    same entries in the same order, a few times faster.

    Ties are broken by the column, never by where a partition happened to put
    them: a customer's row of similarities differs from their twin's only in
    which entry is their own (set to 0), and an arbitrary choice among equal
    neighbours would then depend on the pseudonym order of the twins, so on
    the run's pseudonymization key.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Column indices (int64) and values, each of shape (rows, min(n, columns)).

    Examples
    --------
    >>> top_n(np.array([[0.5, 0.9, 0.5, 0.5]]), 2)[0]
    array([[1, 0]])
    """
    check_count(n, "n")
    n_rows, n_columns = scores.shape
    n = min(n, n_columns)
    if n == 0 or n_rows == 0:
        empty = np.empty((n_rows, 0))
        return empty.astype(np.int64), empty
    if n_columns >= _WIDE * n:
        return _top_n_wide(scores, n)
    return _top_n_full(scores, n)


#: Rows at least this many times longer than ``n`` take the candidate path of :func:`top_n`.
_WIDE = 64


def _top_n_wide(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_n` for rows much longer than ``n`` (a block of customers x all customers).

    The columns are cut into ``8 n`` chunks (the remainder one more). The ``n``-th largest of the chunk
    maxima is a lower bound ``L`` of a row's ``n``-th largest entry (those
    ``n`` maxima are ``n`` distinct entries >= ``L``), so every entry of the
    top ``n`` is among the *candidates* >= ``L``, usually a few times ``n``
    of the row's thousands. The candidates are ordered by value (descending),
    then column, and the first ``n`` kept: exactly the entries and order of the
    full selection, without partitioning whole rows. Rows with too many
    candidates (ties at ``L``, e.g. many zeros) take the full selection.
    """
    n_rows, n_columns = scores.shape
    n_chunks = 8 * n
    width = n_columns // n_chunks
    # Chunk maxima without copying the rows (the last columns form one more chunk).
    maxima = scores[:, : n_chunks * width].reshape(n_rows, n_chunks, width).max(axis=2)
    if n_chunks * width < n_columns:
        maxima = np.hstack([maxima, scores[:, n_chunks * width :].max(axis=1, keepdims=True)])
    bound = -np.partition(-maxima, n - 1, axis=1)[:, n - 1 : n]
    candidate = scores >= bound
    counts = np.count_nonzero(candidate, axis=1)
    fast = counts <= n_columns // 8
    columns = np.empty((n_rows, n), dtype=np.int64)
    values = np.empty((n_rows, n), dtype=scores.dtype)
    slow = np.flatnonzero(~fast)
    if len(slow):
        columns[slow], values[slow] = _top_n_full(scores[slow], n)
    rows_fast = np.flatnonzero(fast)
    if len(rows_fast):
        row, column = np.nonzero(candidate if len(slow) == 0 else candidate[rows_fast])
        value = scores[rows_fast[row], column]
        order = np.lexsort((column, -value, row))
        starts = np.concatenate([[0], np.cumsum(counts[rows_fast])[:-1]])
        take = order[(starts[:, None] + np.arange(n)[None, :])]
        columns[rows_fast] = column[take]
        values[rows_fast] = value[take]
    return columns, values


def _top_n_full(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_n` by partitioning whole rows (every column when ``n`` is their number)."""
    n_rows, n_columns = scores.shape
    if n < n_columns:
        threshold = -np.partition(-scores, n - 1, axis=1)[:, n - 1 : n]
        above = scores > threshold
        at = scores == threshold
        places_left = n - above.sum(axis=1, keepdims=True)
        kept = above | at
        # Only rows with more entries equal to the threshold than places left
        # need the running count that keeps the lowest columns among them; most
        # rows have none too many, and the count over every cell is costly.
        crowded = np.flatnonzero(at.sum(axis=1) > places_left[:, 0])
        if len(crowded):
            ties = at[crowded]
            kept[crowded] = above[crowded] | (
                ties & (np.cumsum(ties, axis=1, dtype=np.int32) <= places_left[crowded])
            )
        part = np.nonzero(kept)[1].reshape(n_rows, n)
    else:
        part = np.broadcast_to(np.arange(n_columns), (n_rows, n_columns))
    values = np.take_along_axis(scores, part, axis=1)
    # Sort the n kept entries by value (descending), then by column for equal values.
    order = np.lexsort((part, -values), axis=1)
    columns = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return columns, np.take_along_axis(values, order, axis=1)


def item_similarity(
    matrix: sp.spmatrix,
    *,
    metric: str = "cosine",
    n_neighbours: int = 50,
    block_size: int = 512,
) -> sp.csr_matrix:
    """Item-item similarities, keeping each item's ``n_neighbours`` most similar items.

    Row :math:`i` of the result holds :math:`s_{ij}` for the (at most)
    ``n_neighbours`` items :math:`j \\ne i` most similar to :math:`i` with
    :math:`s_{ij} > 0`; everything else is 0. The matrix is therefore not
    symmetric: :math:`j` can be among :math:`i`'s neighbours without the
    converse.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        Customers x items interactions (not modified).
    metric : {"cosine", "jaccard"}
    n_neighbours : int
        Neighbours kept per item.
    block_size : int
        Items compared with all items at once (memory: ``block_size`` x items
        floats).

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape (items, items).
    """
    check_metric(metric)
    check_count(n_neighbours, "n_item_neighbours")
    check_count(block_size, "block_size")
    items, sizes = prepare_rows(sp.csr_matrix(matrix).T, metric)
    items_t = sp.csr_matrix(items.T)
    n_items = items.shape[0]
    rows, columns, values = [], [], []
    for start in range(0, n_items, block_size):
        stop = min(start + block_size, n_items)
        block = similarity_block(items[start:stop], items_t, metric, sizes[start:stop], sizes)
        # An item is not its own neighbour.
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        block_columns, block_values = top_n(block, n_neighbours)
        positive = block_values > 0
        rows.append(np.nonzero(positive)[0] + start)
        columns.append(block_columns[positive])
        values.append(block_values[positive])
    result = sp.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(n_items, n_items),
    ).tocsr()
    result.sort_indices()
    return result
