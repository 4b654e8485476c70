"""The customer-table path end to end: params/churn.yaml on the synthetic churn table.

One row per customer with a churn flag derived from the generator's ground
truth, an account number, a signup date, a number column exported as text with
blank cells, and a planted leak (the days since the last order counted at the
export date). Notebooks 01-04 must run without transactions or a treatment flag.
"""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import roc_auc_score

from marketing_utils.datasets.synthetic_churn import LEAK_COLUMN


def _statuses(result) -> dict[str, str]:
    return {entry["stem"]: entry["status"] for entry in result.notebooks}


def test_churn_report_runs_01_to_04_and_skips_the_rest(churn_report):
    result, _, _ = churn_report
    statuses = _statuses(result)
    assert [statuses[s] for s in ("01_preprocessing", "02_segmentation")] == ["ran", "ran"]
    assert [statuses[s] for s in ("03_propensity_modeling", "04_evaluation")] == ["ran", "ran"]
    assert {statuses[s] for s in ("05_campaign_uplift", "06_recommendations")} == {"skipped"}
    assert statuses["07_demand_forecasting"] == "skipped"


def test_churn_label_roles_and_ledger(churn_report):
    _, metrics, truth = churn_report
    pre = metrics["preprocessing"]
    assert pre["label"]["kind"] == "customer_outcome"
    assert pre["label"]["name"] == "churn" and pre["label"]["column"] == "churned"
    assert pre["label"]["positives"] == int(truth["churned"].sum())
    assert pre["n_customers"] == len(truth)
    excluded = pre["excluded_features"]
    assert excluded["account_number"].startswith("identifier-like")
    assert excluded["signup_date"].startswith("a date")
    reasons = pre["ledger"]["customers"]["reasons"]
    assert reasons["missing_total_spend"] > 0  # blank cells: numeric with missing values
    assert reasons["non_numeric_total_spend"] == 0
    assert "total_spend" not in excluded


def test_the_guard_excludes_the_planted_leak_everywhere(churn_report):
    result, metrics, _ = churn_report
    pre = metrics["preprocessing"]
    assert pre["leakage_excluded"] == [LEAK_COLUMN]
    assert pre["excluded_features"][LEAK_COLUMN].startswith(
        "leakage guard: single-feature AUC 1.000"
    )
    artifacts = result.report_dir / "artifacts"
    features = pd.read_parquet(artifacts / "customer_features.parquet")
    assert LEAK_COLUMN not in features.columns  # so 02 cannot cluster on it
    assert LEAK_COLUMN not in metrics["segmentation"]["features"]
    assert f"{LEAK_COLUMN} (notebook 01)" in metrics["propensity_modeling"]["excluded_features"]


def test_churn_model_is_close_to_the_true_churn_probability(churn_report):
    result, metrics, truth = churn_report
    scores = pd.read_parquet(result.report_dir / "artifacts" / "scores.parquet")
    test = scores[scores["split"] == "test"].merge(truth, on="customer_id", validate="1:1")
    assert len(test) == metrics["propensity_modeling"]["n_test"]
    assert (test["label"] == test["churned"]).all()
    model_auc = roc_auc_score(test["label"], test["score"])
    true_auc = roc_auc_score(test["label"], test["true_churn_prob"])
    assert abs(model_auc - metrics["propensity_modeling"]["test_roc_auc"]) < 1e-12
    assert true_auc - model_auc < 0.03
    assert metrics["propensity_modeling"]["too_good_to_be_true"] is False


def test_04_speaks_of_retention(churn_report):
    result, metrics, _ = churn_report
    html = (result.report_dir / "html" / "04_evaluation.html").read_text(encoding="utf-8")
    readable = html.replace("_", " ")  # the report shows column names for people
    assert "churn rate" in readable and "value at risk" in readable
    assert "saved customers" in readable
    assert metrics["evaluation"]["auc"] == metrics["propensity_modeling"]["test_roc_auc"]
