"""Pareto/NBD: the likelihood by hand and by numerical integration, P(alive), recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from marketing_utils.clv import pareto_nbd

from .conftest import simulate_pareto_nbd


def test_log_likelihood_by_hand_when_alpha_equals_beta():
    # r = alpha = s = beta = 1, x = 1, t_x = 1, T = 3; with alpha = beta the 2F1 terms are 1:
    #   first = 1 / ((1+3)^2 (1+3)) = 1/64
    #   A0 = 1/(1+1)^3 - 1/(1+3)^3 = 7/64,  s/(r+s+x) * A0 = 7/192
    #   L = 1/64 + 7/192 = 5/96
    theta = (1.0, 1.0, 1.0, 1.0)
    assert pareto_nbd.log_likelihood(theta, [1], [1], [3])[0] == pytest.approx(math.log(5 / 96))
    # P(alive) = first / L = (1/64) / (5/96) = 0.3
    params = dict(zip(pareto_nbd.PARAMS, theta, strict=True))
    assert pareto_nbd.p_alive(params, [1], [1], [3])[0] == pytest.approx(0.3)


def _integrated_likelihood(r, alpha, s, beta, x, tx, T):
    """The Pareto/NBD likelihood without the hypergeometric function.

    Alive at T, or died at some tau in (t_x, T] after the last purchase; the
    Gamma priors integrate out in closed form for a fixed tau
    (E[lambda^x e^{-lambda tau}] and E[mu e^{-mu tau}]), leaving one integral over tau.
    """
    head = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    alive = beta**s / ((alpha + T) ** (r + x) * (beta + T) ** s)
    died, _ = integrate.quad(
        lambda tau: s * beta**s / ((alpha + tau) ** (r + x) * (beta + tau) ** (s + 1)),
        tx,
        T,
        epsabs=1e-15,
        epsrel=1e-12,
    )
    return head * (alive + died)


@pytest.mark.parametrize(
    "theta", [(0.55, 10.5, 0.6, 11.7), (0.8, 3.0, 0.9, 12.0), (1.2, 9.0, 0.7, 2.0)]
)
def test_log_likelihood_matches_numerical_integration(theta):
    # both branches of the hypergeometric term (alpha >= beta and alpha < beta)
    for x, tx, T in ((0, 0.0, 30.0), (2, 12.0, 30.0), (4, 29.0, 30.0), (20, 25.0, 52.0)):
        expected = _integrated_likelihood(*theta, x, tx, T)
        got = pareto_nbd.log_likelihood(theta, [x], [tx], [T])[0]
        assert got == pytest.approx(math.log(expected), abs=1e-9), (theta, x)


def test_the_two_branches_meet_at_alpha_equal_beta():
    x, tx, T = np.array([0, 2, 5.0]), np.array([0, 10, 28.0]), np.array([30, 30, 30.0])
    at = pareto_nbd.log_likelihood((0.6, 10.0, 0.7, 10.0), x, tx, T)
    above = pareto_nbd.log_likelihood((0.6, 10.0 + 1e-6, 0.7, 10.0), x, tx, T)
    below = pareto_nbd.log_likelihood((0.6, 10.0 - 1e-6, 0.7, 10.0), x, tx, T)
    np.testing.assert_allclose(above, at, atol=1e-6)
    np.testing.assert_allclose(below, at, atol=1e-6)


def test_expected_purchases_limit_at_s_equal_one():
    params = {"r": 0.5, "alpha": 4.0, "s": 1.0, "beta": 8.0}
    near = {**params, "s": 1.0 + 1e-7}
    t = np.array([1.0, 10.0, 50.0])
    np.testing.assert_allclose(
        pareto_nbd.expected_purchases(params, t), pareto_nbd.expected_purchases(near, t), rtol=1e-5
    )
    # r beta / alpha * log(1 + t / beta) at s = 1
    np.testing.assert_allclose(pareto_nbd.expected_purchases(params, t), 1.0 * np.log1p(t / 8))


def test_expected_purchases_against_simulation(rng):
    params = {"r": 0.6, "alpha": 3.0, "s": 1.5, "beta": 10.0}
    sims = simulate_pareto_nbd(*params.values(), np.full(40_000, 20.0), rng)
    assert sims["frequency"].mean() == pytest.approx(
        float(pareto_nbd.expected_purchases(params, 20.0)), rel=0.03
    )


def test_fit_recovers_the_parameters_of_simulated_data(rng):
    truth = {"r": 0.6, "alpha": 5.0, "s": 0.8, "beta": 12.0}
    data = simulate_pareto_nbd(*truth.values(), rng.uniform(30, 50, 8_000).round(0), rng)
    fit = pareto_nbd.fit_pareto_nbd(data)
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < 3.5 * fit.std_errors[name], name


@pytest.mark.parametrize("theta", [(0.8, 3.0, 0.9, 12.0), (1.2, 9.0, 0.7, 2.0)])
def test_p_alive_of_customers_sharing_histories_matches_integration(theta):
    # P(alive) = alive term / likelihood; customers repeat (x, t_x) and (x, T) pairs, which
    # p_alive evaluates once per pair, and come as a 2-D array, whose shape is kept.
    params = dict(zip(pareto_nbd.PARAMS, theta, strict=True))
    x = np.array([[0, 2, 2, 4], [2, 0, 4, 2.0]])
    tx = np.array([[0, 12, 12, 29], [12, 0, 20, 5.0]])
    T = np.array([[30, 30, 52, 30], [30, 52, 30, 30.0]])
    r, alpha, s, beta = theta
    expected = np.empty_like(x)
    for i in np.ndindex(x.shape):
        alive = beta**s / ((alpha + T[i]) ** (r + x[i]) * (beta + T[i]) ** s)
        head = math.exp(math.lgamma(r + x[i]) - math.lgamma(r)) * alpha**r
        expected[i] = head * alive / _integrated_likelihood(*theta, x[i], tx[i], T[i])
    got = pareto_nbd.p_alive(params, x, tx, T)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_p_alive_of_a_missing_history_is_missing_and_leaves_the_others_alone():
    params = {"r": 0.6, "alpha": 11.6, "s": 0.52, "beta": 8.8}
    got = pareto_nbd.p_alive(params, [1, np.nan, 3, 1], [2, 3, 4, 2], [30, 30, 30, 30])
    alone = pareto_nbd.p_alive(params, [1, 3], [2, 4], [30, 30])
    assert np.isnan(got[1])
    np.testing.assert_array_equal(got[[0, 2, 3]], alone[[0, 1, 0]])


def test_the_fit_reports_the_likelihood_of_every_customer_at_its_optimum(rng):
    # The fit evaluates what depends only on x or only on T once per distinct value, over
    # collapsed rows; the total must be the plain per-customer sum at the same parameters.
    data = simulate_pareto_nbd(0.6, 5.0, 0.8, 12.0, rng.uniform(30, 50, 3_000).round(1), rng)
    fit = pareto_nbd.fit_pareto_nbd(data)
    theta = [fit.params[name] for name in pareto_nbd.PARAMS]
    per_customer = pareto_nbd.log_likelihood(theta, data["frequency"], data["recency"], data["T"])
    assert fit.log_likelihood == pytest.approx(per_customer.sum(), rel=1e-12)
