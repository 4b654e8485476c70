"""Item-based CF on the toy shop: scores and lists worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.interactions import interaction_matrix
from marketing_utils.recommend.item_cf import ItemKNNRecommender

from .conftest import CUTOFF

C12 = 2 / math.sqrt(6)  # cos(p1, p2) = cos(p2, p3)


@pytest.fixture
def model(toy_transactions):
    return ItemKNNRecommender("cosine", n_neighbours=3).fit(
        interaction_matrix(toy_transactions, cutoff=CUTOFF)
    )


def test_scores_are_similarity_weighted_sums(model):
    rows = model.interactions_.rows_of(["A", "C"])
    scores = model.score_rows(np.array(["A", "C"], dtype=object), rows)
    # A bought p1, p2: p3 scores s(p1,p3) + s(p2,p3) = 0.5 + 0.8165; p1 scores s(p2,p1) = 0.8165.
    # C bought p2, p3: p1 scores s(p2,p1) + s(p3,p1) = 0.8165 + 0.5; p2 only s(p3,p2)
    # and p3 only s(p2,p3) = 0.8165 (a product is not its own neighbour).
    assert scores[0].tolist() == pytest.approx([C12, C12, 0.5 + C12, 0])
    assert scores[1].tolist() == pytest.approx([0.5 + C12, C12, C12, 0])


def test_recommend_excludes_purchases_and_fills_with_popularity(model):
    recs = model.recommend(["A", "D"], n=3)
    a = recs[recs["customer_id"] == "A"]
    # A: p3 (score 1.3165), then p4 scored 0 -> popularity fill. Only two products left.
    assert a["product_id"].tolist() == ["p3", "p4"]
    assert a["rank"].tolist() == [1, 2]
    assert a["score"].tolist() == pytest.approx([0.5 + C12, 0.0])
    assert a["source"].tolist() == ["item_cf", "popularity_fill"]
    # D bought only p4, which has no neighbour: the whole list is popularity
    # fill, p2 (3 buyers) then p1 and p3 (2 buyers each, tie by product order).
    d = recs[recs["customer_id"] == "D"]
    assert d["product_id"].tolist() == ["p2", "p1", "p3"]
    assert set(d["source"]) == {"popularity_fill"}


def test_recommend_without_exclusion_keeps_bought_products(model):
    recs = model.recommend(["C"], n=2, exclude_purchased=False)
    # C's scores: p1 = 1.3165, p2 = p3 = 0.8165 (tie: product order).
    assert recs["product_id"].tolist() == ["p1", "p2"]


def test_blocks_do_not_change_the_lists(toy_transactions, model):
    class OneByOne(ItemKNNRecommender):
        def block_size(self):
            return 1

    small = OneByOne("cosine", 3).fit(model.interactions_)
    ids = ["A", "B", "C", "D"]
    pd.testing.assert_frame_equal(small.recommend(ids, n=4), model.recommend(ids, n=4))


def test_output_columns_and_dtypes(model):
    recs = model.recommend(["B"], n=5)
    assert list(recs.columns) == ["customer_id", "rank", "product_id", "score", "source"]
    assert recs["product_id"].tolist() == ["p4"]  # B bought everything else
    assert str(recs["customer_id"].dtype) == "str" and recs["rank"].dtype == np.int64


def test_errors(model, toy_transactions):
    with pytest.raises(
        DataValidationError, match="customers, column 'customer_id': item_cf needs customers"
    ):
        model.recommend(["A", "E"])
    with pytest.raises(DataValidationError, match="n_recommendations: expected an integer >= 1"):
        model.recommend(["A"], n=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        ItemKNNRecommender().recommend(["A"])
    with pytest.raises(TypeError, match="expects an Interactions object"):
        ItemKNNRecommender().fit(toy_transactions)
    with pytest.raises(DataValidationError, match="similarity"):
        ItemKNNRecommender("manhattan")
