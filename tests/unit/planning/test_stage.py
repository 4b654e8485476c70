"""plan_campaign end to end on a small two-offer synthetic campaign, and its input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError
from marketing_utils.planning import plan_campaign, response_values
from marketing_utils.preprocess import preprocess

COSTS = {"email": 1.0, "coupon": 2.5}


@pytest.fixture(scope="module")
def prepared():
    result = preprocess(make_synthetic(1500, seed=5, campaign_offers=2), horizon_days=90, key=b"k")
    return result


def _plan(prepared, **changes):
    info = prepared.info
    kwargs = {
        "numeric": info["numeric_features"],
        "categorical": info["categorical_features"],
        "truth": prepared.truth,
        "costs": COSTS,
        "budget": 300.0,
        "capacities": {"coupon": 40},
        "model": "t_learner",
        "base_learner": "logistic_regression",
        "n_bootstrap": 50,
        "frontier_points": 5,
        "seed": 1,
    }
    return plan_campaign(prepared.features, prepared.clean.campaign, **{**kwargs, **changes})


@pytest.fixture(scope="module")
def result(prepared):
    return _plan(prepared)


def test_plan_is_feasible_and_beats_every_policy_on_its_own_objective(result):
    policies = result.policies.set_index("policy")
    plan = policies.loc["optimized plan"]
    assert plan["spend"] <= 300.0 + 1e-9
    assert (result.scores["planned_offer"] == "coupon").sum() <= 40
    for name, row in policies.iterrows():
        if name.startswith(("top-k", "nobody")):  # same budget and capacity
            assert row["spend"] <= 300.0 + 1e-9
            assert plan["expected_profit"] >= row["expected_profit"] - 1e-6
    # The oracle is optimal on the true profit: nothing within the budget beats it.
    oracle = policies.loc["oracle plan (true uplift)", "true_profit"]
    assert oracle == pytest.approx(result.settings["oracle_true_profit"])
    for name, row in policies.iterrows():
        if not name.startswith("everyone"):
            assert row["true_profit"] <= oracle + 1e-6
    assert result.plan.method == "milp" and result.plan.gap < 1e-4


def test_metrics_and_contact_file(result):
    metrics = result.metrics()
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
    policies = result.policies.set_index("policy")
    # The honest values sit next to the flattering expected profit.
    assert plan["true_profit"] == policies.loc["optimized plan", "true_profit"]
    assert plan["oracle_true_profit"] == result.settings["oracle_true_profit"]
    assert plan["ipw_value"] == policies.loc["optimized plan", "ipw_value"]
    assert plan["profit_share_of_oracle"] == pytest.approx(
        policies.loc["optimized plan", "true_profit"] / result.settings["oracle_true_profit"]
    )
    assert plan["ipw_ci_low"] <= plan["ipw_value"] <= plan["ipw_ci_high"]
    contacts = result.contact_file()
    assert list(contacts.columns) == ["customer_id", "offer", "expected_uplift", "expected_profit"]
    assert contacts["customer_id"].str.startswith("cust_").all()
    assert contacts["expected_profit"].sum() == pytest.approx(plan["expected_incremental_profit"])
    # The profit of each contact is its uplift x value - its offer's cost.
    np.testing.assert_allclose(
        contacts["expected_profit"],
        contacts["expected_uplift"] * 20.0 - contacts["offer"].map(COSTS),
    )
    assert result.summary["contacts"].sum() == len(contacts)


def test_frontier_rises_to_the_unconstrained_plan(result):
    frontier = result.frontier
    assert frontier["chosen"].sum() == 1
    assert frontier.loc[frontier["chosen"], "budget"].item() == 300.0
    assert (np.diff(frontier["expected_profit"]) >= -1e-6).all()  # more budget never hurts
    assert (frontier["spend"] <= frontier["budget"] + 1e-9).all()
    assert frontier["shadow_price"].iloc[-1] == pytest.approx(0.0, abs=1e-6)


def test_segment_limit_and_exclusions(prepared):
    segments = pd.DataFrame(
        {
            "customer_id": prepared.features["customer_id"],
            "cluster_name": np.where(np.arange(len(prepared.features)) % 3 == 0, "a", "b"),
        }
    )
    result = _plan(
        prepared,
        segments=segments,
        max_segment_share=0.7,
        exclude_ids=list(prepared.features["customer_id"].head(50)) + ["cust_unknown"],
        n_bootstrap=20,
    )
    scores = result.scores
    contacted = scores[scores["planned_offer"] != "none"]
    assert contacted["segment"].value_counts(normalize=True).max() <= 0.7 + 1e-9
    assert not contacted["excluded"].any()
    assert result.settings["n_unknown_exclude_ids"] == 1
    with pytest.raises(
        DataValidationError, match=r"segment_limits.*infeasible.*a <= 0\.4, b <= 0\.4"
    ):
        _plan(prepared, segments=segments, max_segment_share=0.4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"costs": {"email": 1.0}}, r"campaign_planning\.costs.*missing for \['coupon'\]"),
        ({"costs": {"email": -1.0, "coupon": 2.5}}, r"campaign_planning\.costs.*>= 0"),
        ({"budget": 0.5}, r"campaign_planning\.budget.*one contact's cost \(1"),
        ({"exclude_segments": ["nope"]}, r"exclude_segments.*\['nope'\]"),
    ],
)
def test_bad_input_names_the_parameter(prepared, changes, message):
    with pytest.raises(DataValidationError, match=message):
        _plan(prepared, **changes, cv_folds=2)


def test_response_values_from_clv_by_hand():
    ids = pd.Series(["a", "b", "c"])
    clv = pd.DataFrame({"customer_id": ["a", "b"], "clv": [100.0, 40.0]})
    values, info = response_values(ids, value_per_response=20.0, value_source="clv", clv=clv)
    np.testing.assert_allclose(values, [100.0, 40.0, 20.0])  # c has no CLV: the margin, counted
    assert info == {"value_source": "clv", "n_without_clv": 1}
    values, info = response_values(ids, value_per_response=20.0, value_source="auto", clv=None)
    assert info["value_source"] == "margin" and (values == 20.0).all()
    with pytest.raises(DataValidationError, match=r"value_source.*'clv' artifact"):
        response_values(ids, value_per_response=20.0, value_source="clv", clv=None)


def test_headline_shows_the_honest_value_next_to_the_expected_profit(result):
    from marketing_utils.planning import headline

    metrics = result.metrics()
    plan = metrics["plan"]
    figures, decision = headline(result, metrics)
    assert 2 <= len(figures) <= 4
    first, honest = figures[0], figures[1]
    assert first["value"] == plan["expected_incremental_profit"]
    assert first["comparison"] == (
        "estimated uplift, which flatters the plan; honest value: "
        f"true profit {plan['true_profit']:,.0f} (synthetic truth); IPW estimate "
        f"{plan['ipw_value']:,.0f}, 95% CI {plan['ipw_ci_low']:,.0f} to {plan['ipw_ci_high']:,.0f}"
    )
    assert honest["label"] == "true incremental profit of the plan"
    assert honest["value"] == plan["true_profit"]
    assert honest["comparison"].startswith(f"{plan['profit_share_of_oracle']:.1%} of the oracle")
    assert f"{plan['ipw_value']:,.0f}" in honest["reading"]
    n = metrics["n_contacts"]
    assert decision.startswith(f"Contact {n:,} customers: ")
