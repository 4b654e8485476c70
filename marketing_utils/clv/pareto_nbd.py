r"""Pareto/NBD: the original model of "counting your customers".

Schmittlein, Morrison and Colombo (1987); the likelihood as in Fader and
Hardie (2005), "A note on deriving the Pareto/NBD model and related
expressions". While alive a customer buys as a Poisson process with rate
:math:`\lambda \sim \text{Gamma}(r, \alpha)`; the lifetime is exponential
with rate :math:`\mu \sim \text{Gamma}(s, \beta)` (dropout can happen at any
time, not only just after a purchase as in BG/NBD).

.. math::

    L = \frac{\Gamma(r+x)\,\alpha^r \beta^s}{\Gamma(r)}\Big[
        \frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\Big],

where, with :math:`m = \max(\alpha, \beta)` and
:math:`F(y) = {}_2F_1\big(r+s+x, c; r+s+x+1; \frac{|\alpha-\beta|}{m+y}\big)`
(:math:`c = s + 1` when :math:`\alpha \ge \beta`, else :math:`c = r + x`),

.. math:: A_0 = \frac{F(t_x)}{(m+t_x)^{r+s+x}} - \frac{F(T)}{(m+T)^{r+s+x}}.

Everything is computed in logarithms; the gradient by central differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, hyp2f1

from .data import check_rfm, collapse_rows
from .mle import FitResult, fit_log_params

__all__ = [
    "PARAMS",
    "conditional_expected_purchases",
    "expected_purchases",
    "fit_pareto_nbd",
    "log_likelihood",
    "p_alive",
]

#: Parameter names, in the order the functions take them.
PARAMS = ("r", "alpha", "s", "beta")


def _params(params: dict | FitResult) -> tuple[float, float, float, float]:
    values = params.params if isinstance(params, FitResult) else params
    return tuple(float(values[name]) for name in PARAMS)


def _log_term(theta, x, y):
    """``log F(y) - (r+s+x) log(m+y)`` of the module docstring, per row."""
    r, alpha, s, beta = theta
    rsx = r + s + x
    if alpha >= beta:
        m, c = alpha, s + 1
    else:
        m, c = beta, r + x
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(hyp2f1(rsx, c, rsx + 1, abs(alpha - beta) / (m + y))) - rsx * np.log(m + y)


def _log_a0_and_first(theta, x, tx, T, pairs=None, by_T=None):
    """``log A_0`` and the log of the first bracket term, per customer.

    ``pairs``, from :func:`_pair_index`, evaluates the hypergeometric terms
    once per distinct ``(x, t_x)`` and ``(x, T)`` pair instead of once per row;
    ``by_T``, the distinct ``T`` and their inverse index (``np.unique``), the
    logarithms of ``T`` once per distinct ``T``.
    """
    r, alpha, s, beta = theta
    if pairs is None:
        log_tx, log_T = _log_term(theta, x, tx), _log_term(theta, x, T)
    else:
        (px, ptx, inv_tx), (qx, qT, inv_T) = pairs
        log_tx = _log_term(theta, px, ptx)[inv_tx]
        log_T = _log_term(theta, qx, qT)[inv_T]
    with np.errstate(divide="ignore", invalid="ignore"):
        # A_0 = e^{log_tx} - e^{log_T} >= 0 (0 when t_x = T)
        log_a0 = log_tx + np.log1p(-np.exp(np.minimum(log_T - log_tx, 0.0)))
    log_alpha_T, log_beta_T = _per_row(by_T, T, lambda u: (np.log(alpha + u), np.log(beta + u)))
    first = -(r + x) * log_alpha_T - s * log_beta_T
    return log_a0, first


def log_likelihood(theta: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
    """Log-likelihood of each customer under Pareto/NBD; ``theta = (r, alpha, s, beta)``."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    r, alpha, s, beta = theta
    log_a0, first = _log_a0_and_first(theta, x, tx, T)
    return _assemble(theta, x, log_a0, first)


def _assemble(theta, x, log_a0, first, by_x=None):
    """The log-likelihood from the two bracket terms; ``by_x`` as ``by_T`` above, for ``x``."""
    r, alpha, s, beta = theta
    log_gamma_ratio, log_rsx = _per_row(
        by_x, x, lambda u: (gammaln(r + u) - gammaln(r), np.log(r + s + u))
    )
    head = log_gamma_ratio + r * np.log(alpha) + s * np.log(beta)
    return head + np.logaddexp(first, np.log(s) - log_rsx + log_a0)


