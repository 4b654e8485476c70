"""Notebook 04's economics in retention terms, pinned by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.evaluate.economics import profit_curve
from marketing_utils.evaluate.inputs import evaluation_frame
from marketing_utils.evaluate.retention import (
    retention_briefing,
    retention_economics,
    retention_table,
)
from marketing_utils.evaluate.stage import evaluate_targeting


def test_a_saved_churner_is_worth_value_times_save_rate():
    economics = retention_economics(5.0, 200.0, 0.25)
    assert (economics.cost_per_contact, economics.value_per_conversion) == (5.0, 50.0)
    # Four customers by churn risk; churners at ranks 1 and 3. Offering to the top k:
    # k=1: 50 x 1 - 5 = 45; k=2: 50 - 10 = 40; k=3: 100 - 15 = 85; k=4: 100 - 20 = 80.
    curve = profit_curve(np.array([1, 0, 1, 0]), np.array([0.9, 0.7, 0.5, 0.1]), economics)
    assert curve["profit"].tolist()[-4:] == [45.0, 40.0, 85.0, 80.0]


def test_retention_parameters_are_checked():
    with pytest.raises(ValueError, match=r"evaluation.save_rate: expected a share in \(0, 1\]"):
        retention_economics(5.0, 200.0, 1.5)
    with pytest.raises(ValueError, match="evaluation.customer_value: expected a number > 0"):
        retention_economics(5.0, 0, 0.3)


def test_retention_table_and_briefing_add_up():
    rng = np.random.default_rng(1)
    n = 600
    risk = rng.beta(2.0, 2.0, n)
    ids = [f"cust_{i:04d}" for i in range(n)]
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "split": np.where(np.arange(n) % 2 == 0, "test", "train"),
            "label": (rng.random(n) < risk).astype(int),
            "score": risk,
        }
    )
    features = pd.DataFrame({"customer_id": ids, "plan": rng.choice(["a", "b"], n)})
    frame, source = evaluation_frame(scores, features=features)
    economics = retention_economics(4.0, 100.0, 0.2)
    result = evaluate_targeting(frame, economics, n_bootstrap=20, segment_source=source)
    table = retention_table(result, 100.0, 0.2)
    chosen = table.loc["chosen targeting"]
    churners = int(result.test["label"].sum())
    assert table["value_at_risk"].iloc[0] == 100.0 * churners
    assert chosen["saved_customers"] == pytest.approx(0.2 * chosen["churners_reached"])
    assert chosen["value_saved"] == pytest.approx(100.0 * chosen["saved_customers"])
    assert chosen["net_value"] == pytest.approx(chosen["value_saved"] - 4.0 * chosen["offers"])
    assert result.rule.threshold >= 4.0 / 20.0  # break-even churn risk c / (V s) = 0.2
    everyone = table.loc["contact everyone"]
    assert everyone["churners_reached"] == churners and everyone["offers"] == len(result.test)
    text = retention_briefing(result, 100.0, 0.2)
    assert text.startswith(f"{churners:,} of {len(result.test):,} held-out customers churned")
    assert "break-even: offer cost / (customer value x save rate) = 4.00 / 20.00" in text
