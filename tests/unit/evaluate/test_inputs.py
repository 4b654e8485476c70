"""Tests of marketing_utils.evaluate.inputs: joining scores, segments, the rule baseline and the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate.inputs import evaluation_frame


def _scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "split": ["train", "train", "train", "train", "test", "test"],
            "label": [1, 1, 0, 0, 1, 0],
            "score": [0.9, 0.7, 0.4, 0.2, 0.8, 0.3],
        }
    )


def _segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "rfm_segment": ["champions", "champions", "champions", "lost", "champions", "lost"],
            "cluster_name": ["x", "y", "x", "y", "x", "y"],
        }
    )


def test_segments_from_02_drive_the_rule_baseline():
    scores, segments = _scores(), _segments()
    frame, source = evaluation_frame(scores, segments=segments)
    assert source == "RFM segments from 02_segmentation"
    assert frame["segment"].tolist() == segments["rfm_segment"].tolist()
    # Training rates: champions 2/3, lost 0/1.
    np.testing.assert_allclose(frame["rule_score"], [2 / 3, 2 / 3, 2 / 3, 0, 2 / 3, 0])
    assert "true_probability" not in frame
    pd.testing.assert_frame_equal(scores, _scores())  # inputs untouched


def test_rfm_score_when_02_has_not_run():
    features = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "days_since_last_purchase": [5, 10, 50, 80, 7, 90],
            "n_orders": [9, 7, 2, 1, 8, 1],
            "total_spend": [500.0, 400.0, 50.0, 20.0, 450.0, 10.0],
        }
    )
    frame, source = evaluation_frame(_scores(), features=features)
    assert source.startswith(
        "RFM score (quintiles of days_since_last_purchase, n_orders, total_spend)"
    )
    assert frame["segment"].str.fullmatch(r"RFM \d+").all()


def test_best_categorical_column_when_there_is_no_rfm():
    rng = np.random.default_rng(0)
    n = 400
    label = rng.integers(0, 2, n)
    scores = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "split": np.where(np.arange(n) < 300, "train", "test"),
            "label": label,
            "score": rng.random(n),
        }
    )
    features = pd.DataFrame(
        {
            "customer_id": scores["customer_id"],
            "noise": rng.choice(["x", "y", "z"], n),
            "signal": np.where(label == 1, "yes", "no"),
            "age": rng.integers(20, 70, n),
        }
    )
    frame, source = evaluation_frame(scores, features=features)
    assert source.startswith("signal")
    assert frame["segment"].tolist() == features["signal"].tolist()


def test_clusters_when_02_has_no_rfm_for_this_data():
    segments = _segments().assign(rfm_segment=None)  # campaign data: 02 leaves RFM missing
    frame, source = evaluation_frame(_scores(), segments=segments)
    assert source == "clusters from 02_segmentation (no RFM for this data)"
    assert frame["segment"].tolist() == segments["cluster_name"].tolist()


def test_explicit_segment_column_and_truth():
    truth = pd.DataFrame({"customer_id": ["c6", "c5", "c1"], "true_purchase_prob": [0.1, 0.6, 0.9]})
    frame, source = evaluation_frame(
        _scores(), segments=_segments(), truth=truth, segment_column="cluster_name"
    )
    assert source == "cluster_name from segments"
    assert frame["segment"].tolist() == ["x", "y", "x", "y", "x", "y"]
    assert frame["true_probability"].tolist()[4:] == [0.6, 0.1]
    assert frame["true_probability"].isna().sum() == 3


def test_unknown_segment_column_names_what_exists():
    with pytest.raises(
        DataValidationError,
        match="params evaluation.segment_column: expected a column of segments or customer_features, found 'tier' Examples: 'cluster_name', 'rfm_segment'",
    ):
        evaluation_frame(_scores(), segments=_segments(), segment_column="tier")


def test_no_segments_at_all_gives_one_group():
    frame, source = evaluation_frame(_scores())
    assert source == "none available (one group)"
    assert set(frame["segment"]) == {"all customers"}
    assert frame["rule_score"].tolist() == [0.5] * 6  # the training rate, 2 of 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s.drop(columns="score"),
            r"scores: expected columns \['customer_id', 'split', 'label', 'score'\], missing \['score'\]",
        ),
        (
            lambda s: s.assign(split=["train"] * 5 + ["valid"]),
            "scores, column 'split': expected split 'train' or 'test' Examples: 'valid'",
        ),
        (
            lambda s: s.assign(split="train"),
            "scores, column 'split': expected held-out rows \\(split 'test'\\), found none",
        ),
        (
            lambda s: s.assign(customer_id=["c1", "c1", "c3", "c4", "c5", "c6"]),
            "scores, column 'customer_id': expected one row per customer, found 1 repeated ids",
        ),
        (
            lambda s: s.assign(label=[1, 1, 0, 0, 1, 5]),
            "scores, column 'label': expected labels 0 or 1",
        ),
    ],
)
def test_bad_scores_are_refused(change, message):
    with pytest.raises(DataValidationError, match=message):
        evaluation_frame(change(_scores()))
