r"""BG/NBD: the beta-geometric / negative binomial model of repeat purchasing.

Fader, Hardie and Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", *Marketing Science* 24(2).

While alive, a customer buys as a Poisson process with rate
:math:`\lambda \sim \text{Gamma}(r, \alpha)`; after every purchase the
customer drops out with probability :math:`p \sim \text{Beta}(a, b)`. For a
customer with :math:`x` repeat purchases, the last at :math:`t_x`, observed
until :math:`T`,

.. math::

    L(r, \alpha, a, b \mid x, t_x, T) =
      \frac{B(a, b + x)}{B(a, b)} \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + T)^{r + x}}
      + \delta_{x > 0} \frac{B(a + 1, b + x - 1)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + t_x)^{r + x}}.

The log-likelihood is computed as
:math:`A_1 + A_2 + \log(e^{A_3} + \delta_{x>0} e^{A_4})` with

.. math::

    A_1 &= \log\Gamma(r+x) - \log\Gamma(r) + r\log\alpha, \\
    A_2 &= \log\Gamma(a+b) + \log\Gamma(b+x) - \log\Gamma(b) - \log\Gamma(a+b+x), \\
    A_3 &= -(r+x)\log(\alpha+T), \\
    A_4 &= \log a - \log(b+x-1) - (r+x)\log(\alpha+t_x),

and its gradient analytically (the digamma function :math:`\psi`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from .data import check_rfm, collapse_rows
from .mle import FitResult, fit_log_params

__all__ = [
    "PARAMS",
    "conditional_expected_purchases",
    "expected_purchases",
    "fit_bgnbd",
    "log_likelihood",
    "log_likelihood_gradient",
    "p_alive",
]

#: Parameter names, in the order the functions take them.
PARAMS = ("r", "alpha", "a", "b")


def _params(params: dict | FitResult) -> tuple[float, float, float, float]:
    values = params.params if isinstance(params, FitResult) else params
    return tuple(float(values[name]) for name in PARAMS)


class _Rows:
    """Rows prepared once for many evaluations: the functions of ``x`` alone
    (log-gamma and digamma terms) are computed on the distinct values of ``x``
    (a few hundred at most) and spread to the rows, and the last evaluation is
    kept so that the optimizer's value and gradient share one pass."""

    def __init__(self, x, tx, T):
        self.x, self.tx, self.T = (np.asarray(v, dtype=float) for v in (x, tx, T))
        self.xu, self.xinv = np.unique(self.x, return_inverse=True)
        self.repeat = self.x > 0
        self._theta = None

    def terms(self, theta):
        theta = tuple(float(v) for v in theta)
        if theta == self._theta:
            return self._terms
        r, alpha, a, b = theta
        xu, inv, x, tx, T = self.xu, self.xinv, self.x, self.tx, self.T
        a1 = (gammaln(r + xu) - gammaln(r))[inv] + r * np.log(alpha)
        a2 = (gammaln(a + b) + gammaln(b + xu) - gammaln(b) - gammaln(a + b + xu))[inv]
        log_aT, log_atx = np.log(alpha + T), np.log(alpha + tx)
        a3 = -(r + x) * log_aT
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(
                self.repeat, (np.log(a) - np.log(b + xu - 1))[inv] - (r + x) * log_atx, -np.inf
            )
        lse = np.logaddexp(a3, a4)
        self._theta = theta
        self._terms = (a1, a2, a3, a4, lse, log_aT, log_atx)
        return self._terms

    def log_likelihood(self, theta):
        a1, a2, _, _, lse, _, _ = self.terms(theta)
        return a1 + a2 + lse

    def gradient(self, theta):
        r, alpha, a, b = (float(v) for v in theta)
        _, _, a3, a4, lse, log_aT, log_atx = self.terms(theta)
        xu, inv, x, tx, T = self.xu, self.xinv, self.x, self.tx, self.T
        w3 = np.exp(a3 - lse)
        w4 = np.exp(a4 - lse)
        d_r = (digamma(r + xu) - digamma(r))[inv] + np.log(alpha) - w3 * log_aT - w4 * log_atx
        d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
        psi_abx = digamma(a + b + xu)
        d_a = (digamma(a + b) - psi_abx)[inv] + w4 / a
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_bx1 = np.where(xu > 0, 1.0 / (b + xu - 1), 0.0)
        d_b = (digamma(a + b) + digamma(b + xu) - digamma(b) - psi_abx)[inv] - w4 * inv_bx1[inv]
        return np.column_stack([d_r, d_alpha, d_a, d_b])


