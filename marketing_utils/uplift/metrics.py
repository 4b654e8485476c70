"""Uplift metrics: uplift and Qini curves, their areas, uplift at k, uplift by decile.

Every metric ranks customers by predicted uplift (highest first) and compares
the observed response of treated and control customers among the top ranks of
a randomized campaign. Notation for the top ``n`` customers of the ranking:
``N_T(n)``, ``N_C(n)`` treated and control customers, ``R_T(n)``, ``R_C(n)``
their responses.

* uplift curve: ``U(n) = (R_T/N_T - R_C/N_C) * n`` (incremental responses
  if the top ``n`` were contacted, estimated from the response rates);
* Qini curve: ``Q(n) = R_T - R_C * N_T/N_C`` (incremental responses among the
  treated, the control responses scaled to the treated group's size).

A rate with an empty denominator counts as 0 (the convention of
scikit-uplift), which matters only for the first few ranks.

**Ties.** Customers with equal predicted uplift cannot be ordered, so the
result must not depend on the order they happen to come in. The curves are
evaluated only at the end of each block of tied predictions and joined by
straight lines (as scikit-learn's ROC curve does); uplift at k and the decile
table share a block that straddles a cut equally between the two sides:
each tied customer counts in a bin with weight (positions of the block inside
the bin) / (block size), which is the expected count under a random
tie-break.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "bootstrap_interval",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_coefficient",
    "qini_curve",
    "rank_weights",
    "uplift_at_k",
    "uplift_auc_score",
    "uplift_by_decile",
    "uplift_curve",
]


def _binary(values, name: str, where: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataValidationError(
            where, f"parameter '{name}': expected a 1-d array, found shape {array.shape}"
        )
    valid = np.isin(array, [0, 1]) if array.dtype.kind in "biuf" else np.zeros(len(array), bool)
    if not valid.all():
        raise DataValidationError(
            where,
            f"parameter '{name}': expected 0/1 values, found {int((~valid).sum())} other values",
            examples=array[~valid][:5].tolist(),
        )
    return array.astype(np.int64)


def check_uplift_inputs(
    y_true, uplift, treatment, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert the three arrays every uplift metric takes.

    Raises
    ------
    DataValidationError
        Naming ``where`` and the parameter: lengths differ, the data are empty,
        outcome or treatment are not 0/1, a treatment group is missing, or a
        predicted uplift is not finite.
    """
    y = _binary(y_true, "y_true", where)
    t = _binary(treatment, "treatment", where)
    try:
        u = np.asarray(uplift, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(where, "parameter 'uplift': expected numbers") from exc
    if not len(y) == len(u) == len(t):
        raise DataValidationError(
            where,
            "expected y_true, uplift and treatment of equal length, found "
            f"{len(y)}, {len(u)} and {len(t)}",
        )
    if len(y) == 0:
        raise DataValidationError(where, "expected at least one customer, found none")
    if not np.isfinite(u).all():
        raise DataValidationError(
            where,
            f"parameter 'uplift': expected finite numbers, found {int((~np.isfinite(u)).sum())} "
            "missing or infinite",
            examples=u[~np.isfinite(u)][:5].tolist(),
        )
    if t.min() == t.max():
        missing = "control (0)" if t.min() == 1 else "treated (1)"
        raise DataValidationError(
            where, f"parameter 'treatment': expected treated and control customers, no {missing}"
        )
    return y, u, t


def _tie_block_ends(y, uplift, treatment):
    """Cumulative counts at the end of each block of tied predictions, best first."""
    order = np.argsort(-uplift, kind="stable")
    ranked = uplift[order]
    ends = np.r_[np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1]
    y, t = y[order], treatment[order]
    n_all = (ends + 1).astype(float)
    n_treated = np.cumsum(t)[ends].astype(float)
    responses_treated = np.cumsum(y * t)[ends].astype(float)
    responses_control = np.cumsum(y * (1 - t))[ends].astype(float)
    return n_all, n_treated, n_all - n_treated, responses_treated, responses_control


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def uplift_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The uplift curve: estimated incremental responses when contacting the top ``n``.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed response.
    uplift : array-like of float
        Predicted uplift (any score: only its order matters).
    treatment : array-like of 0/1
        1 for treated (contacted) customers, 0 for the control group.

    Returns
    -------
    n_targeted : ndarray
        0, then the number of customers at the end of each block of tied
        predictions, in ranking order.
    values : ndarray
        ``(R_T/N_T - R_C/N_C) * n`` at those points (0 at ``n = 0``).

    Examples
    --------
    >>> uplift_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    (array([0., 1., 2., 3., 4.]), array([0. , 1. , 2. , 1.5, 0. ]))
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "uplift_curve")
    n_all, n_t, n_c, r_t, r_c = _tie_block_ends(y, u, t)
    values = (_ratio(r_t, n_t) - _ratio(r_c, n_c)) * n_all
    return np.r_[0.0, n_all], np.r_[0.0, values]


