"""09_campaign_planning in a report run: the plan, its honest value and the contact file."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.notebooks.conftest import run_report

#: The CI data with the two-offer campaign, a capacity and a segment share limit.
OFFERS = {
    "data": {"campaign_offers": 2},
    "campaign_uplift": {"arm": "email", "n_bootstrap": 50},
    "campaign_planning": {
        "costs": {"email": 1.0, "coupon": 2.5},
        "budget": 400.0,
        "capacities": {"coupon": 100},
        "max_segment_share": 0.6,
        "n_bootstrap": 100,
        "frontier_points": 6,
    },
}


#: 09 and the notebooks it waits for (runner.graph); the others add nothing to these tests.
PLANNING_CHAIN = [
    "01_preprocessing",
    "02_segmentation",
    "03_propensity_modeling",
    "08_customer_lifetime_value",
    "09_campaign_planning",
]


@pytest.fixture(scope="session")
def offers_report(tmp_path_factory):
    """params/ci.yaml with two offers (2,000 synthetic customers), 09 and its dependencies."""
    folder = tmp_path_factory.mktemp("reports-offers")
    return run_report("ci.yaml", folder, OFFERS, only=PLANNING_CHAIN)


def test_the_planning_chain_is_what_09_waits_for():
    from marketing_utils.params.notebooks import discover_notebooks
    from marketing_utils.runner.graph import dependencies

    graph = dependencies(discover_notebooks())
    needed, todo = set(), ["09_campaign_planning"]
    while todo:
        stem = todo.pop()
        needed.add(stem)
        todo.extend(graph[stem] - needed)
    assert sorted(needed) == PLANNING_CHAIN


def test_synthetic_two_offer_plan(offers_report):
    result, all_metrics = offers_report
    entry = next(e for e in result.notebooks if e["stem"] == "09_campaign_planning")
    assert entry["status"] == "ran"
    metrics = all_metrics["campaign_planning"]
    plan = metrics["plan"]
    assert set(plan) == {
        "expected_incremental_profit",
        "true_profit",
        "oracle_true_profit",
        "profit_share_of_oracle",
        "profit_vs_response_topk",
        "ipw_value",
        "ipw_ci_low",
        "ipw_ci_high",
        "best_single_offer_value",
    }
    assert metrics["offers"] == ["coupon", "email"]
    assert metrics["method"] == "milp" and metrics["optimality_gap"] < 1e-4
    assert plan["expected_incremental_profit"] > 0
    assert 0 < plan["profit_share_of_oracle"] <= 1 + 1e-9  # the oracle is the best possible
    assert plan["ipw_ci_low"] <= plan["ipw_value"] <= plan["ipw_ci_high"]
    # Ranking by response wastes the budget on sure things: the plan earns more (true profit).
    assert metrics["profit_gain_over_response_topk"] > 0

    store = result.report_dir / "artifacts"
    contacts = pd.read_parquet(next(store.glob("campaign_plan.parquet")))
    assert list(contacts.columns) == ["customer_id", "offer", "expected_uplift", "expected_profit"]
    assert contacts["customer_id"].str.startswith("cust_").all()  # pseudonyms only
    assert len(contacts) == metrics["n_contacts"] > 0
    costs = contacts["offer"].map({"email": 1.0, "coupon": 2.5})
    assert costs.sum() <= 400.0 + 1e-9
    assert (contacts["offer"] == "coupon").sum() <= 100
    assert contacts["expected_profit"].sum() == pytest.approx(plan["expected_incremental_profit"])

    # The report index's headline: 2-4 figures, the plan's profit first, and the decision.
    headline = metrics["headline"]
    assert 2 <= len(headline) <= 4
    assert headline[0]["value"] == pytest.approx(plan["expected_incremental_profit"])
    labels = [figure["label"] for figure in headline]
    # The honest value next to the flattering one: the true profit, and the IPW interval.
    assert labels[1] == "true incremental profit of the plan"
    assert headline[1]["value"] == pytest.approx(plan["true_profit"])
    assert f"{plan['profit_share_of_oracle']:.1%} of the oracle" in headline[1]["comparison"]
    assert headline[0]["comparison"].endswith(
        f"true profit {plan['true_profit']:,.0f} (synthetic truth); IPW estimate "
        f"{plan['ipw_value']:,.0f}, 95% CI {plan['ipw_ci_low']:,.0f} to {plan['ipw_ci_high']:,.0f}"
    )
    assert labels[-1] == "marginal return of the budget"
    assert headline[-1]["value"] == pytest.approx(metrics["budget_shadow_price"])
    counts = contacts["offer"].value_counts()
    mix = ", ".join(f"{n:,} with {offer}" for offer, n in counts.items())
    assert metrics["decision"].startswith(f"Contact {len(contacts):,} customers: {mix};")


def test_single_offer_ci_run_plans_too(ci_report):
    """On the default single-offer synthetic campaign the stage runs with the one offer."""
    result, all_metrics = ci_report
    entry = next(e for e in result.notebooks if e["stem"] == "09_campaign_planning")
    assert entry["status"] == "ran"
    metrics = all_metrics["campaign_planning"]
    assert metrics["offers"] == ["offer"]
    assert 0 < metrics["plan"]["profit_share_of_oracle"] <= 1 + 1e-9
    # One offer: the decision names the plan's list, not an arm called "offer".
    n = metrics["n_contacts"]
    assert metrics["decision"].startswith(f"Send the campaign to the {n:,} customers of the plan;")
    assert "with offer" not in metrics["decision"]
