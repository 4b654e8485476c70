"""Logistic regression by plain gradient descent: hand-solved optimum, scikit-learn match, features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from sklearn.linear_model import LogisticRegression

from marketing_utils.propensity.teach import (
    choose_teaching_features,
    compare_with_sklearn,
    gradient_descent_logistic,
    logistic_objective,
    standardized_matrix,
)


def test_two_point_problem_matches_its_hand_solved_optimum():
    # J = (1/2) w^2 + 2 log(1 + e^-w) (times 1/(Cn)); dJ/dw = 0  <=>  w (1 + e^w) = 2, b = 0.
    w_star = brentq(lambda w: w * (1 + np.exp(w)) - 2, 0.0, 1.0)
    result = gradient_descent_logistic([[-1.0], [1.0]], [0, 1], C=1.0)
    assert result.converged
    assert result.coef[0] == pytest.approx(w_star, abs=1e-7)
    assert result.intercept == pytest.approx(0.0, abs=1e-9)


def _data(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    z = 0.3 + X @ np.array([1.5, -0.8, 0.0])
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


@pytest.mark.parametrize("C", [1.0, 0.01, np.inf])
def test_gradient_descent_matches_scikit_learn_within_1e4(C):
    X, y = _data()
    table, result = compare_with_sklearn(X, y, ["a", "b", "c"], C=C)
    assert result.converged
    assert table["parameter"].tolist() == ["intercept", "a", "b", "c"]
    assert table["abs_difference"].max() < 1e-4
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(result.coef, reference.coef_[0], atol=1e-4)


def test_every_step_lowers_the_objective():
    X, y = _data(500, seed=1)
    result = gradient_descent_logistic(X, y, C=1.0)
    assert np.all(np.diff(result.losses) <= 1e-15)
    assert result.losses[-1] == pytest.approx(
        logistic_objective(X, y, result.coef, result.intercept, C=1.0)
    )
    # The objective starts below log 2 (the value at zero) after one step.
    assert result.losses[0] < np.log(2)


def test_objective_by_hand():
    assert logistic_objective([[1.0], [2.0]], [0, 1], [0.0], 0.0) == pytest.approx(np.log(2))
    # n = 1, C = 1: log(1 + e^-1) + (1/2) * 1^2 for y = 1, x = 1, w = 1.
    assert logistic_objective([[1.0]], [1], [1.0], 0.0, C=1.0) == pytest.approx(
        np.log1p(np.exp(-1.0)) + 0.5
    )


def test_gradient_descent_stops_at_max_iter_and_checks_shapes():
    X, y = _data(200)
    result = gradient_descent_logistic(X, y, max_iter=3)
    assert result.n_iter == 3 and not result.converged and len(result.losses) == 3
    with pytest.raises(ValueError, match=r"found X \(200, 3\) and y \(199,\)"):
        gradient_descent_logistic(X, y[:-1])


def test_teaching_features_skip_redundant_ones():
    rng = np.random.default_rng(2)
    n = 1000
    strong = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "strong": strong,
            "strong_copy": strong + 0.05 * rng.normal(size=n),  # correlation ~0.999
            "other": rng.normal(size=n),
            "constant": np.ones(n),
        }
    )
    y = (strong + 0.5 * frame["other"] + rng.normal(size=n) > 0).astype(int)
    assert choose_teaching_features(frame, y, max_features=3) == ["strong", "other"]
    with pytest.raises(ValueError, match="at least one non-constant numeric feature"):
        choose_teaching_features(frame[["constant"]], y)


def test_standardized_matrix_imputes_then_scales():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [2, 2, 5]})
    matrix = standardized_matrix(frame, ["a"])
    # The median 2 fills the gap: [1, 2, 3], mean 2, population sd sqrt(2/3).
    np.testing.assert_allclose(matrix[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