def _per_row(by_values, values, compute):
    """``compute(values)``, evaluated once per distinct value when ``by_values`` is given.

    Element-wise functions give the same bits either way; a fit has far fewer
    distinct frequencies and ages than rows (``gammaln`` was most of its time).
    """
    if by_values is None:
        return compute(values)
    distinct, inverse = by_values
    return tuple(column[inverse] for column in compute(distinct))


def fit_pareto_nbd(summary: Any, *, initial: dict | None = None) -> FitResult:
    """Fit Pareto/NBD by maximum likelihood on collapsed ``(frequency, recency, T)`` rows.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency``, ``recency`` and ``T`` per customer.
    initial : dict, optional
        Starting values by name (default 1 each).

    Returns
    -------
    FitResult
        Parameters ``r``, ``alpha``, ``s``, ``beta``.

    Raises
    ------
    DataValidationError
        If the summary is not valid.
    ConvergenceError
        If the fit does not converge.
    """
    x, tx, T = check_rfm(summary)
    (ux, utx, uT), weights, _ = collapse_rows(x, tx, T)
    pairs = (_pair_index(ux, utx), _pair_index(ux, uT))
    by_x, by_T = (np.unique(v, return_inverse=True) for v in (ux, uT))
    start = [initial.get(n, 1.0) for n in PARAMS] if initial else None

    def loglik(theta):
        log_a0, first = _log_a0_and_first(theta, ux, utx, uT, pairs, by_T)
        return _assemble(theta, ux, log_a0, first, by_x)

    return fit_log_params("Pareto/NBD", PARAMS, loglik, weights, initial=start, tol=1e-7)


def _pair_index(x: np.ndarray, y: np.ndarray):
    (px, py), _, inverse = collapse_rows(x, y)
    return px, py, inverse


def p_alive(params: dict | FitResult, x: Any, tx: Any, T: Any) -> np.ndarray:
    r"""Probability of being alive at ``T``:
    :math:`\big[1 + \frac{s}{r+s+x}(\alpha+T)^{r+x}(\beta+T)^s A_0\big]^{-1}`."""
    theta = _params(params)
    x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, tx, T)))
    shape = x.shape
    x, tx, T = x.ravel(), tx.ravel(), T.ravel()
    r, alpha, s, beta = theta
    # Customers share (x, t_x) and (x, T) pairs: the hypergeometric terms once per pair.
    pairs = (_pair_index(x, tx), _pair_index(x, T))
    log_a0, first = _log_a0_and_first(theta, x, tx, T, pairs)
    log_odds = np.log(s) - np.log(r + s + x) + log_a0 - first
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(log_odds))).reshape(shape)


def _lifetime_factor(s: float, base: Any, t: Any) -> np.ndarray:
    """``[1 - (base / (base + t))^(s-1)] / (s-1)``, continuous at ``s = 1`` (``log(1 + t/base)``)."""
    log_ratio = np.log1p(np.asarray(t, dtype=float) / base)
    if abs(s - 1) < 1e-10:
        return log_ratio
    return -np.expm1(-(s - 1) * log_ratio) / (s - 1)


def expected_purchases(params: dict | FitResult, t: Any) -> np.ndarray:
    r"""Expected purchases of a new customer in ``(0, t]``:
    :math:`\frac{r\beta}{\alpha(s-1)}\big[1 - (\frac{\beta}{\beta+t})^{s-1}\big]`."""
    r, alpha, s, beta = _params(params)
    return r * beta / alpha * _lifetime_factor(s, beta, t)


def conditional_expected_purchases(
    params: dict | FitResult, t: Any, x: Any, tx: Any, T: Any, *, alive: Any = None
) -> np.ndarray:
    r"""Expected purchases in the next ``t`` periods given ``(x, t_x, T)``:
    :math:`\frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}\big[1 - (\frac{\beta+T}{\beta+T+t})^{s-1}\big]
    P(\text{alive})`.

    ``alive``, the customers' :func:`p_alive` if already computed, saves
    computing it again (it does not depend on ``t``)."""
    r, alpha, s, beta = _params(params)
    t, x, tx, T = (np.asarray(v, dtype=float) for v in (t, x, tx, T))
    rate = (r + x) / (alpha + T)
    if alive is None:
        alive = p_alive(params, x, tx, T)
    return rate * (beta + T) * _lifetime_factor(s, beta + T, t) * alive
