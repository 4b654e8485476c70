"""Probabilities you can budget with: calibration error, reliability tables and the calibrator.

A model is *calibrated* when, among the customers it gives a probability of
about 30 %, about 30 % respond. Ranking metrics (ROC AUC) do not see this;
budgets (expected buyers = sum of probabilities) depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

__all__ = [
    "CALIBRATION_METHODS",
    "CalibrationChoice",
    "calibrate_fitted",
    "choose_calibration",
    "expected_calibration_error",
    "fit_calibrated",
    "reliability_table",
]

CALIBRATION_METHODS = ("sigmoid", "isotonic")

_EPS = 1e-6


def _bin_index(y_prob: np.ndarray, n_bins: int) -> np.ndarray:
    # Equal-width bins on [0, 1]; a probability of exactly 1 belongs to the last bin.
    return np.minimum((y_prob * n_bins).astype(int), n_bins - 1)


def _check_probabilities(y_true, y_prob) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_prob = np.asarray(y_prob, dtype=float).ravel()
    if y_true.shape != y_prob.shape:
        raise ValueError(
            f"expected as many probabilities as labels, found {len(y_prob)} and {len(y_true)}"
        )
    if len(y_true) == 0:
        raise ValueError("expected at least one probability, found none")
    if np.isnan(y_prob).any() or (y_prob < 0).any() or (y_prob > 1).any():
        raise ValueError("expected probabilities in [0, 1] without missing values")
    return y_true, y_prob


def expected_calibration_error(y_true, y_prob, *, n_bins: int = 10) -> float:
    r"""Expected calibration error over equal-width probability bins.

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n}\,\bigl|\bar y_b - \bar p_b\bigr|

    where :math:`\bar y_b` is the observed rate and :math:`\bar p_b` the mean
    predicted probability of the :math:`n_b` customers in bin :math:`b`.

    Examples
    --------
    Two customers at 0.2 (one responds) and two at 0.9 (both respond):
    bin [0.2, 0.3) is off by 0.3, bin [0.9, 1] by 0.1, each holding half.

    >>> round(expected_calibration_error([0, 1, 1, 1], [0.2, 0.2, 0.9, 0.9]), 6)
    0.2
    """
    y_true, y_prob = _check_probabilities(y_true, y_prob)
    bins = _bin_index(y_prob, n_bins)
    observed = np.bincount(bins, weights=y_true, minlength=n_bins)
    predicted = np.bincount(bins, weights=y_prob, minlength=n_bins)
    return float(np.abs(observed - predicted).sum() / len(y_true))


def reliability_table(y_true, y_prob, *, n_bins: int = 10, min_size: int = 20) -> pd.DataFrame:
    """Observed rate against mean predicted probability, per equal-width bin.

    Bins with fewer than ``min_size`` customers are published without values
    (``suppressed`` is True): a rate over a handful of customers is noise and
    could reveal individual outcomes.

    Returns
    -------
    DataFrame
        ``bin_lower, bin_upper, customers, mean_predicted, observed_rate,
        suppressed``, one row per non-empty bin.
    """
    y_true, y_prob = _check_probabilities(y_true, y_prob)
    bins = _bin_index(y_prob, n_bins)
    frame = pd.DataFrame({"bin": bins, "y": y_true, "p": y_prob})
    grouped = frame.groupby("bin").agg(
        customers=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")
    )
    small = grouped["customers"] < min_size
    table = grouped.assign(
        bin_lower=grouped.index / n_bins,
        bin_upper=(grouped.index + 1) / n_bins,
        customers=grouped["customers"].astype(float).where(~small),
        mean_predicted=grouped["mean_predicted"].where(~small),
        observed_rate=grouped["observed_rate"].where(~small),
        suppressed=small,
    )
    columns = [
        "bin_lower",
        "bin_upper",
        "customers",
        "mean_predicted",
        "observed_rate",
        "suppressed",
    ]
    return table[columns].reset_index(drop=True)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _calibrate_fold(method: str, s_fit, y_fit, s_apply) -> np.ndarray:
    if method == "sigmoid":
        # Platt scaling: a logistic regression on the score, p' = sigmoid(a s + b).
        platt = LogisticRegression(C=np.inf).fit(s_fit.reshape(-1, 1), y_fit)
        return platt.predict_proba(s_apply.reshape(-1, 1))[:, 1]
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(s_fit, y_fit)
    return iso.predict(s_apply)


@dataclass(frozen=True)
class CalibrationChoice:
    """The calibration method chosen and the evidence.

    Attributes
    ----------
    method : str
        ``"sigmoid"`` or ``"isotonic"``.
    table : DataFrame
        Cross-validated Brier score, log loss and ECE of the out-of-fold
        scores before calibration (``none``) and after each method.
    oof_scores : ndarray
        Out-of-fold probabilities of the uncalibrated model on the training part.
    """

    method: str
    table: pd.DataFrame
    oof_scores: np.ndarray


def choose_calibration(
    estimator,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    methods: tuple[str, ...] = CALIBRATION_METHODS,
    cv_folds: int = 5,
    seed: int = 42,
    n_jobs: int = 1,
    oof_scores: np.ndarray | None = None,
) -> CalibrationChoice:
    """Choose sigmoid (Platt) or isotonic calibration by cross-validation.

    The uncalibrated model's out-of-fold probabilities on the training part
    are computed once; each calibrator is then fitted on all folds but one of
    those scores and evaluated on the remaining fold. The method with the
    lowest Brier score wins. Isotonic regression is more flexible but needs
    more data and produces ties; Platt scaling is monotone and smooth.

    As in :class:`~sklearn.calibration.CalibratedClassifierCV`, the
    calibrators see the model's decision function when it has one (the
    logit of the probability for logistic regression and gradient
    boosting) and its probability otherwise (random forests).

    Parameters
    ----------
    oof_scores : ndarray, optional
        The estimator's out-of-fold probabilities on these folds
        (``StratifiedKFold(cv_folds, shuffle=True, random_state=seed)``), when
        an earlier cross-validation already has them: the folds are then not
        fitted again, and the choice is the same.

    Returns
    -------
    CalibrationChoice
    """
    unknown = [m for m in methods if m not in CALIBRATION_METHODS]
    if unknown or not methods:
        raise ValueError(
            f"params propensity_modeling.calibration: expected 'auto' or one of "
            f"{', '.join(CALIBRATION_METHODS)}, found {unknown or methods}"
        )
    y = np.asarray(y)
    folds = StratifiedKFold(n_splits=int(cv_folds), shuffle=True, random_state=seed)
    if oof_scores is not None:
        oof = np.asarray(oof_scores, dtype=float)
        if oof.shape != y.shape:
            raise ValueError(
                f"oof_scores: expected one out-of-fold probability per row ({len(y)}), "
                f"found shape {oof.shape}"
            )
    else:
        # Workers run the folds; the process's own native threads stay at one (they spin on
        # a shared machine): see models.limited_threads.
        with threadpool_limits(limits=1):
            oof = cross_val_predict(
                clone(estimator), X, y, cv=folds, method="predict_proba", n_jobs=n_jobs
            )[:, 1]
    raw = _logit(oof) if hasattr(estimator, "decision_function") else oof
    rows = []
    for method in ("none", *methods):
        calibrated = np.empty_like(oof)
        for fit_rows, apply_rows in folds.split(oof.reshape(-1, 1), y):
            if method == "none":
                calibrated[apply_rows] = oof[apply_rows]
            else:
                calibrated[apply_rows] = _calibrate_fold(
                    method, raw[fit_rows], y[fit_rows], raw[apply_rows]
                )
        rows.append(
            {
                "method": method,
                "brier": brier_score_loss(y, calibrated),
                "log_loss": log_loss(y, np.clip(calibrated, _EPS, 1 - _EPS)),
                "ece": expected_calibration_error(y, calibrated),
            }
        )
    table = pd.DataFrame(rows)
    candidates = table[table["method"] != "none"]
    method = str(candidates.sort_values("brier", kind="stable")["method"].iloc[0])
    return CalibrationChoice(method=method, table=table, oof_scores=oof)


def fit_calibrated(
    estimator,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    method: str = "sigmoid",
    cv_folds: int = 5,
    seed: int = 42,
    n_jobs: int = 1,
) -> CalibratedClassifierCV:
    """The final model: the estimator refitted on all training rows plus a calibrator.

    ``ensemble=False``: the calibrator is fitted on out-of-fold predictions
    (never on the rows the model was trained on) and one model trained on all
    rows makes the predictions, so the model's ranking is that of the tuned
    estimator.
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(
            f"params propensity_modeling.calibration: expected one of "
            f"{', '.join(CALIBRATION_METHODS)}, found {method!r}"
        )
    folds = StratifiedKFold(n_splits=int(cv_folds), shuffle=True, random_state=seed)
    model = CalibratedClassifierCV(clone(estimator), method=method, cv=folds, ensemble=False)
    # One native thread, as everywhere in this package: see models.limited_threads.
    with threadpool_limits(limits=1):
        return model.fit(X, y)