def qini_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve: incremental responses among the treated in the top ``n``.

    ``Q(n) = R_T(n) - R_C(n) * N_T(n) / N_C(n)``; same inputs and points as
    :func:`uplift_curve`.

    Examples
    --------
    >>> qini_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    (array([0., 1., 2., 3., 4.]), array([0., 1., 1., 1., 0.]))
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "qini_curve")
    n_all, n_t, n_c, r_t, r_c = _tie_block_ends(y, u, t)
    values = r_t - r_c * _ratio(n_t, n_c)
    return np.r_[0.0, n_all], np.r_[0.0, values]


def _perfect_score(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    # Best ranking knowable from outcomes: treated responders first, control
    # responders (who would have responded anyway, or been put off) last.
    return y * t - y * (1 - t)


def perfect_uplift_curve(y_true, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The uplift curve of the best ranking the observed outcomes allow.

    Treated responders are ranked first, control responders last and everyone
    else in between (a tied block), as in scikit-uplift.
    """
    y = _binary(y_true, "y_true", "perfect_uplift_curve")
    t = _binary(treatment, "treatment", "perfect_uplift_curve")
    return uplift_curve(y, _perfect_score(y, t), t)


def perfect_qini_curve(y_true, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve of the best ranking the observed outcomes allow (see :func:`perfect_uplift_curve`)."""
    y = _binary(y_true, "y_true", "perfect_qini_curve")
    t = _binary(treatment, "treatment", "perfect_qini_curve")
    return qini_curve(y, _perfect_score(y, t), t)


def _area_above_random(x: np.ndarray, values: np.ndarray) -> float:
    """Area between a curve and the straight line from (0, 0) to its last point."""
    random_area = x[-1] * values[-1] / 2.0
    return float(np.trapezoid(values, x) - random_area)


def qini_coefficient(y_true, uplift, treatment, *, normalize: bool = True) -> float:
    """The Qini coefficient: area between the Qini curve and the random line.

    Parameters
    ----------
    y_true, uplift, treatment : array-like
        As in :func:`qini_curve`.
    normalize : bool, default True
        If True, divide by the same area of the perfect ranking
        (:func:`perfect_qini_curve`): 1 is perfect, 0 no better than random,
        negative worse than random (scikit-uplift's ``qini_auc_score``).
        If False, return the area with both axes as shares of the customers
        (Radcliffe's Qini coefficient ``q``).

    Returns
    -------
    float
        ``nan`` when normalizing and the perfect ranking has no area above
        random (e.g. nobody responded).

    Examples
    --------
    >>> qini_coefficient([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0], normalize=False)
    0.1875
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "qini_coefficient")
    area = _area_above_random(*qini_curve(y, u, t))
    if not normalize:
        return area / len(y) ** 2
    perfect = _area_above_random(*perfect_qini_curve(y, t))
    return area / perfect if perfect > 0 else float("nan")


def uplift_auc_score(y_true, uplift, treatment, *, normalize: bool = True) -> float:
    """Area between the uplift curve and the random line (AUUC above random).

    Same conventions as :func:`qini_coefficient`, with the uplift curve and
    :func:`perfect_uplift_curve`.
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "uplift_auc_score")
    area = _area_above_random(*uplift_curve(y, u, t))
    if not normalize:
        return area / len(y) ** 2
    perfect = _area_above_random(*perfect_uplift_curve(y, t))
    return area / perfect if perfect > 0 else float("nan")


def rank_weights(scores, start: float, stop: float) -> np.ndarray:
    """How much of each customer falls in ranks ``[start, stop)`` of a ranking by score.

    Customers are ranked by ``scores``, highest first; rank positions are
    ``0 .. n-1``. A block of ``m`` tied customers occupying positions
    ``[a, a + m)`` shares its overlap with ``[start, stop)`` equally, so each
    gets ``overlap / m`` (between 0 and 1). The weights add up to the overlap
    of ``[start, stop)`` with ``[0, n)``.

    Examples
    --------
    >>> rank_weights([0.9, 0.5, 0.5, 0.1], 0, 2)
    array([1. , 0.5, 0.5, 0. ])
    """
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    new_block = np.r_[True, ranked[1:] != ranked[:-1]]
    block = np.cumsum(new_block) - 1
    block_start = np.flatnonzero(new_block)
    block_stop = np.r_[block_start[1:], len(scores)]
    first, last = block_start[block], block_stop[block]
    overlap = np.clip(np.minimum(last, stop) - np.maximum(first, start), 0.0, None)
    weights = np.empty(len(scores))
    weights[order] = overlap / (last - first)
    return weights


def _weighted_rates(y, t, weights) -> dict[str, float]:
    n_t, n_c = float(np.sum(weights * t)), float(np.sum(weights * (1 - t)))
    r_t, r_c = float(np.sum(weights * y * t)), float(np.sum(weights * y * (1 - t)))
    rate_t = r_t / n_t if n_t > 0 else float("nan")
    rate_c = r_c / n_c if n_c > 0 else float("nan")
    return {
        "n_customers": n_t + n_c,
        "n_treated": n_t,
        "n_control": n_c,
        "responses_treated": r_t,
        "responses_control": r_c,
        "response_rate_treated": rate_t,
        "response_rate_control": rate_c,
        "uplift": rate_t - rate_c,
    }


def top_count(n: int, k: float, where: str = "uplift_at_k") -> int:
    """Number of customers in the top share ``k``: ``floor(k * n + 0.5)``, at least 1."""
    if not 0 < k <= 1:
        raise DataValidationError(where, f"parameter 'k': expected a share in (0, 1], found {k!r}")
    return max(1, int(np.floor(k * n + 0.5)))


def uplift_at_k(y_true, uplift, treatment, k: float = 0.3) -> float:
    """Observed uplift among the top share ``k`` of customers by predicted uplift.

    The response rate of the treated minus that of the control customers among
    the top ``floor(k * n + 0.5)`` customers (tied customers at the cut count
    fractionally, see :func:`rank_weights`). ``nan`` when the top holds no
    treated or no control customer.

    Examples
    --------
    >>> uplift_at_k([1, 0, 1, 0, 0, 0], [6, 5, 4, 3, 2, 1], [1, 0, 1, 0, 1, 0], k=0.5)
    1.0
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "uplift_at_k")
    weights = rank_weights(u, 0, top_count(len(y), k))
    return _weighted_rates(y, t, weights)["uplift"]


def uplift_by_decile(y_true, uplift, treatment, *, bins: int = 10) -> pd.DataFrame:
    """Treated and control response rates per bin of predicted uplift.

    Bin ``j`` (1 = highest predicted uplift) holds rank positions
    ``[(j-1) * n // bins, j * n // bins)``; tied customers straddling a bin
    edge are shared (see :func:`rank_weights`), so counts can be fractional.

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``bin``, ``n_customers``, ``n_treated``,
        ``n_control``, ``responses_treated``, ``responses_control``,
        ``response_rate_treated``, ``response_rate_control``, ``uplift``
        (observed, the difference of the rates, ``nan`` for an empty group)
        and ``predicted_uplift`` (weighted mean of the predictions).
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "uplift_by_decile")
    if not isinstance(bins, int | np.integer) or not 1 <= bins <= len(y):
        raise DataValidationError(
            "uplift_by_decile",
            f"parameter 'bins': expected an integer from 1 to the number of customers "
            f"({len(y)}), found {bins!r}",
        )
    edges = (np.arange(bins + 1) * len(y)) // bins
    rows = []
    for index in range(bins):
        weights = rank_weights(u, edges[index], edges[index + 1])
        row = {"bin": index + 1, **_weighted_rates(y, t, weights)}
        row["predicted_uplift"] = float(np.sum(weights * u) / np.sum(weights))
        rows.append(row)
    return pd.DataFrame(rows)


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    y_true,
    uplift,
    treatment,
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Percentile bootstrap interval of an uplift metric.

    Customers are resampled with replacement within the treated and within the
    control group (the group sizes are fixed by the experiment's design); the
    predictions are held fixed.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, uplift, treatment) -> float``, e.g. :func:`qini_coefficient`.
    n_boot : int, default 200
        Number of resamples.
    confidence : float, default 0.95
    seed : int, default 0

    Returns
    -------
    dict
        ``estimate`` (on the data as given), ``low``, ``high`` and ``n_boot``.
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "bootstrap_interval")
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise DataValidationError(
            "bootstrap_interval", f"parameter 'n_boot': expected an integer >= 2, found {n_boot!r}"
        )
    if not 0 < confidence < 1:
        raise DataValidationError(
            "bootstrap_interval",
            f"parameter 'confidence': expected a number in (0, 1), found {confidence!r}",
        )
    rng = np.random.default_rng(seed)
    treated, control = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    values = np.empty(n_boot)
    for draw in range(n_boot):
        rows = np.r_[
            rng.choice(treated, size=len(treated), replace=True),
            rng.choice(control, size=len(control), replace=True),
        ]
        values[draw] = metric(y[rows], u[rows], t[rows])
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(values, [tail, 1 - tail])
    return {
        "estimate": float(metric(y, u, t)),
        "low": float(low),
        "high": float(high),
        "n_boot": int(n_boot),
    }
