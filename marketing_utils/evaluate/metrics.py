"""Held-out evaluation of a propensity score: the ranking metrics targeting is decided on.

scikit-learn covers ROC and precision-recall; marketing decisions are made on
gains, lift and decile tables, which it does not provide. This module adds
them, with one convention for **tied scores** used throughout:

* curves (:func:`gains_curve`, :func:`gain_at`, :func:`lift_at`) have a vertex
  only at the end of each group of tied scores and are linear inside it, which
  is the expected gain when ties are broken at random (the same convention as
  :func:`sklearn.metrics.roc_curve`). Results therefore never depend on row order;
* the decile table keeps tied customers together: sorted best first, the
  customers fill :math:`n` equal slots, a group of tied scores occupies slots
  :math:`(a, b]`, and it goes to the decile containing its middle,
  :math:`1 + \\lfloor k (a + b) / (2n) \\rfloor` for :math:`k` deciles. Without
  ties and with :math:`n` a multiple of :math:`k` every decile holds exactly
  :math:`n / k` customers. Heavy ties, or fewer distinct scores than deciles,
  leave some deciles empty; they stay in the table with zero customers, so
  nothing disappears silently.

Money (profit curves, the targeting decision) is in
:mod:`marketing_utils.evaluate.economics`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from ..errors import DataValidationError

__all__ = [
    "RANKING_METRICS",
    "assign_deciles",
    "bootstrap_metrics",
    "check_scores",
    "decile_table",
    "gain_at",
    "gains_curve",
    "ks_statistic",
    "lift_at",
    "top_decile_lift",
]


def check_scores(
    y_true: Sequence | np.ndarray | pd.Series,
    y_score: Sequence | np.ndarray | pd.Series,
    where: str = "scores",
) -> tuple[np.ndarray, np.ndarray]:
    """Validate binary labels and finite scores of the same length.

    Parameters
    ----------
    y_true : array-like of 0/1 (or bool)
        Observed outcome (1 = responded / purchased).
    y_score : array-like of float
        Higher means more likely to respond.
    where : str
        Named in error messages (the table the values come from).

    Returns
    -------
    (ndarray of int, ndarray of float)

    Raises
    ------
    DataValidationError
        Different lengths, no rows, labels other than 0/1, missing or infinite scores.
    """
    labels = pd.Series(np.asarray(y_true).ravel())
    scores = pd.to_numeric(pd.Series(np.asarray(y_score).ravel()), errors="coerce")
    if len(labels) != len(scores):
        raise DataValidationError(
            where, f"expected as many labels as scores, found {len(labels)} and {len(scores)}"
        )
    if len(labels) == 0:
        raise DataValidationError(where, "expected at least one customer, found none")
    valid = labels.isin([0, 1]) & labels.notna()
    if not valid.all():
        raise DataValidationError(
            where,
            f"expected labels 0 or 1, found {int((~valid).sum())} other values",
            column="label",
            examples=labels[~valid].unique()[:5].tolist(),
        )
    finite = np.isfinite(scores.to_numpy(dtype=float, na_value=np.nan))
    if not finite.all():
        raise DataValidationError(
            where,
            f"expected finite scores, found {int((~finite).sum())} missing or infinite",
            column="score",
            examples=pd.Series(np.asarray(y_score).ravel())[~finite].head(5).tolist(),
        )
    return labels.to_numpy(dtype=int), scores.to_numpy(dtype=float)


def _require_both_classes(y: np.ndarray, where: str, what: str) -> None:
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        raise DataValidationError(
            where,
            f"{what} needs both responders and non-responders, found "
            f"{positives} responders among {len(y)} customers",
            column="label",
        )


def gains_curve(y_true, y_score) -> pd.DataFrame:
    """Cumulative gains: share of responders captured by contacting the top-scored customers.

    Parameters
    ----------
    y_true : array-like of 0/1
    y_score : array-like of float

    Returns
    -------
    DataFrame
        One row per group of tied scores plus the origin, in contact order:
        ``contacts`` (customers contacted), ``depth`` (their share of all
        customers), ``responders`` (responders among them), ``gain`` (their
        share of all responders) and ``threshold`` (contact everyone with
        ``score >= threshold``; ``inf`` at the origin).

    Raises
    ------
    DataValidationError
        Invalid input (see :func:`check_scores`) or no responder at all.

    Examples
    --------
    >>> gains_curve([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1])[["contacts", "gain"]].values.tolist()
    [[0.0, 0.0], [1.0, 0.5], [3.0, 1.0], [4.0, 1.0]]
    """
    y, s = check_scores(y_true, y_score, "gains_curve")
    positives = int(y.sum())
    if positives == 0:
        raise DataValidationError(
            "gains_curve", "expected at least one responder, found none", column="label"
        )
    order = np.argsort(-s, kind="stable")
    sorted_scores, sorted_labels = s[order], y[order]
    group_ends = np.r_[np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), len(s) - 1]
    contacts = np.r_[0, group_ends + 1].astype(float)
    responders = np.r_[0, np.cumsum(sorted_labels)[group_ends]].astype(float)
    return pd.DataFrame(
        {
            "contacts": contacts,
            "depth": contacts / len(s),
            "responders": responders,
            "gain": responders / positives,
            "threshold": np.r_[np.inf, sorted_scores[group_ends]],
        }
    )


def _check_depth(depth, where: str) -> np.ndarray:
    values = np.asarray(depth, dtype=float)
    if not np.all((values > 0) & (values <= 1)):
        raise ValueError(f"{where}: expected depth in (0, 1] (share of customers), found {depth!r}")
    return values


def gain_at(y_true, y_score, depth: float | Sequence[float]) -> float | np.ndarray:
    """Share of all responders captured by contacting the top ``depth`` share of customers.

    Linear inside a group of tied scores (the expectation under random tie-breaking).

    Examples
    --------
    >>> float(gain_at([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1], 0.5))
    0.75
    """
    values = _check_depth(depth, "gain_at")
    curve = gains_curve(y_true, y_score)
    gains = np.interp(values, curve["depth"], curve["gain"])
    return float(gains) if gains.ndim == 0 else gains


def lift_at(y_true, y_score, depth: float | Sequence[float]) -> float | np.ndarray:
    """Cumulative lift at ``depth``: response rate of the top share over the overall rate.

    .. math:: \\text{lift}(d) = \\text{gain}(d) / d

    Examples
    --------
    >>> float(lift_at([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1], 0.25))
    2.0
    """
    values = _check_depth(depth, "lift_at")
    return gain_at(y_true, y_score, depth) / values


def top_decile_lift(y_true, y_score) -> float:
    """Lift at a depth of 10 % (see :func:`lift_at`)."""
    return float(lift_at(y_true, y_score, 0.1))


def assign_deciles(y_score, n_bins: int = 10) -> np.ndarray:
    """Decile (1 = highest scores) of each customer, keeping tied scores together.

    A group of tied scores occupying sorted slots :math:`(a, b]` goes to the
    decile containing its middle: ``1 + floor(n_bins * (a + b) / (2 n))``. The
    middle of a group is its mean rank minus one half (the Hazen plotting
    position), so ties never depend on row order.

    Examples
    --------
    Eight customers, three distinct scores, ten deciles: the two best occupy
    slots (0, 2], middle 1, so decile ``1 + floor(10 * 1 / 8) = 2``.

    >>> assign_deciles([0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1]).tolist()
    [2, 2, 6, 6, 6, 6, 9, 9]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins: expected a positive whole number, found {n_bins!r}")
    scores = np.asarray(y_score, dtype=float).ravel()
    middle = rankdata(-scores, method="average") - 0.5
    return (1 + np.floor(n_bins * middle / len(scores))).astype(int)


