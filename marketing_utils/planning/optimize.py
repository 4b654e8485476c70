"""The campaign-planning optimizer: who gets which offer under a budget.

Formulation
-----------
Customers ``i = 1..n``, offers ``j = 1..J``. ``p[i, j]`` is the expected
incremental profit of sending offer ``j`` to customer ``i``
(``uplift[i, j] * value[i] - cost[j]``). Decision variables
``x[i, j]`` in {0, 1}:

.. math::

    \\max_x \\sum_{i,j} p_{ij} x_{ij} \\quad \\text{s.t.}\\quad
    \\sum_j x_{ij} \\le 1 \\;(\\text{each } i), \\qquad
    \\sum_{i,j} c_j x_{ij} \\le B, \\qquad
    \\sum_i x_{ij} \\le K_j \\;(\\text{each } j), \\qquad
    \\sum_{i \\in s, j} x_{ij} \\le \\alpha_s \\sum_{i,j} x_{ij} \\;(\\text{each segment } s).

The last rows are the segment share limits ("no more than 30% of the
contacts to one segment"), written as ``sum_{i,j} (1[i in s] - alpha_s) x_ij <= 0``.
Every constraint apart from "one offer per customer" couples all customers;
there are only ``1 + J + S`` of them. Two solvers:

* :func:`solve_exact`: the mixed-integer program with
  :func:`scipy.optimize.milp` (HiGHS branch and cut), with HiGHS's reported
  optimality gap.
* :func:`solve_relaxed`: the LP relaxation solved through its Lagrangian dual
  (the coupling rows are priced by multipliers ``y >= 0``; for given prices
  each customer simply takes the offer with the best *reduced* profit, so the
  dual function costs one pass over the ``n x J`` matrix, and its minimum over
  ``y`` is found by Kelley's cutting planes, a tiny LP in ``1 + J + S``
  variables), then rounded to a feasible plan (the budget price is bisected
  so the spend fits, violated rows are repaired by dropping their weakest
  contacts, left-over budget is filled greedily). Any ``y >= 0`` gives an
  upper bound on the best plan (weak duality), so the reported gap
  ``(bound - plan) / bound`` is honest whether or not the cutting planes have
  converged. With one budget and a few capacities the rounding loses at most
  ``1 + J + S`` customers' worth of profit: near-exact for large ``n``.

The budget's multiplier is its **shadow price**: the extra expected profit
one more unit of budget would earn (0 when the budget does not bind).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..errors import DataValidationError

__all__ = [
    "Plan",
    "PlanningProblem",
    "brute_force",
    "is_feasible",
    "make_problem",
    "plan_value",
    "solve",
    "solve_exact",
    "solve_relaxed",
]

NO_OFFER = -1
_WHERE = "params campaign_planning"


@dataclass(frozen=True)
class PlanningProblem:
    """A checked allocation problem (see the module docstring for the formulation).

    Attributes
    ----------
    profit : ndarray, shape (n, J)
        Expected incremental profit of each offer for each customer;
        ``-inf`` where the customer may not get the offer (excluded).
    cost : ndarray, shape (J,)
    budget : float
    capacity : ndarray, shape (J,)
        ``inf`` where an offer has no capacity limit.
    segment : ndarray of int, shape (n,)
        Segment code of each customer (all 0 without segments).
    max_share : ndarray, shape (S,)
        Largest share of contacts per segment code (1 = no limit).
    offers, segments : tuple of str
        Names of the offers and of the segment codes.
    """

    profit: np.ndarray
    cost: np.ndarray
    budget: float
    capacity: np.ndarray
    segment: np.ndarray
    max_share: np.ndarray
    offers: tuple[str, ...]
    segments: tuple[str, ...] = ("all",)

    @property
    def shape(self) -> tuple[int, int]:
        return self.profit.shape

    @property
    def has_share_limits(self) -> bool:
        return bool((self.max_share < 1).any())

    def row_names(self) -> list[str]:
        """Names of the coupling constraints, in the order of the multipliers."""
        names = ["budget"] + [f"capacities.{offer}" for offer in self.offers]
        return names + [f"segment_limits.{name}" for name in self._limited_segments()]

    def _limited_segments(self) -> list[str]:
        return [self.segments[s] for s in np.flatnonzero(self.max_share < 1)]

    def coupling(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coupling rows as ``offer_part (K, J)``, ``segment_part (K, S)`` and ``rhs (K,)``.

        The coefficient of ``x[i, j]`` in row ``k`` is
        ``offer_part[k, j] + segment_part[k, segment[i]]``.
        """
        J, S = len(self.offers), len(self.segments)
        limited = np.flatnonzero(self.max_share < 1)
        K = 1 + J + len(limited)
        offer_part = np.zeros((K, J))
        segment_part = np.zeros((K, S))
        offer_part[0] = self.cost
        offer_part[1 : 1 + J] = np.eye(J)
        for row, s in enumerate(limited, start=1 + J):
            segment_part[row] = -self.max_share[s]
            segment_part[row, s] += 1.0
        capacity = np.where(np.isfinite(self.capacity), self.capacity, self.shape[0])
        rhs = np.concatenate([[self.budget], capacity, np.zeros(len(limited))])
        return offer_part, segment_part, rhs