def calibrate_fitted(
    fitted,
    X: pd.DataFrame,
    y: np.ndarray,
    predictions: np.ndarray,
    *,
    method: str = "sigmoid",
    cv_folds: int = 5,
    seed: int = 42,
) -> CalibratedClassifierCV | None:
    """:func:`fit_calibrated` without its fits, from work already done.

    ``fitted`` is the estimator already fitted on all of ``X, y`` and
    ``predictions`` its out-of-fold decision function (probability when it has
    none) on the same folds as :func:`fit_calibrated`; the result predicts
    exactly what :func:`fit_calibrated` would (the same calibrator on the same
    predictions, the same model), with ``cv_folds + 1`` fewer fits.

    It assembles the model as :class:`~sklearn.calibration.CalibratedClassifierCV`
    does with ``ensemble=False`` through scikit-learn's internal
    ``_fit_calibrator``; returns None when that internal is not available (another
    scikit-learn version), so that the caller falls back to :func:`fit_calibrated`.
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(
            f"params propensity_modeling.calibration: expected one of "
            f"{', '.join(CALIBRATION_METHODS)}, found {method!r}"
        )
    try:
        from sklearn.calibration import _fit_calibrator
        from sklearn.utils._array_api import get_namespace_and_device
    except ImportError:
        return None
    y = np.asarray(y)
    predictions = np.asarray(predictions, dtype=float).reshape(-1, 1)
    folds = StratifiedKFold(n_splits=int(cv_folds), shuffle=True, random_state=seed)
    model = CalibratedClassifierCV(clone(fitted), method=method, cv=folds, ensemble=False)
    model.classes_ = np.unique(y)
    try:
        xp, _, _ = get_namespace_and_device(X)
        calibrated = _fit_calibrator(fitted, predictions, y, model.classes_, method, xp=xp)
    except TypeError:  # an internal signature of another scikit-learn version
        return None
    model.calibrated_classifiers_ = [calibrated]
    if hasattr(fitted, "n_features_in_"):
        model.n_features_in_ = fitted.n_features_in_
    if hasattr(fitted, "feature_names_in_"):
        model.feature_names_in_ = fitted.feature_names_in_
    return model