def decile_table(y_true, y_score, n_bins: int = 10) -> pd.DataFrame:
    """The decile (gains) table marketing teams read, best customers first.

    Parameters
    ----------
    y_true : array-like of 0/1
    y_score : array-like of float
    n_bins : int, default 10
        Number of groups (10 = deciles). Tied scores are never split (see
        :func:`assign_deciles`); empty groups are kept with zero customers and
        missing rates.

    Returns
    -------
    DataFrame
        ``decile``, ``customers``, ``responders``, ``response_rate_pct``,
        ``mean_score``, ``min_score``, ``max_score``, ``cumulative_customers``,
        ``cumulative_responders``, ``cumulative_response_rate_pct``,
        ``cumulative_gain_pct`` (share of all responders reached so far),
        ``lift`` (decile rate / overall rate) and ``cumulative_lift``.
    """
    y, s = check_scores(y_true, y_score, "decile_table")
    deciles = assign_deciles(s, n_bins)
    frame = pd.DataFrame({"decile": deciles, "label": y, "score": s})
    grouped = frame.groupby("decile").agg(
        customers=("label", "size"),
        responders=("label", "sum"),
        mean_score=("score", "mean"),
        min_score=("score", "min"),
        max_score=("score", "max"),
    )
    table = grouped.reindex(pd.RangeIndex(1, n_bins + 1, name="decile"))
    table[["customers", "responders"]] = table[["customers", "responders"]].fillna(0).astype(int)
    overall_rate = y.mean()
    rate = table["responders"] / table["customers"].where(table["customers"] > 0)
    cumulative_customers = table["customers"].cumsum()
    cumulative_responders = table["responders"].cumsum()
    cumulative_rate = cumulative_responders / cumulative_customers.where(cumulative_customers > 0)
    table = table.assign(
        response_rate_pct=100 * rate,
        cumulative_customers=cumulative_customers,
        cumulative_responders=cumulative_responders,
        cumulative_response_rate_pct=100 * cumulative_rate,
        cumulative_gain_pct=100 * cumulative_responders / y.sum() if y.sum() else np.nan,
        lift=rate / overall_rate if overall_rate else np.nan,
        cumulative_lift=cumulative_rate / overall_rate if overall_rate else np.nan,
    )
    columns = [
        "customers",
        "responders",
        "response_rate_pct",
        "mean_score",
        "min_score",
        "max_score",
        "cumulative_customers",
        "cumulative_responders",
        "cumulative_response_rate_pct",
        "cumulative_gain_pct",
        "lift",
        "cumulative_lift",
    ]
    return table[columns].reset_index()