def _named_values(values, offers, parameter: str, *, default: float | None) -> np.ndarray:
    if values is None or np.isscalar(values):
        if values is None and default is None:
            raise DataValidationError(
                f"{_WHERE}.{parameter}",
                f"expected a value for each offer {list(offers)}, found none",
            )
        value = default if values is None else values
        return np.full(len(offers), float(value))
    if not isinstance(values, dict):
        raise DataValidationError(
            f"{_WHERE}.{parameter}",
            f"expected a number or a mapping offer -> number, found {type(values).__name__}",
        )
    unknown = sorted(set(values) - set(offers))
    if unknown:
        raise DataValidationError(
            f"{_WHERE}.{parameter}", f"expected offers from {list(offers)}, found {unknown}"
        )
    missing = [offer for offer in offers if offer not in values or values[offer] is None]
    if missing and default is None:
        raise DataValidationError(
            f"{_WHERE}.{parameter}", f"expected a value for every offer, missing for {missing}"
        )
    out = np.array(
        [float(values.get(o, default) if values.get(o) is not None else default) for o in offers]
    )
    return out


def make_problem(
    profit,
    *,
    offers,
    costs,
    budget: float,
    capacities=None,
    segment=None,
    max_segment_share=None,
    segment_limits: dict | None = None,
    eligible=None,
) -> PlanningProblem:
    """Check the planning inputs and build a :class:`PlanningProblem`.

    Parameters
    ----------
    profit : array-like, shape (n, J)
        Expected incremental profit per customer and offer (finite).
    offers : sequence of str
        Offer names, one per column of ``profit``.
    costs : dict or number
        Cost of one contact per offer (>= 0, every offer).
    budget : float
        Total spend allowed; at least the cheapest offer's cost.
    capacities : dict, optional
        Largest number of contacts per offer (offers not named: no limit).
    segment : array-like of str, shape (n,), optional
        Each customer's segment (needed for share limits).
    max_segment_share : float, optional
        Largest share of the contacts that any one segment may receive.
    segment_limits : dict, optional
        Largest share per named segment (overrides ``max_segment_share``).
    eligible : array-like of bool, shape (n,), optional
        False for excluded customers (they get no offer).

    Raises
    ------
    DataValidationError
        Naming the parameter and the value found: a budget below one contact,
        a negative, missing or non-finite cost, a capacity below 0, share
        limits outside (0, 1], limits that sum to less than 1 (no plan with a
        contact can meet them: the constraint is named).
    """
    offers = tuple(str(o) for o in offers)
    profit = np.array(profit, dtype=float)
    if profit.ndim != 2 or profit.shape[1] != len(offers):
        raise DataValidationError(
            "profit",
            f"expected a matrix with one column per offer {list(offers)}, found shape {profit.shape}",
        )
    if not np.isfinite(profit).all():
        raise DataValidationError(
            "profit",
            f"expected finite expected profits, found {int((~np.isfinite(profit)).sum())} others",
        )
    cost = _named_values(costs, offers, "costs", default=None)
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        found = {o: c for o, c, b in zip(offers, cost.tolist(), bad, strict=True) if b}
        raise DataValidationError(
            f"{_WHERE}.costs", f"expected a finite cost >= 0 for every offer, found {found}"
        )
    if budget is None or not np.isfinite(budget) or budget < cost.min() or budget <= 0:
        raise DataValidationError(
            f"{_WHERE}.budget",
            f"expected at least one contact's cost ({cost.min():g}, the cheapest offer), found {budget!r}",
        )
    capacity = _named_values(capacities or {}, offers, "capacities", default=math.inf)
    if (capacity < 0).any() or np.isnan(capacity).any():
        raise DataValidationError(
            f"{_WHERE}.capacities",
            f"expected capacities >= 0, found {dict(zip(offers, capacity.tolist(), strict=True))}",
        )
    n = len(profit)
    if eligible is not None:
        eligible = np.asarray(eligible, dtype=bool)
        profit = np.where(eligible[:, None], profit, -np.inf)
    limits = dict(segment_limits or {})
    if segment is None:
        if limits or max_segment_share is not None:
            raise DataValidationError(
                f"{_WHERE}.segment_limits",
                "expected segments (02's 'segments' artifact) for share limits, found none",
            )
        codes, names, share = np.zeros(n, dtype=np.int64), ("all",), np.ones(1)
    else:
        labels = pd.Series(np.asarray(segment, dtype=object)).fillna("(no segment)").astype(str)
        codes_index = pd.Index(sorted(labels.unique()))
        codes = codes_index.get_indexer(labels).astype(np.int64)
        names = tuple(codes_index)
        unknown = sorted(set(limits) - set(names))
        if unknown:
            raise DataValidationError(
                f"{_WHERE}.segment_limits", f"expected segments from {list(names)}, found {unknown}"
            )
        default = 1.0 if max_segment_share is None else float(max_segment_share)
        share = np.array([float(limits.get(name, default)) for name in names])
        for name, value in [("max_segment_share", default), *limits.items()]:
            if not 0 < float(value) <= 1:
                raise DataValidationError(
                    f"{_WHERE}.{'segment_limits.' + name if name in limits else name}",
                    f"expected a share in (0, 1], found {value!r}",
                )
        # Every contact belongs to a segment, so the shares of all segments add up to 1:
        # limits summing to less than 1 leave only the empty plan.
        present = np.bincount(codes[np.isfinite(profit).any(axis=1)], minlength=len(names)) > 0
        if share[present].sum() < 1 - 1e-12:
            detail = ", ".join(f"{names[s]} <= {share[s]:g}" for s in np.flatnonzero(present))
            raise DataValidationError(
                f"{_WHERE}.segment_limits",
                f"infeasible: the segment share limits ({detail}) add up to "
                f"{share[present].sum():g} < 1, so no plan with a contact can meet all of them",
            )
    return PlanningProblem(
        profit=profit,
        cost=cost,
        budget=float(budget),
        capacity=capacity,
        segment=codes,
        max_share=share,
        offers=offers,
        segments=names,
    )