def log_likelihood(theta: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
    """Log-likelihood of each customer under BG/NBD.

    Parameters
    ----------
    theta : sequence of float
        ``(r, alpha, a, b)``, all > 0.
    x, tx, T : array-like
        Frequency, recency and T of each customer (one time unit).

    Returns
    -------
    numpy.ndarray
        One log-likelihood per customer.
    """
    return _Rows(x, tx, T).log_likelihood(theta)


def log_likelihood_gradient(theta: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
    """Derivatives of :func:`log_likelihood` in ``(r, alpha, a, b)``, one row per customer."""
    return _Rows(x, tx, T).gradient(theta)


def fit_bgnbd(summary: Any, *, initial: dict | None = None) -> FitResult:
    """Fit BG/NBD by maximum likelihood on a customer RFM summary.

    Customers with the same ``(frequency, recency, T)`` are collapsed into one
    weighted row; the optimizer works on the logarithms of the parameters with
    the analytic gradient.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency``, ``recency`` and ``T`` per customer (one time unit).
    initial : dict, optional
        Starting values by name (default 1 each, as lifetimes).

    Returns
    -------
    FitResult
        Parameters ``r``, ``alpha``, ``a``, ``b`` with standard errors.

    Raises
    ------
    DataValidationError
        If the summary is empty or its columns are not valid RFM values.
    ConvergenceError
        If the fit does not converge.
    """
    x, tx, T = check_rfm(summary)
    (ux, utx, uT), weights, _ = collapse_rows(x, tx, T)
    start = [initial.get(n, 1.0) for n in PARAMS] if initial else None
    rows = _Rows(ux, utx, uT)
    return fit_log_params(
        "BG/NBD", PARAMS, rows.log_likelihood, weights, gradient=rows.gradient, initial=start
    )


def p_alive(params: dict | FitResult, x: Any, tx: Any, T: Any) -> np.ndarray:
    r"""Probability that each customer is still alive at ``T``.

    .. math::
        P(\text{alive} \mid x, t_x, T) = \Big[1 + \delta_{x>0} \frac{a}{b + x - 1}
        \Big(\frac{\alpha + T}{\alpha + t_x}\Big)^{r + x}\Big]^{-1}.
    """
    r, alpha, a, b = _params(params)
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def expected_purchases(params: dict | FitResult, t: Any) -> np.ndarray:
    r"""Expected number of repeat purchases of a new customer in ``(0, t]``.

    .. math::
        E[X(t)] = \frac{a + b - 1}{a - 1}\Big[1 - \Big(\frac{\alpha}{\alpha + t}\Big)^r
        {}_2F_1\Big(r, b; a + b - 1; \frac{t}{\alpha + t}\Big)\Big].
    """
    r, alpha, a, b = _params(params)
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def conditional_expected_purchases(
    params: dict | FitResult, t: Any, x: Any, tx: Any, T: Any, *, alive: Any = None
) -> np.ndarray:
    r"""Expected repeat purchases in the next ``t`` periods, given ``(x, t_x, T)``.

    .. math::
        E[Y(t) \mid x, t_x, T] = \frac{a + b + x - 1}{a - 1}
        \Big[1 - \Big(\frac{\alpha + T}{\alpha + T + t}\Big)^{r + x}
        {}_2F_1\Big(r + x, b + x; a + b + x - 1; \frac{t}{\alpha + T + t}\Big)\Big]
        \,P(\text{alive} \mid x, t_x, T).

    ``alive``, the customers' :func:`p_alive` if already computed, saves
    computing it again (it does not depend on ``t``).
    """
    r, alpha, a, b = _params(params)
    t, x, tx, T = (np.asarray(v, dtype=float) for v in (t, x, tx, T))
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return head * tail * (p_alive(params, x, tx, T) if alive is None else alive)
