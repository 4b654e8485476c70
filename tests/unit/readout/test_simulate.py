"""The campaign played forward from the synthetic truth, and the coverage of the readout's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.evaluate import assign_deciles
from marketing_utils.readout.export import export_campaign
from marketing_utils.readout.simulate import (
    coverage_study,
    export_coverage,
    simulate_outcomes,
    true_effects,
)
from marketing_utils.readout.stage import campaign_readout


@pytest.fixture(scope="module")
def population():
    """A small synthetic campaign population (about 1,850 customers) with its true probabilities."""
    data = make_synthetic(2000, seed=11, dirty=False)
    truth = data.truth[data.truth["acquired_before_cutoff"]].reset_index(drop=True)
    listing = pd.DataFrame(
        {
            "customer_id": truth["customer_id"],
            "score": truth["true_purchase_prob"],
            "decile": assign_deciles(truth["true_purchase_prob"].to_numpy(), 10),
            "segment": truth["persona"],
            "selected": True,
        }
    )
    return truth, listing, data.info["cutoff"]


def test_true_effect_by_hand():
    listing = pd.DataFrame(
        {"customer_id": list("abcd"), "score": 0.5, "decile": 1, "selected": True}
    )
    truth = pd.DataFrame(
        {"customer_id": list("abcd"), "p_response_control": [0.1, 0.2, 0.4, 0.0],
         "p_response_treated": [0.5, 0.2, 0.2, 0.0]}
    )  # fmt: skip
    export = export_campaign(listing, holdout_share=0.5, seed=0)
    # Uplifts 0.4, 0, -0.2, 0: mean 0.05; spend factor exp(0.4^2 / 2) on an order value of 10.
    effects = true_effects(export, truth, pd.Series(10.0, index=list("abcd")))
    assert effects["incremental_rate"] == pytest.approx(0.05)
    assert effects["incremental_revenue_per_contact"] == pytest.approx(0.5 * np.exp(0.08))
    with pytest.raises(Exception, match="none for 1 of 4"):
        true_effects(export, truth.iloc[:3], None)


def test_simulated_outcomes_follow_the_truth(population):
    truth, listing, cutoff = population
    export = export_campaign(listing, holdout_share=0.5, seed=1, campaign_start=cutoff)
    outcomes = simulate_outcomes(
        export, truth, seed=2, campaign_start=cutoff, window_days=30, order_values=40.0
    )
    assert outcomes["customer_id"].tolist() == export.customers["customer_id"].tolist()
    merged = export.customers.merge(outcomes, on="customer_id").merge(truth, on="customer_id")
    for group, column in ((1, "p_response_treated"), (0, "p_response_control")):
        part = merged[merged["treatment"] == group]
        expected, n = part[column].mean(), len(part)
        assert abs(part["converted"].mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    converted = outcomes["converted"] == 1
    assert (outcomes.loc[converted, "revenue"] >= 1).all() and (
        outcomes.loc[~converted, "revenue"] == 0
    ).all()
    dates = outcomes.loc[converted, "date"]
    assert dates.min() >= pd.Timestamp(cutoff) and dates.max() < pd.Timestamp(
        cutoff
    ) + pd.Timedelta(days=30)
    assert outcomes.loc[~converted, "date"].isna().all()
    again = simulate_outcomes(
        export, truth, seed=2, campaign_start=cutoff, window_days=30, order_values=40.0
    )
    assert again.equals(outcomes)


def test_coverage_over_400_simulated_campaigns(population):
    """The issue's target: the 95% interval covers the true effect 93-97% of the time."""
    truth, listing, _ = population
    study = coverage_study(
        truth["p_response_control"].to_numpy(),
        truth["p_response_treated"].to_numpy(),
        listing["decile"].to_numpy(),
        holdout_share=0.2,
        n_campaigns=400,
        seed=0,
    )
    assert study["n_campaigns"] == 400
    assert study["true_effect"] == pytest.approx(
        (truth["p_response_treated"] - truth["p_response_control"]).mean()
    )
    assert 0.93 <= study["coverage"] <= 0.97, study
    assert study["below"] + study["above"] == pytest.approx(1 - study["coverage"])
    assert abs(study["mean_estimate"] - study["true_effect"]) < 0.005  # unbiased