@dataclass(frozen=True)
class Plan:
    """A solved plan.

    Attributes
    ----------
    assignment : ndarray of int, shape (n,)
        Offer index per customer, ``-1`` for no contact.
    objective : float
        Expected incremental profit of the plan.
    bound : float
        Upper bound on the best plan's profit (LP / dual bound).
    gap : float
        ``(bound - objective) / |bound|`` (0 when both are 0).
    method : str
        ``"milp"`` or ``"lp_relaxation_rounding"``.
    shadow_prices : dict
        Multiplier of each coupling constraint (``budget`` first).
    seconds : float
    status : str
    """

    assignment: np.ndarray
    objective: float
    bound: float
    gap: float
    method: str
    shadow_prices: dict = field(default_factory=dict)
    seconds: float = 0.0
    status: str = ""

    @property
    def budget_shadow_price(self) -> float:
        return float(self.shadow_prices.get("budget", float("nan")))


def plan_value(profit: np.ndarray, assignment: np.ndarray) -> float:
    """Total of ``profit[i, assignment[i]]`` over the contacted customers."""
    chosen = np.flatnonzero(assignment >= 0)
    return float(np.asarray(profit)[chosen, assignment[chosen]].sum())


def _usage(problem: PlanningProblem, assignment: np.ndarray) -> np.ndarray:
    offer_part, segment_part, _ = problem.coupling()
    chosen = assignment >= 0
    per_offer = np.bincount(assignment[chosen], minlength=len(problem.offers))
    per_segment = np.bincount(problem.segment[chosen], minlength=len(problem.segments))
    return offer_part @ per_offer + segment_part @ per_segment


