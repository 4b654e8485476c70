"""BG/NBD: the likelihood against hand-worked values, P(alive), expectations, recovery, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv import bgnbd
from marketing_utils.clv.mle import ConvergenceError, numerical_gradient
from marketing_utils.errors import DataValidationError

from .conftest import simulate_bgnbd

# r = 1, alpha = 1, a = 2, b = 2 make every Gamma and Beta function a simple fraction:
# B(2,2) = 1/6, B(2,3) = B(3,2) = 1/12, Gamma(2) = Gamma(1) = 1.
SIMPLE = {"r": 1.0, "alpha": 1.0, "a": 2.0, "b": 2.0}
THETA = tuple(SIMPLE.values())


def test_log_likelihood_of_one_customer_by_hand():
    # x = 1, t_x = 1, T = 3:
    #   alive term   B(2,3)/B(2,2) * 1 / (1+3)^2 = 1/2 * 1/16 = 1/32
    #   dropout term B(3,2)/B(2,2) * 1 / (1+1)^2 = 1/2 * 1/4  = 1/8
    #   L = 1/32 + 1/8 = 5/32
    assert bgnbd.log_likelihood(THETA, [1], [1], [3])[0] == pytest.approx(
        math.log(5 / 32), rel=1e-12
    )
    # x = 0, T = 3: only the alive term, B(2,2)/B(2,2) * 1/(1+3) = 1/4
    assert bgnbd.log_likelihood(THETA, [0], [0], [3])[0] == pytest.approx(
        math.log(1 / 4), rel=1e-12
    )


def test_log_likelihood_matches_the_beta_gamma_closed_form_at_other_parameters():
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    x, tx, T = 3.0, 20.5, 38.9
    beta = lambda u, v: math.gamma(u) * math.gamma(v) / math.gamma(u + v)  # noqa: E731
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    expected = beta(a, b + x) / beta(a, b) * common / (alpha + T) ** (r + x)
    expected += beta(a + 1, b + x - 1) / beta(a, b) * common / (alpha + tx) ** (r + x)
    got = bgnbd.log_likelihood((r, alpha, a, b), [x], [tx], [T])[0]
    assert got == pytest.approx(math.log(expected), rel=1e-10)


def test_p_alive_by_hand():
    # 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 2/2 * (4/2)^2) = 1/5:
    # the alive term's share of the likelihood above, (1/32) / (5/32).
    got = bgnbd.p_alive(SIMPLE, [1, 0, 2], [1, 0, 3], [3, 3, 3])
    # x = 0: nobody drops out before a repeat purchase; x = 2, t_x = T: 1/(1 + 2/3) = 0.6
    np.testing.assert_allclose(got, [0.2, 1.0, 0.6], rtol=1e-12)


def test_expected_purchases_by_hand():
    # E[X(1)] = 3 [1 - 1/2 * 2F1(1, 2; 3; 1/2)], 2F1(1,2;3;z) = -2 (z + ln(1-z)) / z^2
    #         = 3 [1 - 4 (ln 2 - 1/2)] = 9 - 12 ln 2
    assert bgnbd.expected_purchases(SIMPLE, 1.0) == pytest.approx(9 - 12 * math.log(2), rel=1e-12)


def test_conditional_expectation_of_a_new_customer_is_the_unconditional_one():
    # x = 0, t_x = 0, T = 0: nothing observed yet
    t = np.array([1.0, 5.0, 20.0])
    params = {"r": 0.3, "alpha": 4.0, "a": 0.8, "b": 2.5}
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(params, t, 0, 0, 0),
        bgnbd.expected_purchases(params, t),
        rtol=1e-10,
    )


def test_conditional_expectation_against_simulation(rng):
    # customers with the same history: simulate their future from the posterior by drawing
    # (lambda, p) from the prior and keeping the draws that reproduce the history is costly;
    # instead check the mean of simulated future purchases of new customers over 10 periods.
    params = {"r": 0.5, "alpha": 2.0, "a": 1.5, "b": 3.0}
    sims = simulate_bgnbd(*params.values(), np.full(40_000, 10.0), rng)
    expected = float(bgnbd.expected_purchases(params, 10.0))
    # the simulator counts purchases after time 0 (the first purchase is at 0)
    assert sims["frequency"].mean() == pytest.approx(expected, rel=0.03)


def test_analytic_gradient_matches_central_differences():
    theta = np.array([0.3, 4.0, 0.8, 2.5])
    x, tx, T = np.array([0, 1, 5, 12.0]), np.array([0, 3.5, 20, 30.0]), np.array([30, 31, 32, 33.0])
    analytic = bgnbd.log_likelihood_gradient(theta, x, tx, T).sum(axis=0)
    numeric = numerical_gradient(lambda th: bgnbd.log_likelihood(th, x, tx, T).sum(), theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_fit_recovers_the_parameters_of_simulated_data(rng):
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 3.0}
    data = simulate_bgnbd(*truth.values(), rng.uniform(20, 40, 20_000).round(1), rng)
    fit = bgnbd.fit_bgnbd(data)
    for name, value in truth.items():
        # within 3.5 standard errors, and the standard errors are honest (not huge)
        assert abs(fit.params[name] - value) < 3.5 * fit.std_errors[name], name
        assert fit.std_errors[name] < 0.3 * value, name
    assert fit.n_customers == 20_000 and fit.n_rows < 20_000  # collapsed rows


def test_collapsed_fit_equals_the_fit_on_every_row():
    # Simulated customers with whole-week recencies, three times over: many share a history.
    # (A hand-made table of seven histories had its maximum at a, b -> infinity, where
    # the optimizer's stopping point, and so the test, depended on the CPU's rounding.)
    rng = np.random.default_rng(3)
    data = simulate_bgnbd(0.5, 4.0, 0.8, 2.5, rng.choice([20.0, 30.0, 40.0], 400), rng)
    big = pd.concat([data.assign(recency=np.floor(data["recency"]))] * 3, ignore_index=True)
    fit = bgnbd.fit_bgnbd(big)
    assert fit.n_rows == 181 and fit.n_customers == 1200
    theta = [fit.params[n] for n in bgnbd.PARAMS]
    total = bgnbd.log_likelihood(theta, big.frequency, big.recency, big["T"]).sum()
    assert fit.log_likelihood == pytest.approx(total, rel=1e-10)


def test_fit_that_does_not_converge_says_so():
    # nobody ever came back: the purchase rate runs to 0 and no finite maximum exists
    data = pd.DataFrame({"frequency": [0.0] * 50, "recency": [0.0] * 50, "T": [10.0] * 50})
    with pytest.raises(
        ConvergenceError, match="BG/NBD: the maximum-likelihood fit did not converge"
    ):
        bgnbd.fit_bgnbd(data)


@pytest.mark.parametrize(
    ("frame", "column", "message"),
    [
        (
            pd.DataFrame({"frequency": [1.0], "recency": [5.0], "T": [3.0]}),
            "recency",
            "recency <= T",
        ),
        (
            pd.DataFrame({"frequency": [-1.0], "recency": [0.0], "T": [3.0]}),
            "frequency",
            "whole numbers",
        ),
        (
            pd.DataFrame({"frequency": [1.5], "recency": [1.0], "T": [3.0]}),
            "frequency",
            "whole numbers",
        ),
        (
            pd.DataFrame({"frequency": [0.0], "recency": [1.0], "T": [3.0]}),
            "recency",
            "frequency 0",
        ),
        (pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [np.nan]}), "T", "finite"),
        (pd.DataFrame({"frequency": [1.0], "T": [3.0]}), None, "expected a column 'recency'"),
    ],
)
def test_bad_rfm_input_is_named(frame, column, message):
    with pytest.raises(DataValidationError, match=message) as info:
        bgnbd.fit_bgnbd(frame)
    assert info.value.column == column


def test_empty_summary_is_an_error():
    with pytest.raises(DataValidationError, match="empty"):
        bgnbd.fit_bgnbd(pd.DataFrame({"frequency": [], "recency": [], "T": []}))


def test_fit_does_not_change_its_input(rng):
    data = simulate_bgnbd(0.5, 5.0, 0.8, 3.0, np.full(500, 30.0), rng)
    before = data.copy()
    bgnbd.fit_bgnbd(data)
    pd.testing.assert_frame_equal(data, before)
