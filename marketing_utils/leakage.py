"""The leakage guard: features that give the label away are found and named, never used.

Plumbing shared by notebook 01 (which screens the customer table, so that the
exclusions reach 02's segments) and notebook 03 (which checks again on its
training part before fitting); it imports no stage.

A customer table often carries columns recorded *after* the outcome (a
cancellation reason, a closing date, the length of the sales call) or a copy of
the outcome itself. A model trained with one reports a near-perfect test AUC
and is useless in production. Before any model is fitted, every candidate
feature is checked **alone** against the label:

- a column **named after the outcome** (one of its words is the outcome
  column's name or the outcome's name, e.g. ``Churn Reason`` for ``Churn``) or
  **holding the outcome's values** (its values and the label determine each
  other exactly: a copy, a recoding, a negation) is never a feature, even when
  listed to be kept;
- a column whose **single-feature AUC** reaches the threshold (0.98 by
  default) is excluded and named with its score, unless the user lists it
  explicitly in ``keep_features`` (a column known before the outcome that is
  simply very predictive).

The single-feature AUC (:func:`single_feature_auc`) is the larger of

- the **cross-validated AUC of the feature's label rate**: the feature is cut
  into levels (its categories; for numbers their deciles, with missing values
  a level of their own); on each of ``k`` stratified folds every row is scored
  with its level's label rate among the *other* folds (the overall rate for a
  level they do not have), and the AUC of these out-of-fold scores is taken
  (this catches any dependence, monotone or not, on few or many levels);
- for numbers, the **rank AUC of the value itself**, in the better of the two
  directions, with missing values ranked below or above every number
  (whichever gives the larger AUC): a threshold on the raw value, found
  without binning.

A test AUC above 0.99 (:data:`TOO_GOOD_AUC`) is flagged "too good to be true"
by :func:`too_good_to_be_true` with the model's top features, so that no
report shows a perfect model without saying why it should be doubted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

from .errors import DataValidationError

__all__ = [
    "LEAKAGE_THRESHOLD",
    "TOO_GOOD_AUC",
    "holds_outcome",
    "named_after_outcome",
    "out_of_fold_rates",
    "outcome_names",
    "rank_auc",
    "screen_features",
    "single_feature_auc",
    "too_good_to_be_true",
]

#: Single-feature AUC at or above which a feature is excluded as a leak.
LEAKAGE_THRESHOLD = 0.98
#: Test AUC above which a model is flagged "too good to be true".
TOO_GOOD_AUC = 0.99


def rank_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC of scores against 0/1 labels (ties count one half).

    The Mann-Whitney form, :math:`(R_1 - n_1(n_1 + 1)/2) / (n_1 n_0)` with
    :math:`R_1` the sum of the positives' average ranks: the same number as
    ``sklearn.metrics.roc_auc_score``, exact up to the final division (ranks
    are halves), and without its input checks, which cost more than the AUC
    when the guard scores every feature of a table.

    Raises
    ------
    ValueError
        When the arrays differ in length, a score is not finite, a label is
        not 0 or 1, or only one class is present.

    Examples
    --------
    >>> rank_auc(np.array([0.1, 0.4, 0.4, 0.8]), np.array([0, 0, 1, 1]))
    0.875
    """
    scores = np.asarray(scores, dtype=float).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"rank_auc: {scores.size} scores for {labels.size} labels")
    if not np.isfinite(scores).all():
        raise ValueError("rank_auc: expected finite scores, found NaN or infinity")
    positive = labels == 1
    if not (positive | (labels == 0)).all():
        raise ValueError(f"rank_auc: expected 0/1 labels, found {sorted(set(labels.tolist()))}")
    n_positive = int(positive.sum())
    n_negative = labels.size - n_positive
    if n_positive == 0 or n_negative == 0:
        raise ValueError("rank_auc: only one class present in the labels; the AUC is undefined")
    rank_sum = rankdata(scores, method="average")[positive].sum()
    return float((rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative))


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of the distinct values; every kind of missing value is one more code."""
    codes, uniques = pd.factorize(values)
    return np.where(codes < 0, len(uniques), codes)


def _levels(values: pd.Series, n_bins: int) -> np.ndarray:
    """Integer level codes: categories, or deciles of numbers; missing is a level of its own."""
    if (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)) and (
        values.nunique() > n_bins
    ):
        ranks = values.rank(method="average", pct=True)
        values = pd.Series(np.ceil(ranks * n_bins).clip(1, n_bins))
    return _codes(values)


def out_of_fold_rates(codes: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each row's level label rate learnt on the other folds.

    Parameters
    ----------
    codes : array of int
        The level of every row (from 0).
    labels : array of 0/1
    folds : array of int
        The fold of every row.

    Returns
    -------
    ndarray of float
        For a row in fold ``f``: the mean label of the rows of its level outside
        ``f``, or the mean label of all rows outside ``f`` when its level has none.

    Examples
    --------
    >>> out_of_fold_rates(np.array([0, 0, 1, 1]), np.array([1, 0, 0, 0]), np.array([0, 1, 0, 1]))
    array([0., 1., 0., 0.])
    """
    codes, labels, folds = (np.asarray(a) for a in (codes, labels, folds))
    scores = np.empty(len(codes), dtype=float)
    n_levels = int(codes.max()) + 1 if len(codes) else 0
    for fold in np.unique(folds):
        inside = folds == fold
        outside = ~inside
        positives = np.bincount(codes[outside], weights=labels[outside], minlength=n_levels)
        counts = np.bincount(codes[outside], minlength=n_levels)
        prior = labels[outside].mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = np.where(counts > 0, positives / np.maximum(counts, 1), prior)
        scores[inside] = rates[codes[inside]]
    return scores


