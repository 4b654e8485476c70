"""Tests of marketing_utils.evaluate.stage: the whole evaluation on data with a known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketing_utils.artifacts import to_jsonable
from marketing_utils.evaluate.economics import CampaignEconomics
from marketing_utils.evaluate.inputs import evaluation_frame
from marketing_utils.evaluate.stage import (
    evaluate_targeting,
    targeting_list,
    write_targeting_list,
)
from marketing_utils.runner.report import flatten_metrics

ECONOMICS = CampaignEconomics(cost_per_contact=1.0, value_per_conversion=5.0)


def _world(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Customers with a known purchase probability; the 'model' scores them with it."""
    rng = np.random.default_rng(seed)
    p = rng.beta(1.0, 3.0, n)
    label = (rng.random(n) < p).astype(int)
    ids = [f"cust_{i:04d}" for i in range(n)]
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "split": np.where(rng.random(n) < 0.7, "train", "test"),
            "label": label,
            "score": p,
        }
    )
    features = pd.DataFrame(
        {
            "customer_id": ids,
            "days_since_last_purchase": np.round(200 * (1 - p) + rng.normal(0, 20, n)),
            "n_orders": rng.poisson(1 + 5 * p),
            "total_spend": np.round(100 * p + rng.gamma(2, 20, n), 2),
        }
    )
    truth = pd.DataFrame({"customer_id": ids, "true_purchase_prob": p})
    return scores, features, truth


def _evaluate(economics=ECONOMICS, **kwargs):
    scores, features, truth = _world()
    frame, source = evaluation_frame(scores, features=features, truth=truth)
    options = {"n_bootstrap": 40, "seed": 3, "segment_source": source, **kwargs}
    return frame, evaluate_targeting(frame, economics, **options)


def test_a_perfectly_calibrated_score_earns_the_oracle_profit():
    frame, result = _evaluate()
    test = frame[frame["split"] == "test"]
    # The break-even rule p >= c / v contacts exactly the oracle's customers (v p > c).
    assert result.rule.threshold == pytest.approx(0.2)
    assert result.decision["contacts"] == int((test["score"] >= 0.2).sum())
    assert result.oracle["share_of_oracle"] == pytest.approx(1.0)
    assert result.oracle["oracle_contacts"] == result.decision["contacts"]
    expected = (5 * test["score"][test["score"] >= 0.2] - 1).sum()
    assert result.oracle["targeting_profit"] == pytest.approx(expected)


def test_metrics_are_complete_deterministic_and_lead_with_lift_and_profit():
    _, first = _evaluate()
    _, again = _evaluate()
    metrics = first.metrics()
    assert json.dumps(to_jsonable(metrics), sort_keys=True) == json.dumps(
        to_jsonable(again.metrics()), sort_keys=True
    )
    for key in (
        "top_decile_lift",
        "auc",
        "pr_auc",
        "ks",
        "best_depth",
        "expected_profit",
        "roi",
        "profit_vs_everyone",
        "profit_share_of_oracle",
        "top_decile_lift_rule",
    ):
        assert isinstance(metrics[key], float), key
    for key in ("auc_ci", "pr_auc_ci", "top_decile_lift_ci", "expected_profit_ci"):
        low, high = metrics[key]
        assert low <= metrics[key.removesuffix("_ci")] <= high, key
    assert metrics["profit_vs_everyone"] == pytest.approx(
        metrics["expected_profit"] - metrics["validation"]["everyone_profit"]
    )
    assert metrics["validation"]["sklearn_tuning_agrees"] is True
    # Every metric reaches the report index's complete table (the headline is declared by 04).
    flat = flatten_metrics(json.loads(json.dumps(to_jsonable(metrics), sort_keys=True)))
    assert {"top_decile_lift", "expected_profit", "roi", "profit_share_of_oracle", "auc"} <= set(
        flat
    )


def test_the_model_beats_random_and_the_rule_is_reported():
    _, result = _evaluate()
    table = result.comparison.set_index("approach")
    assert table.index.tolist() == ["model", "rule", "random"]
    assert table.loc["model", "top_decile_lift"] > 1.5 > table.loc["random", "top_decile_lift"]
    assert table.loc["model", "best_profit"] >= table.loc["rule", "best_profit"]
    assert result.rule_gains is not None


