"""08_customer_lifetime_value in the report runs: the metrics interface, CDNOW targets, skips."""

from __future__ import annotations

import math

from marketing_utils.artifacts import Artifacts


def _entry(result, stem="08_customer_lifetime_value"):
    return next(e for e in result.notebooks if e["stem"] == stem)


def _check_interface(metrics):
    for model, names in (
        ("bgnbd", ("r", "alpha", "a", "b")),
        ("gamma_gamma", ("p", "q", "v")),
        ("pareto_nbd", ("r", "alpha", "s", "beta")),
    ):
        for name in names:
            assert math.isfinite(metrics[model][name]) and metrics[model][name] > 0, (model, name)
    holdout = metrics["holdout"]
    assert holdout["actual_repeat"] > 0
    # each holdout figure is keyed by its model: the index cannot mix BG/NBD and Pareto/NBD
    for model in ("bgnbd", "pareto_nbd", "rate_forward", "gap_rule"):
        assert holdout["predicted_repeat"][model] > 0
        error = holdout["predicted_repeat"][model] / holdout["actual_repeat"] - 1
        assert abs(holdout["relative_error"][model] - error) < 1e-4
    # the headline's error and the decision's are the chosen model's, stated alike
    chosen = metrics["purchase_model"]
    first = metrics["headline"][0]
    assert abs(first["value"] - holdout["relative_error"][chosen]) < 1e-4
    assert f"by {abs(first['value']):.1%} (" in metrics["decision"]


def test_synthetic_run_records_the_models_and_saves_the_value(ci_report):
    result, all_metrics = ci_report
    assert _entry(result)["status"] == "ran"
    metrics = all_metrics["customer_lifetime_value"]
    _check_interface(metrics)
    assert metrics["time_unit"] == "W"
    # the synthetic targets (on the ci run's 2,000 customers)
    truth = metrics["truth"]
    best = min(truth["mae"]["bgnbd"], truth["mae"]["pareto_nbd"])
    assert best < truth["mae"]["rate_forward"] and best < truth["mae"]["gap_rule"]
    assert truth["p_alive_auc"] >= 0.85
    # the reported AUC is the chosen model's, and the headline shows it
    assert truth["p_alive_auc"] == truth["p_alive_auc_by_model"][metrics["purchase_model"]]
    figures = {f["label"]: f["value"] for f in metrics["headline"]}
    assert figures["P(alive) ROC AUC against the truth"] == truth["p_alive_auc"]
    assert 0.2 < figures["holdout spend held by the top 20% by predicted value"] <= 1
    assert metrics["decision"].startswith("The value (")
    # the targeting comparison is recorded with its verdict, and the decision follows it
    targeting = metrics["targeting"]
    assert targeting["gain"] == targeting["expected_clv_priced"] - targeting["expected_clv_fixed"]
    priced = "Price targeting in lifetime value" in metrics["decision"]
    assert priced == (targeting["material"] and "above 15%" not in metrics["decision"])


def test_clv_artifact_has_the_columns_later_stages_read(ci_report):
    result, _ = ci_report
    store = Artifacts(result.report_dir)
    table = store.load("clv")
    assert list(table.columns) == [
        "customer_id",
        "expected_purchases",
        "p_alive",
        "expected_spend",
        "clv",
    ]
    assert table["customer_id"].is_unique and (table["clv"] >= 0).all()
    assert store.exists("cohort_matrix") and store.exists("clv_segments")


def test_cdnow_holdout_within_15_percent(cdnow_report):
    result, all_metrics = cdnow_report
    assert _entry(result)["status"] == "ran"
    metrics = all_metrics["customer_lifetime_value"]
    _check_interface(metrics)
    assert metrics["calibration_end"] == "1997-09-30" and metrics["holdout_end"] == "1998-06-30"
    assert metrics["holdout"]["periods"] == 39.0
    holdout = metrics["holdout"]
    assert abs(holdout["predicted_repeat"]["bgnbd"] / holdout["actual_repeat"] - 1) < 0.15
    labels = [f["label"] for f in metrics["headline"]]
    assert "P(alive) ROC AUC against the truth" not in labels  # no truth on real data
    assert labels[0] == "holdout repeat purchases, predicted vs actual"
