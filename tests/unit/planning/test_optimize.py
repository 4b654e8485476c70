"""The allocation optimizer against hand-solved and brute-forced tiny problems."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.planning.optimize import (
    brute_force,
    is_feasible,
    make_problem,
    plan_value,
    solve,
    solve_exact,
    solve_relaxed,
)

# Four customers, an e-mail (cost 1) and a coupon (cost 3), budget 5 (the notebook's example).
TINY = [[4.0, 6.5], [0.5, 3.0], [2.0, 1.0], [-1.0, 5.0]]


def _tiny(**changes):
    kwargs = {"offers": ["email", "coupon"], "costs": {"email": 1, "coupon": 3}, "budget": 5}
    return make_problem(TINY, **{**kwargs, **changes})


def test_tiny_problem_by_hand():
    # Best plan: e-mail to customers 0 and 2 (4 + 2), coupon to customer 3 (5): 11 for 1 + 1 + 3 = 5.
    # Two coupons (0 and 3) would be 11.5 but cost 6; no e-mail for 3 (-1) or 1 (0.5 < what it displaces).
    problem = _tiny()
    best, assignment = brute_force(problem)
    assert best == pytest.approx(11.0)
    assert assignment.tolist() == [0, -1, 0, 1]
    exact = solve_exact(problem)
    assert exact.objective == pytest.approx(11.0)
    assert exact.assignment.tolist() == [0, -1, 0, 1]
    assert exact.gap <= 1e-6


def test_tiny_problem_lp_bound_and_shadow_price():
    # The LP relaxation's optimum is the same 11 (the budget is used up exactly by the integral plan).
    # Dual: f(l) = 5 l + (4 - l) + (2 - l) + (5 - 3 l) = 11 for 1.25 <= l <= 5/3: any price in between
    # is a shadow price (upgrading customer 0 to the coupon earns 2.5 for 2 more = 1.25 per unit; the
    # coupon of customer 3 earns 5 for 3 = 5/3 per unit).
    relaxed = solve_relaxed(_tiny())
    assert relaxed.bound == pytest.approx(11.0, abs=1e-6)
    assert relaxed.objective == pytest.approx(11.0)
    assert 1.25 - 1e-6 <= relaxed.budget_shadow_price <= 5 / 3 + 1e-6
    # One more unit of budget: 11.5 (both coupons, or three e-mails and a coupon).
    assert brute_force(_tiny(budget=6))[0] == pytest.approx(11.5)


def test_capacity_and_exclusion_by_hand():
    # At most one coupon, customer 3 excluded: coupon to customer 0 (6.5) + e-mail to 2 (2) = 8.5, cost 4;
    # the last unit of budget buys customer 1's e-mail (0.5): 9.0. A tie: e-mails to 0 and 2 and the
    # coupon to 1 (4 + 2 + 3 = 9, cost 5) earn the same.
    problem = _tiny(capacities={"coupon": 1}, eligible=[True, True, True, False])
    assert brute_force(problem)[0] == pytest.approx(9.0)
    plan = solve(problem, method="milp")
    assert plan.objective == pytest.approx(9.0)
    assert plan.assignment.tolist() in ([1, 0, 0, -1], [0, 1, 0, -1])


def test_segment_share_limit_by_hand():
    # Segments a = {0, 1}, b = {2, 3}; at most 50% of the contacts in each segment.
    # Without the limit: 11 with contacts 0 (a), 2 (b), 3 (b): 2/3 in b. With it: equal counts.
    # Best: {0 coupon, 3 coupon}: 11.5 costs 6 > 5; {0 e-mail, 3 coupon} = 9 (cost 4), or
    # {0 e-mail, 1 e-mail, 2 e-mail, 3 ...}: 4 + 0.5 + 2 = 6.5 + nothing for 3 affordable (cost 3 > 2).
    # {0 e-mail, 3 coupon} = 9 is the best balanced plan (brute force agrees).
    problem = _tiny(segment=["a", "a", "b", "b"], max_segment_share=0.5)
    best, assignment = brute_force(problem)
    assert best == pytest.approx(9.0)
    assert solve_exact(problem).objective == pytest.approx(9.0)
    relaxed = solve_relaxed(problem)
    assert is_feasible(problem, relaxed.assignment)
    assert relaxed.bound >= 9.0 - 1e-6


@pytest.mark.parametrize("seed", range(40))
def test_exact_equals_brute_force_and_relaxed_is_feasible(seed):
    rng = np.random.default_rng(seed)
    n, J = int(rng.integers(3, 7)), int(rng.integers(1, 4))
    offers = [f"o{j}" for j in range(J)]
    kwargs = {}
    if seed % 2:
        kwargs = {"segment": rng.choice(["a", "b", "c"], n), "max_segment_share": 0.7}
    if seed % 3 == 0:
        kwargs["capacities"] = {"o0": int(rng.integers(0, 3))}
    costs = {o: float(rng.integers(1, 4)) for o in offers}
    problem = make_problem(
        rng.normal(1.0, 2.0, (n, J)).round(2),
        offers=offers,
        costs=costs,
        budget=float(rng.integers(3, 9)),
        **kwargs,
    )
    best, _ = brute_force(problem)
    exact = solve_exact(problem)
    assert is_feasible(problem, exact.assignment)
    assert exact.objective == pytest.approx(best, abs=1e-6)
    relaxed = solve_relaxed(problem)
    assert is_feasible(problem, relaxed.assignment)
    assert relaxed.bound >= best - 1e-6  # weak duality: a valid upper bound
    assert relaxed.objective <= best + 1e-9
    assert plan_value(problem.profit, relaxed.assignment) == pytest.approx(relaxed.objective)


def test_relaxed_is_near_exact_on_a_larger_problem():
    rng = np.random.default_rng(0)
    problem = make_problem(
        rng.normal(0.0, 1.0, (3000, 3)),
        offers=["a", "b", "c"],
        costs={"a": 1.0, "b": 2.0, "c": 0.5},
        budget=800.0,
        capacities={"a": 300, "b": 150},
    )
    exact, relaxed = solve_exact(problem), solve_relaxed(problem)
    assert is_feasible(problem, relaxed.assignment)
    assert relaxed.bound >= exact.objective - 1e-6
    assert relaxed.gap < 0.01
    assert relaxed.objective <= exact.objective + 1e-6
    assert (exact.objective - relaxed.objective) / exact.objective < 0.01


def test_budget_below_one_contact_names_the_parameter():
    with pytest.raises(
        DataValidationError, match=r"campaign_planning\.budget.*cheapest offer.*0\.5"
    ):
        _tiny(budget=0.5)


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        ({"email": -1, "coupon": 3}, r"costs.*>= 0.*'email': -1"),
        ({"email": 1}, r"costs.*missing for \['coupon'\]"),
        ({"email": 1, "coupon": 3, "sms": 1}, r"costs.*found \['sms'\]"),
        ({"email": 1, "coupon": float("nan")}, r"costs.*'coupon': nan"),
    ],
)
def test_bad_costs_name_the_parameter(costs, message):
    with pytest.raises(DataValidationError, match=message):
        _tiny(costs=costs)


def test_infeasible_segment_limits_name_the_constraint():
    with pytest.raises(
        DataValidationError, match=r"segment_limits.*infeasible.*a <= 0\.3, b <= 0\.4.*0\.7 < 1"
    ):
        _tiny(segment=["a", "a", "b", "b"], max_segment_share=0.3, segment_limits={"b": 0.4})


def test_bad_share_and_unknown_segment():
    with pytest.raises(DataValidationError, match=r"max_segment_share.*\(0, 1\].*1\.5"):
        _tiny(segment=["a", "a", "b", "b"], max_segment_share=1.5)
    with pytest.raises(DataValidationError, match=r"segment_limits.*found \['z'\]"):
        _tiny(segment=["a", "a", "b", "b"], segment_limits={"z": 0.5})
    with pytest.raises(DataValidationError, match=r"segment_limits.*segments"):
        _tiny(max_segment_share=0.5)


def test_inputs_not_mutated():
    profit = np.array(TINY)
    before = profit.copy()
    solve(
        make_problem(profit, offers=["email", "coupon"], costs=1.0, budget=3, eligible=[1, 0, 1, 1])
    )
    np.testing.assert_array_equal(profit, before)
