"""Treated against holdout: incremental conversion and revenue with confidence intervals.

Which interval, and why
-----------------------
* **Conversion** (a difference of two proportions): Newcombe's hybrid score
  interval (Newcombe 1998, method 10). Each group's rate gets its Wilson score
  interval ``[l, u]``; with ``d = p_T - p_C``

  ``low  = d - sqrt((p_T - l_T)^2 + (u_C - p_C)^2)``
  ``high = d + sqrt((u_T - p_T)^2 + (p_C - l_C)^2)``.

  Unlike the Wald interval ``d +- z sqrt(p_T(1-p_T)/n_T + p_C(1-p_C)/n_C)`` it
  keeps its coverage when a group is small or its rate is near 0 or 1 (a small
  holdout of a campaign with rare conversions is the usual case), never leaves
  ``[-1, 1]`` and needs no continuity correction. It equals statsmodels'
  ``confint_proportions_2indep(..., method="newcomb", compare="diff")``; it is
  written out here so that it runs on whole arrays of groups (and of simulated
  campaigns) at once.
* **Revenue per contact** (a difference of two means of skewed amounts, most
  of them 0): the Wald (Welch) interval ``d +- z sqrt(s_T^2/n_T + s_C^2/n_C)``
  with the sample variances; with hundreds of customers per group the central
  limit theorem holds well enough for a mean of zeros and order values.

The return on spend is a linear function of the incremental revenue per
contact (the cost per contact is fixed), so its interval is the revenue
interval divided by that cost, exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = [
    "GROUP_COLUMNS",
    "effect_table",
    "newcombe_interval",
    "wald_difference_interval",
    "wilson_interval",
]

#: Columns of :func:`effect_table`, in order.
GROUP_COLUMNS = [
    "customers",
    "treated",
    "holdout",
    "treated_conversions",
    "holdout_conversions",
    "treated_rate",
    "holdout_rate",
    "incremental_rate",
    "ci_low",
    "ci_high",
    "treated_revenue_per_contact",
    "holdout_revenue_per_customer",
    "incremental_revenue_per_contact",
    "revenue_ci_low",
    "revenue_ci_high",
    "incremental_conversions",
    "incremental_revenue",
]


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a number between 0 and 1, found {confidence!r}")
    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion, element-wise.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; an empty
    group (``n = 0``) gives ``[0, 1]``.

    Examples
    --------
    >>> low, high = wilson_interval(56, 70)
    >>> round(float(low), 4), round(float(high), 4)
    (0.6918, 0.877)
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, x / n, 0.0)
        centre = p + z**2 / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        scale = 1 + z**2 / n
        low = np.where(n > 0, (centre - spread) / scale, 0.0)
        high = np.where(n > 0, (centre + spread) / scale, 1.0)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def newcombe_interval(
    successes_1, trials_1, successes_2, trials_2, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``p1 - p2`` of two independent proportions and its Newcombe interval.

    Element-wise over arrays (one element per group or per simulated campaign).

    Returns
    -------
    difference, low, high : ndarray

    Examples
    --------
    Newcombe's (1998) example (a), 56/70 against 48/80, method 10:

    >>> d, low, high = newcombe_interval(56, 70, 48, 80)
    >>> round(float(d), 4), round(float(low), 4), round(float(high), 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1 = np.asarray(successes_1, dtype=float), np.asarray(trials_1, dtype=float)
    x2, n2 = np.asarray(successes_2, dtype=float), np.asarray(trials_2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(n1 > 0, x1 / n1, np.nan)
        p2 = np.where(n2 > 0, x2 / n2, np.nan)
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def wald_difference_interval(
    mean_1, var_1, n_1, mean_2, var_2, n_2, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of two means and its Wald (Welch, unequal variances) interval.

    ``var_*`` are sample variances (``ddof=1``); a group of fewer than two
    customers gives a missing interval.

    Examples
    --------
    >>> d, low, high = wald_difference_interval(5.0, 4.0, 100, 3.0, 9.0, 100)
    >>> round(float(d), 3), round(float(low), 3), round(float(high), 3)
    (2.0, 1.293, 2.707)
    """
    n_1, n_2 = np.asarray(n_1, dtype=float), np.asarray(n_2, dtype=float)
    d = np.asarray(mean_1, dtype=float) - np.asarray(mean_2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.asarray(var_1, dtype=float) / n_1 + np.asarray(var_2, dtype=float) / n_2)
    se = np.where((n_1 >= 2) & (n_2 >= 2), se, np.nan)
    z = _z(confidence)
    return d, d - z * se, d + z * se


