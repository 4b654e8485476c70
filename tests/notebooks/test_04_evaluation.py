"""04_evaluation in the report runs: the lift and profit figures it records, and the targeting list."""

from __future__ import annotations

import pandas as pd
import pytest


def _check_consistent(metrics: dict) -> None:
    """What must hold for any data: intervals bracket estimates, money adds up."""
    for name in ("auc", "pr_auc", "top_decile_lift", "expected_profit"):
        low, high = metrics[f"{name}_ci"]
        assert low <= metrics[name] <= high, name
    validation = metrics["validation"]
    # Lift cannot exceed 1 / base rate: the top decile cannot respond above 100%.
    assert 1.0 < metrics["top_decile_lift"] <= 1 / validation["base_rate"] + 1e-9
    assert 0 < metrics["ks"] <= 1
    contacts = metrics["with_threshold"]["contacts"]
    assert metrics["best_depth"] == pytest.approx(contacts / validation["n_test"])
    assert metrics["profit_vs_everyone"] == pytest.approx(
        metrics["expected_profit"] - validation["everyone_profit"]
    )
    assert validation["sklearn_tuning_agrees"] is True
    # The chosen rule uses no held-out outcome, so it cannot beat the best depth chosen on them.
    assert metrics["expected_profit"] <= validation["best_realized_profit"] + 1e-9


def test_synthetic_evaluation_metrics(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["evaluation"]
    _check_consistent(metrics)
    assert metrics["auc"] > 0.75
    # Defaults: a contact costs 1 and a conversion earns 10, so the break-even probability is 0.1.
    assert metrics["threshold"] == pytest.approx(0.1)
    assert metrics["validation"]["threshold_rule"] == "break_even"
    assert metrics["expected_profit"] > 0
    assert metrics["roi"] == pytest.approx(
        metrics["expected_profit"] / metrics["with_threshold"]["contacts"]
    )
    # The target: with the true propensities, at least 85% of the oracle's profit.
    assert metrics["profit_share_of_oracle"] >= 0.85
    assert metrics["validation"]["true_expected_profit"] == pytest.approx(
        metrics["profit_share_of_oracle"] * metrics["validation"]["oracle_expected_profit"]
    )
    assert "top_decile_lift_rule" in metrics


def test_targeting_list_export(ci_report):
    result, all_metrics = ci_report
    path = result.report_dir / "artifacts" / "targeting_list.csv"
    targets = pd.read_csv(path)
    assert targets.columns.tolist() == ["customer_id", "score", "decile", "segment", "selected"]
    assert len(targets) == all_metrics["preprocessing"]["n_customers"]
    assert targets["customer_id"].str.fullmatch(r"cust_[0-9a-f]{16}").all()  # pseudonyms only
    assert targets["score"].is_monotonic_decreasing
    threshold = all_metrics["evaluation"]["threshold"]
    assert targets["selected"].tolist() == (targets["score"] >= threshold).tolist()
    assert set(targets["decile"]) <= set(range(1, 11))


def test_report_index_shows_lift_and_profit(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["evaluation"]
    labels = [figure["label"] for figure in metrics["headline"]]
    assert labels == ["expected profit", "top-decile lift", "return on contact cost"]
    index = (result.report_dir / "index.html").read_text(encoding="utf-8")
    section = index.split('data-stage="04_evaluation"', 1)[1].split("<section", 1)[0]
    headline = section.split("<details>", 1)[0]  # shown without a click
    assert f'<td class="value">{metrics["expected_profit"]:,.0f}</td>' in headline
    assert f'<td class="value">{metrics["top_decile_lift"]:.1f}x</td>' in headline
    # The decision: whom to contact, and the expected profit with its interval.
    low, high = metrics["expected_profit_ci"]
    assert metrics["decision"].startswith(
        f"Contact the customers whose purchase probability is at least {metrics['threshold']:.2f}"
    )
    assert f"(95% interval {low:,.0f} to {high:,.0f})" in metrics["decision"]


def test_bank_marketing_lift(bank_report):
    result, all_metrics = bank_report
    metrics = all_metrics["evaluation"]
    _check_consistent(metrics)
    # The target without the leaking call duration.
    assert metrics["top_decile_lift"] >= 4
    assert "profit_share_of_oracle" not in metrics  # no ground truth for real data