def _folds(labels: np.ndarray, n_folds: int, seed: int) -> np.ndarray | None:
    smallest = int(np.bincount(labels, minlength=2).min())
    n_folds = min(n_folds, smallest)
    if n_folds < 2:
        return None
    folds = np.empty(len(labels), dtype=int)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for number, (_, held) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        folds[held] = number
    return folds


def _rank_auc_either_way(values: pd.Series, labels: np.ndarray) -> float:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(numbers)
    best = 0.5
    finite = numbers[~missing]
    if finite.size == 0:
        return best
    low, high = finite.min() - 1.0, finite.max() + 1.0
    for fill in (low, high) if missing.any() else (low,):
        auc = rank_auc(np.where(missing, fill, numbers), labels)
        best = max(best, auc, 1.0 - auc)
    return best


def single_feature_auc(
    values: pd.Series,
    labels: np.ndarray,
    *,
    n_folds: int = 5,
    seed: int = 42,
    n_bins: int = 10,
    folds: np.ndarray | None = None,
) -> float:
    """How well one feature alone predicts the label (0.5 = not at all, 1 = perfectly).

    Parameters
    ----------
    values : pandas.Series
        The feature (numbers, booleans or text; missing values allowed).
    labels : array of 0/1
    n_folds : int, default 5
        Stratified folds of the cross-validated label-rate AUC (fewer when a
        class has fewer rows; no cross-validated part below 2).
    seed : int
        Seed of the folds.
    n_bins : int, default 10
        Numbers with more distinct values than this are cut into this many
        quantile bins.
    folds : array of int, optional
        Explicit fold of each row (overrides ``n_folds`` and ``seed``).

    Returns
    -------
    float
        The larger of the cross-validated label-rate AUC and, for numbers, the
        direction-free rank AUC (module docstring).

    Examples
    --------
    >>> single_feature_auc(pd.Series(["a", "a", "b", "b"]), np.array([1, 1, 0, 0]),
    ...                    folds=np.array([0, 1, 0, 1]))
    1.0
    """
    labels = np.asarray(labels, dtype=int)
    values = values.reset_index(drop=True)
    if folds is None:
        folds = _folds(labels, n_folds, seed)
    best = 0.5
    if folds is not None:
        scores = out_of_fold_rates(_levels(values, n_bins), labels, folds)
        best = max(best, rank_auc(scores, labels))
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        best = max(best, _rank_auc_either_way(values.astype("float64"), labels))
    return float(best)


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    return [word for word in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if word]


def named_after_outcome(column: str, names: Iterable[str]) -> bool:
    """Whether a column's name says it is (about) the outcome.

    The column is named after the outcome when its whole name, or one of its
    words, is one of ``names`` (case and separators ignored); for names of 4
    letters or more, a word starting with the name counts too ("churned",
    "ChurnReason").

    Examples
    --------
    >>> [named_after_outcome(c, ["Churn", "churn"]) for c in ["Churn Reason", "churned", "tenure"]]
    [True, True, False]
    >>> [named_after_outcome(c, ["y"]) for c in ["y", "day", "pdays"]]
    [True, False, False]
    """
    column_key = "".join(_words(column))
    words = _words(column)
    for name in names:
        key = "".join(_words(name))
        if not key:
            continue
        if column_key == key or key in words:
            return True
        if len(key) >= 4 and any(word.startswith(key) for word in words):
            return True
    return False


