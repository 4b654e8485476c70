"""Tests of marketing_utils.evaluate.baselines: the RFM score, the segment rule and the comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate.baselines import (
    compare_targeting,
    rfm_columns,
    rfm_scores,
    segment_rule_scores,
)
from marketing_utils.evaluate.economics import CampaignEconomics


def _features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5"],
            "recency": [400.0, 300.0, 200.0, 100.0, 0.0],  # lifetimes-style: never used as R
            "days_since_last_purchase": [10, 20, 30, 40, 50],
            "n_orders": [1, 1, 2, 3, 5],
            "total_spend": [100.0, 50.0, 20.0, 80.0, 10.0],
        }
    )


def test_rfm_columns_per_kind_of_data():
    assert rfm_columns(_features()) == {
        "recency": ("days_since_last_purchase", False),
        "frequency": ("n_orders", True),
        "monetary": ("total_spend", True),
    }
    hillstrom = pd.DataFrame(columns=["customer_id", "recency", "history", "mens"])
    assert rfm_columns(hillstrom) == {"recency": ("recency", False), "monetary": ("history", True)}
    assert rfm_columns(pd.DataFrame(columns=["customer_id", "age", "balance"])) == {}


def test_rfm_scores_by_hand():
    scores = rfm_scores(_features()).set_index("customer_id")
    # R: fewer days is better: 10 -> 5, 20 -> 4, ..., 50 -> 1.
    assert scores["recency_score"].tolist() == [5, 4, 3, 2, 1]
    # F: n_orders 1, 1 share mean rank 1.5 -> percentile 0.3 -> ceil(1.5) = 2; 2 -> 3; 3 -> 4; 5 -> 5.
    assert scores["frequency_score"].tolist() == [2, 2, 3, 4, 5]
    # M: spend ranks 100 -> 5, 50 -> 3, 20 -> 2, 80 -> 4, 10 -> 1.
    assert scores["monetary_score"].tolist() == [5, 3, 2, 4, 1]
    assert scores["rfm_score"].tolist() == [12, 9, 8, 10, 7]
    assert scores.loc["c1", "rfm_segment"] == "RFM 12"


def test_rfm_scores_errors():
    with pytest.raises(
        DataValidationError, match="customer_features: expected at least one RFM column"
    ):
        rfm_scores(pd.DataFrame({"customer_id": ["a"], "age": [30]}))
    broken = _features().assign(n_orders=[1, None, 2, 3, 5])
    with pytest.raises(
        DataValidationError,
        match="column 'n_orders': expected numbers for the RFM score, found 1 missing",
    ):
        rfm_scores(broken)


def test_rfm_scores_do_not_mutate_input():
    features = _features()
    rfm_scores(features)
    pd.testing.assert_frame_equal(features, _features())


def test_segment_rule_scores_by_hand():
    # Training rates: a = 2/2, b = 1/2; overall 3/4 for unseen or missing segments.
    scores = segment_rule_scores(["a", "a", "b", "b"], [1, 1, 0, 1], ["b", "a", "c", None])
    assert scores.tolist() == [0.5, 1.0, 0.75, 0.75]


def test_segment_rule_refuses_bad_training_labels():
    with pytest.raises(
        DataValidationError,
        match="segment_rule_scores \\(training\\), column 'label': expected labels 0 or 1",
    ):
        segment_rule_scores(["a", "b"], [1, 3], ["a"])


Y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
MODEL = np.array([0.9, 0.1, 0.8, 0.2, 0.3, 0.15, 0.25, 0.05, 0.12, 0.11])


def test_compare_targeting_by_hand():
    table = compare_targeting(
        Y, {"model": MODEL, "rule": np.full(10, 0.5)}, CampaignEconomics(1.0, 4.0)
    ).set_index("approach")
    assert table.index.tolist() == ["model", "rule", "random"]
    # Model: both responders on top. Top 10% = one responder: lift 1 / 0.2 = 5.
    model = table.loc["model"]
    assert model["auc"] == 1.0 and model["top_decile_lift"] == pytest.approx(5.0)
    assert model[["gain_at_10_pct", "gain_at_20_pct", "gain_at_30_pct"]].tolist() == pytest.approx(
        [50, 100, 100]
    )
    # Contact the two responders: 4 x 2 - 2 = 6.
    assert model["best_profit"] == pytest.approx(6.0) and model["best_depth"] == pytest.approx(0.2)
    # One tied score for everyone ranks like random.
    rule = table.loc["rule"]
    assert rule["auc"] == 0.5 and rule["top_decile_lift"] == pytest.approx(1.0)
    assert rule["gain_at_20_pct"] == pytest.approx(20.0)
    # Random: contacting everyone loses 10 x (4 x 0.2 - 1) = -2, so its best is nobody.
    random = table.loc["random"]
    assert random["best_profit"] == 0.0 and random["best_depth"] == 0.0
    assert random["pr_auc"] == pytest.approx(0.2) and random["gain_at_30_pct"] == pytest.approx(
        30.0
    )


def test_compare_targeting_with_a_contact_limit_and_profitable_random():
    table = compare_targeting(
        Y, {"model": MODEL}, CampaignEconomics(1.0, 10.0), max_contacts=4
    ).set_index("approach")
    # Model within 4 contacts: the two responders, 10 x 2 - 2 = 18.
    assert table.loc["model", "best_profit"] == pytest.approx(18.0)
    # Random: 4 contacts x (10 x 0.2 - 1) = 4, at depth 0.4.
    assert table.loc["random", "best_profit"] == pytest.approx(4.0)
    assert table.loc["random", "best_depth"] == pytest.approx(0.4)
