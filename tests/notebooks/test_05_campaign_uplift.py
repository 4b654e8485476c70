"""05_campaign_uplift in the report runs: the experiment, model and policy figures it records."""

from __future__ import annotations

import math

import pytest


def _status(result, stem: str = "05_campaign_uplift") -> dict:
    return next(entry for entry in result.notebooks if entry["stem"] == stem)


def _check_consistent(metrics: dict) -> None:
    """What must hold for any campaign: counts add up, intervals bracket, choice is the CV best."""
    assert metrics["n_treated"] + metrics["n_control"] == metrics["n_customers"]
    ate = metrics["ate"]
    assert ate["ci_low"] < ate["ate"] < ate["ci_high"]
    assert ate["ate"] == pytest.approx(ate["mean_treated"] - ate["mean_control"])
    assert metrics["qini_ci_low"] <= metrics["qini"] <= metrics["qini_ci_high"]
    models = metrics["models"]
    assert set(models) == set(metrics["compared_models"])
    best = max(models, key=lambda name: models[name]["cv_qini_mean"])
    assert metrics["best_model"] == best
    assert metrics["qini"] == models[best]["qini"]
    assert metrics["uplift_at_k_over_ate"] == pytest.approx(
        metrics["uplift_at_k"] / metrics["ate_test"]
    )
    # Profit = value x incremental responses - cost x contacts, for the top-k uplift policy.
    contacts = math.floor(metrics["top_share"] * metrics["n_test"] + 0.5)
    assert metrics["profit_uplift_policy"] == pytest.approx(
        metrics["value_per_response"] * metrics["incremental_uplift_policy"]
        - metrics["cost_per_contact"] * contacts
    )


def test_synthetic_campaign_uplift(ci_report):
    result, all_metrics = ci_report
    assert _status(result)["status"] == "ran"
    metrics = all_metrics["campaign_uplift"]
    _check_consistent(metrics)
    assert metrics["arm"] is None  # single-arm synthetic campaign
    assert metrics["n_customers"] > 1500  # campaign customers with a purchase history
    assert metrics["n_imbalanced"] <= 3  # randomized: few chance imbalances among ~40 features
    # Against the truth (ranks of the true uplift: a random ranking gives about 0).
    assert metrics["spearman_true_uplift"] > 0.3
    assert metrics["true_incremental_uplift_policy"] > 0  # its top 30% is not sleeping dogs
    # What the response model gets wrong: its top decile is mostly sure things; the
    # uplift model's holds more persuadables and fewer sure things (shares of the top
    # decile from the ground truth; a suppressed small group counts as 0, it is < 10).
    response = metrics["top_decile_types"]["response model"]
    uplift = metrics["top_decile_types"]["uplift model"]
    assert response["sure_thing"] > 0.5
    assert (uplift.get("sure_thing") or 0) < response["sure_thing"]
    assert (response.get("persuadable") or 0) < uplift["persuadable"]


def test_hillstrom_campaign_uplift(hillstrom_report):
    """Issue 7's Hillstrom targets: women's e-mail against no e-mail, response = visit."""
    result, all_metrics = hillstrom_report
    assert _status(result)["status"] == "ran"
    metrics = all_metrics["campaign_uplift"]
    _check_consistent(metrics)
    assert metrics["arm"] == "womens"
    assert metrics["n_customers"] == 21_387 + 21_306  # women's e-mail and control rows
    assert metrics["n_imbalanced"] == 0
    assert 0.03 < metrics["ate"]["ate"] < 0.06  # visit rate 15.1% against 10.6%
    assert metrics["qini_ci_low"] > 0
    assert metrics["uplift_at_k_over_ate"] >= 1.3
    assert "spearman_true_uplift" not in metrics  # no ground truth on real data


def _check_skipped(report) -> None:
    result, all_metrics = report
    entry = _status(result)
    assert entry["status"] == "skipped"
    assert "treatment flag and a control group" in entry["reason"]
    assert "campaign_uplift" not in all_metrics


def test_skipped_on_bank_marketing(bank_report):
    _check_skipped(bank_report)  # everyone was called: no control group


def test_skipped_on_cdnow(cdnow_report):
    _check_skipped(cdnow_report)  # transactions only: no campaign
