"""The readout end to end on hand-made outcomes: effects, return on spend, predictions, planner, feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from marketing_utils import qini_coefficient, qini_curve
from marketing_utils.artifacts import Artifacts
from marketing_utils.readout.export import export_campaign
from marketing_utils.readout.power import minimum_detectable_lift
from marketing_utils.readout.stage import campaign_readout


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
    # Return on spend: incremental revenue per unit spent on contacts, interval divided by the cost.
    assert result.spend["return_on_spend"] == pytest.approx(30 * expected / 2.0)
    assert result.spend["return_on_spend_ci"][0] == pytest.approx(o["revenue_ci_low"] / 2.0)
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
    assert f"{result.next_test['mde_current']:+.2%}" in result.briefing()


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
    assert decision.startswith("The campaign added") and "Do not roll it out yet" in decision
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
