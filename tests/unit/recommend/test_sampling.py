"""Comparing on a seeded sample of customers: who is kept, and that pseudonyms do not move it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError
from marketing_utils.recommend import (
    ItemKNNRecommender,
    ModelSettings,
    customer_sample,
    evaluate_recommenders,
    fit_for_export,
    time_split,
)
from marketing_utils.recommend.sampling import history_keys

from .conftest import CUTOFF


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return make_synthetic(1500, seed=8, n_products=40, dirty=False).transactions


def _cutoff(transactions):
    return pd.to_datetime(transactions["timestamp"]).max() - pd.Timedelta(days=120)


def test_history_keys_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c"],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-02-01", "2024-01-01", "2024-01-01"]
            ),
            "product_id": ["p", "q", "q", "p", "p"],
            "amount": [1.0, 2.0, 2.0, 1.0, 1.0],
        }
    )
    keys = history_keys(tx)
    # b has a's two lines in the other order: the same history, the same key.
    assert keys.loc["a", "key"] == keys.loc["b", "key"]
    assert keys.loc["a", "key"] != keys.loc["c", "key"]
    assert keys["lines"].tolist() == [2, 2, 1]
    line_hashes = pd.util.hash_pandas_object(
        tx.iloc[[0, 1]][["timestamp", "product_id", "amount"]], index=False
    )
    assert keys.loc["a", "key"] == np.uint64(line_hashes.sum())


def test_the_sample_keeps_whole_customers_and_counts_what_it_left_out(transactions):
    population = transactions["customer_id"].unique()[:1200].tolist() + ["never_bought"]
    everyone = set(transactions["customer_id"]) | {"never_bought"}
    sample = customer_sample(transactions, population, 400, seed=1)
    assert sample.sampled
    kept = set(sample.transactions["customer_id"])
    # Every line of a sampled customer, none of another; the input is not modified.
    expected = transactions[transactions["customer_id"].isin(kept)]
    pd.testing.assert_frame_equal(sample.transactions, expected)
    # The population in the sample: the sampled customers with lines who are in the
    # population, and the population-only customers who were drawn.
    drawn_without_lines = set(sample.population) - set(transactions["customer_id"])
    assert drawn_without_lines <= {"never_bought"}
    assert set(sample.population) == (kept & set(population)) | drawn_without_lines
    assert sample.counts == {
        "customers": 400,
        "customers_before_sample": len(everyone),
        "population": len(sample.population),
        "population_before_sample": len(population),
        "transaction_lines": len(expected),
        "transaction_lines_before_sample": len(transactions),
    }
    # 400 customers drawn out of everyone: those with lines, plus population-only ones.
    assert len(kept | drawn_without_lines) == 400
    assert (
        set(customer_sample(transactions, population, 400, seed=1).transactions["customer_id"])
        == kept
    )
    assert (
        set(customer_sample(transactions, population, 400, seed=2).transactions["customer_id"])
        != kept
    )


def test_no_sample_when_zero_or_small_enough(transactions):
    population = transactions["customer_id"].unique()
    for size in (0, len(population), len(population) + 5):
        sample = customer_sample(transactions, population, size, seed=1)
        assert not sample.sampled and sample.counts == {}
        assert sample.transactions is transactions
        assert sorted(sample.population) == sorted(population)


def test_the_sample_does_not_depend_on_the_pseudonyms(transactions):
    # Another pseudonymization key renames and reorders every customer: the sample holds
    # the same histories, so the split and a model's metrics on it are the same.
    ids = transactions["customer_id"].unique()
    rng = np.random.default_rng(0)
    rename = dict(zip(ids, [f"x{v:08d}" for v in rng.permutation(len(ids))], strict=True))
    renamed = transactions.assign(customer_id=transactions["customer_id"].map(rename))
    cutoff = _cutoff(transactions)
    tables = []
    for tx in (transactions, renamed):
        population = tx.loc[tx["timestamp"] < cutoff, "customer_id"].unique()
        sample = customer_sample(tx, population, 500, seed=7)
        split = time_split(
            sample.transactions, cutoff=cutoff, horizon_days=90, population=sample.population
        )
        model = ItemKNNRecommender().fit(split.interactions)
        tables.append(evaluate_recommenders({"item_cf": model}, split, k=10, ks=[10]).table)
        histories = sorted(
            tuple(sorted(zip(g["timestamp"], g["product_id"], g["amount"], strict=True)))
            for _, g in sample.transactions.groupby("customer_id")
        )
        tables.append(histories)
    assert tables[1] == tables[3]
    pd.testing.assert_frame_equal(tables[0], tables[2])


@pytest.mark.parametrize("bad", [-1, 2.5, "100", True])
def test_a_bad_size_names_the_parameter(transactions, bad):
    with pytest.raises(DataValidationError, match="max_customers.*integer >= 0"):
        customer_sample(transactions, [], bad, seed=1)


@pytest.mark.parametrize("tiny", [1, 99])
def test_a_sample_too_small_to_compare_on_names_the_parameter(transactions, tiny):
    with pytest.raises(
        DataValidationError, match="max_customers.*at least 100.*found " + str(tiny)
    ):
        customer_sample(transactions, [], tiny, seed=1)


def test_a_missing_column_is_named():
    with pytest.raises(DataValidationError, match="timestamp"):
        customer_sample(pd.DataFrame({"customer_id": ["a"]}), ["a"], 100, seed=0)


def test_fit_for_export_learns_from_everyone(toy_transactions):
    settings = ModelSettings(min_segment_size=1)
    models = fit_for_export(
        "item_cf",
        toy_transactions,
        cutoff=CUTOFF,
        segments={"A": "s"},
        vectors=None,
        settings=settings,
    )
    assert sorted(models) == ["item_cf", "segment_popularity"]
    # The toy shop's four customers before the cutoff, all in the matrix.
    assert sorted(models["item_cf"].interactions_.customer_ids) == ["A", "B", "C", "D"]
    assert models["item_cf"].interactions_ is models["segment_popularity"].interactions_
    with pytest.raises(DataValidationError, match="export_method.*'nearest'"):
        fit_for_export(
            "nearest", toy_transactions, cutoff=CUTOFF, segments={}, vectors=None, settings=settings
        )
