r"""Logistic regression from first principles: plain batch gradient descent in NumPy.

The model is :math:`p_i = \sigma(b + x_i^\top w)` with
:math:`\sigma(z) = 1 / (1 + e^{-z})`. scikit-learn's ``LogisticRegression(C)``
minimizes :math:`\tfrac12\lVert w\rVert^2 + C\sum_i \ell_i`; dividing by
:math:`Cn` gives the same minimizer for the mean loss

.. math::
    J(w, b) = \frac1n \sum_i \bigl[-y_i \log p_i - (1 - y_i)\log(1 - p_i)\bigr]
              + \frac{1}{2Cn}\lVert w\rVert^2 ,

whose gradient is :math:`\nabla_w J = X^\top (p - y)/n + w/(Cn)` and
:math:`\partial_b J = \overline{p - y}` (the intercept is not penalized).
Gradient descent repeats :math:`w \leftarrow w - \eta\,\nabla_w J`,
:math:`b \leftarrow b - \eta\,\partial_b J` with the step :math:`\eta = 1/L`,
:math:`L = \lambda_{\max}(\tilde X^\top \tilde X)/(4n) + 1/(Cn)` the
Lipschitz constant of the gradient (:math:`\tilde X` is :math:`X` with a
column of ones), which guarantees that every step lowers :math:`J`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

__all__ = [
    "GradientDescentResult",
    "choose_teaching_features",
    "compare_with_sklearn",
    "gradient_descent_logistic",
    "logistic_objective",
    "standardized_matrix",
]


@dataclass(frozen=True)
class GradientDescentResult:
    """Coefficients found by gradient descent and the path to them.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    losses : ndarray
        The objective :math:`J` after each iteration (never increasing).
    n_iter : int
    converged : bool
        Whether the largest gradient component fell below ``tol``.
    """

    coef: np.ndarray
    intercept: float
    losses: np.ndarray
    n_iter: int
    converged: bool


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # The two branches avoid overflow of exp for large |z|.
    out = np.empty_like(z, dtype=float)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def _objective(design: np.ndarray, y: np.ndarray, theta: np.ndarray, penalty: float) -> float:
    z = design @ theta
    # log(1 + e^z) - y z is the log loss written without computing p.
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return float(loss + 0.5 * penalty * np.sum(theta[1:] ** 2))


def logistic_objective(X, y, coef, intercept: float, *, C: float = 1.0) -> float:
    """The penalized mean log loss :math:`J(w, b)` minimized by :func:`gradient_descent_logistic`.

    Examples
    --------
    At w = 0, b = 0 every probability is 1/2, so J = log 2:

    >>> round(logistic_objective([[1.0], [2.0]], [0, 1], [0.0], 0.0), 6)
    0.693147
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    penalty = 0.0 if np.isinf(C) else 1.0 / (C * n)
    design = np.column_stack([np.ones(n), X])
    theta = np.concatenate([[intercept], np.ravel(coef)])
    return _objective(design, np.asarray(y, dtype=float), theta, penalty)


def gradient_descent_logistic(
    X,
    y,
    *,
    C: float = 1.0,
    max_iter: int = 20_000,
    tol: float = 1e-8,
) -> GradientDescentResult:
    r"""Fit an L2-penalized logistic regression by plain batch gradient descent.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Standardized features (gradient descent is slow on unscaled data).
    y : array-like of 0/1
    C : float, default 1.0
        Inverse penalty strength, as in scikit-learn; ``numpy.inf`` for none.
    max_iter : int
    tol : float
        Stop when every gradient component is smaller than this.

    Returns
    -------
    GradientDescentResult

    Examples
    --------
    Two points, one per class, at x = -1 and x = 1. By symmetry b = 0, and
    :math:`\tfrac12 w^2 + 2\log(1 + e^{-w})` is smallest where
    :math:`w (1 + e^{w}) = 2`, at w = 0.67483 (without a penalty, w would
    grow forever).

    >>> result = gradient_descent_logistic([[-1.0], [1.0]], [0, 1], C=1.0)
    >>> round(float(result.coef[0]), 5), abs(result.intercept) < 1e-9
    (0.67483, True)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(
            f"expected X of shape (n_samples, n_features) and y of length n_samples, "
            f"found X {X.shape} and y ({len(y)},)"
        )
    n = len(y)
    penalty = 0.0 if np.isinf(C) else 1.0 / (C * n)
    design = np.column_stack([np.ones(n), X])
    lipschitz = np.linalg.eigvalsh(design.T @ design / n).max() / 4.0 + penalty
    step = 1.0 / lipschitz
    theta = np.zeros(design.shape[1])
    losses = []
    converged = False
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        residual = _sigmoid(design @ theta) - y
        gradient = design.T @ residual / n
        gradient[1:] += penalty * theta[1:]
        theta = theta - step * gradient
        losses.append(_objective(design, y, theta, penalty))
        if np.abs(gradient).max() < tol:
            converged = True
            break
    return GradientDescentResult(
        coef=theta[1:].copy(),
        intercept=float(theta[0]),
        losses=np.asarray(losses),
        n_iter=iteration,
        converged=converged,
    )


def choose_teaching_features(
    X: pd.DataFrame, y, *, max_features: int = 4, max_correlation: float = 0.5
) -> list[str]:
    """A few numeric features for the teaching model, strongest first, not redundant.

    Features are ranked by the absolute correlation of their (median-imputed)
    values with the label; a feature correlated above ``max_correlation`` with
    one already chosen is skipped, so the small model is well conditioned and
    gradient descent converges in a few hundred steps.
    """
    numeric = X.select_dtypes("number")
    filled = numeric.fillna(numeric.median()).loc[:, lambda f: f.std() > 0]
    if filled.empty:
        raise ValueError("expected at least one non-constant numeric feature, found none")
    strength = filled.corrwith(pd.Series(np.asarray(y, dtype=float), index=filled.index)).abs()
    chosen: list[str] = []
    for name in strength.sort_values(ascending=False, kind="stable").index:
        if all(abs(filled[name].corr(filled[other])) <= max_correlation for other in chosen):
            chosen.append(name)
        if len(chosen) == max_features:
            break
    return chosen


def standardized_matrix(X: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Median-impute and standardize the chosen columns (as the model pipelines do)."""
    values = SimpleImputer(strategy="median").fit_transform(X[features])
    return StandardScaler().fit_transform(values)


def compare_with_sklearn(
    X: np.ndarray, y, feature_names: list[str], *, C: float = 1.0, max_iter: int = 20_000
) -> tuple[pd.DataFrame, GradientDescentResult]:
    """Gradient descent against ``sklearn.linear_model.LogisticRegression`` on the same data.

    Returns
    -------
    (DataFrame, GradientDescentResult)
        One row per parameter (``intercept`` first): ``gradient_descent``,
        ``scikit_learn`` and ``abs_difference``.
    """
    result = gradient_descent_logistic(X, y, C=C, max_iter=max_iter)
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, np.asarray(y))
    table = pd.DataFrame(
        {
            "parameter": ["intercept", *feature_names],
            "gradient_descent": [result.intercept, *result.coef],
            "scikit_learn": [float(reference.intercept_[0]), *reference.coef_[0]],
        }
    )
    table["abs_difference"] = (table["gradient_descent"] - table["scikit_learn"]).abs()
    return table, result
