"""03_propensity_modeling in the report runs: the AUCs it records and the artifacts 04 reads."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from marketing_utils.model_io import TRUSTED_TYPES, load_model
from marketing_utils.propensity.data import add_segments
from marketing_utils.propensity.models import family_name

DEFAULT_FAMILIES = {"logistic", "random_forest", "hist_gradient_boosting"}


def _check_consistent(metrics: dict) -> None:
    """What must hold on any data."""
    rate = metrics["test_positive_rate"]
    assert metrics["test_pr_auc"] > rate  # better than contacting at random
    assert metrics["test_brier"] < rate * (1 - rate)  # better than predicting the base rate
    assert metrics["calibration"] in ("sigmoid", "isotonic")
    assert metrics["best_model"] in DEFAULT_FAMILIES
    assert metrics["gd_converged"] is True
    assert metrics["gd_max_abs_difference"] < 1e-4  # the teaching cell's stated tolerance
    assert metrics["reload_matches"] is True
    assert metrics["n_train"] + metrics["n_test"] == metrics["n_customers"]
    # No report shows a test AUC above 0.99 without the "too good to be true" flag.
    assert metrics["too_good_to_be_true"] is (metrics["test_roc_auc"] > 0.99)
    assert ("too_good_to_be_true_warning" in metrics) is metrics["too_good_to_be_true"]
    # The headline says "best" only of the family with the top CV AUC; the one-standard-error
    # rule may choose a simpler one, and the reading must then say so.
    families = metrics["cv_roc_auc_by_family"]
    model = next(figure for figure in metrics["headline"] if figure["label"] == "model")
    top = max(families, key=families.get)
    said = "best of" if top == metrics["best_model"] else "simplest of the"
    assert model["reading"].startswith(said), model["reading"]


def _check_artifacts(report_dir, metrics: dict) -> None:
    folder = report_dir / "artifacts"
    scores = pd.read_parquet(folder / "scores.parquet")
    assert scores.columns.tolist() == ["customer_id", "split", "label", "score"]
    assert len(scores) == metrics["n_customers"] and scores["customer_id"].is_unique
    assert scores["customer_id"].str.fullmatch(r"cust_[0-9a-f]{16}").all()  # pseudonyms only
    assert (scores["split"] == "test").sum() == metrics["n_test"]
    assert scores["score"].between(0, 1).all()
    info = json.loads((folder / "propensity_model_info.json").read_text())
    assert info["model_family"] == metrics["best_model"]
    assert info["calibration_method"] == metrics["calibration"]
    assert set(info["skops_trusted_types"]) <= set(TRUSTED_TYPES)
    # The saved model, fed the saved tables, reproduces the saved scores.
    model = load_model(folder / "propensity_model.skops")
    table = pd.read_parquet(folder / "model_table.parquet")
    segments_path = folder / "segments.parquet"
    if segments_path.exists():
        table, _ = add_segments(table, pd.read_parquet(segments_path))
    table = table.set_index("customer_id").loc[scores["customer_id"].head(200)]
    predicted = model.predict_proba(table[info["features"]])[:, 1]
    assert predicted == pytest.approx(scores["score"].head(200).to_numpy(), abs=1e-9)
    comparison = pd.read_parquet(folder / "model_comparison.parquet")
    manifest = json.loads((report_dir / "manifest.json").read_text())
    asked = manifest["params"]["sections"]["propensity_modeling"]["models"]
    assert set(comparison["family"]) == {family_name(name) for name in asked}


def test_synthetic_propensity_metrics(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["propensity_modeling"]
    _check_consistent(metrics)
    assert metrics["n_customers"] == all_metrics["preprocessing"]["n_customers"]
    assert metrics["label_kind"] == "purchase_in_horizon"
    assert metrics["segments_used"] == ("segmentation" in all_metrics)
    # 2,000 customers: the model ranks well, and the true propensity is the ceiling.
    assert metrics["test_roc_auc"] > 0.75
    assert metrics["true_propensity_auc"] > metrics["test_roc_auc"] - 0.02
    assert metrics["auc_gap"] == pytest.approx(
        metrics["true_propensity_auc"] - metrics["test_roc_auc"]
    )
    assert metrics["auc_gap"] < 0.15
    _check_artifacts(result.report_dir, metrics)


def test_bank_marketing_propensity(bank_report):
    result, all_metrics = bank_report
    metrics = all_metrics["propensity_modeling"]
    _check_consistent(metrics)
    assert metrics["label_kind"] == "campaign_response"
    assert "true_propensity_auc" not in metrics  # real data: no ground truth
    assert metrics["test_roc_auc"] >= 0.80  # the target, without the leaking call duration
    _check_artifacts(result.report_dir, metrics)


def test_hillstrom_propensity(hillstrom_report):
    result, all_metrics = hillstrom_report
    metrics = all_metrics["propensity_modeling"]
    _check_consistent(metrics)
    assert metrics["label_kind"] == "campaign_response"
    # Visits after an e-mail are hard to predict from seven attributes: well above chance, no more.
    assert 0.6 < metrics["test_roc_auc"] < 0.75
    _check_artifacts(result.report_dir, metrics)


def test_cdnow_propensity(cdnow_report):
    result, all_metrics = cdnow_report
    metrics = all_metrics["propensity_modeling"]
    _check_consistent(metrics)
    assert metrics["label_kind"] == "purchase_in_horizon"  # a repeat purchase in the 181 days
    assert metrics["test_roc_auc"] > 0.75
    _check_artifacts(result.report_dir, metrics)