def holds_outcome(values: pd.Series, labels: np.ndarray) -> bool:
    """Whether a column and the label determine each other exactly (a copy or recoding).

    Missing values count as a value of their own.

    Examples
    --------
    >>> holds_outcome(pd.Series(["Yes", "No", "Yes"]), np.array([1, 0, 1]))
    True
    >>> holds_outcome(pd.Series(["a", "b", "c"]), np.array([1, 0, 1]))
    False
    """
    codes = _codes(values.reset_index(drop=True))
    labels = np.asarray(labels, dtype=int)
    if len(np.unique(codes)) != 2 or len(np.unique(labels)) != 2:
        return False
    # Two values and two labels determine each other when only two pairs occur.
    return np.unique(np.stack([codes, labels]), axis=1).shape[1] == 2


def screen_features(
    table: pd.DataFrame,
    labels: np.ndarray,
    columns: Sequence[str],
    *,
    outcome_names: Iterable[str] = (),
    keep: Iterable[str] = (),
    threshold: float = LEAKAGE_THRESHOLD,
    n_folds: int = 5,
    seed: int = 42,
) -> pd.DataFrame:
    """Check every candidate feature alone against the label.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows to check on (03: the training part), never modified.
    labels : array of 0/1
        One label per row of ``table``.
    columns : sequence of str
        The candidate features.
    outcome_names : iterable of str
        The outcome column's name and the outcome's name (e.g. ``"Churn"``,
        ``"churn"``).
    keep : iterable of str
        Features kept even above the threshold (never those named after the
        outcome or holding its values).
    threshold : float, default 0.98
    n_folds, seed : int
        Folds of the cross-validated part of :func:`single_feature_auc`.

    Returns
    -------
    pandas.DataFrame
        ``column, auc, excluded, reason``, the highest AUC first.

    Raises
    ------
    DataValidationError
        When ``threshold`` is not in (0.5, 1] or a kept column is not a candidate.
    """
    if not 0.5 < threshold <= 1:
        raise DataValidationError(
            "params leakage_threshold",
            f"expected a single-feature AUC in (0.5, 1], found {threshold!r}",
        )
    keep = [str(c) for c in keep]
    unknown = [c for c in keep if c not in columns]
    if unknown:
        raise DataValidationError(
            "params keep_features",
            f"expected candidate feature columns, found {unknown}; candidates: {list(columns)}",
        )
    names = [str(n) for n in outcome_names if n]
    labels = np.asarray(labels, dtype=int)
    folds = _folds(labels, n_folds, seed)
    rows = []
    for column in columns:
        values = table[column].reset_index(drop=True)
        auc = single_feature_auc(values, labels, folds=folds) if folds is not None else np.nan
        if names and named_after_outcome(column, names):
            excluded, reason = True, "named after the outcome (never a feature)"
        elif holds_outcome(values, labels):
            excluded, reason = True, "holds the outcome's values (never a feature)"
        elif not np.isnan(auc) and auc >= threshold and column in keep:
            excluded, reason = False, f"single-feature AUC {auc:.3f} >= {threshold}, kept as listed"
        elif not np.isnan(auc) and auc >= threshold:
            excluded = True
            reason = (
                f"leakage guard: single-feature AUC {auc:.3f} >= {threshold} "
                "(list it in keep_features if it is known before the outcome)"
            )
        else:
            excluded, reason = False, ""
        rows.append({"column": str(column), "auc": auc, "excluded": excluded, "reason": reason})
    frame = pd.DataFrame(rows, columns=["column", "auc", "excluded", "reason"])
    return frame.sort_values("auc", ascending=False, kind="stable", na_position="last").reset_index(
        drop=True
    )


def outcome_names(label_info: Mapping) -> list[str]:
    """The names a feature may not be named after: the outcome column's and the outcome's."""
    names = [label_info.get("column"), label_info.get("name")]
    return [str(n) for n in names if n and str(n) != "outcome"]


def too_good_to_be_true(
    test_auc: float, top_features: Sequence[str], *, limit: float = TOO_GOOD_AUC
) -> dict | None:
    """The warning a report shows for a test AUC above ``limit``, or ``None``.

    Examples
    --------
    >>> too_good_to_be_true(0.995, ["Churn", "tenure"])["top_features"]
    ['Churn', 'tenure']
    >>> too_good_to_be_true(0.85, ["tenure"]) is None
    True
    """
    if not np.isfinite(test_auc) or test_auc <= limit:
        return None
    features = [str(f) for f in top_features]
    return {
        "test_auc": float(test_auc),
        "limit": float(limit),
        "top_features": features,
        "message": (
            f"too good to be true: test ROC AUC {test_auc:.4f} > {limit}; real marketing "
            "outcomes are rarely this predictable. Check whether the top features "
            f"({', '.join(features) or 'none'}) are recorded after the outcome or copy it."
        ),
    }
