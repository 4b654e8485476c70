"""ALS and BPR: two taste groups are recovered, scores are a monotone transform, runs repeat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.interactions import interaction_matrix
from marketing_utils.recommend.latent import ALSRecommender, BPRRecommender


@pytest.fixture(scope="module")
def two_groups():
    """40 customers; the first 20 buy among products g0-g5, the others among h0-h5.

    Every customer bought 4 of the 6 products of their group (a rotating
    window), so the 2 left are the ones a good model ranks first.
    """
    rows = []
    for customer in range(40):
        group = "g" if customer < 20 else "h"
        for offset in range(4):
            rows.append((f"c{customer:02d}", f"{group}{(customer + offset) % 6}"))
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id"])
    frame["timestamp"] = pd.Timestamp("2024-01-01")
    return interaction_matrix(frame)


@pytest.mark.parametrize(
    "model",
    [
        ALSRecommender(factors=4, regularization=0.01, iterations=20, alpha=5.0, random_state=1),
        BPRRecommender(
            factors=4, regularization=0.001, iterations=200, learning_rate=0.05, random_state=1
        ),
    ],
    ids=["als", "bpr"],
)
def test_latent_models_recover_the_taste_groups(two_groups, model):
    model.fit(two_groups)
    lists = model.recommend(two_groups.customer_ids, n=2)
    first_letter = lists["product_id"].str[0]
    group = np.where(lists["customer_id"].str[1:].astype(int) < 20, "g", "h")
    # The two products left for each customer are from their own group.
    assert (first_letter.to_numpy() == group).mean() >= 0.95
    assert (lists["source"] == model.name).all()
    # Scores are exp(raw - max raw over all products): all in (0, 1].
    assert ((lists["score"] > 0) & (lists["score"] <= 1)).all()
    rows = np.arange(3)
    raw = model.user_factors_[rows] @ model.item_factors_.T
    scores = model.score_rows(two_groups.customer_ids[rows], rows)
    np.testing.assert_allclose(scores, np.exp(raw - raw.max(axis=1, keepdims=True)))


def test_same_seed_same_factors(two_groups):
    first = ALSRecommender(factors=3, iterations=5, random_state=7).fit(two_groups)
    again = ALSRecommender(factors=3, iterations=5, random_state=7).fit(two_groups)
    np.testing.assert_array_equal(first.item_factors_, again.item_factors_)
    assert first.params() == {"factors": 3, "regularization": 0.01, "iterations": 5}
    bpr = BPRRecommender(factors=3, iterations=5, random_state=7).fit(two_groups)
    bpr_again = BPRRecommender(factors=3, iterations=5, random_state=7).fit(two_groups)
    np.testing.assert_array_equal(bpr.item_factors_, bpr_again.item_factors_)


def test_bad_settings_name_the_parameter():
    with pytest.raises(DataValidationError, match="als_factors"):
        ALSRecommender(factors=0)
    with pytest.raises(DataValidationError, match="bpr_regularization"):
        BPRRecommender(regularization=-1.0)
    with pytest.raises(DataValidationError, match="als_alpha"):
        ALSRecommender(alpha=-2.0)
