"""Planning the next test: sample size and minimum detectable lift against holdout share.

The calculations are statsmodels' ``NormalIndPower`` on Cohen's effect size
for proportions, ``h = 2 asin(sqrt(p_T)) - 2 asin(sqrt(p_C))``
(``proportion_effectsize``): a two-sided z-test at level ``alpha`` with power
``1 - beta`` needs, with ``k = n_C / n_T`` (the ``ratio`` of statsmodels),

``n_T = (z_{1-alpha/2} + z_{1-beta})^2 (1 + 1/k) / h^2``

(up to the negligible probability of rejecting in the wrong tail, which
statsmodels includes). The minimum detectable lift of a campaign of ``N``
customers with a holdout share ``s`` solves the same equation for ``h`` with
``n_T = (1 - s) N`` and ``n_C = s N``, then maps ``h`` back to a conversion
rate: ``p_T = sin(asin(sqrt(p_C)) + h/2)^2``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

__all__ = ["mde_by_holdout_share", "minimum_detectable_lift", "required_customers"]


def _check(baseline_rate: float, alpha: float, power: float) -> None:
    for name, value in (("baseline_rate", baseline_rate), ("alpha", alpha), ("power", power)):
        if not (isinstance(value, int | float) and 0 < value < 1):
            raise ValueError(f"{name}: expected a number strictly between 0 and 1, found {value!r}")


def _check_share(holdout_share: float) -> None:
    if not (isinstance(holdout_share, int | float) and 0 < holdout_share < 1):
        raise ValueError(
            f"holdout_share: expected a share strictly between 0 and 1, found {holdout_share!r}"
        )


def minimum_detectable_lift(
    n_customers: int,
    holdout_share: float,
    baseline_rate: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest increase of the conversion rate (absolute) a test would detect.

    Parameters
    ----------
    n_customers : int
        Customers in the test (treated + holdout).
    holdout_share : float
        Share kept as holdout.
    baseline_rate : float
        Conversion rate without contact (the holdout's).
    alpha, power : float
        Two-sided level and power.

    Returns
    -------
    float
        ``p_T - p_C`` at the detectable effect size; NaN when no lift up to a
        rate of 1 is detectable.

    Examples
    --------
    >>> round(minimum_detectable_lift(10_000, 0.5, 0.10), 4)
    0.0174
    """
    _check(baseline_rate, alpha, power)
    _check_share(holdout_share)
    n_treated = (1 - holdout_share) * n_customers
    ratio = holdout_share / (1 - holdout_share)
    if n_treated * ratio < 2:
        return float("nan")
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=n_treated, alpha=alpha, power=power, ratio=ratio
    )
    angle = math.asin(math.sqrt(baseline_rate)) + float(h) / 2
    if angle >= math.pi / 2:
        return float("nan")
    return math.sin(angle) ** 2 - baseline_rate


def required_customers(
    baseline_rate: float,
    lift: float,
    holdout_share: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict:
    """Customers needed to detect an absolute ``lift`` over ``baseline_rate``.

    Returns
    -------
    dict
        ``treated``, ``holdout`` and ``total`` (each rounded up), and the
        effect size ``h``.

    Examples
    --------
    >>> required_customers(0.10, 0.02, 0.5)["treated"]
    3835
    """
    _check(baseline_rate, alpha, power)
    _check_share(holdout_share)
    if not (isinstance(lift, int | float) and 0 < lift < 1 - baseline_rate):
        raise ValueError(
            f"lift: expected an increase between 0 and {1 - baseline_rate:.4f} (1 - baseline_rate), "
            f"found {lift!r}"
        )
    h = float(proportion_effectsize(baseline_rate + lift, baseline_rate))
    ratio = holdout_share / (1 - holdout_share)
    treated = float(
        NormalIndPower().solve_power(
            effect_size=h, nobs1=None, alpha=alpha, power=power, ratio=ratio
        )
    )
    holdout = treated * ratio
    return {
        "treated": math.ceil(treated - 1e-9),
        "holdout": math.ceil(holdout - 1e-9),
        "total": math.ceil(treated - 1e-9) + math.ceil(holdout - 1e-9),
        "effect_size_h": h,
    }


def mde_by_holdout_share(
    n_customers: int,
    baseline_rate: float,
    shares=(0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5),
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """Minimum detectable lift for each holdout share, for a campaign of ``n_customers``.

    Returns
    -------
    DataFrame
        ``holdout_share``, ``treated``, ``holdout``, ``mde`` (absolute lift)
        and ``mde_relative`` (``mde / baseline_rate``).
    """
    shares = np.asarray(shares, dtype=float)
    mde = [
        minimum_detectable_lift(n_customers, float(s), baseline_rate, alpha=alpha, power=power)
        for s in shares
    ]
    return pd.DataFrame(
        {
            "holdout_share": shares,
            "treated": np.round((1 - shares) * n_customers).astype(int),
            "holdout": np.round(shares * n_customers).astype(int),
            "mde": mde,
            "mde_relative": np.asarray(mde) / baseline_rate,
        }
    )
