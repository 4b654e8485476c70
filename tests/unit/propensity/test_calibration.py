"""Calibration: the error measure, the published reliability table, the method choice, the final model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from marketing_utils.propensity.calibration import (
    choose_calibration,
    expected_calibration_error,
    fit_calibrated,
    reliability_table,
)


def test_ece_by_hand():
    # Bin [0.2, 0.3): rate 1/2 vs 0.2 -> 0.3; bin [0.9, 1]: rate 1 vs 0.9 -> 0.1; each half the rows.
    assert expected_calibration_error([0, 1, 1, 1], [0.2, 0.2, 0.9, 0.9]) == pytest.approx(0.2)
    # Perfectly calibrated bins.
    assert expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)
    # A probability of exactly 1 falls in the last bin: |1 - 1| = 0 and |0 - 0| = 0.
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == pytest.approx(0.0)
    # With 2 bins, 0.3 and 0.4 share [0, 0.5): mean 0.35 vs rate 0.5.
    assert expected_calibration_error([0, 1], [0.3, 0.4], n_bins=2) == pytest.approx(0.15)


def test_ece_refuses_bad_probabilities():
    with pytest.raises(ValueError, match="expected probabilities in \\[0, 1\\]"):
        expected_calibration_error([0, 1], [0.5, 1.2])
    with pytest.raises(ValueError, match="expected as many probabilities as labels, found 1 and 2"):
        expected_calibration_error([0, 1], [0.5])


def test_reliability_table_suppresses_small_bins():
    y = [0] * 15 + [1] * 5 + [1, 0, 1]
    p = [0.12] * 20 + [0.95, 0.95, 0.95]
    table = reliability_table(y, p, min_size=5)
    assert table["bin_lower"].tolist() == [0.1, 0.9]
    first, last = table.iloc[0], table.iloc[1]
    assert (first["customers"], first["observed_rate"]) == (20, 0.25)
    assert first["mean_predicted"] == pytest.approx(0.12)
    assert not first["suppressed"]
    # Three customers: published without values.
    assert last["suppressed"]
    assert np.isnan(last["customers"]) and np.isnan(last["observed_rate"])


class _Overconfident(ClassifierMixin, BaseEstimator):
    """Scores sigmoid(3 x) when the truth is sigmoid(x): a perfect ranking, poor probabilities.

    Its decision function is the logit 3 x, as for logistic regression and gradient boosting.
    """

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-3 * np.asarray(X)[:, 0]))
        return np.column_stack([1 - p, p])

    def decision_function(self, X):
        return 3 * np.asarray(X)[:, 0]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _data(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1))
    y = (rng.random(n) < 1 / (1 + np.exp(-x[:, 0]))).astype(int)
    return pd.DataFrame({"x": x[:, 0]}), y


def test_choose_calibration_repairs_an_overconfident_model():
    X, y = _data()
    choice = choose_calibration(_Overconfident(), X, y, cv_folds=3, seed=0)
    table = choice.table.set_index("method")
    assert list(table.index) == ["none", "sigmoid", "isotonic"]
    # Platt scaling on the logit 3x can undo it exactly (a = 1/3): it must beat no calibration.
    assert table.loc["sigmoid", "brier"] < table.loc["none", "brier"] - 0.005
    assert table.loc["sigmoid", "ece"] < table.loc["none", "ece"]
    assert choice.method == table.drop("none")["brier"].idxmin()
    assert choice.oof_scores.shape == (len(y),)


def test_choose_calibration_refuses_unknown_methods():
    X, y = _data(100)
    with pytest.raises(ValueError, match="calibration: expected 'auto' or one of sigmoid"):
        choose_calibration(_Overconfident(), X, y, methods=("beta",))


def test_fit_calibrated_keeps_the_ranking_and_fixes_the_probabilities():
    X, y = _data()
    model = fit_calibrated(_Overconfident(), X, y, method="sigmoid", cv_folds=3, seed=0)
    assert isinstance(model, CalibratedClassifierCV) and model.ensemble is False
    calibrated = model.predict_proba(X)[:, 1]
    raw = _Overconfident().fit(X, y).predict_proba(X)[:, 1]
    assert roc_auc_score(y, calibrated) == pytest.approx(roc_auc_score(y, raw))  # monotone map
    assert brier_score_loss(y, calibrated) < brier_score_loss(y, raw)
    # The true probability is sigmoid(x): calibrated scores must be close to it.
    truth = 1 / (1 + np.exp(-X["x"].to_numpy()))
    assert np.abs(calibrated - truth).max() < 0.05


def test_fit_calibrated_with_isotonic_and_bad_method():
    X, y = _data(600)
    model = fit_calibrated(LogisticRegression(), X, y, method="isotonic", cv_folds=3)
    assert model.method == "isotonic"
    with pytest.raises(ValueError, match="expected one of sigmoid, isotonic, found 'auto'"):
        fit_calibrated(LogisticRegression(), X, y, method="auto")
