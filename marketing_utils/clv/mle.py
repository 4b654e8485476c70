"""Maximum likelihood on collapsed rows: the optimizer, the convergence check and the standard errors.

Every model of this stage has a handful of positive parameters. They are
fitted on their logarithms (so the optimizer never leaves the positive
orthant) by ``scipy.optimize.minimize`` with the analytic gradient where the
model provides one, on the mean negative log-likelihood over *weighted* rows:
customers that share the same sufficient statistics are collapsed into one
row whose weight is their number, so a fit costs the number of distinct rows,
not of customers.

Standard errors come from the observed information: the Hessian of the total
(not mean) negative log-likelihood in the natural parameters, computed by
central differences of the gradient at the optimum and inverted.

A fit that does not converge (the optimizer says so, the gradient at the
optimum is not small, a parameter runs off to 0 or infinity, or the Hessian is
not positive definite) raises :class:`ConvergenceError`: it is never returned
as a result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from marketing_utils.errors import WorkbookError

__all__ = ["ConvergenceError", "FitResult", "fit_log_params", "numerical_gradient"]

#: Natural parameters outside [exp(-LOG_BOUND), exp(LOG_BOUND)] mean the fit ran off.
LOG_BOUND = 25.0


class ConvergenceError(WorkbookError, RuntimeError):
    """A maximum-likelihood fit did not converge; its numbers must not be used.

    Parameters
    ----------
    model : str
        The model that was fitted, e.g. ``"BG/NBD"``.
    reason : str
        What went wrong, with the values found.
    """

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"{model}: the maximum-likelihood fit did not converge: {reason}")


@dataclass(frozen=True)
class FitResult:
    """A converged maximum-likelihood fit.

    Attributes
    ----------
    model : str
        Model name.
    params : dict of str to float
        The estimates, in the natural (positive) scale.
    std_errors : dict of str to float
        Standard errors from the inverse observed information.
    log_likelihood : float
        Total log-likelihood at the optimum (weighted sum over rows).
    n_customers : int
        Sum of the row weights.
    n_rows : int
        Number of distinct rows the likelihood was evaluated on.
    iterations : int
        Optimizer iterations.
    seconds : float
        Wall time of the fit (optimizer and Hessian).
    covariance : numpy.ndarray
        Covariance matrix of the estimates, in ``params`` order.
    """

    model: str
    params: dict[str, float]
    std_errors: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_rows: int
    iterations: int
    seconds: float
    covariance: np.ndarray = field(repr=False, compare=False)

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2k - 2 log L``."""
        return 2 * len(self.params) - 2 * self.log_likelihood

    def table(self) -> pd.DataFrame:
        """The estimates with their standard errors and 95% Wald intervals."""
        names = list(self.params)
        est = np.array([self.params[n] for n in names])
        se = np.array([self.std_errors[n] for n in names])
        return pd.DataFrame(
            {
                "parameter": names,
                "estimate": est,
                "std_error": se,
                "ci_low": est - 1.959964 * se,
                "ci_high": est + 1.959964 * se,
            }
        )


