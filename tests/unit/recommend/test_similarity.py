"""Sparse cosine and Jaccard similarities and the top-n selection, pinned by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.similarity import (
    _top_n_full,
    item_similarity,
    prepare_rows,
    similarity_block,
    top_n,
)

# Customers A B C D x products p1..p4, as in conftest.py.
R = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=float))
C12 = 2 / math.sqrt(6)  # cos(p1, p2) = cos(p2, p3) = 0.81650


def test_item_cosine_all_neighbours():
    sim = item_similarity(R, metric="cosine", n_neighbours=3).toarray()
    expected = np.array(
        [
            [0, C12, 0.5, 0],
            [C12, 0, C12, 0],
            [0.5, C12, 0, 0],
            [0, 0, 0, 0],  # p4 shares no buyer: no neighbour kept
        ]
    )
    assert sim == pytest.approx(expected)


def test_item_jaccard_all_neighbours():
    sim = item_similarity(R, metric="jaccard", n_neighbours=3).toarray()
    # J(p1,p2) = 2/(2+3-2) = 2/3, J(p1,p3) = 1/(2+2-1) = 1/3, J(p2,p3) = 2/3
    expected = np.array(
        [[0, 2 / 3, 1 / 3, 0], [2 / 3, 0, 2 / 3, 0], [1 / 3, 2 / 3, 0, 0], [0, 0, 0, 0]]
    )
    assert sim == pytest.approx(expected)


def test_only_the_top_neighbours_are_kept_so_the_matrix_is_not_symmetric():
    sim = item_similarity(R, metric="cosine", n_neighbours=1).toarray()
    # p1's best neighbour is p2 (0.8165 > 0.5); p3's best is p2 too, so p1-p3 is dropped.
    assert sim[0].tolist() == pytest.approx([0, C12, 0, 0])
    assert sim[2].tolist() == pytest.approx([0, C12, 0, 0])
    assert (sim > 0).sum(axis=1).tolist() == [1, 1, 1, 0]


def test_blocks_give_the_same_matrix():
    rng = np.random.default_rng(1)
    matrix = sp.random(60, 25, density=0.2, random_state=rng, format="csr")
    for metric in ("cosine", "jaccard"):
        whole = item_similarity(matrix, metric=metric, n_neighbours=6, block_size=100)
        blocks = item_similarity(matrix, metric=metric, n_neighbours=6, block_size=4)
        assert abs(whole - blocks).max() < 1e-12
        assert (np.diff(whole.indptr) <= 6).all()


def test_cosine_matches_a_dense_computation_on_weighted_data():
    rng = np.random.default_rng(2)
    dense = rng.random((30, 8)) * (rng.random((30, 8)) < 0.4)
    sim = item_similarity(sp.csr_matrix(dense), metric="cosine", n_neighbours=7).toarray()
    norms = np.linalg.norm(dense, axis=0)
    expected = (dense.T @ dense) / np.outer(norms, norms)
    np.fill_diagonal(expected, 0.0)
    assert sim == pytest.approx(expected)


def test_similarity_block_of_customers():
    rows, sizes = prepare_rows(R, "jaccard")
    block = similarity_block(rows[[0]], sp.csr_matrix(rows.T), "jaccard", sizes[[0]], sizes)
    # A = {p1, p2}: with B = {p1, p2, p3} 2/3, with C = {p2, p3} 1/3, with D 0.
    assert block[0].tolist() == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])
    with pytest.raises(ValueError, match="Jaccard similarity needs"):
        similarity_block(rows[[0]], sp.csr_matrix(rows.T), "jaccard")


def test_prepare_rows_does_not_modify_the_input():
    matrix = R.copy()
    prepare_rows(matrix, "cosine")
    prepare_rows(matrix, "jaccard")
    assert (matrix != R).nnz == 0


def test_top_n_orders_and_breaks_ties_by_column():
    scores = np.array([[0.1, 0.9, 0.5, 0.9, -np.inf], [3.0, 1.0, 2.0, 0.0, 5.0]])
    columns, values = top_n(scores, 3)
    assert columns.tolist() == [[1, 3, 2], [4, 0, 2]]
    assert values.tolist() == [[0.9, 0.9, 0.5], [5.0, 3.0, 2.0]]
    # n larger than the number of columns: every column, sorted.
    columns, _ = top_n(scores[:1], 9)
    assert columns.tolist() == [[1, 3, 2, 0, 4]]


def test_top_n_keeps_the_lowest_columns_among_ties_at_the_boundary():
    """Two twins' rows differ only in where their own 0 is: the same neighbours either way."""
    ties = np.array([[0.0, 0.5, 0.5, 0.5, 0.5, 0.9], [0.5, 0.0, 0.5, 0.5, 0.5, 0.9]])
    columns, values = top_n(ties, 3)
    assert columns.tolist() == [[5, 1, 2], [5, 0, 2]]
    assert values.tolist() == [[0.9, 0.5, 0.5], [0.9, 0.5, 0.5]]
    wide = np.tile(np.r_[np.full(997, 0.25), 1.0, 2.0, 0.25], (4, 1))
    assert top_n(wide, 5)[0].tolist() == [[998, 997, 0, 1, 2]] * 4


