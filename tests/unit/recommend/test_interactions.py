"""The interaction matrix and the time split, on the toy shop of conftest.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.interactions import (
    future_purchases,
    interaction_matrix,
    time_split,
)

from .conftest import CUTOFF


def _dense(interactions):
    return pd.DataFrame(
        interactions.matrix.toarray(),
        index=interactions.customer_ids,
        columns=interactions.product_ids,
    )


def test_binary_matrix_uses_only_purchases_before_the_cutoff(toy_transactions):
    inter = interaction_matrix(toy_transactions, cutoff=CUTOFF)
    dense = _dense(inter)
    assert list(dense.index) == ["A", "B", "C", "D"]
    assert list(dense.columns) == ["p1", "p2", "p3", "p4"]
    expected = [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    assert dense.to_numpy().tolist() == expected
    assert inter.counts["lines_before_cutoff"] == 8
    assert inter.counts["interactions"] == 8
    assert inter.popularity().tolist() == [2, 3, 2, 1]
    assert inter.rows_of(["C", "Z", "A"]).tolist() == [2, -1, 0]


def test_count_and_spend_weighting(toy_transactions):
    doubled = pd.concat([toy_transactions, toy_transactions.iloc[[0]]], ignore_index=True)
    counts = _dense(interaction_matrix(doubled, cutoff=CUTOFF, weighting="count"))
    assert counts.loc["A", "p1"] == 2 and counts.loc["A", "p2"] == 1
    spend = _dense(interaction_matrix(doubled, cutoff=CUTOFF, weighting="spend"))
    assert spend.loc["A", "p1"] == 20.0 and spend.loc["B", "p3"] == 30.0


def test_time_decay_halves_a_purchase_one_half_life_old(toy_transactions):
    # A bought p2 on 2024-12-02: 30 days before the cutoff; with a 30-day
    # half-life it counts 0.5. D's p4 on 2024-12-20 is 12 days old: 2**(-12/30).
    decayed = _dense(
        interaction_matrix(toy_transactions, cutoff=CUTOFF, weighting="count", half_life_days=30)
    )
    assert decayed.loc["A", "p2"] == pytest.approx(0.5)
    assert decayed.loc["D", "p4"] == pytest.approx(2 ** (-12 / 30))


def test_minimum_counts_filter_products_then_customers(toy_transactions):
    # p4 has one buyer (D): removed with min 2 customers; D is left with no
    # product; with min 3 products per customer only B (p1 p2 p3) remains.
    inter = interaction_matrix(
        toy_transactions, cutoff=CUTOFF, min_customers_per_product=2, min_products_per_customer=3
    )
    assert list(inter.product_ids) == ["p1", "p2", "p3"]
    assert list(inter.customer_ids) == ["B"]
    assert inter.counts["products_below_min_customers"] == 1
    assert inter.counts["customers_below_min_products"] == 3


def test_lines_without_product_are_counted_not_used(toy_transactions):
    frame = toy_transactions.copy()
    frame.loc[0, "product_id"] = None
    inter = interaction_matrix(frame, cutoff=CUTOFF)
    assert inter.counts["lines_without_product_id"] == 1
    assert _dense(inter).loc["A", "p1"] == 0


def test_matrix_errors(toy_transactions):
    with pytest.raises(
        DataValidationError, match="weighting: expected one of binary, count, spend, found 'log'"
    ):
        interaction_matrix(toy_transactions, cutoff=CUTOFF, weighting="log")
    with pytest.raises(DataValidationError, match="half_life_days: expected a positive number"):
        interaction_matrix(toy_transactions, cutoff=CUTOFF, half_life_days=-3)
    with pytest.raises(
        DataValidationError, match="min_customers_per_product: expected an integer >= 1"
    ):
        interaction_matrix(toy_transactions, cutoff=CUTOFF, min_customers_per_product=0)
    with pytest.raises(DataValidationError, match="transactions, column 'product_id'"):
        interaction_matrix(toy_transactions.drop(columns="product_id"), cutoff=CUTOFF)
    with pytest.raises(DataValidationError, match="found none"):
        interaction_matrix(toy_transactions, cutoff="2020-01-01")
    with pytest.raises(DataValidationError, match="lower the minimum counts"):
        interaction_matrix(toy_transactions, cutoff=CUTOFF, min_products_per_customer=9)


def test_future_purchases_window_is_cutoff_to_horizon(toy_transactions):
    future = future_purchases(toy_transactions, cutoff=CUTOFF, horizon_days=30)
    pairs = list(future.itertuples(index=False, name=None))
    # B's p4 on 2025-02-10 is day 40: outside the 30-day horizon.
    assert pairs == [("A", "p1"), ("A", "p3"), ("C", "p1"), ("D", "p3"), ("E", "p2"), ("F", "p1")]
    with pytest.raises(DataValidationError, match="horizon_days: expected an integer >= 1"):
        future_purchases(toy_transactions, cutoff=CUTOFF, horizon_days=0)


def test_time_split_population_cold_start_and_truth(toy_transactions):
    split = time_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, population=["A", "B", "C", "D", "E"]
    )
    assert split.cold_start.tolist() == ["E"]
    truth = list(split.truth.itertuples(index=False, name=None))
    # A's p1 is a repeat purchase: not a new product, left out of the truth.
    assert truth == [("A", "p3"), ("C", "p1"), ("D", "p3"), ("E", "p2")]
    assert split.counts == {
        "population": 5,
        "cold_start": 1,
        "future_buyers": 5,
        "new_customers_after_cutoff": 1,  # F
        "truth_pairs_new_products": 0,
        "truth_pairs_repeat_purchases": 1,
        "truth_pairs": 4,
        "evaluated_customers": 4,
    }


def test_time_split_keeps_repeats_when_they_may_be_recommended(toy_transactions):
    split = time_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, exclude_purchased=False)
    assert ("A", "p1") in set(split.truth.itertuples(index=False, name=None))
    # Default population: customers with a purchase before the cutoff.
    assert split.population.tolist() == ["A", "B", "C", "D"]


def test_time_split_counts_products_first_sold_after_the_cutoff(toy_transactions):
    frame = pd.concat(
        [toy_transactions, toy_transactions.iloc[[8]].assign(product_id="p9")], ignore_index=True
    )
    split = time_split(frame, cutoff=CUTOFF, horizon_days=30)
    assert split.counts["truth_pairs_new_products"] == 1
    assert "p9" not in set(split.truth["product_id"])


def test_input_is_not_modified(toy_transactions):
    before = toy_transactions.copy()
    time_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, weighting="spend", half_life_days=10
    )
    pd.testing.assert_frame_equal(toy_transactions, before)
    assert np.all(toy_transactions["timestamp"] == before["timestamp"])