def ks_statistic(y_true, y_score) -> dict[str, float]:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions.

    .. math:: KS = \\max_t \\big(F_0(t) - F_1(t)\\big) = \\max_t (TPR_t - FPR_t)

    where :math:`F_1, F_0` are the score CDFs of responders and non-responders.
    Positive when responders score higher, as they should.

    Returns
    -------
    dict
        ``ks`` and ``threshold`` (the score at which the gap is largest:
        contacting ``score >= threshold`` separates the groups best; the
        highest such score on a tie).
    """
    y, s = check_scores(y_true, y_score, "ks_statistic")
    _require_both_classes(y, "ks_statistic", "the KS statistic")
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    gap = tpr - fpr
    # On a tie (up to rounding) the highest threshold wins: fewer contacts.
    best = int(np.flatnonzero(gap >= gap.max() - 1e-12)[0])
    return {"ks": float(tpr[best] - fpr[best]), "threshold": float(thresholds[best])}


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s))


def _pr_auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(average_precision_score(y, s))


def _ks(y: np.ndarray, s: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y, s)
    return float(np.max(tpr - fpr))


#: Ranking metrics by name, each ``metric(y_true, y_score) -> float``. PR AUC is
#: average precision (the step-wise area, which does not over-reward interpolation).
RANKING_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "auc": _auc,
    "pr_auc": _pr_auc,
    "top_decile_lift": top_decile_lift,
    "ks": _ks,
}


def _resample_indices(rng: np.random.Generator, n: int) -> np.ndarray:
    """Indices of one bootstrap resample: ``n`` draws with replacement."""
    return rng.integers(0, n, n)


def bootstrap_metrics(
    y_true,
    y_score,
    metrics: Sequence[str] | Mapping[str, Callable] = ("auc", "pr_auc", "top_decile_lift"),
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Percentile bootstrap confidence intervals, all metrics on the same resamples.

    Customers are drawn with replacement ``n_boot`` times; each metric is
    computed on each resample and the interval is the
    :math:`(1 \\pm \\text{confidence})/2` quantiles of those values. Resamples
    with only one class (no AUC is defined) are skipped and counted.

    Parameters
    ----------
    y_true, y_score : array-like
    metrics : names from :data:`RANKING_METRICS` or a mapping name -> ``f(y, s)``
    n_boot : int
        Number of resamples (the params file's ``n_bootstrap``).
    confidence : float
        Coverage of the interval, e.g. 0.95.
    seed : int
        Seeds the resampling: the same seed gives the same intervals.

    Returns
    -------
    DataFrame
        ``metric``, ``estimate`` (on the full sample), ``low``, ``high``,
        ``n_boot`` (resamples used) and ``n_skipped``.
    """
    y, s = check_scores(y_true, y_score, "bootstrap_metrics")
    _require_both_classes(y, "bootstrap_metrics", "a bootstrap of ranking metrics")
    if not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot: expected a positive whole number, found {n_boot!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a number between 0 and 1, found {confidence!r}")
    if isinstance(metrics, Mapping):
        functions = dict(metrics)
    else:
        unknown = [name for name in metrics if name not in RANKING_METRICS]
        if unknown:
            raise ValueError(
                f"metrics: unknown {unknown}; expected names from {list(RANKING_METRICS)}"
            )
        functions = {name: RANKING_METRICS[name] for name in metrics}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in functions}
    skipped = 0
    for _ in range(n_boot):
        index = _resample_indices(rng, len(y))
        sample_y, sample_s = y[index], s[index]
        if sample_y.min() == sample_y.max():
            skipped += 1
            continue
        for name, function in functions.items():
            draws[name].append(function(sample_y, sample_s))
    if skipped > n_boot // 2:
        raise DataValidationError(
            "bootstrap_metrics",
            f"{skipped} of {n_boot} resamples had a single class; too few responders "
            f"({int(y.sum())} of {len(y)}) for a bootstrap",
            column="label",
        )
    tail = (1 - confidence) / 2
    rows = []
    for name, function in functions.items():
        values = np.asarray(draws[name])
        low, high = np.quantile(values, [tail, 1 - tail])
        rows.append(
            {
                "metric": name,
                "estimate": float(function(y, s)),
                "low": float(low),
                "high": float(high),
                "n_boot": len(values),
                "n_skipped": skipped,
            }
        )
    return pd.DataFrame(rows)
