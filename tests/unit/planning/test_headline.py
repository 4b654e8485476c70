"""Stage 09's headline and the plan's figures as a reader sees them, from hand-made metrics."""

from __future__ import annotations

import pandas as pd

from marketing_utils.planning.headline import headline, honest_value_text, plan_table
from marketing_utils.planning.stage import PlanningResult

#: The default report's figures (synthetic data, one offer).
PLAN = {
    "expected_incremental_profit": 12080.098072838418,
    "true_profit": 10749.6,
    "oracle_true_profit": 12322.4,
    "profit_share_of_oracle": 10749.6 / 12322.4,
    "profit_vs_response_topk": 6.613756613756612,
    "ipw_value": 10315.41789655888,
    "ipw_ci_low": 8736.232982654217,
    "ipw_ci_high": 12082.522368723563,
    "best_single_offer_value": -15728.008844451862,
}


def _metrics(plan=PLAN, **changes):
    metrics = {
        "plan": dict(plan),
        "honest_value": "true_profit" if "true_profit" in plan else "ipw_value",
        "profit_gain_over_response_topk": 9125.0,
        "budget": 6115.0,
        "budget_shadow_price": 0.0,
        "n_customers": 5,
        "n_contacts": 3,
    }
    metrics.update(changes)
    return metrics


def _result(offers=("offer", "offer", "offer", "none", "none")):
    scores = pd.DataFrame(
        {
            "customer_id": [f"cust_{i}" for i in range(len(offers))],
            "planned_offer": list(offers),
            "planned_uplift": 0.1,
            "planned_profit": 1.0,
        }
    )
    return PlanningResult(
        settings={},
        offers=sorted(set(offers) - {"none"}),
        scores=scores,
        plan=None,
        oracle=None,
        policies=pd.DataFrame(),
        frontier=pd.DataFrame(),
        summary=pd.DataFrame(),
        ipw=None,
    )


def test_synthetic_headline_puts_the_honest_value_next_to_the_flattering_one():
    figures, decision = headline(_result(), _metrics())
    assert [f["label"] for f in figures] == [
        "expected incremental profit of the plan",
        "true incremental profit of the plan",
        "profit against top-k by response",
        "marginal return of the budget",
    ]
    assert figures[0]["value"] == PLAN["expected_incremental_profit"]
    assert figures[0]["comparison"] == (
        "estimated uplift, which flatters the plan; honest value: true profit 10,750 "
        "(synthetic truth); IPW estimate 10,315, 95% CI 8,736 to 12,083"
    )
    assert figures[1]["value"] == 10749.6
    assert figures[1]["reading"] == (
        "the plan's incremental profit on the generator's true uplift; IPW estimate from the "
        "randomized test 10,315 (95% CI 8,736 to 12,083)"
    )
    assert figures[1]["comparison"] == (
        "87.2% of the oracle plan's 12,322 (the same optimizer on the true uplift, same budget)"
    )
    assert figures[2]["comparison"] == "difference +9,125"
    assert decision == (
        "Send the campaign to the 3 customers of the plan; everyone else gets nothing. For this "
        "campaign the plan replaces 04's list and 05's top-share rule: it contacts a customer "
        "only where the offer's uplift pays for the contact."
    )


def test_real_data_headline_shows_the_ipw_estimate_and_an_unproven_plan():
    plan = {
        k: v
        for k, v in PLAN.items()
        if k not in ("true_profit", "oracle_true_profit", "profit_share_of_oracle")
    }
    plan["best_single_offer_value"] = 9000.0  # inside the plan's interval: not proven
    result = _result(("email", "coupon", "email", "none", "none"))
    figures, decision = headline(result, _metrics(plan))
    assert figures[0]["comparison"].endswith(
        "honest value: IPW estimate 10,315, 95% CI 8,736 to 12,083"
    )
    assert figures[1]["label"] == "IPW incremental profit of the plan"
    assert figures[1]["value"] == PLAN["ipw_value"]
    assert figures[1]["comparison"] == (
        "everyone gets the best single offer: 9,000 (the interval is not above it)"
    )
    assert decision.startswith("Contact 3 customers: 2 with email, 1 with coupon;")
    assert "The targeting is not proven on this data (IPW 10,315, 95% CI 8,736 to 12,083" in (
        decision
    )


def test_honest_value_text_without_any_honest_value():
    assert honest_value_text({"expected_incremental_profit": 1.0}) == "no honest value available"


def test_plan_table_rounds_and_formats_every_figure():
    table = plan_table(PLAN)
    assert table["metric"].tolist() == list(PLAN)
    assert table["value"].tolist() == [
        "12,080",
        "10,750",
        "12,322",
        "87.2%",
        "6.61x",
        "10,315",
        "8,736",
        "12,083",
        "-15,728",
    ]
    assert table.loc["expected incremental profit (estimated uplift)", "value"] == "12,080"
    assert plan_table({"profit_vs_response_topk": None, "other_share": 0.123456})[
        "value"
    ].tolist() == ["n/a", "0.1235"]
