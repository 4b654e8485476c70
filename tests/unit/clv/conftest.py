"""Simulators of the stage-08 models, to check that the fits recover known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def simulate_bgnbd(r, alpha, a, b, T, rng) -> pd.DataFrame:
    """(frequency, recency, T) of customers drawn from BG/NBD, observed for ``T`` each."""
    n = len(T)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def simulate_pareto_nbd(r, alpha, s, beta, T, rng) -> pd.DataFrame:
    """(frequency, recency, T) of customers drawn from Pareto/NBD."""
    n = len(T)
    lam = rng.gamma(r, 1 / alpha, n)
    life = rng.exponential(1 / rng.gamma(s, 1 / beta, n))
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        end = min(life[i], T[i])
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > end:
                break
            x[i] += 1
            tx[i] = t
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def simulate_gamma_gamma(p, q, v, x, rng) -> pd.DataFrame:
    """Mean spend of ``x`` Gamma(p, nu) purchases, nu ~ Gamma(q, v), per customer."""
    nu = rng.gamma(q, 1 / v, len(x))
    means = np.array([rng.gamma(p, 1 / nu[i], int(k)).mean() for i, k in enumerate(x)])
    return pd.DataFrame({"frequency": x.astype(float), "monetary_value": means})


@pytest.fixture
def rng():
    return np.random.default_rng(20260412)