def test_top_n_of_wide_rows_narrows_to_candidates_with_the_same_result():
    """Rows of 1,000 columns and n = 3 take the candidate path (1,000 >= 64 x 3)."""
    row = np.zeros(1000)
    row[[10, 500, 990]] = [0.7, 0.9, 0.7]  # a tie at the boundary value 0.7 ...
    row[[20, 700]] = 0.7  # ... among four columns: the lowest two are kept
    row[300] = -np.inf
    columns, values = top_n(np.vstack([row, row[::-1]]), 3)
    assert columns.tolist() == [[500, 10, 20], [499, 9, 299]]
    assert values.tolist() == [[0.9, 0.7, 0.7], [0.9, 0.7, 0.7]]
    # Against the full selection, on rows with many ties and -inf, and on rows of zeros
    # (every column a candidate: those rows take the full selection).
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 40, (30, 4000)).astype(float) / 8
    scores[rng.random(scores.shape) < 0.05] = -np.inf
    scores[:3] = 0.0
    for n in (1, 7, 50):
        fast, full = top_n(scores, n), _top_n_full(scores, n)
        assert np.array_equal(fast[0], full[0]) and np.array_equal(fast[1], full[1])
    assert top_n(scores, 7)[0][0].tolist() == list(range(7))  # all zeros: lowest columns


def test_errors_name_the_parameter():
    with pytest.raises(
        DataValidationError, match="similarity: expected one of cosine, jaccard, found 'pearson'"
    ):
        item_similarity(R, metric="pearson")
    with pytest.raises(
        DataValidationError, match="n_item_neighbours: expected an integer >= 1, found 0"
    ):
        item_similarity(R, n_neighbours=0)
    with pytest.raises(DataValidationError, match="n: expected an integer >= 1"):
        top_n(np.zeros((2, 2)), 0)


def test_full_selection_equals_a_stable_sort_with_and_without_crowded_ties():
    """Rows with too many ties at the n-th value (running count) and rows without, mixed."""
    rng = np.random.default_rng(11)
    distinct = rng.random((40, 300))  # no ties: the running count is skipped
    tied = rng.integers(0, 6, (40, 300)).astype(float)  # many ties at the boundary
    short = rng.random((10, 300))
    short[:, 5:] = -np.inf  # fewer finite entries than n: ties at -inf
    scores = np.vstack([distinct, tied, short])[rng.permutation(90)]
    before = scores.copy()
    for n in (1, 10, 37, 300):
        columns, values = _top_n_full(scores, n)
        order = np.lexsort((np.broadcast_to(np.arange(300), scores.shape), -scores), axis=1)[:, :n]
        np.testing.assert_array_equal(columns, order)
        np.testing.assert_array_equal(values, np.take_along_axis(scores, order, axis=1))
    np.testing.assert_array_equal(scores, before)
