"""Top-N metrics pinned to hand-worked examples (the arithmetic is written out)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.metrics import (
    average_precision_at_k,
    catalog_coverage,
    ndcg_at_k,
    per_customer_metrics,
    per_customer_metrics_at,
    per_customer_metrics_from_columns,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)

L3, L5 = math.log2(3), math.log2(5)

# One customer: list a b c d e, relevant {b, d, x}; ranks 2 and 4 are hits.
LIST = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "d", "x"}


def test_precision_divides_by_k():
    assert precision_at_k(LIST, RELEVANT, 5) == pytest.approx(2 / 5)
    assert precision_at_k(LIST, RELEVANT, 3) == pytest.approx(1 / 3)
    # A list shorter than k is still divided by k: one hit in a list of 2, k = 5.
    assert precision_at_k(["x", "y"], {"x"}, 5) == pytest.approx(1 / 5)


def test_recall_divides_by_the_relevant_items():
    assert recall_at_k(LIST, RELEVANT, 5) == pytest.approx(2 / 3)
    assert recall_at_k(LIST, RELEVANT, 3) == pytest.approx(1 / 3)
    assert recall_at_k(LIST, set(), 5) == 0.0


def test_ndcg_binary_log2_ideal_over_min_k_and_truth():
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
    # IDCG over min(5, 3) = 3 positions = 1 + 1/log2(3) + 1/log2(4) = 2.130930; NDCG = 0.498189
    dcg = 1 / L3 + 1 / L5
    ideal = 1 + 1 / L3 + 0.5
    assert ndcg_at_k(LIST, RELEVANT, 5) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(LIST, RELEVANT, 5) == pytest.approx(0.498189, abs=1e-6)
    # k = 3: only the hit at rank 2 counts; the ideal is still 3 hits.
    assert ndcg_at_k(LIST, RELEVANT, 3) == pytest.approx((1 / L3) / ideal)
    # One relevant item found first: perfect, ideal over min(5, 1) = 1 position.
    assert ndcg_at_k(["x", "y"], {"x"}, 5) == 1.0
    # Found second: 1/log2(3) over an ideal of 1.
    assert ndcg_at_k(["y", "x"], {"x"}, 5) == pytest.approx(1 / L3)


def test_average_precision_normalised_by_min_k_and_truth():
    # Hits at ranks 2 (precision 1/2) and 4 (precision 2/4): (0.5 + 0.5) / min(5, 3) = 1/3
    assert average_precision_at_k(LIST, RELEVANT, 5) == pytest.approx(1 / 3)
    # k = 3: one hit at rank 2: 0.5 / min(3, 3) = 1/6
    assert average_precision_at_k(LIST, RELEVANT, 3) == pytest.approx(1 / 6)
    # k = 2 and 3 relevant items: 0.5 / min(2, 3) = 1/4 (not 0.5 / 3)
    assert average_precision_at_k(LIST, RELEVANT, 2) == pytest.approx(1 / 4)
    assert average_precision_at_k(["y", "x"], {"x"}, 5) == pytest.approx(1 / 2)


def test_single_list_errors():
    with pytest.raises(DataValidationError, match="recommendations.k.*integer >= 1, found 0"):
        precision_at_k(LIST, RELEVANT, 0)
    with pytest.raises(DataValidationError, match="distinct products"):
        ndcg_at_k(["a", "a"], {"a"}, 2)


def _frames():
    recs = pd.DataFrame(
        {
            "customer_id": ["u1"] * 5 + ["u2"] * 2 + ["u4"] * 2,
            "rank": [1, 2, 3, 4, 5, 1, 2, 1, 2],
            "product_id": [*LIST, "x", "y", "a", "q"],
        }
    )
    truth = pd.DataFrame(
        {
            "customer_id": ["u1", "u1", "u1", "u2", "u3", "u3"],
            "product_id": ["b", "d", "x", "x", "z", "z"],  # u3's repeated pair counts once
        }
    )
    return recs, truth


def test_per_customer_metrics_match_the_hand_computation():
    recs, truth = _frames()
    per = per_customer_metrics(recs, truth, 5).set_index("customer_id")
    # u4 has a list but bought nothing new: not evaluated. u3 has no list: all zero.
    assert list(per.index) == ["u1", "u2", "u3"]
    assert per.loc["u1", "n_relevant"] == 3 and per.loc["u1", "hits"] == 2
    assert per.loc["u1", "precision"] == pytest.approx(0.4)
    assert per.loc["u1", "recall"] == pytest.approx(2 / 3)
    assert per.loc["u1", "ndcg"] == pytest.approx(0.498189, abs=1e-6)
    assert per.loc["u1", "ap"] == pytest.approx(1 / 3)
    assert per.loc["u2", ["precision", "recall", "ndcg", "ap", "hit"]].tolist() == pytest.approx(
        [0.2, 1.0, 1.0, 1.0, 1.0]
    )
    assert per.loc["u3", ["n_relevant", "hits"]].tolist() == [1, 0]
    assert per.loc["u3", ["precision", "recall", "ndcg", "ap", "hit"]].tolist() == [0, 0, 0, 0, 0]


def test_ranking_metrics_means_over_evaluated_customers_and_coverage():
    recs, truth = _frames()
    metrics = ranking_metrics(recs, truth, 5, n_catalog=10)
    assert metrics["n_evaluated"] == 3
    assert metrics["precision"] == pytest.approx((0.4 + 0.2 + 0) / 3)
    assert metrics["recall"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert metrics["ndcg"] == pytest.approx((0.498189 + 1 + 0) / 3, abs=1e-6)
    assert metrics["map"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert metrics["hit_rate"] == pytest.approx(2 / 3)
    # Every list counts for coverage: {a, b, c, d, e} + {x, y} + {a, q} = 8 of 10 products.
    assert metrics["coverage"] == pytest.approx(0.8)
    # k = 1: first products a, x, a -> 2 of 10.
    assert catalog_coverage(recs, 1, 10) == pytest.approx(0.2)


def test_ranks_are_read_in_order_even_with_gaps_and_shuffled_rows():
    recs, truth = _frames()
    shuffled = recs.assign(rank=recs["rank"] * 10).sample(frac=1.0, random_state=0)
    expected = per_customer_metrics(recs, truth, 5)
    pd.testing.assert_frame_equal(per_customer_metrics(shuffled, truth, 5), expected)


def test_vectorised_metrics_agree_with_the_single_list_definitions():
    rng = np.random.default_rng(0)
    rows, truth_rows, expected = [], [], []
    for customer in range(60):
        products = rng.permutation(30)[: rng.integers(0, 12)]
        relevant = set(rng.choice(30, size=rng.integers(1, 8), replace=False).tolist())
        rows += [(f"c{customer}", r + 1, int(p)) for r, p in enumerate(products)]
        truth_rows += [(f"c{customer}", p) for p in relevant]
        listed = [int(p) for p in products]
        expected.append(
            [
                precision_at_k(listed, relevant, 7),
                recall_at_k(listed, relevant, 7),
                ndcg_at_k(listed, relevant, 7),
                average_precision_at_k(listed, relevant, 7),
            ]
        )
    recs = pd.DataFrame(rows, columns=["customer_id", "rank", "product_id"])
    truth = pd.DataFrame(truth_rows, columns=["customer_id", "product_id"])
    per = per_customer_metrics(recs, truth, 7)
    per = per.set_index("customer_id").loc[[f"c{i}" for i in range(60)]]
    assert per[["precision", "recall", "ndcg", "ap"]].to_numpy() == pytest.approx(
        np.array(expected)
    )


def test_frame_errors_name_the_problem():
    recs, truth = _frames()
    with pytest.raises(
        DataValidationError, match="recommendations, column 'rank': expected the columns"
    ):
        per_customer_metrics(recs.drop(columns="rank"), truth, 5)
    with pytest.raises(DataValidationError, match="truth, column 'product_id'"):
        per_customer_metrics(recs, truth.drop(columns="product_id"), 5)
    repeated_rank = recs.assign(rank=[1, 1, 3, 4, 5, 1, 2, 1, 2])
    with pytest.raises(DataValidationError, match="repeated ranks"):
        per_customer_metrics(repeated_rank, truth, 5)
    repeated_product = recs.assign(product_id=["a", "a", "c", "d", "e", "x", "y", "a", "q"])
    with pytest.raises(DataValidationError, match="distinct products"):
        per_customer_metrics(repeated_product, truth, 5)
    with pytest.raises(DataValidationError, match="ranks >= 1"):
        per_customer_metrics(recs.assign(rank=recs["rank"] - 1), truth, 5)
    with pytest.raises(DataValidationError, match="integer >= 1"):
        per_customer_metrics(recs, truth, 2.5)
    with pytest.raises(DataValidationError, match="at least one customer"):
        ranking_metrics(recs, truth.iloc[:0], 5, n_catalog=10)
    with pytest.raises(DataValidationError, match="at least one product"):
        catalog_coverage(recs, 5, 0)


def test_inputs_are_not_modified():
    recs, truth = _frames()
    before = recs.copy(), truth.copy()
    ranking_metrics(recs, truth, 3, n_catalog=10)
    pd.testing.assert_frame_equal(recs, before[0])
    pd.testing.assert_frame_equal(truth, before[1])


def test_metrics_at_several_cutoffs_equal_one_cutoff_at_a_time():
    # Customer a: hits at ranks 1 and 3 (3 relevant); b: hit at rank 2; c: no list.
    recs = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "rank": [1, 2, 3, 1, 2],
            "product_id": ["x", "y", "z", "x", "w"],
        }
    )
    truth = pd.DataFrame(
        {"customer_id": ["a", "a", "a", "b", "c"], "product_id": ["x", "z", "v", "w", "x"]}
    )
    at = per_customer_metrics_at(recs, truth, [3, 1, 2])
    assert sorted(at) == [1, 2, 3]
    for k, table in at.items():
        pd.testing.assert_frame_equal(table, per_customer_metrics(recs, truth, k))
    # By hand at k = 3 for a: DCG = 1 + 1/log2(4) = 1.5, ideal = 1 + 1/log2(3) + 1/2.
    a = at[3].set_index("customer_id").loc["a"]
    assert a["ndcg"] == pytest.approx(1.5 / (1.5 + 1 / np.log2(3)))
    assert a["ap"] == pytest.approx((1 + 2 / 3) / 3)


def _columns_case():
    """Lists as column numbers over the catalogue a..e, and the same lists as a frame.

    c1: b d a (hits b, d; relevant also x, outside the catalogue); c2: e and
    then nothing (list shorter than the cut-offs); c3: a listed customer
    without truth; c4: in the truth without a list; c5: duplicated truth pair.
    """
    catalogue = np.array(list("abcde"), dtype=object)
    customers = ["c1", "c2", "c3", "c5"]
    columns = np.array([[1, 3, 0], [4, -1, -1], [2, 0, 1], [0, 2, 4]])
    rows = [
        (c, r + 1, catalogue[col])
        for c, row in zip(customers, columns, strict=True)
        for r, col in enumerate(row)
        if col >= 0
    ]
    recs = pd.DataFrame(rows, columns=["customer_id", "rank", "product_id"])
    truth = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c2", "c4", "c5", "c5", "c5"],
            "product_id": ["b", "d", "x", "a", "c", "e", "e", "a"],
        }
    )
    return columns, customers, catalogue, recs, truth


def test_metrics_from_columns_equal_the_frame_computation_exactly():
    columns, customers, catalogue, recs, truth = _columns_case()
    before = columns.copy(), truth.copy()
    expected = per_customer_metrics_at(recs, truth, [1, 2, 3, 5])
    got = per_customer_metrics_from_columns(columns, customers, catalogue, truth, [5, 1, 2, 3])
    assert sorted(got) == [1, 2, 3, 5]
    for k in expected:
        pd.testing.assert_frame_equal(got[k], expected[k], check_exact=True)
    # By hand at 3: c1 hits b, d at ranks 1, 2 of 3 relevant; c5 hits a (rank 1) and e (rank 3).
    at3 = got[3].set_index("customer_id")
    assert at3.loc["c1", "ndcg"] == pytest.approx((1 + 1 / math.log2(3)) / (1 + 1 / L3 + 0.5))
    assert at3.loc["c5", "ap"] == pytest.approx((1 + 2 / 3) / 2)
    assert at3.loc["c4", "hits"] == 0 and at3.loc["c2", "hit"] == 0.0
    np.testing.assert_array_equal(columns, before[0])
    pd.testing.assert_frame_equal(truth, before[1])


def test_metrics_from_columns_agree_with_frames_on_random_lists():
    rng = np.random.default_rng(1)
    catalogue = np.array([f"p{i}" for i in range(30)], dtype=object)
    customers = [f"c{i}" for i in range(80)]
    columns = np.full((80, 12), -1)
    rows, truth_rows = [], []
    for i, customer in enumerate(customers):
        listed = rng.permutation(30)[: rng.integers(0, 13)]
        columns[i, : len(listed)] = listed
        rows += [(customer, r + 1, catalogue[p]) for r, p in enumerate(listed)]
        truth_rows += [(customer, catalogue[p]) for p in rng.choice(30, rng.integers(0, 9))]
    recs = pd.DataFrame(rows, columns=["customer_id", "rank", "product_id"])
    truth = pd.DataFrame(truth_rows, columns=["customer_id", "product_id"])
    expected = per_customer_metrics_at(recs, truth, [1, 4, 7, 12, 20])
    got = per_customer_metrics_from_columns(columns, customers, catalogue, truth, [1, 4, 7, 12, 20])
    for k in expected:
        pd.testing.assert_frame_equal(got[k], expected[k], check_exact=True)


def test_metrics_from_columns_errors():
    columns, customers, catalogue, _, truth = _columns_case()
    with pytest.raises(DataValidationError, match="one row of columns per customer"):
        per_customer_metrics_from_columns(columns[:2], customers, catalogue, truth, [3])
    with pytest.raises(DataValidationError, match="repeated customers"):
        per_customer_metrics_from_columns(columns, ["c1", "c1", "c3", "c5"], catalogue, truth, [3])
    with pytest.raises(DataValidationError, match="truth, column 'product_id'"):
        per_customer_metrics_from_columns(
            columns, customers, catalogue, truth.drop(columns="product_id"), [3]
        )
    with pytest.raises(DataValidationError, match="integer >= 1"):
        per_customer_metrics_from_columns(columns, customers, catalogue, truth, [0])