def is_feasible(problem: PlanningProblem, assignment: np.ndarray, tol: float = 1e-7) -> bool:
    """Whether a plan meets every coupling constraint and every exclusion."""
    _, _, rhs = problem.coupling()
    chosen = np.flatnonzero(assignment >= 0)
    allowed = np.isfinite(problem.profit[chosen, assignment[chosen]]).all()
    return bool(
        allowed and (_usage(problem, assignment) <= rhs + tol * np.maximum(1, np.abs(rhs))).all()
    )


def _gap(bound: float, objective: float) -> float:
    if bound == objective:
        return 0.0
    return float(max(0.0, bound - objective) / max(abs(bound), 1e-12))


# ---------------------------------------------------------------- exact (MILP)
def solve_exact(
    problem: PlanningProblem, *, time_limit: float = 60.0, mip_rel_gap: float = 1e-6
) -> Plan:
    """Solve the mixed-integer program with :func:`scipy.optimize.milp` (HiGHS).

    Without share limits, pairs with a profit <= 0 are left out (they never
    help when every other constraint only limits contacts); with share
    limits every allowed pair is a variable, since a cheap unprofitable
    contact in one segment can make room for profitable ones in another.
    """
    started = time.perf_counter()
    n, J = problem.shape
    allowed = np.isfinite(problem.profit)
    if not problem.has_share_limits:
        allowed &= problem.profit > 0
    rows, cols = np.nonzero(allowed)
    m = len(rows)
    if m == 0:
        return Plan(
            np.full(n, NO_OFFER), 0.0, 0.0, 0.0, "milp", {}, time.perf_counter() - started, "empty"
        )
    offer_part, segment_part, rhs = problem.coupling()
    coefficients = offer_part[:, cols] + segment_part[:, problem.segment[rows]]
    customers, customer_row = np.unique(rows, return_inverse=True)
    one_offer = sparse.csr_array(
        (np.ones(m), (customer_row, np.arange(m))), shape=(len(customers), m)
    )
    coupling = sparse.csr_array(coefficients)
    constraints = [
        LinearConstraint(one_offer, -np.inf, 1.0),
        LinearConstraint(coupling, -np.inf, rhs),
    ]
    values = problem.profit[rows, cols]
    result = milp(
        -values,
        constraints=constraints,
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap)},
    )
    seconds = time.perf_counter() - started
    if result.x is None:
        raise TimeoutError(f"milp found no plan within {time_limit} s (status: {result.message})")
    x = result.x > 0.5
    assignment = np.full(n, NO_OFFER)
    assignment[rows[x]] = cols[x]
    objective = plan_value(problem.profit, assignment)
    gap = float(result.mip_gap) if getattr(result, "mip_gap", None) is not None else 0.0
    bound = objective + gap * max(abs(objective), 1e-12) if gap > 0 else objective
    return Plan(assignment, objective, bound, gap, "milp", {}, seconds, str(result.message))


# ------------------------------------------------- LP relaxation (Lagrangian dual)
def _reduced(problem, y, offer_part, segment_part):
    """Reduced profit of each pair at prices ``y``: ``p_ij - y . a_ij``."""
    return problem.profit - (y @ offer_part)[None, :] - (y @ segment_part)[problem.segment][:, None]


