"""The fitting sample of notebook 03: size, class shares, order, seed."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.sampling import sample_customers


def table() -> pd.DataFrame:
    # 1,000 customers, 200 of them positive (20 %), ids in order.
    return pd.DataFrame(
        {"customer_id": [f"c{i:04d}" for i in range(1000)], "label": [1] * 200 + [0] * 800}
    )


def test_sample_keeps_the_label_shares_and_the_row_order():
    sample = sample_customers(table(), 100, seed=3)
    # 20 % of 100 positives and 80 % of 100 negatives.
    assert sample["label"].value_counts().to_dict() == {0: 80, 1: 20}
    assert sample.index.is_monotonic_increasing and sample["customer_id"].is_unique
    assert sample_customers(table(), 100, seed=3).equals(sample)
    assert not sample_customers(table(), 100, seed=4).equals(sample)


def test_small_tables_and_zero_keep_everything_untouched():
    full = table()
    assert sample_customers(full, 0) is full
    assert sample_customers(full, 1000) is full
    rare = full.assign(label=[1] + [0] * 999)
    # A rare class keeps at least one row.
    assert sample_customers(rare, 10)["label"].sum() == 1


@pytest.mark.parametrize("bad", [-1, 2.5, True, "100"])
def test_bad_sizes_name_the_parameter(bad):
    with pytest.raises(DataValidationError, match="propensity_modeling.max_customers"):
        sample_customers(table(), bad)


def test_missing_label_is_named():
    with pytest.raises(DataValidationError, match="'label'"):
        sample_customers(table().drop(columns="label"), 10)
