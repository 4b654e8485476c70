"""User-based CF on the toy shop: neighbours and weighted averages by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.interactions import interaction_matrix
from marketing_utils.recommend.user_cf import UserKNNRecommender

from .conftest import CUTOFF

CAB = 2 / math.sqrt(6)  # cos(A, B) = cos(B, C); cos(A, C) = 1/2, D shares nothing


@pytest.fixture
def interactions(toy_transactions):
    return interaction_matrix(toy_transactions, cutoff=CUTOFF)


def test_neighbours_exclude_the_customer_and_keep_the_k_best(interactions):
    model = UserKNNRecommender("cosine", n_neighbours=2).fit(interactions)
    weights = model.neighbours(np.array([0, 3])).toarray()
    assert weights[0].tolist() == pytest.approx([0, CAB, 0.5, 0])  # A: B and C
    assert weights[1].tolist() == [0, 0, 0, 0]  # D: nobody shares a product


def test_scores_are_similarity_weighted_averages(interactions):
    model = UserKNNRecommender("cosine", n_neighbours=2).fit(interactions)
    scores = model.score_rows(np.array(["A"], dtype=object), np.array([0]))[0]
    # Neighbours B (0.8165) and C (0.5): p1 = 0.8165 / 1.3165; p2 = p3 = 1.3165 / 1.3165.
    total = CAB + 0.5
    assert scores.tolist() == pytest.approx([CAB / total, 1.0, 1.0, 0.0])
    recs = model.recommend(["A"], n=2)
    assert recs["product_id"].tolist() == ["p3", "p4"]
    assert recs["score"].tolist() == pytest.approx([1.0, 0.0])


def test_jaccard_neighbours(interactions):
    model = UserKNNRecommender("jaccard", n_neighbours=1).fit(interactions)
    # C = {p2, p3}: J(C, A) = 1/3, J(C, B) = 2/3 -> the one neighbour is B.
    weights = model.neighbours(np.array([2])).toarray()[0]
    assert weights.tolist() == pytest.approx([0, 2 / 3, 0, 0])
    # B bought p1 (C has not): score 2/3 * 1 / (2/3) = 1.
    assert model.recommend(["C"], n=1)["product_id"].tolist() == ["p1"]


def test_small_blocks_give_the_same_lists(interactions):
    ids = ["A", "B", "C", "D"]
    whole = UserKNNRecommender("cosine", 2).fit(interactions).recommend(ids, n=3)
    tiny = UserKNNRecommender("cosine", 2, block_cells=4).fit(interactions)
    assert tiny.block_size() == 1
    assert tiny.recommend(ids, n=3).equals(whole)


def test_errors(interactions):
    model = UserKNNRecommender().fit(interactions)
    with pytest.raises(DataValidationError, match="user_cf needs customers"):
        model.recommend(["Z"])
    with pytest.raises(ValueError, match="need customers with a row"):
        model.score_rows(np.array(["Z"], dtype=object), np.array([-1]))
    with pytest.raises(DataValidationError, match="n_user_neighbours: expected an integer >= 1"):
        UserKNNRecommender(n_neighbours=-1)
