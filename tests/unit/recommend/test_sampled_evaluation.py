"""Evaluating on a seeded sample of customers: what it keeps, and that pseudonyms do not move it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError
from marketing_utils.recommend import (
    ItemKNNRecommender,
    PopularityRecommender,
    evaluate_recommenders,
    sample_evaluated,
    time_split,
)


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return make_synthetic(3000, seed=3, n_products=60, dirty=False).transactions


def _split(transactions: pd.DataFrame):
    cutoff = pd.to_datetime(transactions["timestamp"]).max() - pd.Timedelta(days=120)
    return time_split(transactions, cutoff=cutoff, horizon_days=90)


def test_the_sample_keeps_whole_customers_of_the_truth(transactions):
    split = _split(transactions)
    n = split.counts["evaluated_customers"]
    assert n > 200  # enough customers for the sample to be a real subset
    small = sample_evaluated(split, 100, seed=1)
    assert small.truth["customer_id"].nunique() == 100 == small.counts["evaluated_customers"]
    assert small.counts["evaluated_customers_before_sample"] == n
    assert small.counts["truth_pairs_before_sample"] == len(split.truth)
    assert small.counts["truth_pairs"] == len(small.truth)
    # Every pair of a sampled customer is kept, none of another customer.
    chosen = set(small.truth["customer_id"])
    expected = split.truth[split.truth["customer_id"].isin(chosen)].reset_index(drop=True)
    pd.testing.assert_frame_equal(small.truth, expected)
    # Only who is scored changes.
    assert small.interactions is split.interactions
    assert np.array_equal(small.population, split.population)
    # Another seed draws other customers; the same seed the same ones.
    assert set(sample_evaluated(split, 100, seed=2).truth["customer_id"]) != chosen
    assert set(sample_evaluated(split, 100, seed=1).truth["customer_id"]) == chosen


def test_no_sample_when_zero_or_when_fewer_customers_are_evaluated(transactions):
    split = _split(transactions)
    assert sample_evaluated(split, 0, seed=1) is split
    assert sample_evaluated(split, split.counts["evaluated_customers"], seed=1) is split


def test_the_sampled_metrics_are_the_full_evaluation_averaged_over_the_sample(transactions):
    split = _split(transactions)
    models = {
        "popularity": PopularityRecommender().fit(split.interactions),
        "item_cf": ItemKNNRecommender("cosine", 20).fit(split.interactions),
    }
    small = sample_evaluated(split, 150, seed=4)
    full = evaluate_recommenders(models, split, k=10, ks=[10], fallback=models["popularity"])
    sampled = evaluate_recommenders(models, small, k=10, ks=[10], fallback=models["popularity"])
    chosen = set(small.truth["customer_id"])
    for method in models:
        rows = full.per_customer[
            (full.per_customer["method"] == method) & full.per_customer["customer_id"].isin(chosen)
        ]
        assert len(rows) == 150
        for metric in ("ndcg", "precision", "recall"):
            assert sampled.table.loc[method, metric] == pytest.approx(
                rows[metric].mean(), rel=1e-12
            )


def _content(split, customers) -> list:
    """Each customer's history (products before the cutoff) and truth, sorted: no names."""
    matrix, products = split.interactions.matrix, split.interactions.product_ids
    truth = split.truth.groupby("customer_id")["product_id"].agg(tuple)
    rows = split.interactions.rows_of(list(customers))
    return sorted(
        (tuple(products[matrix[r].indices]) if r >= 0 else (), truth[c])
        for c, r in zip(customers, rows, strict=True)
    )


def test_the_sample_does_not_depend_on_the_pseudonyms(transactions):
    # Another pseudonymization key renames every customer and reorders them: the same
    # customers must be drawn, up to customers with the same history and the same truth
    # (interchangeable for every method), so the metrics stay the same.
    ids = transactions["customer_id"].unique()
    rng = np.random.default_rng(0)
    rename = dict(zip(ids, [f"x{v:08d}" for v in rng.permutation(len(ids))], strict=True))
    renamed = transactions.assign(customer_id=transactions["customer_id"].map(rename))
    split, split_renamed = _split(transactions), _split(renamed)
    small = sample_evaluated(split, 120, seed=5)
    small_renamed = sample_evaluated(split_renamed, 120, seed=5)
    chosen = small.truth["customer_id"].unique()
    chosen_renamed = small_renamed.truth["customer_id"].unique()
    assert _content(split, chosen) == _content(split_renamed, chosen_renamed)
    model = PopularityRecommender()
    scores = [
        evaluate_recommenders({"p": model.fit(s.interactions)}, s, k=10, ks=[10]).table
        for s in (small, small_renamed)
    ]
    pd.testing.assert_frame_equal(scores[0], scores[1])


@pytest.mark.parametrize("bad", [-1, 2.5, "100", True])
def test_a_bad_size_names_the_parameter(transactions, bad):
    with pytest.raises(DataValidationError, match="max_evaluated_customers.*integer >= 0"):
        sample_evaluated(_split(transactions), bad, seed=1)
