"""The next test's planner: hand-worked sample sizes, and equality with statsmodels."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from marketing_utils.readout.power import (
    mde_by_holdout_share,
    minimum_detectable_lift,
    required_customers,
)

Z = 1.959963984540054 + 0.8416212335729143  # z_{0.975} + z_{0.80}


def test_required_customers_by_hand():
    # 10% -> 12%: h = 2 asin(sqrt(0.12)) - 2 asin(sqrt(0.10)) = 0.063982;
    # equal groups: n_T = Z^2 * 2 / h^2 = 3834.6 -> 3835 per group.
    h = 2 * math.asin(math.sqrt(0.12)) - 2 * math.asin(math.sqrt(0.10))
    assert h == pytest.approx(0.0639821, abs=1e-7)
    assert Z**2 * 2 / h**2 == pytest.approx(3834.6, abs=0.1)
    plan = required_customers(0.10, 0.02, 0.5)
    assert (plan["treated"], plan["holdout"], plan["total"]) == (3835, 3835, 7670)
    assert plan["effect_size_h"] == pytest.approx(h)
    # A 20% holdout (k = n_C / n_T = 0.25): n_T = Z^2 (1 + 1/k) / h^2 = 2.5 x 3834.6 = 9586.5.
    plan = required_customers(0.10, 0.02, 0.2)
    assert plan["treated"] == 9587
    assert plan["holdout"] == math.ceil(9586.49 * 0.25)


def test_minimum_detectable_lift_by_hand():
    # 10,000 customers, half held out: h = Z sqrt(1/5000 + 1/5000) = 0.0560317,
    # p_T = sin(asin(sqrt(0.1)) + h/2)^2 = 0.117428 -> lift 0.017428.
    h = Z * math.sqrt(2 / 5000)
    expected = math.sin(math.asin(math.sqrt(0.1)) + h / 2) ** 2 - 0.1
    assert expected == pytest.approx(0.017428, abs=1e-6)
    # statsmodels also counts the (negligible) other tail and solves numerically.
    assert minimum_detectable_lift(10_000, 0.5, 0.10) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    ("n", "share", "base", "alpha", "power"),
    [(2_000, 0.2, 0.05, 0.05, 0.8), (50_000, 0.1, 0.02, 0.05, 0.9), (800, 0.3, 0.35, 0.1, 0.8)],
)
def test_planner_equals_statsmodels(n, share, base, alpha, power):
    mde = minimum_detectable_lift(n, share, base, alpha=alpha, power=power)
    h = proportion_effectsize(base + mde, base)
    achieved = NormalIndPower().power(
        effect_size=h, nobs1=(1 - share) * n, alpha=alpha, ratio=share / (1 - share)
    )
    assert achieved == pytest.approx(power, abs=1e-6)
    # And back: the customers needed to detect that lift are the n we started from.
    plan = required_customers(base, mde, share, alpha=alpha, power=power)
    assert plan["treated"] == pytest.approx((1 - share) * n, abs=1)


def test_mde_by_holdout_share_falls_towards_half():
    table = mde_by_holdout_share(10_000, 0.1, shares=(0.05, 0.1, 0.2, 0.5))
    assert table["mde"].is_monotonic_decreasing
    assert table.loc[3, "mde"] == pytest.approx(minimum_detectable_lift(10_000, 0.5, 0.1))
    assert table["mde_relative"].tolist() == pytest.approx((table["mde"] / 0.1).tolist())
    assert (table["treated"] + table["holdout"]).eq(10_000).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline_rate": 0.0, "lift": 0.01, "holdout_share": 0.2}, "baseline_rate"),
        ({"baseline_rate": 0.1, "lift": 0.01, "holdout_share": 1.0}, "holdout_share"),
        ({"baseline_rate": 0.1, "lift": 0.95, "holdout_share": 0.2}, "lift"),
    ],
)
def test_planner_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        required_customers(**kwargs)
