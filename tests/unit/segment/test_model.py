"""Stage 02's frozen segmentation (marketing_utils.segment.model): the same segments, and new ones.

The RFM edges are pinned on ten customers whose quantile scores are two per
score (hand-checkable); the clustering is checked against stage 02's own
matrix and labels on three clear groups of customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.model import (
    ClusterRule,
    ScoreRule,
    assign_segments,
    cluster_matrix,
    score_rule,
)
from marketing_utils.segment.stage import segment_customers
from tests.unit.segment.test_stage import FAST, three_groups

SMALL = {"k_values": (2, 3), "n_bootstrap": 2, "compare_gmm": False}


def ten_customers() -> pd.DataFrame:
    """Days 1..10, orders 1..10, spend 10..100: every quantile score holds two customers."""
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(10)],
            "days_since_last_purchase": np.arange(1, 11),
            "n_orders": np.arange(1, 11),
            "avg_basket": [5.0, 9.0, 14.0, 8.0, 30.0, 12.0, 6.0, 20.0, 11.0, 7.0],
            "total_spend": np.arange(1, 11) * 10.0,
        }
    )


@pytest.fixture(scope="module")
def ten():
    features = ten_customers()
    return features, segment_customers(features, seed=0, **SMALL)


@pytest.fixture(scope="module")
def groups():
    features, _ = three_groups()
    return features, segment_customers(features, seed=3, **FAST)


def test_rfm_edges_are_the_training_values_where_the_score_changes(ten):
    _, result = ten
    rfm = result.model.rfm
    # Orders 1..10 score 1,1,2,2,...,5,5: the score rises at 3, 5, 7 and 9.
    assert rfm.frequency.cuts == (3.0, 5.0, 7.0, 9.0) and rfm.frequency.scores == (1, 2, 3, 4, 5)
    assert rfm.monetary.cuts == (30.0, 50.0, 70.0, 90.0)
    # Days 1..10 score 5,5,4,4,...: 2 days is the last value scoring 5, 4 the last scoring 4.
    assert rfm.recency.cuts == (2.0, 4.0, 6.0, 8.0) and rfm.recency.scores == (5, 4, 3, 2, 1)
    assert rfm.recency.higher_is_better is False and rfm.frequency.higher_is_better is True


def test_new_customers_are_scored_against_the_training_edges(ten):
    _, result = ten
    new = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "days_since_last_purchase": [0.0, 9.0, 5.0, 2.5, 400.0],
            "n_orders": [12.0, 1.0, 6.0, 4.5, 2.0],
            "avg_basket": [10.0] * 5,
            "total_spend": [1e6, 0.0, 55.0, 45.0, 20.0],
        }
    )
    segments = assign_segments(result.model, new)
    # a: R5 F5 (beyond the range); b: R1 F1; c: 5 days -> R3, 6 orders -> F3;
    # d: 2.5 days lies between 2 (R5) and 3 (R4) -> the worse, R4; 4.5 orders -> F2;
    # e: 400 days -> R1, 2 orders -> F1.
    assert segments["rfm_segment"].tolist() == [
        "champions", "hibernating", "need attention", "potential loyalists", "hibernating",
    ]  # fmt: skip
    assert segments["customer_id"].tolist() == ["a", "b", "c", "d", "e"]
    # A single new customer is scored too (stage 02 itself needs two to rank).
    assert assign_segments(result.model, new.iloc[[2]])["rfm_segment"].tolist() == [
        "need attention"
    ]


def test_score_rule_hand_examples():
    rule = score_rule(pd.Series([1, 1, 2, 3, 7]), pd.Series([1, 1, 2, 2, 5]),
                      column="n_orders", higher_is_better=True)  # fmt: skip
    assert (rule.cuts, rule.scores) == ((2.0, 7.0), (1, 2, 5))
    assert rule.apply([0, 1, 2, 6.9, 7, 50]).tolist() == [1, 1, 2, 2, 5, 5]
    reverse = score_rule(pd.Series([30, 10, 10, 20]), pd.Series([1, 5, 5, 3]),
                         column="days", higher_is_better=False)  # fmt: skip
    assert (reverse.cuts, reverse.scores) == ((10.0, 20.0), (5, 3, 1))
    # 10 and 20 keep their training scores; 15 lies between them and gets the worse, 3.
    assert reverse.apply([0, 10, 15, 20, 21]).tolist() == [5, 5, 3, 3, 1]
    with pytest.raises(DataValidationError, match="equal values scored alike"):
        score_rule(pd.Series([1, 1, 2]), pd.Series([1, 2, 2]), column="x", higher_is_better=True)
    with pytest.raises(DataValidationError, match="rise \\(or fall\\)"):
        score_rule(pd.Series([1, 2, 3]), pd.Series([1, 3, 2]), column="x", higher_is_better=True)


def test_training_customers_get_exactly_stage_02s_segments(groups, ten):
    for features, result in (groups, ten):
        segments = assign_segments(result.model, features)
        pd.testing.assert_frame_equal(segments, result.segments)
    features, result = groups
    # In another row order, each customer keeps its segment.
    shuffled = features.sample(frac=1, random_state=0)
    again = assign_segments(result.model, shuffled).set_index("customer_id")
    pd.testing.assert_frame_equal(again.loc[result.segments["customer_id"]].reset_index(),
                                  result.segments)  # fmt: skip


def test_the_matrix_is_stage_02s_matrix_bit_for_bit(groups):
    features, result = groups
    matrix = cluster_matrix(result.model.clusters, features, "customer_features")
    assert np.array_equal(matrix, result.features.matrix)
    kept = result.features.transforms.query("transform != 'dropped'")
    assert result.model.clusters.transforms == tuple(kept["transform"])
    assert result.model.clusters.columns == tuple(result.features.columns)


def test_cluster_matrix_fills_transforms_and_scales_by_hand():
    rule = ClusterRule(
        columns=("spend", "share_books"), transforms=("log1p", "none"),
        medians=(0.0, 0.5), centres=(0.5, 0.25), scales=(0.5, 0.5),
        numbers=(1,), names=("all",),
    )  # fmt: skip
    table = pd.DataFrame({"spend": [np.e - 1, np.nan], "share_books": [np.nan, 0.75]})
    # log1p(e - 1) = 1 -> (1 - 0.5) / 0.5 = 1; missing spend -> median 0 -> log1p 0 -> -1;
    # missing share -> median 0.5 -> 0.5; 0.75 -> 1.
    np.testing.assert_allclose(cluster_matrix(rule, table, "t"), [[1.0, 0.5], [-1.0, 1.0]])
    with pytest.raises(DataValidationError, match="column 'spend': expected non-negative"):
        cluster_matrix(rule, table.assign(spend=[-2.0, 1.0]), "t")


def test_customers_like_a_cluster_get_its_number_and_name(groups):
    features, result = groups
    first = result.segments.groupby("cluster").head(1)
    rows = features.set_index("customer_id").loc[first["customer_id"]].reset_index()
    new = rows.assign(customer_id=[f"new{i}" for i in range(len(rows))])
    segments = assign_segments(result.model, new)
    assert segments["cluster"].tolist() == first["cluster"].tolist()
    assert segments["cluster_name"].tolist() == first["cluster_name"].tolist()
    assert segments["cluster"].dtype == np.int64


def test_campaign_data_without_rfm_gets_clusters_only():
    rng = np.random.default_rng(1)
    features = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(60)],
            "age": np.r_[rng.normal(25, 2, 30), rng.normal(60, 2, 30)],
            "history": rng.lognormal(5, 1, 60),
        }
    )
    result = segment_customers(features, seed=0, **FAST)
    assert result.model.rfm is None
    segments = assign_segments(result.model, features)
    pd.testing.assert_frame_equal(segments, result.segments)
    assert segments["rfm_segment"].isna().all()


def test_bad_new_customers_are_named_and_the_input_is_untouched(ten):
    features, result = ten
    model = result.model
    before = features.copy()
    assign_segments(model, features)
    pd.testing.assert_frame_equal(features, before)
    with pytest.raises(DataValidationError, match=r"missing \['n_orders', 'avg_basket'\]"):
        assign_segments(model, features.drop(columns=["n_orders", "avg_basket"]))
    negative = features.assign(total_spend=features["total_spend"] - 50)
    with pytest.raises(DataValidationError, match="column 'total_spend': expected non-negative"):
        assign_segments(model, negative, where="new customers")
    missing = features.assign(n_orders=features["n_orders"].where(features.index > 0))
    with pytest.raises(DataValidationError, match="with none missing, found 1"):
        assign_segments(model, missing)
    text = features.assign(avg_basket=features["avg_basket"].astype(str))
    with pytest.raises(DataValidationError, match="column 'avg_basket': expected numbers"):
        assign_segments(model, text)
    infinite = features.assign(avg_basket=np.inf)
    with pytest.raises(DataValidationError, match="expected finite values"):
        assign_segments(model, infinite)


def test_score_rule_apply_on_an_empty_table(ten):
    features, result = ten
    segments = assign_segments(result.model, features.iloc[:0])
    assert segments.columns.tolist() == ["customer_id", "rfm_segment", "cluster", "cluster_name"]
    assert len(segments) == 0
    assert ScoreRule("x", True, (), (3,)).apply([1.0, 2.0]).tolist() == [3, 3]
