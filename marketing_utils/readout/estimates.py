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

* **Stratified holdouts.** The holdout is drawn at random *within* strata
  (deciles or offers), which removes the differences between strata from
  the comparison. Each rate is then the stratum-weighted mean of the
  strata's rates, its variance the weighted sum of theirs, and the Wilson
  intervals use the effective sample size that variance implies
  (:func:`stratified_newcombe_interval`); revenue likewise. Ignoring the
  strata would give valid but wider intervals (over 4,000 simulated
  campaigns, 95.5% coverage instead of 95%).

The return on spend (incremental margin per unit spent, ``m * delta_r / c``
with the margin share ``m``; see :func:`marketing_utils.readout.stage.campaign_readout`)
is a linear function of the incremental revenue per contact (the cost per
contact and the margin are fixed), so its interval is the revenue interval
times ``m / c``, exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = [
    "GROUP_COLUMNS",
    "effect_table",
    "newcombe_interval",
    "stratified_newcombe_interval",
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


def stratified_newcombe_interval(
    x_treated, n_treated, x_holdout, n_holdout, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of two proportions over strata, with a Newcombe interval on effective sizes.

    Arrays are ``(groups, strata)``; each row is one comparison whose
    customers were assigned to treated or holdout at random *within* each
    stratum (cells with no customer have weight 0). With stratum weights
    ``w_s = n_s / n`` the rates are ``p = sum_s w_s p_s`` and their variances
    ``V = sum_s w_s^2 p_s (1 - p_s) / n_s``. Stratification removes the
    between-strata variation from ``V``; each rate's Wilson interval is then
    computed on its **effective sample size** ``p (1 - p) / V`` (Korn and
    Graubard's device for Wilson intervals under a complex design) and the two
    are combined as in :func:`newcombe_interval`. With one stratum this is
    exactly :func:`newcombe_interval`; when ``V = 0`` (no conversions, or all)
    the actual size is used.

    Every stratum of a row must have both treated and holdout customers (or
    neither); see :func:`effect_table` for the fallback.

    Examples
    --------
    One stratum is the plain Newcombe interval:

    >>> d, low, high = stratified_newcombe_interval([[56]], [[70]], [[48]], [[80]])
    >>> round(float(d[0]), 4), round(float(low[0]), 4), round(float(high[0]), 4)
    (0.2, 0.0524, 0.3339)
    """
    x_t, n_t = (
        np.atleast_2d(np.asarray(x_treated, float)),
        np.atleast_2d(np.asarray(n_treated, float)),
    )
    x_c, n_c = (
        np.atleast_2d(np.asarray(x_holdout, float)),
        np.atleast_2d(np.asarray(n_holdout, float)),
    )
    n_cell = n_t + n_c
    weight = n_cell / n_cell.sum(axis=1, keepdims=True)

    def rate(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            p_cell = np.where(n > 0, x / np.where(n > 0, n, 1), 0.0)
            p = (weight * p_cell).sum(axis=1)
            variance = (
                weight**2 * np.where(n > 0, p_cell * (1 - p_cell) / np.where(n > 0, n, 1), 0.0)
            ).sum(axis=1)
            total = n.sum(axis=1)
            effective = np.where(variance > 0, p * (1 - p) / variance, total)
        return p, effective, total

    p_t, e_t, _ = rate(x_t, n_t)
    p_c, e_c, _ = rate(x_c, n_c)
    l_t, u_t = wilson_interval(p_t * e_t, e_t, confidence)
    l_c, u_c = wilson_interval(p_c * e_c, e_c, confidence)
    d = p_t - p_c
    low = d - np.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = d + np.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    return d, low, high


def _stratified_means(m_t, v_t, n_t, m_c, v_c, n_c) -> tuple[np.ndarray, ...]:
    """Stratum-weighted means and variances of the means, arrays (groups, strata)."""
    n_cell = n_t + n_c
    weight = n_cell / n_cell.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t = (weight * np.nan_to_num(m_t)).sum(axis=1)
        mean_c = (weight * np.nan_to_num(m_c)).sum(axis=1)
        var_t = (
            weight**2 * np.where(n_t > 0, np.nan_to_num(v_t) / np.where(n_t > 0, n_t, 1), 0)
        ).sum(axis=1)
        var_c = (
            weight**2 * np.where(n_c > 0, np.nan_to_num(v_c) / np.where(n_c > 0, n_c, 1), 0)
        ).sum(axis=1)
    return mean_t, var_t, mean_c, var_c


_SUMS = ["_t", "_c", "_yt", "_yc", "_rt", "_rc", "_rt2", "_rc2"]


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(["_group", "_stratum"], sort=True, observed=True)[_SUMS].sum()


def effect_table(
    joined: pd.DataFrame,
    by: str | None = None,
    *,
    strata: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Treated against holdout, overall or by group, with intervals.

    Parameters
    ----------
    joined : DataFrame
        One row per customer counted in the readout: ``treatment`` (1 treated,
        0 holdout), ``converted`` (0/1), ``revenue`` (>= 0) and the ``by``
        and ``strata`` columns when given.
    by : str, optional
        Group column (``decile``, ``offer``, ``segment``); ``None`` for one
        row, labelled ``all``.
    strata : str, optional
        The strata the holdout was drawn in (``stratum`` of the export). Each
        group's effect is then the stratum-weighted difference with
        :func:`stratified_newcombe_interval` (conversion) and a stratified
        Wald interval (revenue, variances summed over strata). A group with a
        stratum that lacks treated or holdout customers (or has fewer than
        two of either) is compared unstratified; column ``stratified`` says
        which.
    confidence : float

    Returns
    -------
    DataFrame
        Indexed by group, columns :data:`GROUP_COLUMNS` and ``stratified``.
        Rates are shares (0.031 = 3.1%), stratum-weighted when ``strata`` is
        given (so that ``incremental_rate = treated_rate - holdout_rate``);
        the counts are plain sums. The revenue of the holdout is per
        customer (they were not contacted). ``incremental_conversions`` and
        ``incremental_revenue`` scale the per-contact effect to the treated
        customers: what the contacts added.
    """
    treated = joined["treatment"].to_numpy() == 1
    frame = pd.DataFrame(
        {
            "_group": "all" if by is None else joined[by].to_numpy(),
            "_stratum": "all" if strata is None else joined[strata].astype(str).to_numpy(),
            "_t": treated.astype(int),
            "_c": (~treated).astype(int),
            "_yt": np.where(treated, joined["converted"], 0),
            "_yc": np.where(treated, 0, joined["converted"]),
            "_rt": np.where(treated, joined["revenue"], 0.0),
            "_rc": np.where(treated, 0.0, joined["revenue"]),
            "_rt2": np.where(treated, joined["revenue"] ** 2, 0.0),
            "_rc2": np.where(treated, 0.0, joined["revenue"] ** 2),
        }
    )
    cells = _cells(frame)
    incomplete = (cells["_t"] < 2) | (cells["_c"] < 2)
    pooled_groups = cells.index.get_level_values(0)[incomplete.to_numpy()].unique()
    if len(pooled_groups) and strata is not None:
        frame.loc[frame["_group"].isin(pooled_groups), "_stratum"] = "all"
        cells = _cells(frame)
    wide = {name: cells[name].unstack(fill_value=0).to_numpy(float) for name in _SUMS}
    groups = cells.index.get_level_values(0).unique()
    n_t, n_c = wide["_t"], wide["_c"]
    d, low, high = stratified_newcombe_interval(wide["_yt"], n_t, wide["_yc"], n_c, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_t, m_c = wide["_rt"] / n_t, wide["_rc"] / n_c
        v_t = np.maximum((wide["_rt2"] - n_t * m_t**2) / (n_t - 1), 0)
        v_c = np.maximum((wide["_rc2"] - n_c * m_c**2) / (n_c - 1), 0)
    mean_t, var_t, mean_c, var_c = _stratified_means(m_t, v_t, n_t, m_c, v_c, n_c)
    total_t, total_c = n_t.sum(axis=1), n_c.sum(axis=1)
    z = _z(confidence)
    rd = mean_t - mean_c
    se = np.where((total_t >= 2) & (total_c >= 2), np.sqrt(var_t + var_c), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_t = (wide["_yt"] / np.where(n_t > 0, n_t, 1) * (n_t + n_c)).sum(axis=1) / (
            total_t + total_c
        )
        rate_c = (wide["_yc"] / np.where(n_c > 0, n_c, 1) * (n_t + n_c)).sum(axis=1) / (
            total_t + total_c
        )
    table = pd.DataFrame(
        {
            "customers": (total_t + total_c).astype(int),
            "treated": total_t.astype(int),
            "holdout": total_c.astype(int),
            "treated_conversions": wide["_yt"].sum(axis=1).astype(int),
            "holdout_conversions": wide["_yc"].sum(axis=1).astype(int),
            "treated_rate": rate_t,
            "holdout_rate": rate_c,
            "incremental_rate": d,
            "ci_low": low,
            "ci_high": high,
            "treated_revenue_per_contact": mean_t,
            "holdout_revenue_per_customer": mean_c,
            "incremental_revenue_per_contact": rd,
            "revenue_ci_low": rd - z * se,
            "revenue_ci_high": rd + z * se,
            "incremental_conversions": d * total_t,
            "incremental_revenue": rd * total_t,
            "stratified": strata is not None and ~pd.Index(groups).isin(pooled_groups),
        },
        index=pd.Index(groups, name=by or "group"),
    )
    return table[[*GROUP_COLUMNS, "stratified"]]
