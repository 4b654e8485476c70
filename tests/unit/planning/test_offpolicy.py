"""IPW off-policy values pinned to hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.planning.offpolicy import (
    ipw_incremental_value,
    ipw_value,
    ipw_with_bootstrap,
)

# Six customers of a test with arms a (1/3), b (1/3) and control c (1/3).
OBSERVED = ["a", "a", "b", "b", "c", "c"]
REWARD = [3.0, -1.0, 5.0, 0.0, 2.0, 0.0]
SHARES = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
POLICY = ["a", "b", "b", "c", "c", "a"]


def test_ipw_value_by_hand():
    # Agreement: customer 0 (a, 3), 2 (b, 5), 4 (c, 2); each weighted by 1 / (1/3) = 3.
    # V = (3*3 + 3*5 + 3*2) / 6 = 30 / 6 = 5.
    assert ipw_value(POLICY, OBSERVED, REWARD, SHARES) == pytest.approx(5.0)
    # Nobody (all c): customers 4 and 5 agree: (3*2 + 3*0) / 6 = 1.
    assert ipw_value(["c"] * 6, OBSERVED, REWARD, SHARES) == pytest.approx(1.0)
    # Incremental, in total for the 6 customers: 6 * (5 - 1) = 24.
    assert ipw_incremental_value(POLICY, OBSERVED, REWARD, SHARES, control="c") == pytest.approx(
        24.0
    )


def test_bootstrap_values_and_paired_difference():
    out = ipw_with_bootstrap(
        {"plan": POLICY, "all a": ["a"] * 6}, OBSERVED, REWARD, SHARES, control="c", n_bootstrap=300
    )
    assert out["plan"]["value"] == pytest.approx(24.0)
    # All a: customers 0, 1 agree: (3*3 + 3*(-1)) / 6 = 1; minus nobody's 1: 0 in total.
    assert out["all a"]["value"] == pytest.approx(0.0)
    assert out["plan - all a"]["value"] == pytest.approx(24.0)
    for name in ("plan", "all a", "plan - all a"):
        assert out[name]["ci_low"] <= out[name]["value"] <= out[name]["ci_high"]
    again = ipw_with_bootstrap(
        {"plan": POLICY, "all a": ["a"] * 6}, OBSERVED, REWARD, SHARES, control="c", n_bootstrap=300
    )
    assert again == out  # seeded


def test_ipw_recovers_a_known_effect():
    # A large simulated test: arm a adds 0.2 to a response worth 10 and costs 1; the policy
    # "a for everyone" earns 6000 * (0.2 * 10 - 1) = 6000 in expectation.
    rng = np.random.default_rng(1)
    n = 6000
    arm = rng.choice(["a", "c"], n)
    response = rng.random(n) < np.where(arm == "a", 0.5, 0.3)
    reward = 10 * response - (arm == "a")
    value = ipw_incremental_value(["a"] * n, arm, reward, {"a": 0.5, "c": 0.5}, control="c")
    assert value == pytest.approx(6000, rel=0.25)


def test_bad_arms_and_bootstrap():
    with pytest.raises(DataValidationError, match=r"arms from \['a', 'c'\].*\['b'\]"):
        ipw_value(["a"], ["b"], [1.0], {"a": 0.5, "c": 0.5})
    with pytest.raises(DataValidationError, match=r"n_bootstrap.*>= 2"):
        ipw_with_bootstrap({"p": ["a"]}, ["a"], [1.0], {"a": 1.0}, control="a", n_bootstrap=1)