def effect_table(
    joined: pd.DataFrame, by: str | None = None, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Treated against holdout, overall or by group, with intervals.

    Parameters
    ----------
    joined : DataFrame
        One row per customer counted in the readout: ``treatment`` (1 treated,
        0 holdout), ``converted`` (0/1), ``revenue`` (>= 0) and the ``by``
        column when given.
    by : str, optional
        Group column (``decile``, ``offer``, ``segment``); ``None`` for one
        row, labelled ``all``.
    confidence : float

    Returns
    -------
    DataFrame
        Indexed by group, columns :data:`GROUP_COLUMNS`. Rates are shares
        (0.031 = 3.1%); the revenue of the holdout is per customer (they were
        not contacted). ``incremental_conversions`` and
        ``incremental_revenue`` scale the per-contact effect to the treated
        customers: what the contacts added.
    """
    frame = joined.assign(_group="all") if by is None else joined.assign(_group=joined[by])
    treated = frame["treatment"].to_numpy() == 1
    frame = frame.assign(
        _t=treated.astype(int),
        _c=(~treated).astype(int),
        _yt=np.where(treated, frame["converted"], 0),
        _yc=np.where(treated, 0, frame["converted"]),
        _rt=np.where(treated, frame["revenue"], 0.0),
        _rc=np.where(treated, 0.0, frame["revenue"]),
        _rt2=np.where(treated, frame["revenue"] ** 2, 0.0),
        _rc2=np.where(treated, 0.0, frame["revenue"] ** 2),
    )
    sums = frame.groupby("_group", sort=True, observed=True)[
        ["_t", "_c", "_yt", "_yc", "_rt", "_rc", "_rt2", "_rc2"]
    ].sum()
    n_t, n_c = sums["_t"].to_numpy(float), sums["_c"].to_numpy(float)
    d, low, high = newcombe_interval(sums["_yt"], n_t, sums["_yc"], n_c, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t, mean_c = sums["_rt"] / n_t, sums["_rc"] / n_c
        var_t = (sums["_rt2"] - n_t * mean_t**2) / (n_t - 1)
        var_c = (sums["_rc2"] - n_c * mean_c**2) / (n_c - 1)
    rd, rlow, rhigh = wald_difference_interval(
        mean_t, np.maximum(var_t, 0), n_t, mean_c, np.maximum(var_c, 0), n_c, confidence
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_t, rate_c = sums["_yt"] / n_t, sums["_yc"] / n_c
    table = pd.DataFrame(
        {
            "customers": (n_t + n_c).astype(int),
            "treated": n_t.astype(int),
            "holdout": n_c.astype(int),
            "treated_conversions": sums["_yt"].astype(int),
            "holdout_conversions": sums["_yc"].astype(int),
            "treated_rate": rate_t,
            "holdout_rate": rate_c,
            "incremental_rate": d,
            "ci_low": low,
            "ci_high": high,
            "treated_revenue_per_contact": mean_t,
            "holdout_revenue_per_customer": mean_c,
            "incremental_revenue_per_contact": rd,
            "revenue_ci_low": rlow,
            "revenue_ci_high": rhigh,
            "incremental_conversions": d * n_t,
            "incremental_revenue": rd * n_t,
        },
        index=sums.index.rename(by or "group"),
    )
    return table[GROUP_COLUMNS]