def test_contact_limit_caps_the_held_out_selection_and_the_list():
    economics = CampaignEconomics(1.0, 5.0, max_contacts=100)
    frame, result = _evaluate(economics)
    n_test = int((frame["split"] == "test").sum())
    assert result.rule.max_share == pytest.approx(100 / 1200)
    assert result.decision["contacts"] == int(np.floor(100 / 1200 * n_test))
    assert result.oracle["oracle_contacts"] == result.decision["contacts"]
    assert result.oracle["share_of_oracle"] == pytest.approx(1.0)
    targets = targeting_list(frame, result.rule)
    assert int(targets["selected"].sum()) == 100
    assert (
        targets["score"][targets["selected"]].min() >= targets["score"][~targets["selected"]].max()
    )


def test_targeting_list_is_sorted_complete_and_exported(tmp_path):
    frame, result = _evaluate()
    targets = targeting_list(frame, result.rule)
    assert targets.columns.tolist() == ["customer_id", "score", "decile", "segment", "selected"]
    assert sorted(targets["customer_id"]) == sorted(frame["customer_id"])
    assert targets["score"].is_monotonic_decreasing
    assert int(targets["selected"].sum()) == int((frame["score"] >= 0.2).sum())
    assert targets["decile"].iloc[0] == 1 and targets["decile"].iloc[-1] == 10
    path = write_targeting_list(targets, tmp_path / "artifacts" / "targeting_list.csv")
    back = pd.read_csv(path)
    assert back.columns.tolist() == targets.columns.tolist()
    assert back["customer_id"].tolist() == targets["customer_id"].tolist()
    assert back["selected"].tolist() == targets["selected"].tolist()
    np.testing.assert_allclose(back["score"], targets["score"], atol=1e-6)


def test_max_realized_rule_reaches_the_best_held_out_profit():
    _, result = _evaluate(threshold_rule="max_realized")
    assert result.decision["profit"] == pytest.approx(result.best_realized["profit"])
    assert result.metrics()["validation"]["threshold_rule"] == "max_realized"


def test_briefing_and_decision_record():
    _, result = _evaluate()
    text = result.briefing()
    assert f"Contact {result.decision['contacts']:,} of {len(result.test):,}" in text
    assert "95% interval" in text and "oracle" in text
    record = result.decision_record()
    assert record["threshold"] == pytest.approx(0.2) and record["threshold_rule"] == "break_even"
    json.dumps(to_jsonable(record))


def test_money_table_compares_the_choice_with_everyone_and_nobody():
    frame, result = _evaluate()
    test = frame[frame["split"] == "test"]
    table = result.money_table()
    assert table.index.tolist() == [
        "chosen targeting",
        "contact everyone",
        "contact nobody",
        "best depth on these customers (optimistic)",
    ]
    everyone = table.loc["contact everyone"]
    assert everyone["contacts"] == len(test) and everyone["depth_pct"] == pytest.approx(100.0)
    assert everyone["profit"] == pytest.approx(5 * test["label"].sum() - len(test))
    assert table.loc["contact nobody", "profit"] == 0 and np.isnan(
        table.loc["contact nobody", "roi"]
    )
    chosen = table.loc["chosen targeting"]
    assert chosen["roi"] == pytest.approx(chosen["profit"] / chosen["cost"])
    best = table.loc["best depth on these customers (optimistic)"]
    assert best["revenue"] - best["cost"] == pytest.approx(best["profit"])
    assert best["profit"] >= chosen["profit"]


def test_a_zero_contact_limit_contacts_nobody():
    frame, result = _evaluate(CampaignEconomics(1.0, 5.0, max_contacts=0))
    assert result.decision["contacts"] == 0 and result.decision["profit"] == 0
    assert result.oracle["oracle_contacts"] == 0 and result.oracle["oracle_profit"] == 0
    assert not targeting_list(frame, result.rule)["selected"].any()
