"""Stage 09: campaign planning, the budget allocated where it earns the most.

* :mod:`.estimate`: cross-fitted uplift of every offer (stage 05's learners);
* :mod:`.optimize`: the allocation as a MILP (HiGHS) or LP relaxation with rounding;
* :mod:`.policies`: the simple policies a plan is compared with;
* :mod:`.offpolicy`: IPW value of an assignment on a randomized test;
* :mod:`.stage`: :func:`plan_campaign`, what the notebook calls;
* :mod:`.headline`: the report index's figures and decision, the plan's figures formatted;
* :mod:`.plots`, :mod:`.io`: figures and artifacts.
"""

from .estimate import SINGLE_OFFER, calibrate_uplift, campaign_arms, offer_uplift, uplift_models
from .headline import headline, honest_value_text, plan_table
from .io import save_planning
from .offpolicy import ipw_incremental_value, ipw_value, ipw_with_bootstrap
from .optimize import (
    Plan,
    PlanningProblem,
    brute_force,
    is_feasible,
    make_problem,
    plan_value,
    solve,
    solve_exact,
    solve_relaxed,
)
from .policies import best_single_offer, compare_policies, everyone, nobody, top_k_within_budget
from .stage import PlanningResult, efficient_frontier, plan_campaign, response_values

__all__ = [
    "SINGLE_OFFER",
    "Plan",
    "PlanningProblem",
    "PlanningResult",
    "best_single_offer",
    "brute_force",
    "campaign_arms",
    "compare_policies",
    "efficient_frontier",
    "everyone",
    "headline",
    "honest_value_text",
    "ipw_incremental_value",
    "ipw_value",
    "ipw_with_bootstrap",
    "is_feasible",
    "make_problem",
    "nobody",
    "calibrate_uplift",
    "offer_uplift",
    "plan_campaign",
    "plan_table",
    "plan_value",
    "response_values",
    "save_planning",
    "solve",
    "solve_exact",
    "solve_relaxed",
    "top_k_within_budget",
    "uplift_models",
]