def test_readout_path_covers_the_truth_as_often_as_the_study(population):
    """The same interval through export -> simulate -> readout, campaign by campaign (fewer campaigns)."""
    truth, listing, cutoff = population
    covered = []
    for seed in range(20):
        export = export_campaign(listing, holdout_share=0.2, seed=seed, campaign_start=cutoff)
        outcomes = simulate_outcomes(export, truth, seed=1000 + seed, campaign_start=cutoff)
        result = campaign_readout(export, outcomes, true_effect=true_effects(export, truth))
        assert result.overall["customers"] == len(listing)
        covered.append(result.truth["ci_covers_truth"])
    # 20 campaigns at 95%: fewer than 16 covered has probability below 0.3%.
    assert sum(covered) >= 16


def test_export_coverage_reruns_the_deployed_campaign(population):
    truth, listing, cutoff = population
    export = export_campaign(listing, holdout_share=0.2, seed=1, campaign_start=cutoff)
    study = export_coverage(export, truth, n_campaigns=400, seed=0)
    same = coverage_study(
        truth["p_response_control"].to_numpy(),
        truth["p_response_treated"].to_numpy(),
        listing["decile"].to_numpy(),
        holdout_share=0.2,
        n_campaigns=400,
        seed=0,
    )
    assert study == same  # strata named "1".."10" or numbered: the same draws


def _two_offer_plan_and_truth():
    """Four planned customers, two per offer, and a truth that knows the e-mail and the coupon."""
    plan = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "offer": ["email", "email", "coupon", "coupon"],
            "expected_uplift": 0.1,
            "expected_profit": 1.0,
        }
    )
    truth = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "p_response_control": [0.0, 0.0, 0.0, 0.0],
            "p_response_treated": [1.0, 0.5, 0.0, 0.0],  # the e-mail
            "p_response_coupon": [0.0, 0.0, 1.0, 0.7],
        }
    )
    return plan, truth


def test_each_planned_customer_gets_its_own_offers_truth():
    """A coupon customer converts with the coupon's probability, not the e-mail's.

    Before the fix, every offer was played forward (and its true effect computed) with the
    e-mail's ``p_response_treated``: here the true effect was (1 + 0.5 + 0 + 0) / 4 = 0.375
    instead of (1 + 0.5 + 1 + 0.7) / 4 = 0.8.
    """
    plan, truth = _two_offer_plan_and_truth()
    export = export_campaign(plan, holdout_share=0.25, stratify_by="none", seed=0)
    assert true_effects(export, truth)["incremental_rate"] == pytest.approx(0.8)
    # Probabilities 0 and 1 make the draw deterministic: the coupon customer "c" converts when
    # contacted (the e-mail would never convert it), "a" converts under its e-mail.
    always = truth.assign(
        p_response_coupon=[0.0, 0.0, 1.0, 1.0], p_response_treated=[1.0, 1.0, 0, 0]
    )
    everyone = export_campaign(plan, holdout_share=0.25, stratify_by="none", seed=0)
    outcomes = simulate_outcomes(everyone, always, seed=3, campaign_start="2025-01-01")
    contacted = everyone.customers["treatment"].to_numpy() == 1
    assert outcomes["converted"].tolist() == contacted.astype(int).tolist()
    # A one-offer plan (any offer name) uses the campaign's only contact.
    single = export_campaign(plan.assign(offer="offer"), holdout_share=0.25, seed=0)
    one_arm = truth.drop(columns="p_response_coupon")
    assert true_effects(single, one_arm)["incremental_rate"] == pytest.approx(0.375)


def test_an_offer_the_truth_does_not_know_is_an_error():
    plan, truth = _two_offer_plan_and_truth()
    export = export_campaign(
        plan.assign(offer=["email", "email", "call", "call"]), holdout_share=0.25, seed=0
    )
    with pytest.raises(
        Exception, match=r"truth, column 'offer'.*\['coupon', 'email'\].*\['call'\]"
    ):
        true_effects(export, truth)
