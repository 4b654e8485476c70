"""The synthetic churn table: one row per customer, churn from the generator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.datasets.synthetic_churn import (
    LEAK_COLUMN,
    make_churn_table,
    write_churn_table,
)


def test_churn_is_no_purchase_in_the_horizon_of_the_truth():
    table, truth = make_churn_table(400, seed=5, leak=True)
    data = make_synthetic(400, seed=5, dirty=False)
    source = data.truth.set_index("customer_id").loc[table["customer_id"]]
    assert source["acquired_before_cutoff"].all()
    assert len(table) == int(data.truth["acquired_before_cutoff"].sum())
    assert (
        (table["churned"] == "Yes").to_numpy() == ~source["purchased_in_horizon"].to_numpy()
    ).all()
    np.testing.assert_allclose(truth["true_churn_prob"], 1 - source["true_purchase_prob"])
    assert table["customer_id"].is_unique and table["account_number"].is_unique
    # The planted leak separates the classes exactly: the churners' last order is at least
    # horizon_days before the export date.
    churned = table["churned"] == "Yes"
    assert table.loc[churned, LEAK_COLUMN].min() >= 90 > table.loc[~churned, LEAK_COLUMN].max()
    assert roc_auc_score(churned, table[LEAK_COLUMN]) == 1.0
    # total_spend is text, like an export: numbers, and a blank cell for a few customers.
    blank = table["total_spend"] == " "
    parsed = pd.to_numeric(table["total_spend"].where(~blank), errors="coerce")
    assert parsed.notna().to_numpy().tolist() == (~blank).to_numpy().tolist()


def test_same_seed_same_table_and_no_leak_unless_asked():
    first, _ = make_churn_table(300, seed=2)
    second, _ = make_churn_table(300, seed=2)
    assert first.equals(second)
    assert LEAK_COLUMN not in first.columns


def test_write_churn_table_never_overwrites(tmp_path):
    path = write_churn_table(tmp_path / "churn.csv", 200, seed=1, truth_path=tmp_path / "t.csv")
    assert path.read_text().splitlines()[0].endswith(f"{LEAK_COLUMN},churned")
    with pytest.raises(FileExistsError, match="never written over a file"):
        write_churn_table(path, 200, seed=1)
