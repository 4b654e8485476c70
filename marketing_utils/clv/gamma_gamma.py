r"""Gamma-Gamma: the spend per transaction.

Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for
customer base analysis", *Journal of Marketing Research* 42(4); the
likelihood as in Fader and Hardie, "The Gamma-Gamma model of monetary value"
(2013). The amount of each transaction is Gamma(p, ν); across customers
:math:`\nu \sim \text{Gamma}(q, \gamma)` (``v`` below, as in lifetimes). For a
customer with :math:`x \ge 1` repeat transactions of mean value :math:`\bar m`,

.. math::

    f(\bar m \mid p, q, \gamma, x) =
      \frac{\Gamma(px + q)}{\Gamma(px)\Gamma(q)}
      \frac{\gamma^q\, \bar m^{px-1}\, x^{px}}{(\gamma + x\bar m)^{px+q}},

and the conditional expected spend per transaction is the weighted mean of
the population mean :math:`p\gamma/(q-1)` and the customer's own mean:

.. math::

    E[M \mid \bar m, x] = \frac{q - 1}{px + q - 1}\frac{p\gamma}{q - 1}
      + \frac{px}{px + q - 1}\,\bar m = \frac{p(\gamma + x\bar m)}{px + q - 1}.

The model assumes the spend is independent of the purchase frequency; the
stage reports the correlation between the two on the repeat customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from marketing_utils.errors import DataValidationError

from .data import collapse_rows
from .mle import FitResult, fit_log_params

__all__ = [
    "PARAMS",
    "check_spend",
    "conditional_expected_spend",
    "fit_gamma_gamma",
    "log_likelihood",
    "log_likelihood_gradient",
]

#: Parameter names, in the order the functions take them.
PARAMS = ("p", "q", "v")


def log_likelihood(theta: Any, x: Any, m: Any) -> np.ndarray:
    """Log-density of each customer's mean spend ``m`` over ``x`` repeat transactions."""
    p, q, v = theta
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m)
    )


def log_likelihood_gradient(theta: Any, x: Any, m: Any) -> np.ndarray:
    """Derivatives of :func:`log_likelihood` in ``(p, q, v)``, one row per customer."""
    p, q, v = theta
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    psi = digamma(px + q)
    log_vxm = np.log(v + x * m)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - log_vxm)
    d_q = psi - digamma(q) + np.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + x * m)
    return np.column_stack([d_p, d_q, d_v])


def check_spend(summary: Any, where: str = "rfm summary") -> tuple[np.ndarray, np.ndarray]:
    """Frequency and mean spend of the repeat customers, checked for Gamma-Gamma.

    Raises
    ------
    DataValidationError
        If a column is missing or not finite, no customer has a repeat
        purchase (``frequency`` > 0), or a repeat customer's ``monetary_value``
        is zero or negative (the Gamma distribution has positive support:
        leave those customers out, and count them, before fitting).
    """
    for column in ("frequency", "monetary_value"):
        if column not in summary:
            raise DataValidationError(
                where, f"expected a column {column!r}, found columns {list(summary.columns)}"
            )
    x = pd.to_numeric(pd.Series(summary["frequency"]), errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(pd.Series(summary["monetary_value"]), errors="coerce").to_numpy(dtype=float)
    repeat = x > 0
    if not repeat.any():
        raise DataValidationError(
            where,
            "Gamma-Gamma needs repeat customers (frequency > 0), found none among "
            f"{len(x)} customers",
            column="frequency",
        )
    x, m = x[repeat], m[repeat]
    bad = ~np.isfinite(m) | (m <= 0)
    if bad.any():
        raise DataValidationError(
            where,
            "expected a positive mean spend for every repeat customer, found "
            f"{int(bad.sum())} zero, negative or missing values",
            column="monetary_value",
            examples=m[bad][:5],
        )
    return x, m


def fit_gamma_gamma(summary: Any, *, initial: dict | None = None) -> FitResult:
    """Fit Gamma-Gamma by maximum likelihood on the repeat customers of an RFM summary.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency`` and ``monetary_value`` per customer; customers with
        ``frequency`` 0 are left out (their mean repeat spend is undefined).
    initial : dict, optional
        Starting values by name (default 1 each).

    Returns
    -------
    FitResult
        Parameters ``p``, ``q``, ``v``; ``n_customers`` counts the repeat customers.

    Raises
    ------
    DataValidationError
        See :func:`check_spend`.
    ConvergenceError
        If the fit does not converge.
    """
    x, m = check_spend(summary)
    (ux, um), weights, _ = collapse_rows(x, m)
    start = [initial.get(n, 1.0) for n in PARAMS] if initial else None
    return fit_log_params(
        "Gamma-Gamma",
        PARAMS,
        lambda th: log_likelihood(th, ux, um),
        weights,
        gradient=lambda th: log_likelihood_gradient(th, ux, um),
        initial=start,
    )


def conditional_expected_spend(params: dict | FitResult, x: Any, m: Any) -> np.ndarray:
    """Expected spend per transaction given ``x`` repeat transactions of mean ``m``.

    For ``x = 0`` it is the population mean ``p v / (q - 1)``.
    """
    values = params.params if isinstance(params, FitResult) else params
    p, q, v = (float(values[n]) for n in PARAMS)
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    m = np.where(x > 0, m, 0.0)
    return p * (v + x * m) / (p * x + q - 1)
