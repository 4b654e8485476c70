"""The readout end to end on hand-made outcomes: effects, return on spend, predictions, planner, feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from marketing_utils import qini_coefficient, qini_curve
from marketing_utils.artifacts import Artifacts
from marketing_utils.readout.export import export_campaign
from marketing_utils.readout.power import minimum_detectable_lift, required_customers
from marketing_utils.readout.stage import campaign_readout

SIMULATED_OPENING = (
    "In a simulated readout (outcomes drawn from the synthetic ground truth, not a real campaign): "
    "the campaign added"
)


def _campaign(plan: pd.DataFrame):
    export = export_campaign(plan, holdout_share=0.3, seed=1, campaign_start="2025-10-02")
    customers = export.customers
    # Contacted customers convert on every second row, holdout customers on every fourth.
    order = np.arange(len(customers))
    converted = np.where(customers["treatment"] == 1, order % 2 == 0, order % 4 == 0).astype(int)
    outcomes = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "converted": converted,
            "revenue": converted * 30.0,
            "date": pd.Timestamp("2025-10-05"),
        }
    )
    return export, outcomes


def test_readout_of_a_plan(campaign_plan):
    export, outcomes = _campaign(campaign_plan)
    result = campaign_readout(
        export,
        outcomes,
        cost_per_contact=2.0,
        min_group_size=5,
        true_effect={"incremental_rate": 0.2},
    )
    o = result.overall
    assert (o["treated"], o["holdout"]) == (21, 9)
    joined = result.joined
    by_offer = joined.groupby(["offer", "treatment"])["converted"].mean().unstack()
    weights = joined["offer"].value_counts(normalize=True)
    expected = sum(weights[k] * (by_offer.loc[k, 1] - by_offer.loc[k, 0]) for k in weights.index)
    assert o["incremental_rate"] == pytest.approx(expected)  # weighted by offer (the strata)
    # Revenue is 30 per conversion, so the revenue effect is 30 x the rate effect.
    assert o["incremental_revenue_per_contact"] == pytest.approx(30 * expected)
    # Revenue per unit spent on contacts, interval divided by the cost; no margin: no return on spend.
    assert result.spend["revenue_per_unit_spent"] == pytest.approx(30 * expected / 2.0)
    assert result.spend["revenue_per_unit_spent_ci"][0] == pytest.approx(o["revenue_ci_low"] / 2.0)
    assert result.spend["return_on_spend"] is None
    assert result.spend["cost"] == 2.0 * 21
    assert set(result.breakdowns) == {"offer"}
    assert "predicted_uplift" in result.breakdowns["offer"]
    # The Qini curve ranks by the plan's expected uplift, with stage 05's function.
    assert result.qini["ranking"] == "expected_uplift"
    x, q = qini_curve(joined["converted"], joined["expected_uplift"], joined["treatment"])
    assert np.array_equal(result.qini["x"], x) and np.array_equal(result.qini["qini"], q)
    assert result.qini["coefficient"] == pytest.approx(
        qini_coefficient(joined["converted"], joined["expected_uplift"], joined["treatment"])
    )
    assert result.calibration is None  # a plan has no propensity score
    # The planner at this campaign's size and holdout share.
    baseline = o["holdout_rate"]
    assert result.next_test["mde_current"] == pytest.approx(
        minimum_detectable_lift(30, 9 / 30, baseline)
    )
    metrics = result.metrics()
    for key in ("incremental_rate", "ci_low", "ci_high", "true_effect", "ci_covers_truth"):
        assert key in metrics
    assert metrics["ci_covers_truth"] == (o["ci_low"] <= 0.2 <= o["ci_high"])
    assert metrics["n_exported"] == 30 and metrics["n_excluded"] == 0
    table = result.campaign_table()
    assert table.columns.tolist() == ["customer_id", "treatment", "response", "spend"]
    assert table["response"].sum() == outcomes["converted"].sum()
    # 30 customers cannot tell a 25-point lift from zero; the briefing says so with the planner's number.
    assert o["ci_low"] < 0 < o["ci_high"]
    assert "cannot tell whether the campaign worked" in result.briefing()
    assert f"{100 * result.next_test['mde_current']:+.2f} points" in result.briefing()


def test_readout_of_a_targeting_list_checks_calibration(targeting_list):
    export = export_campaign(targeting_list, holdout_share=0.2, seed=4)
    customers = export.customers
    outcomes = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "converted": (customers["score"] > 0.6).astype(int),
            "revenue": 0.0,
        }
    )
    result = campaign_readout(export, outcomes, min_group_size=1)
    calibration = result.calibration
    treated = result.joined[result.joined["treatment"] == 1]
    assert calibration["customers"].sum() == len(treated)
    first = calibration.set_index("decile").loc["1"]
    rows = treated[treated["decile"] == 1]
    assert first["predicted_rate_pct"] == pytest.approx(100 * rows["score"].mean())
    assert first["observed_rate_pct"] == pytest.approx(100 * rows["converted"].mean())
    assert result.qini["ranking"] == "score"
    assert set(result.breakdowns) == {"decile", "segment"}
    assert result.metrics()["incremental_rate"] == pytest.approx(result.overall["incremental_rate"])
    assert "true_effect" not in result.metrics()


def test_small_groups_are_merged(targeting_list):
    export = export_campaign(targeting_list, holdout_share=0.2, seed=4)
    outcomes = pd.DataFrame({"customer_id": export.customers["customer_id"], "converted": 0})
    from marketing_utils.readout.io import check_outcomes

    result = campaign_readout(export, check_outcomes(outcomes), min_group_size=11)
    assert result.breakdowns["decile"].index.tolist() == ["other (small groups)"]
    assert result.breakdowns["segment"]["customers"].min() >= 11


def _one_offer_plan(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "offer": "email",
            "expected_uplift": [0.5 - 0.01 * i for i in range(n)],
            "expected_profit": 1.0,
        }
    )


def test_ranking_held_by_hand():
    """Contacts convert only the top half by expected uplift: top +100 points, bottom 0."""
    from marketing_utils.readout.estimates import newcombe_interval

    plan = _one_offer_plan()
    export = export_campaign(plan, holdout_share=0.25, seed=3)
    customers = export.customers
    top = customers["expected_uplift"] > 0.305  # the first 20 rows
    converted = (top & (customers["treatment"] == 1)).astype(int)
    outcomes = pd.DataFrame({"customer_id": customers["customer_id"], "converted": converted})
    result = campaign_readout(export, outcomes, min_group_size=5)
    r = result.ranking
    assert (r["column"], r["top"], r["bottom"], r["difference"]) == (
        "expected_uplift",
        1.0,
        0.0,
        1.0,
    )
    # One stratum (one offer): each half's interval is the plain Newcombe interval of its counts.
    n_t_top = int((top & (customers["treatment"] == 1)).sum())
    n_c_top = int(top.sum()) - n_t_top
    n_t_bottom = int(((~top) & (customers["treatment"] == 1)).sum())
    n_c_bottom = int((~top).sum()) - n_t_bottom
    _, low_top, high_top = newcombe_interval(n_t_top, n_t_top, 0, n_c_top)
    _, low_bottom, high_bottom = newcombe_interval(0, n_t_bottom, 0, n_c_bottom)
    assert r["top_ci"] == pytest.approx((float(low_top), float(high_top)))
    z = 1.959963984540054
    se = np.hypot((high_top - low_top) / (2 * z), (high_bottom - low_bottom) / (2 * z))
    assert r["difference_ci"] == pytest.approx((1 - z * se, 1 + z * se))
    assert r["verdict"] == "yes"
    metrics = result.metrics()
    assert metrics["ranking_held"] == "yes" and metrics["ranking_difference"] == 1.0
    figures, decision = result.headline()
    held = next(f for f in figures if f["label"] == "predicted ranking held")
    assert held["value"] == "yes" and "ranking held" in decision


def test_a_missed_truth_is_reported_with_its_z_score(campaign_plan, tmp_path):
    export, outcomes = _campaign(campaign_plan)
    first = campaign_readout(export, outcomes, min_group_size=5)
    o = first.overall
    truth = float(o["ci_high"]) + 0.05  # above the interval
    result = campaign_readout(
        export, outcomes, min_group_size=5, true_effect={"incremental_rate": truth}
    )
    z_by_hand = (o["incremental_rate"] - truth) / (
        (o["ci_high"] - o["incremental_rate"]) / 1.959963984540054
    )
    assert result.truth["z_score"] == pytest.approx(z_by_hand)
    assert result.truth["z_score"] < -1.96
    assert result.truth["miss_probability"] == pytest.approx(2 * norm.sf(abs(z_by_hand)))
    metrics = result.metrics()
    assert metrics["ci_covers_truth"] is False and metrics["true_effect_z"] == pytest.approx(
        z_by_hand
    )
    assert "MISSES" in result.briefing()
    assert f"{z_by_hand:+.2f} standard errors" in result.briefing()
    figures, decision = result.headline()
    assert 2 <= len(figures) <= 4
    assert "misses it" in figures[0]["comparison"]
    # 30 customers cannot tell the effect from zero: the decision says to test on a larger list.
    assert o["ci_low"] < 0 < o["ci_high"]
    # A truth is only known for simulated outcomes: the decision says so first.
    assert decision.startswith(SIMULATED_OPENING) and "Do not roll it out yet" in decision
    # The figures are what the report index accepts, and are stored as given.
    store = Artifacts(tmp_path)
    store.record_headline("campaign_readout", figures, decision=decision)
    stored = store.metrics()["campaign_readout"]
    assert stored["headline"][0]["value"] == pytest.approx(o["incremental_rate"])
    assert stored["decision"] == decision
    # The section also lists the numbers behind the headline (the index hides them in a toggle).
    store.record_metrics("campaign_readout", result.headline_metrics())
    stored = store.metrics()["campaign_readout"]
    assert stored["complete_metrics"] == "readout" and stored["headline"][0]["label"]
    assert stored["ci_covers_truth"] is False
    assert stored["incremental_rate"] == pytest.approx(metrics["incremental_rate"])
    assert stored["next_test_customers"] == result.next_test["required"]["total"]


def _worked_campaign(expected_uplift: float = 0.3):
    """200 customers, one offer, a 25% holdout (150 contacted, 50 held out), worked by hand.

    75 of the 150 contacted convert (50%), 10 of the 50 held out (20%): the
    campaign added 30 points. Every conversion spends 40, so revenue per
    customer is 20 among the contacted and 8 in the holdout: +12 per contact.
    """
    plan = pd.DataFrame(
        {
            "customer_id": [f"w{i:03d}" for i in range(200)],
            "offer": "email",
            "expected_uplift": expected_uplift,
            "expected_profit": 1.0,
        }
    )
    export = export_campaign(plan, holdout_share=0.25, seed=2)
    customers = export.customers
    treated = customers["treatment"] == 1
    rank = customers.groupby("treatment").cumcount()
    converted = np.where(treated, rank < 75, rank < 10).astype(int)
    outcomes = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "converted": converted,
            "revenue": 40.0 * converted,
        }
    )
    return export, outcomes


def test_worked_campaign_counts():
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes)
    o = result.overall
    assert (o["treated"], o["holdout"]) == (150, 50)
    assert (o["treated_rate"], o["holdout_rate"]) == pytest.approx((0.5, 0.2))
    assert o["incremental_rate"] == pytest.approx(0.30)
    assert o["incremental_revenue_per_contact"] == pytest.approx(12.0)


def test_return_on_spend_is_margin_per_unit_spent():
    """12 revenue per contact at 3 per contact is 4.0 of revenue per unit spent: with a 50% margin,
    2.0 of margin per unit spent (1.0 pays back); 4.0 of revenue pays back only above 1 / 0.5 = 2.0."""
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes, cost_per_contact=3.0, margin=0.5)
    spend, o = result.spend, result.overall
    assert spend["revenue_per_unit_spent"] == pytest.approx(4.0)
    assert spend["return_on_spend"] == pytest.approx(2.0)
    assert spend["return_on_spend_ci"] == pytest.approx(
        (0.5 * o["revenue_ci_low"] / 3.0, 0.5 * o["revenue_ci_high"] / 3.0)
    )
    assert spend["break_even_revenue_per_unit_spent"] == pytest.approx(2.0)
    assert spend["break_even_margin"] == pytest.approx(0.25)  # 3 / 12
    metrics = result.metrics()
    assert metrics["return_on_spend"] == pytest.approx(2.0) and metrics["margin"] == 0.5
    assert metrics["revenue_per_unit_spent"] == pytest.approx(4.0)
    figures, decision = result.headline()
    figure = figures[1]
    assert figure["label"] == "return on spend (on margin)"
    assert figure["value"] == pytest.approx(2.0)
    assert (
        "4.00 of revenue per unit spent" in figure["reading"] and "50% margin" in figure["reading"]
    )
    assert (
        "1.0 pays back the contacts (break-even: 2.00 of revenue per unit spent)"
        in figure["comparison"]
    )
    assert spend["return_on_spend_ci"][0] > 1  # the margin interval pays back: roll out
    assert "return on spend 2.00 on a 50% margin" in decision and "Roll it out" in decision
    assert "of margin per unit spent" in result.briefing()
    # A 20% margin: 0.8 of margin per unit spent, an interval across 1.0: it may not pay back.
    thin = campaign_readout(export, outcomes, cost_per_contact=3.0, margin=0.2)
    assert thin.spend["return_on_spend"] == pytest.approx(0.8)
    low, high = thin.spend["return_on_spend_ci"]
    assert low < 1 < high
    _, decision = thin.headline()
    assert "may not pay back" in decision and "Roll it out" not in decision


def test_without_a_margin_revenue_per_unit_spent_states_break_even():
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes, cost_per_contact=3.0)
    assert result.spend["return_on_spend"] is None and "return_on_spend" not in result.metrics()
    assert result.metrics()["break_even_margin"] == pytest.approx(0.25)
    figures, decision = result.headline()
    figure = figures[1]
    assert figure["label"] == "incremental revenue per unit spent"
    assert figure["value"] == pytest.approx(4.0)
    assert "1.0 pays back" not in figure["comparison"]
    assert "margin on revenue is above 25.0%" in figure["comparison"]
    # The campaign works, but whether it pays depends on the margin: no plain roll-out.
    assert "Roll it out" not in decision
    assert "roll it out only if the margin on revenue is above 25.0%" in decision
    assert "above 25.0% (1 / 4.00)" in result.briefing()


@pytest.mark.parametrize("bad", [0, 1.5, -0.2, True])
def test_margin_must_be_a_share(bad):
    export, outcomes = _worked_campaign()
    with pytest.raises(ValueError, match="margin: expected the share of revenue"):
        campaign_readout(export, outcomes, margin=bad)


def test_next_test_is_sized_for_half_the_measured_lift():
    """Measured +30 points over a 20% baseline: the next test is sized for +15 points, not +30."""
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes)
    nt = result.next_test
    assert nt["min_effect"] == pytest.approx(0.15) and nt["measured_lift"] == pytest.approx(0.30)
    # By hand: h = 2 asin(sqrt(0.35)) - 2 asin(sqrt(0.20)); a 25% holdout, k = n_C / n_T = 1/3,
    # n_T = (z_0.975 + z_0.8)^2 (1 + 1/k) / h^2 (statsmodels adds a negligible wrong-tail term).
    h = 2 * np.arcsin(np.sqrt(0.35)) - 2 * np.arcsin(np.sqrt(0.20))
    n_treated = (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * 4 / h**2
    # h = 2 (0.63305 - 0.46365) = 0.33881; n_T = 7.8489 x 4 / 0.11479 = 273.5 -> 274, n_C = 273.5 / 3 -> 92.
    assert h == pytest.approx(0.33881, abs=1e-5)
    assert n_treated == pytest.approx(273.5, abs=0.1)
    assert nt["required"]["treated"] == 274 and nt["required"]["holdout"] == 92
    assert nt["required"]["total"] == 366
    # The old sizing, for the +30 points measured itself, asked for 102 customers.
    assert required_customers(0.2, 0.30, 0.25)["total"] == 102
    figures, _ = result.headline()
    figure = next(f for f in figures if f["label"] == "customers for the next test")
    assert figure["value"] == 366
    assert "to detect +15.00 points (half of the +30.00 points measured here)" in figure["reading"]
    assert result.metrics()["next_test_min_effect"] == pytest.approx(0.15)
    assert result.metrics()["next_test_customers"] == 366
    assert "+15.00 points (half of the +30.00 points measured here)" in result.next_test_text()


def test_next_test_for_a_given_minimum_effect():
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes, min_effect=0.02)
    nt = result.next_test
    assert nt["min_effect"] == 0.02 and nt["min_effect_basis"] == "given"
    # 20% -> 22%, a 25% holdout: n_T = Z^2 * 4 / h^2.
    h = 2 * np.arcsin(np.sqrt(0.22)) - 2 * np.arcsin(np.sqrt(0.20))
    n_treated = (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * 4 / h**2
    assert nt["required"]["treated"] == pytest.approx(n_treated, abs=1)
    assert nt["required"] == required_customers(0.2, 0.02, 0.25)
    assert "detect +2.00 points (the minimum effect of interest given)" in result.next_test_text()
    with pytest.raises(ValueError, match="min_effect: expected an increase"):
        campaign_readout(export, outcomes, min_effect=2.0)  # points given as a share


def test_a_plan_that_over_estimated_the_effect_is_told_so():
    """The plan predicted +50 points; the campaign measured +30 with an interval well below 50."""
    export, outcomes = _worked_campaign(expected_uplift=0.5)
    result = campaign_readout(export, outcomes, min_group_size=5)
    o, p = result.overall, result.prediction
    assert o["ci_high"] < 0.5
    assert p["predicted"] == pytest.approx(0.5) and p["verdict"] == "over-estimated"
    assert p["measured_over_predicted"] == pytest.approx(0.6)
    figures, decision = result.headline()
    assert (
        "the plan predicted +50.00 points: above the interval (the plan over-estimated"
        in (figures[0]["comparison"])
    )
    assert "plan over-estimated the effect: it predicted +50.00 points, above the 95% interval" in (
        decision
    )
    assert "scale its expected uplift by about 0.60" in decision
    assert result.metrics()["prediction_vs_interval"] == "over-estimated"
    assert result.headline_metrics()["predicted_effect"] == pytest.approx(0.5)
    assert "the plan over-estimated the effect" in result.briefing()


def test_a_plan_that_under_estimated_or_matched_the_effect():
    export, outcomes = _worked_campaign(expected_uplift=0.05)
    under = campaign_readout(export, outcomes, min_group_size=5)
    assert under.overall["ci_low"] > 0.05 and under.prediction["verdict"] == "under-estimated"
    assert (
        "plan under-estimated the effect: it predicted +5.00 points, below" in under.headline()[1]
    )
    export, outcomes = _worked_campaign(expected_uplift=0.3)
    within = campaign_readout(export, outcomes, min_group_size=5)
    assert within.prediction["verdict"] == "within"
    figures, decision = within.headline()
    assert "the plan predicted +30.00 points: inside the interval" in figures[0]["comparison"]
    assert "estimated the effect" not in decision


def test_a_targeting_list_predicts_no_effect(targeting_list):
    export = export_campaign(targeting_list, holdout_share=0.2, seed=4)
    outcomes = pd.DataFrame({"customer_id": export.customers["customer_id"], "converted": 0})
    result = campaign_readout(export, outcomes, min_group_size=1)
    assert result.prediction is None and "predicted_effect" not in result.metrics()


def test_simulated_outcomes_are_said_to_be_simulated():
    export, outcomes = _worked_campaign()
    real = campaign_readout(export, outcomes)
    assert not real.simulated and real.metrics()["outcomes"] == "observed"
    _, decision = real.headline()
    assert decision.startswith("The campaign added +30.00 conversions per 100 contacts")
    assert "simulated" not in decision and "simulated" not in real.briefing()
    simulated = campaign_readout(export, outcomes, true_effect={"incremental_rate": 0.3})
    assert simulated.simulated and simulated.metrics()["outcomes"] == "simulated"
    figures, decision = simulated.headline()
    assert decision.startswith(SIMULATED_OPENING + " +30.00 conversions per 100 contacts")
    assert figures[0]["reading"].startswith("simulated outcomes (synthetic ground truth")
    assert simulated.briefing().startswith("In a simulated readout")
    assert simulated.headline_metrics()["outcomes"] == "simulated"
    # An explicit flag wins over the presence of a truth.
    _, decision = campaign_readout(export, outcomes, simulated=True).headline()
    assert decision.startswith(SIMULATED_OPENING)


def test_effects_are_written_in_points_not_percent():
    export, outcomes = _worked_campaign()
    result = campaign_readout(export, outcomes, true_effect={"incremental_rate": 0.31})
    briefing, o = result.briefing(), result.overall
    assert "Incremental conversion rate +30.00 points per contact" in briefing
    assert f"{100 * o['ci_low']:+.2f} to {100 * o['ci_high']:+.2f} points" in briefing
    assert "the true effect is +31.00 points" in briefing
    assert "+30.00%" not in briefing and "+31.00%" not in briefing
    mde = result.next_test["mde_current"]
    assert f"detects a lift of {100 * mde:+.2f} points" in result.next_test_text()
