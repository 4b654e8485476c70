r"""From the fitted models to money: expected spend and the discounted lifetime value.

With the purchase model's conditional expectation :math:`E[Y(t)\mid x, t_x, T]`
and the Gamma-Gamma expected spend per transaction :math:`E[M]`, the value of
a customer over the next :math:`K` months, at a margin :math:`m` and an annual
discount rate :math:`d`, is the sum of each month's expected purchases times
the expected margin per purchase, discounted to today:

.. math::

    \text{CLV} = m\,E[M] \sum_{k=1}^{K}
      \frac{E[Y(t_k)] - E[Y(t_{k-1})]}{(1 + d)^{k/12}},
    \qquad t_k = k \cdot \tfrac{365.25}{12} \text{ days}.

Purchases of a month are discounted from the end of that month (as lifetimes'
``customer_lifetime_value``, there with a monthly rate). The purchase count
and the spend are multiplied as independent, the Gamma-Gamma assumption.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import bgnbd, gamma_gamma, pareto_nbd
from .data import TIME_UNITS, check_rfm
from .mle import FitResult

__all__ = ["DAYS_PER_MONTH", "clv_table", "discounted_clv", "purchase_model"]

#: Average days in a month.
DAYS_PER_MONTH = 365.25 / 12

_MODELS = {"bgnbd": bgnbd, "pareto_nbd": pareto_nbd}


def purchase_model(name: str):
    """The module of a purchase model by name (``"bgnbd"`` or ``"pareto_nbd"``).

    Raises
    ------
    ValueError
        If the name is not one of them.
    """
    if name not in _MODELS:
        raise ValueError(f"purchase_model: expected one of {sorted(_MODELS)}, found {name!r}")
    return _MODELS[name]


def _check_rate(name: str, value: float, low: float, high: float | None = None) -> float:
    value = float(value)
    ok = np.isfinite(value) and value >= low and (high is None or value <= high)
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name}: expected a number {bound}, found {value!r}")
    return value


def discounted_clv(
    model: str,
    params: dict | FitResult,
    x: Any,
    tx: Any,
    T: Any,
    spend: Any,
    *,
    months: int,
    margin: float,
    annual_discount_rate: float,
    time_unit: str = "W",
    alive: Any = None,
) -> np.ndarray:
    """Discounted margin over the next ``months`` months, per customer (see module docstring).

    Parameters
    ----------
    model : {"bgnbd", "pareto_nbd"}
        The purchase model ``params`` belong to.
    params : dict or FitResult
        Its parameters.
    x, tx, T : array-like
        Frequency, recency and T in ``time_unit``.
    spend : array-like
        Expected spend per purchase (currency units).
    months : int
        Horizon in months, >= 1.
    margin : float
        Share of the spend that is margin, in (0, 1].
    annual_discount_rate : float
        Yearly discount rate, >= 0 (0.1 for 10%).
    time_unit : {"W", "D"}
        Unit of ``tx`` and ``T``.
    alive : array-like, optional
        The customers' P(alive) under ``params`` if already computed (it does
        not depend on the horizon, so it is computed once, not once a month).

    Returns
    -------
    numpy.ndarray
        One value per customer (currency units).

    Notes
    -----
    A customer who surely buys once a month (a degenerate model) with a spend
    of 100 at a 50% margin and no discounting is worth 50 a month.
    """
    module = purchase_model(model)
    if int(months) != months or months < 1:
        raise ValueError(f"months: expected a whole number >= 1, found {months!r}")
    margin = _check_rate("margin", margin, 0.0, 1.0)
    rate = _check_rate("annual_discount_rate", annual_discount_rate, 0.0)
    unit = TIME_UNITS[time_unit]
    spend = np.asarray(spend, dtype=float)
    if alive is None:
        alive = module.p_alive(params, x, tx, T)
    previous = total = 0.0
    for k in range(1, int(months) + 1):
        t = k * DAYS_PER_MONTH / unit
        current = module.conditional_expected_purchases(params, t, x, tx, T, alive=alive)
        total = total + (current - previous) / (1 + rate) ** (k / 12)
        previous = current
    return margin * spend * total


def clv_table(
    summary: pd.DataFrame,
    purchase_fit: FitResult,
    spend_fit: FitResult,
    *,
    model: str = "bgnbd",
    prediction_periods: float,
    months: int,
    margin: float,
    annual_discount_rate: float,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Per-customer predictions: expected purchases, P(alive), expected spend and CLV.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T`` (in ``time_unit``)
        and ``monetary_value``.
    purchase_fit, spend_fit : FitResult
        The purchase model (``model``) and the Gamma-Gamma fit.
    prediction_periods : float
        ``H``: the window of ``expected_purchases``, in ``time_unit``.
    months, margin, annual_discount_rate :
        See :func:`discounted_clv`.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T``, ``monetary_value``,
        ``expected_purchases``, ``p_alive``, ``expected_spend`` and ``clv``;
        a new frame, ``summary`` is not changed.
    """
    module = purchase_model(model)
    if not prediction_periods > 0:
        raise ValueError(f"prediction_periods: expected a number > 0, found {prediction_periods!r}")
    x, tx, T = check_rfm(summary)
    m = summary["monetary_value"].to_numpy(dtype=float)
    spend = gamma_gamma.conditional_expected_spend(spend_fit, x, m)
    alive = module.p_alive(purchase_fit, x, tx, T)
    out = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "frequency": x,
            "recency": tx,
            "T": T,
            "monetary_value": m,
            "expected_purchases": module.conditional_expected_purchases(
                purchase_fit, prediction_periods, x, tx, T, alive=alive
            ),
            "p_alive": alive,
            "expected_spend": spend,
        }
    )
    out["clv"] = discounted_clv(
        model,
        purchase_fit,
        x,
        tx,
        T,
        spend,
        months=months,
        margin=margin,
        annual_discount_rate=annual_discount_rate,
        time_unit=time_unit,
        alive=alive,
    )
    return out
