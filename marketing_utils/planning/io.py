"""What stage 09 saves: the contact file, the tables, the summary, by name."""

from __future__ import annotations

from .stage import PlanningResult

__all__ = ["save_planning"]


def save_planning(result: PlanningResult, store) -> list[str]:
    """Write the stage's artifacts by name; returns the names written.

    ``campaign_plan`` is the contact file: pseudonymized ``customer_id``,
    ``offer``, ``expected_uplift`` and ``expected_profit`` of each contacted
    customer. Every table holds pseudonymized ids only.
    """
    tables = {
        "campaign_plan": result.contact_file(),
        "campaign_plan_summary": result.summary,
        "campaign_plan_policies": result.policies,
        "campaign_plan_frontier": result.frontier,
        "campaign_planning_summary": {**result.metrics(), "settings": result.settings},
    }
    return store.save_all(tables)
