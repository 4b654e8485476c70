"""Tests of marketing_utils.evaluate.classification: confusion matrix, precision/recall, calibration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate.classification import (
    calibration_by_group,
    classification_metrics,
    confusion_table,
)

Y = [1, 1, 0, 0, 1]
SELECTED = [1, 0, 1, 0, 1]


def test_confusion_table_by_hand():
    table = confusion_table(Y, SELECTED)
    # Contacted: customers 0 (responder), 2 (not), 4 (responder); left out: 1 (responder), 3 (not).
    assert table.loc["responder"].tolist() == [2, 1]
    assert table.loc["non-responder"].tolist() == [1, 1]
    assert table.columns.tolist() == ["contacted", "not contacted"]


def test_classification_metrics_by_hand_and_against_sklearn():
    metrics = classification_metrics(Y, SELECTED)
    assert (metrics["tp"], metrics["fp"], metrics["fn"], metrics["tn"]) == (2, 1, 1, 1)
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["precision"] == pytest.approx(precision_score(Y, SELECTED))
    assert metrics["recall"] == pytest.approx(recall_score(Y, SELECTED))
    assert metrics["f1"] == pytest.approx(f1_score(Y, SELECTED))
    assert metrics["accuracy"] == pytest.approx(accuracy_score(Y, SELECTED))


def test_contacting_nobody_has_zero_precision_and_recall():
    metrics = classification_metrics([1, 0, 0], [False, False, False])
    assert metrics["precision"] == metrics["recall"] == metrics["f1"] == 0.0
    assert metrics["accuracy"] == pytest.approx(2 / 3)


def test_calibration_by_group_by_hand():
    groups = ["a", "a", "b", "b", "b", "b"]
    y = [1, 0, 1, 1, 1, 0]
    p = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    table = calibration_by_group(y, p, groups).set_index("segment")
    # b: expected 2, observed 3, variance 4 x 0.25 = 1 -> z = 1; a: expected 1 = observed.
    assert table.index.tolist() == ["b", "a"]  # largest first
    assert table.loc["b", "predicted_rate_pct"] == pytest.approx(50.0)
    assert table.loc["b", "observed_rate_pct"] == pytest.approx(75.0)
    assert table.loc["b", "gap_pct_points"] == pytest.approx(25.0)
    assert table.loc["b", "z"] == pytest.approx(1.0)
    assert table.loc["a", "z"] == pytest.approx(0.0)


def test_small_groups_are_merged_and_their_rates_recomputed():
    groups = ["a", "a", "c", "c", "b", "b", "b", "b"]
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    p = [0.5, 0.5, 0.2, 0.2, 0.5, 0.5, 0.5, 0.5]
    table = calibration_by_group(y, p, groups, min_group_size=3).set_index("segment")
    assert table.index.tolist() == ["b", "other (small groups)"]
    merged = table.loc["other (small groups)"]
    # a + c: 4 customers, 1 responder, expected 1.4, variance 0.25 + 0.25 + 0.16 + 0.16.
    assert merged["customers"] == 4 and merged["responders"] == 1
    assert merged["predicted_rate_pct"] == pytest.approx(35.0)
    assert merged["observed_rate_pct"] == pytest.approx(25.0)
    assert merged["z"] == pytest.approx((1 - 1.4) / np.sqrt(0.82))


def test_a_merged_row_still_too_small_is_blanked():
    table = calibration_by_group(
        [1, 0, 1, 1, 0, 1], [0.5] * 6, ["a", "b", "c", "c", "c", "c"], min_group_size=3
    )
    other = table.set_index("segment").loc["other (small groups)"]
    assert np.isnan(other["customers"]) and np.isnan(other["observed_rate_pct"])


def test_missing_groups_form_unknown():
    table = calibration_by_group([1, 0, 1], [0.5, 0.5, 0.5], ["a", None, np.nan])
    assert sorted(table["segment"]) == ["a", "unknown"]
    assert table.set_index("segment").loc["unknown", "customers"] == 2


def test_calibration_errors():
    with pytest.raises(
        DataValidationError, match="expected calibrated probabilities between 0 and 1 Examples: 1.5"
    ):
        calibration_by_group([1, 0], [1.5, 0.2], ["a", "b"])
    with pytest.raises(
        DataValidationError,
        match=r"column 'segment': expected one group per customer \(2\), found 3",
    ):
        calibration_by_group([1, 0], [0.5, 0.2], ["a", "b", "c"])