def numerical_gradient(fun: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference gradient of ``fun`` at ``x`` (relative steps)."""
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for i in range(len(x)):
        step = 1e-6 * max(abs(x[i]), 1e-3)
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (fun(up) - fun(down)) / (2 * step)
    return grad


def _hessian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    n = len(x)
    hess = np.empty((n, n))
    for i in range(n):
        step = 1e-5 * max(abs(x[i]), 1e-3)
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        hess[:, i] = (grad(up) - grad(down)) / (2 * step)
    return (hess + hess.T) / 2


def fit_log_params(
    model: str,
    names: Sequence[str],
    loglik: Callable[[np.ndarray], np.ndarray],
    weights: np.ndarray,
    *,
    gradient: Callable[[np.ndarray], np.ndarray] | None = None,
    initial: Sequence[float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 2000,
) -> FitResult:
    """Maximize a weighted log-likelihood over positive parameters, on their logarithms.

    Parameters
    ----------
    model : str
        Model name, for messages.
    names : sequence of str
        Parameter names, in the order ``loglik`` takes them.
    loglik : callable
        ``loglik(theta) -> array``: the log-likelihood of every row at the
        natural parameters ``theta``.
    weights : numpy.ndarray
        Number of customers behind each row.
    gradient : callable, optional
        ``gradient(theta) -> array (n_rows, n_params)``: per-row derivatives
        in the natural parameters. Without it, central differences are used.
    initial : sequence of float, optional
        Starting natural parameters (default all 1).
    tol : float, default 1e-10
        Gradient tolerance of the optimizer, on the mean log-likelihood.
    max_iter : int, default 2000
        Most optimizer iterations.

    Returns
    -------
    FitResult

    Raises
    ------
    ConvergenceError
        If the optimizer fails, the optimum is not a proper interior maximum
        or the log-likelihood is not finite there.
    """
    start = time.perf_counter()
    weights = np.asarray(weights, dtype=float)
    total = float(weights.sum())
    x0 = np.log(np.asarray(initial if initial is not None else np.ones(len(names)), dtype=float))

    def objective(log_theta: np.ndarray) -> float:
        if np.any(np.abs(log_theta) > LOG_BOUND + 5):
            return np.inf
        value = -float(np.einsum("i,i->", weights, loglik(np.exp(log_theta)))) / total
        return value if np.isfinite(value) else np.inf

    def total_gradient(theta: np.ndarray) -> np.ndarray:
        if gradient is not None:
            return np.einsum("i,ij->j", weights, gradient(theta))
        return numerical_gradient(lambda t: float(np.einsum("i,i->", weights, loglik(t))), theta)

    def objective_gradient(log_theta: np.ndarray) -> np.ndarray:
        if gradient is None:
            # forward differences in the log-parameters: n + 1 likelihood evaluations
            base = objective(log_theta)
            grad = np.empty_like(log_theta)
            for i in range(len(log_theta)):
                shifted = log_theta.copy()
                shifted[i] += 1e-7
                grad[i] = (objective(shifted) - base) / 1e-7
            return np.where(np.isfinite(grad), grad, 0.0)
        theta = np.exp(log_theta)
        grad = -total_gradient(theta) * theta / total
        return np.where(np.isfinite(grad), grad, 0.0)

    with np.errstate(all="ignore"):
        result = optimize.minimize(
            objective,
            x0,
            jac=objective_gradient,
            method="BFGS",
            options={"gtol": tol, "maxiter": max_iter},
        )
        if not result.success:
            # BFGS often stops on "precision loss" at the optimum; polish with Newton-free L-BFGS-B.
            polish = optimize.minimize(
                objective,
                result.x,
                jac=objective_gradient,
                method="L-BFGS-B",
                options={"gtol": tol, "ftol": 1e-15, "maxiter": max_iter},
            )
            if polish.fun <= result.fun:
                result = polish
    theta = np.exp(result.x)
    found = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, theta, strict=True))
    if not np.isfinite(result.fun):
        raise ConvergenceError(model, f"the log-likelihood is not finite at {found}")
    if np.any(np.abs(result.x) > LOG_BOUND):
        raise ConvergenceError(
            model, f"a parameter ran off to 0 or infinity ({found}): the model does not fit"
        )
    grad_norm = float(np.max(np.abs(objective_gradient(result.x))))
    if grad_norm > 1e-4:
        raise ConvergenceError(
            model,
            f"the optimizer stopped ({result.message}) with gradient {grad_norm:.2g} "
            f"(expected < 1e-4) at {found}",
        )
    with np.errstate(all="ignore"):
        hessian = -_hessian(total_gradient, theta)
    try:
        covariance = np.linalg.inv(hessian)
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        raise ConvergenceError(
            model, f"the Hessian at {found} is not positive definite: no proper maximum"
        ) from None
    se = np.sqrt(np.diag(covariance))
    # einsum, not ``@``: a BLAS call spins up threads that cost more than the sum on a busy machine
    return FitResult(
        model=model,
        params=dict(zip(names, theta.tolist(), strict=True)),
        std_errors=dict(zip(names, se.tolist(), strict=True)),
        log_likelihood=-float(result.fun) * total,
        n_customers=int(round(total)),
        n_rows=len(weights),
        iterations=int(result.nit),
        seconds=time.perf_counter() - start,
        covariance=covariance,
    )
