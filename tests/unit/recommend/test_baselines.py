"""Popularity and segment-popularity baselines, and where the segments come from."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.baselines import (
    PopularityRecommender,
    SegmentPopularityRecommender,
    favourite_category,
    resolve_segments,
)
from marketing_utils.recommend.interactions import interaction_matrix

from .conftest import CUTOFF

SEGMENTS = pd.Series({"A": "s1", "B": "s1", "C": "s2", "D": "s2", "E": "s1"})


@pytest.fixture
def interactions(toy_transactions):
    return interaction_matrix(toy_transactions, cutoff=CUTOFF)


def test_popularity_counts_distinct_buyers(interactions):
    model = PopularityRecommender().fit(interactions)
    recs = model.recommend(["D", "new customer"], n=3)
    # Buyers: p1 2, p2 3, p3 2, p4 1. D bought p4; p1 and p3 tie (product order).
    d = recs[recs["customer_id"] == "D"]
    assert d["product_id"].tolist() == ["p2", "p1", "p3"]
    assert d["score"].tolist() == [3.0, 2.0, 2.0]
    assert set(d["source"]) == {"popularity"}
    # A customer unknown to the matrix gets the list, with nothing excluded.
    assert recs[recs["customer_id"] == "new customer"]["product_id"].tolist() == ["p2", "p1", "p3"]


def test_segment_popularity_counts_buyers_within_the_segment(interactions):
    model = SegmentPopularityRecommender(SEGMENTS, min_segment_size=2).fit(interactions)
    # s1 = {A, B}: p1 2, p2 2, p3 1, p4 0.  s2 = {C, D}: p1 0, p2 1, p3 1, p4 1.
    assert model.segment_popularity_.loc["s1"].tolist() == [2, 2, 1, 0]
    assert model.segment_popularity_.loc["s2"].tolist() == [0, 1, 1, 1]
    recs = model.recommend(["E", "D"], n=4)
    e = recs[recs["customer_id"] == "E"]  # cold start, in s1: nothing to exclude
    assert e["product_id"].tolist() == ["p1", "p2", "p3", "p4"]
    assert e["source"].tolist() == ["segment_popularity"] * 3 + ["popularity_fill"]
    d = recs[recs["customer_id"] == "D"]  # s2, bought p4; p1 has no s2 buyer: fill
    assert d["product_id"].tolist() == ["p2", "p3", "p1"]
    summary = model.summary()
    assert summary.to_dict("records") == [
        {"segment": "s1", "customers": 2, "top_products": "p1, p2, p3"},
        {"segment": "s2", "customers": 2, "top_products": "p2, p3, p4"},
    ]


def test_small_segments_and_unknown_customers_get_the_overall_list(interactions):
    model = SegmentPopularityRecommender(SEGMENTS, min_segment_size=3).fit(interactions)
    assert model.segment_popularity_.empty
    recs = model.recommend(["E", "Z"], n=1)
    assert recs["product_id"].tolist() == ["p2", "p2"]  # the most bought product overall
    assert model.summary().to_dict("records") == [
        {
            "segment": "2 segments below 3 customers",
            "customers": 4,
            "top_products": "(overall popularity list)",
        }
    ]


def test_favourite_category_is_the_one_with_most_spend(toy_transactions):
    # A: x 30. B: x 30 and y 30 (tie -> first by name, x). C: x 20 < y 30. D: z.
    # Purchases after the cutoff do not count (E and F have none before it).
    favourite = favourite_category(toy_transactions, CUTOFF)
    assert favourite.to_dict() == {"A": "x", "B": "x", "C": "y", "D": "z"}
    with pytest.raises(DataValidationError, match="column 'category'"):
        favourite_category(toy_transactions.drop(columns="category"), CUTOFF)


def test_resolve_segments_prefers_stage_02(toy_transactions):
    segments = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "rfm_segment": ["champions", "at risk"],
            "cluster_name": ["c1", "c2"],
        }
    )
    labels, source = resolve_segments(segments, toy_transactions, cutoff=CUTOFF)
    assert source == "stage 02 segments (cluster_name)" and labels.to_dict() == {
        "A": "c1",
        "B": "c2",
    }
    labels, source = resolve_segments(
        segments.drop(columns="cluster_name"), toy_transactions, cutoff=CUTOFF
    )
    assert source == "stage 02 segments (rfm_segment)" and labels["B"] == "at risk"
    labels, _ = resolve_segments(
        segments, toy_transactions, cutoff=CUTOFF, segment_column="rfm_segment"
    )
    assert labels["A"] == "champions"


def test_resolve_segments_fallbacks(toy_transactions):
    labels, source = resolve_segments(None, toy_transactions, cutoff=CUTOFF)
    assert source == "favourite category before the cutoff" and labels["C"] == "y"
    labels, source = resolve_segments(
        None, toy_transactions.drop(columns="category"), cutoff=CUTOFF
    )
    assert source == "one segment (no segments)"
    assert set(labels) == {"all customers"} and len(labels) == 6


def test_resolve_segments_rejects_an_unknown_column(toy_transactions):
    segments = pd.DataFrame({"customer_id": ["A"], "cluster_name": ["c1"]})
    with pytest.raises(
        DataValidationError,
        match="segment_column.*found 'tier'.*available: customer_id, cluster_name",
    ):
        resolve_segments(segments, toy_transactions, cutoff=CUTOFF, segment_column="tier")
    with pytest.raises(DataValidationError, match="no segments artifact"):
        resolve_segments(None, toy_transactions, cutoff=CUTOFF, segment_column="tier")
