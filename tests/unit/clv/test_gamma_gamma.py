"""Gamma-Gamma: the density by hand, the expected spend, recovery and bad spend."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv import gamma_gamma
from marketing_utils.clv.mle import numerical_gradient
from marketing_utils.errors import DataValidationError

from .conftest import simulate_gamma_gamma


def test_density_by_hand():
    # p = 1, q = 2, v = 1, x = 1, m = 1:
    # Gamma(3)/(Gamma(1) Gamma(2)) * 1^2 * 1^0 * 1^1 / (1 + 1)^3 = 2/8
    assert gamma_gamma.log_likelihood((1.0, 2.0, 1.0), [1], [1.0])[0] == pytest.approx(
        math.log(0.25)
    )


def test_density_integrates_to_one():
    from scipy import integrate

    theta, x = (3.0, 4.0, 20.0), 3
    total, _ = integrate.quad(
        lambda m: math.exp(gamma_gamma.log_likelihood(theta, [x], [m])[0]), 0, np.inf
    )
    assert total == pytest.approx(1.0, abs=1e-8)


def test_expected_spend_is_the_weighted_mean():
    params = {"p": 6.0, "q": 4.0, "v": 15.0}
    # population mean p v / (q-1) = 30; x = 2, m = 60: weight px/(px+q-1) = 12/15 = 0.8
    # 0.2 * 30 + 0.8 * 60 = 54
    got = gamma_gamma.conditional_expected_spend(params, [2, 0], [60.0, 99.0])
    np.testing.assert_allclose(got, [54.0, 30.0])


def test_gradient_matches_central_differences():
    theta = np.array([6.0, 4.0, 15.0])
    x, m = np.array([1, 3, 10.0]), np.array([20.0, 35.0, 12.0])
    np.testing.assert_allclose(
        gamma_gamma.log_likelihood_gradient(theta, x, m).sum(0),
        numerical_gradient(lambda th: gamma_gamma.log_likelihood(th, x, m).sum(), theta),
        rtol=1e-6,
    )


def test_fit_recovers_the_parameters_of_simulated_data(rng):
    truth = {"p": 6.0, "q": 4.0, "v": 15.0}
    data = simulate_gamma_gamma(*truth.values(), rng.integers(1, 8, 8000), rng)
    fit = gamma_gamma.fit_gamma_gamma(data)
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < 3.5 * fit.std_errors[name], name


def test_customers_without_repeat_purchases_are_left_out(rng):
    data = simulate_gamma_gamma(6.0, 4.0, 15.0, rng.integers(1, 8, 500), rng)
    with_zeros = pd.concat(
        [data, pd.DataFrame({"frequency": [0.0] * 100, "monetary_value": [0.0] * 100})]
    )
    assert gamma_gamma.fit_gamma_gamma(with_zeros).params == pytest.approx(
        gamma_gamma.fit_gamma_gamma(data).params
    )


def test_no_repeat_customers_is_an_error():
    data = pd.DataFrame({"frequency": [0.0, 0.0], "monetary_value": [0.0, 0.0]})
    with pytest.raises(DataValidationError, match="needs repeat customers") as info:
        gamma_gamma.fit_gamma_gamma(data)
    assert info.value.column == "frequency"


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_zero_or_negative_spend_is_an_error(bad):
    data = pd.DataFrame({"frequency": [1.0, 2.0, 3.0], "monetary_value": [10.0, bad, 12.0]})
    with pytest.raises(DataValidationError, match="positive mean spend") as info:
        gamma_gamma.fit_gamma_gamma(data)
    assert info.value.column == "monetary_value" and info.value.examples == [bad]