def _best_choice(reduced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = reduced.argmax(axis=1)
    value = np.take_along_axis(reduced, best[:, None], axis=1)[:, 0]
    return np.where(value > 0, best, NO_OFFER), value


def _dual(problem, y, offer_part, segment_part, rhs):
    reduced = _reduced(problem, y, offer_part, segment_part)
    choice, value = _best_choice(reduced)
    f = float(y @ rhs + np.maximum(value, 0).sum())
    return f, choice, value


def _dual_box(problem, offer_part, segment_part) -> np.ndarray:
    finite = problem.profit[np.isfinite(problem.profit)]
    top = float(max(finite.max(initial=0.0), 0.0)) + 1.0
    K = offer_part.shape[0]
    upper = np.full(K, top)
    cheapest = problem.cost[problem.cost > 0]
    upper[0] = top / cheapest.min() if len(cheapest) else top
    J = len(problem.offers)
    if K > 1 + J:
        # A segment price only needs to offset the profits of that segment's contacts.
        alpha = -segment_part[1 + J :].max(axis=1, initial=-1.0)
        upper[1 + J :] = top / np.maximum(np.minimum(alpha, 1 - alpha), 1e-3) * 2
    return upper


def _kelley(problem, offer_part, segment_part, rhs, *, tol, max_iter):
    """Minimize the (convex, piecewise linear) dual function over a box by cutting planes."""
    K = len(rhs)
    upper = _dual_box(problem, offer_part, segment_part)
    y = np.zeros(K)
    cuts_a, cuts_b = [], []
    best_f, best_y = math.inf, y
    lower = -math.inf
    for _ in range(max_iter):
        f, choice, _ = _dual(problem, y, offer_part, segment_part, rhs)
        chosen = choice >= 0
        usage = offer_part @ np.bincount(choice[chosen], minlength=offer_part.shape[1])
        usage += segment_part @ np.bincount(
            problem.segment[chosen], minlength=segment_part.shape[1]
        )
        g = rhs - usage
        if f < best_f:
            best_f, best_y = f, y.copy()
        # cut: t >= f + g . (z - y)  <=>  g . z - t <= g . y - f
        cuts_a.append(np.append(g, -1.0))
        cuts_b.append(float(g @ y - f))
        if best_f - lower <= tol * max(abs(best_f), 1.0):
            break
        lp = linprog(
            np.append(np.zeros(K), 1.0),
            A_ub=np.array(cuts_a),
            b_ub=np.array(cuts_b),
            bounds=[(0.0, u) for u in upper] + [(None, None)],
            method="highs",
        )
        if lp.status != 0:
            break
        lower = max(lower, float(lp.fun))
        y = lp.x[:K]
    return best_y, best_f


def _fit_budget(problem, y, offer_part, segment_part, rhs):
    """Raise the budget price until the spend of the reduced-profit choice fits the budget."""

    def spend(price):
        z = y.copy()
        z[0] = price
        choice, _ = _best_choice(_reduced(problem, z, offer_part, segment_part))
        chosen = choice >= 0
        return float(problem.cost[choice[chosen]].sum()), choice

    total, choice = spend(y[0])
    if total <= rhs[0]:
        return y, choice
    low, high = y[0], max(y[0], 1e-9)
    while spend(high)[0] > rhs[0]:
        high = high * 2 + 1e-6
    for _ in range(60):
        middle = (low + high) / 2
        if spend(middle)[0] > rhs[0]:
            low = middle
        else:
            high = middle
    z = y.copy()
    z[0] = high
    return z, spend(high)[1]


def _repair(problem, choice, reduced_value, offer_part, segment_part, rhs):
    """Drop the weakest contacts of each violated row until every row holds."""
    choice = choice.copy()
    for _ in range(100):
        usage = _usage(problem, choice)
        violation = usage - rhs
        k = int(np.argmax(violation))
        if violation[k] <= 1e-9:
            return choice
        chosen = np.flatnonzero(choice >= 0)
        coefficient = offer_part[k, choice[chosen]] + segment_part[k, problem.segment[chosen]]
        helps = chosen[coefficient > 0]
        gain = coefficient[coefficient > 0]
        order = np.argsort(reduced_value[helps], kind="stable")
        needed = int(np.searchsorted(np.cumsum(gain[order]), violation[k] - 1e-9) + 1)
        choice[helps[order[:needed]]] = NO_OFFER
    raise RuntimeError("rounding could not repair the plan in 100 rounds")


def _fill(problem, choice, offer_part, segment_part, rhs, max_candidates: int = 20_000):
    """Add the most profitable remaining contacts one by one while every row holds."""
    choice = choice.copy()
    usage = _usage(problem, choice)
    free = np.flatnonzero(choice < 0)
    if len(free) == 0:
        return choice
    profit = problem.profit[free]
    best = profit.argmax(axis=1)
    value = profit[np.arange(len(free)), best]
    keep = value > 0
    free, best, value = free[keep], best[keep], value[keep]
    order = np.argsort(-value, kind="stable")[:max_candidates]
    slack_tol = 1e-9 * np.maximum(1.0, np.abs(rhs))
    for position in order:
        i, j = free[position], best[position]
        a = offer_part[:, j] + segment_part[:, problem.segment[i]]
        if (usage + a <= rhs + slack_tol).all():
            usage += a
            choice[i] = j
    return choice


def solve_relaxed(problem: PlanningProblem, *, tol: float = 1e-7, max_iter: int = 300) -> Plan:
    """LP relaxation through its Lagrangian dual, rounded to a feasible plan (module docstring)."""
    started = time.perf_counter()
    offer_part, segment_part, rhs = problem.coupling()
    y, bound = _kelley(problem, offer_part, segment_part, rhs, tol=tol, max_iter=max_iter)
    y_fit, choice = _fit_budget(problem, y, offer_part, segment_part, rhs)
    reduced = _reduced(problem, y_fit, offer_part, segment_part)
    _, reduced_value = _best_choice(reduced)
    choice = _repair(problem, choice, reduced_value, offer_part, segment_part, rhs)
    choice = _fill(problem, choice, offer_part, segment_part, rhs)
    objective = plan_value(problem.profit, choice)
    prices = dict(zip(problem.row_names(), y.tolist(), strict=True))
    return Plan(
        choice,
        objective,
        float(bound),
        _gap(bound, objective),
        "lp_relaxation_rounding",
        prices,
        time.perf_counter() - started,
        "ok",
    )


def solve(
    problem: PlanningProblem,
    *,
    method: str = "auto",
    max_exact_pairs: int = 200_000,
    time_limit: float = 60.0,
) -> Plan:
    """Solve exactly when small enough, else by LP relaxation and rounding.

    Parameters
    ----------
    method : {"auto", "milp", "lp"}
        ``"auto"``: the MILP when the number of candidate pairs is at most
        ``max_exact_pairs`` (and it finishes within ``time_limit``), else the
        LP relaxation with rounding. The LP's dual prices (shadow prices) are
        computed in every case.
    """
    if method not in ("auto", "milp", "lp"):
        raise DataValidationError(
            f"{_WHERE}.method", f"expected auto, milp or lp, found {method!r}"
        )
    relaxed = solve_relaxed(problem)
    pairs = int(np.isfinite(problem.profit).sum())
    if method == "lp" or (method == "auto" and pairs > max_exact_pairs):
        return relaxed
    try:
        exact = solve_exact(problem, time_limit=time_limit)
    except TimeoutError:
        if method == "milp":
            raise
        return relaxed
    bound = min(exact.bound, relaxed.bound)
    return Plan(
        exact.assignment,
        exact.objective,
        bound,
        _gap(bound, exact.objective) if exact.gap > 0 else 0.0,
        "milp",
        relaxed.shadow_prices,
        exact.seconds + relaxed.seconds,
        exact.status,
    )


def brute_force(problem: PlanningProblem) -> tuple[float, np.ndarray]:
    """The best plan by enumerating every assignment (tiny problems only, for tests).

    Returns the best profit and one best assignment.
    """
    n, J = problem.shape
    if (J + 1) ** n > 2_000_000:
        raise ValueError(f"brute_force: {(J + 1) ** n} assignments is too many")
    import itertools

    best, best_assignment = 0.0, np.full(n, NO_OFFER)
    for combo in itertools.product(range(-1, J), repeat=n):
        assignment = np.array(combo)
        if not is_feasible(problem, assignment):
            continue
        value = plan_value(problem.profit, assignment)
        if value > best + 1e-12:
            best, best_assignment = value, assignment
    return best, best_assignment
