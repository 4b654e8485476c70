"""The simple targeting policies a plan is compared with.

Each returns an assignment (offer index per customer, ``-1`` for no contact)
from the same inputs as the optimizer, so that their values are computed by
the same :func:`~marketing_utils.planning.optimize.plan_value`:

* **top-k by response propensity**: the classic response model; the
  customers most likely to respond when contacted get the best single offer,
  down the list until the budget (or the offer's capacity) runs out;
* **top-k by single-offer uplift**: the same, ranked by the estimated uplift
  of that offer;
* **everyone, best single offer**: every eligible customer gets the offer
  with the highest total expected profit (budget ignored: the reference a
  marketer would otherwise send);
* **nobody**.
"""

from __future__ import annotations

import numpy as np

from .optimize import NO_OFFER, PlanningProblem

__all__ = ["best_single_offer", "compare_policies", "everyone", "nobody", "top_k_within_budget"]


def best_single_offer(problem: PlanningProblem) -> int:
    """Index of the offer with the highest total expected profit if sent to every eligible customer."""
    totals = np.where(np.isfinite(problem.profit), problem.profit, 0.0).sum(axis=0)
    return int(np.argmax(totals))


def top_k_within_budget(problem: PlanningProblem, score, offer: int) -> np.ndarray:
    """Contact the eligible customers in decreasing ``score`` with ``offer`` while budget and capacity last.

    Ties keep the customers' order (stable sort).
    """
    score = np.asarray(score, dtype=float)
    n = problem.shape[0]
    eligible = np.isfinite(problem.profit[:, offer])
    cost = float(problem.cost[offer])
    affordable = n if cost == 0 else int(np.floor(problem.budget / cost + 1e-9))
    capacity = problem.capacity[offer]
    k = int(min(affordable, capacity if np.isfinite(capacity) else n, eligible.sum()))
    order = np.argsort(-np.where(eligible, score, -np.inf), kind="stable")[:k]
    assignment = np.full(n, NO_OFFER)
    assignment[order] = offer
    return assignment


def everyone(problem: PlanningProblem, offer: int) -> np.ndarray:
    """Every eligible customer gets ``offer`` (no budget)."""
    eligible = np.isfinite(problem.profit[:, offer])
    return np.where(eligible, offer, NO_OFFER)


def nobody(problem: PlanningProblem) -> np.ndarray:
    """No contact."""
    return np.full(problem.shape[0], NO_OFFER)


def compare_policies(
    problem: PlanningProblem, *, propensity, uplift, plan: np.ndarray
) -> dict[str, np.ndarray]:
    """The plan and the simple policies, as assignments by name.

    Parameters
    ----------
    propensity : array-like, shape (n,)
        Estimated response probability when contacted.
    uplift : array-like, shape (n, J)
        Estimated uplift per offer (the single-offer ranking uses the best
        single offer's column).
    plan : ndarray
        The optimizer's assignment.
    """
    offer = best_single_offer(problem)
    name = problem.offers[offer]
    return {
        "optimized plan": plan,
        f"top-k by response propensity ({name})": top_k_within_budget(problem, propensity, offer),
        f"top-k by uplift ({name})": top_k_within_budget(
            problem, np.asarray(uplift)[:, offer], offer
        ),
        f"everyone, best single offer ({name})": everyone(problem, offer),
        "nobody": nobody(problem),
    }
