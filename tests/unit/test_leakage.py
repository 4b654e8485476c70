"""The leakage guard, pinned on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.leakage import (
    holds_outcome,
    named_after_outcome,
    out_of_fold_rates,
    rank_auc,
    screen_features,
    single_feature_auc,
    too_good_to_be_true,
)


def test_rank_auc_counts_ties_as_one_half():
    # Positive 0.4 beats 0.1 (1) and ties 0.4 (1/2); positive 0.8 beats both (2): 3.5 / 4.
    assert rank_auc(np.array([0.1, 0.4, 0.4, 0.8]), np.array([0, 0, 1, 1])) == 0.875


def test_rank_auc_is_sklearns_roc_auc_on_tied_scores():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    scores = rng.integers(0, 7, size=500).astype(float)  # many ties
    labels = (rng.random(500) < 0.3).astype(int)
    assert rank_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-15)


def test_rank_auc_refuses_what_has_no_auc():
    with pytest.raises(ValueError, match="only one class"):
        rank_auc(np.array([0.1, 0.2]), np.array([1, 1]))
    with pytest.raises(ValueError, match="finite"):
        rank_auc(np.array([0.1, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match="0/1 labels, found \\[0, 2\\]"):
        rank_auc(np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(ValueError, match="3 scores for 2 labels"):
        rank_auc(np.array([0.1, 0.2, 0.3]), np.array([0, 1]))


def test_out_of_fold_rates_by_hand():
    codes = np.array([0, 0, 0, 1, 1, 1])
    labels = np.array([1, 1, 0, 0, 0, 0])
    folds = np.array([0, 1, 2, 0, 1, 2])
    # Fold 0 (rows 0, 3) learns from rows 1, 2, 4, 5: level 0 -> (1 + 0) / 2, level 1 -> 0.
    # Fold 1 (rows 1, 4) learns from rows 0, 2, 3, 5: level 0 -> 0.5, level 1 -> 0.
    # Fold 2 (rows 2, 5) learns from rows 0, 1, 3, 4: level 0 -> 1, level 1 -> 0.
    assert out_of_fold_rates(codes, labels, folds).tolist() == [0.5, 0.5, 1.0, 0.0, 0.0, 0.0]


def test_a_level_unseen_outside_its_fold_gets_the_prior():
    codes = np.array([0, 1, 1, 1])
    labels = np.array([1, 1, 0, 0])
    folds = np.array([0, 1, 1, 0])
    # Row 0 (level 0, fold 0): rows 1, 2 hold no level 0 -> their mean label 1/2.
    # Row 3 (level 1, fold 0): level 1 among rows 1, 2 -> 1/2. Fold 1 learns from rows 0, 3:
    # level 1 -> 0 for rows 1 and 2.
    assert out_of_fold_rates(codes, labels, folds).tolist() == [0.5, 0.0, 0.0, 0.5]


def test_single_feature_auc_of_a_category_by_hand():
    values = pd.Series(["a", "a", "a", "b", "b", "b"])
    labels = np.array([1, 1, 0, 0, 0, 0])
    folds = np.array([0, 1, 2, 0, 1, 2])
    # Out-of-fold scores [.5, .5, 1, 0, 0, 0] (test above). Each positive (0.5) beats the three
    # zeros and loses to the 1.0: 3 of 4 pairs each, AUC 0.75.
    assert single_feature_auc(values, labels, folds=folds) == 0.75


def test_single_feature_auc_of_numbers_takes_either_direction_and_missing_values():
    labels = np.array([0, 0, 0, 1, 1, 1])
    folds = np.array([0, 1, 2, 0, 1, 2])
    rising = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert single_feature_auc(rising, labels, folds=folds) == 1.0
    assert single_feature_auc(-rising, labels, folds=folds) == 1.0
    # Present only for the positives: missing values ranked below every number separate exactly.
    present_for_positives = pd.Series([np.nan, np.nan, np.nan, 7.0, 3.0, 5.0])
    assert single_feature_auc(present_for_positives, labels, folds=folds) == 1.0
    # A number unrelated to the label: positives 2, 4, 6 against 1, 3, 5 -> rank AUC 6/9.
    mixed = pd.Series([1.0, 3.0, 5.0, 2.0, 4.0, 6.0])
    assert single_feature_auc(mixed, labels, folds=folds) == pytest.approx(6 / 9)


def test_outcome_names_and_values():
    assert named_after_outcome("Churn Reason", ["Churn", "churn"])
    assert named_after_outcome("churned_on", ["churn"])
    assert named_after_outcome("ChurnScore", ["churn"])
    assert not named_after_outcome("tenure", ["Churn", "churn"])
    assert named_after_outcome("Y", ["y"])
    assert not named_after_outcome("day", ["y"]) and not named_after_outcome("pdays", ["y"])
    labels = np.array([1, 0, 1, 0])
    assert holds_outcome(pd.Series(["No", "Yes", "No", "Yes"]), labels)  # a negation
    assert holds_outcome(pd.Series([5.0, np.nan, 5.0, np.nan]), labels)  # missing is a value
    assert not holds_outcome(pd.Series(["a", "b", "c", "b"]), labels)
    assert not holds_outcome(pd.Series(["x", "x", "y", "y"]), labels)
    # None and NaN are one missing value; a category's unused levels do not count.
    assert holds_outcome(pd.Series(["a", None, "a", np.nan], dtype=object), labels)
    assert holds_outcome(
        pd.Series(["u", "v", "u", "v"], dtype=pd.CategoricalDtype(list("uvw"))), labels
    )
    assert holds_outcome(pd.Series([True, False, True, False]), labels)


def _table() -> tuple[pd.DataFrame, np.ndarray]:
    labels = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0, 0] * 4)
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "tenure": rng.normal(size=40),
            "leak": labels * 10.0 + rng.random(40),
            "status": np.where(labels == 1, "closed", "open"),
            "Churn_reason": np.where(labels == 1, "price", "none"),
            "plan": ["a", "b"] * 20,
        }
    )
    return table, labels


def test_screen_features_excludes_and_names_each_leak():
    table, labels = _table()
    screen = screen_features(
        table, labels, list(table.columns), outcome_names=["Churn", "churn"], seed=1
    ).set_index("column")
    assert screen.loc["leak", "auc"] == 1.0
    assert screen.loc["leak", "excluded"]
    assert screen.loc["leak", "reason"].startswith(
        "leakage guard: single-feature AUC 1.000 >= 0.98"
    )
    assert screen.loc["status", "reason"] == "holds the outcome's values (never a feature)"
    assert screen.loc["Churn_reason", "reason"] == "named after the outcome (never a feature)"
    assert not screen.loc["tenure", "excluded"] and screen.loc["tenure", "reason"] == ""
    # "plan" alternates a, b over rows whose labels repeat every 10: rate 2/5 vs 1/5.
    assert not screen.loc["plan", "excluded"]
    assert list(screen.index[:3]) == ["leak", "status", "Churn_reason"]  # highest AUC first


def test_keep_features_keeps_a_leak_but_never_the_outcome():
    table, labels = _table()
    screen = screen_features(
        table, labels, list(table.columns), outcome_names=["churn"], keep=["leak", "Churn_reason"]
    ).set_index("column")
    assert not screen.loc["leak", "excluded"]
    assert screen.loc["leak", "reason"] == "single-feature AUC 1.000 >= 0.98, kept as listed"
    assert screen.loc["Churn_reason", "excluded"]


def test_screen_features_errors_name_the_parameter():
    table, labels = _table()
    with pytest.raises(DataValidationError, match="leakage_threshold.*found 0.4"):
        screen_features(table, labels, ["tenure"], threshold=0.4)
    with pytest.raises(DataValidationError, match=r"keep_features.*found \['nope'\]"):
        screen_features(table, labels, ["tenure"], keep=["nope"])


def test_too_good_to_be_true_flags_only_above_the_limit():
    flag = too_good_to_be_true(0.995, ["Churn", "tenure"])
    assert flag["top_features"] == ["Churn", "tenure"]
    assert flag["message"].startswith("too good to be true: test ROC AUC 0.9950 > 0.99")
    assert "Churn, tenure" in flag["message"]
    assert too_good_to_be_true(0.99, ["x"]) is None
    assert too_good_to_be_true(float("nan"), ["x"]) is None
