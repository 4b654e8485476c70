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


def test_bpr_lists_do_not_depend_on_how_ids_sort(two_groups):
    """Customers c00-c05 and c06-c11 buy the same products; the ids' order must not matter.

    Renaming the ids (as another pseudonymization key does) reverses their
    sorted order. Without pooling, two customers with the same purchases swap
    BPR vectors, and so their lists, with the order of their names.
    """
    rows = []
    for customer in range(24):
        # Customers 0-5 and 6-11 have the same basket pattern; 12-23 are all different.
        pattern = customer % 6 if customer < 12 else customer
        for offset in range(3):
            rows.append((f"c{customer:02d}", f"p{(pattern + offset) % 9}"))
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id"])
    frame["timestamp"] = pd.Timestamp("2024-01-01")
    renamed = frame.assign(
        customer_id="z" + (99 - frame["customer_id"].str[1:].astype(int)).astype(str)
    )

    def scores(transactions):
        matrix = interaction_matrix(transactions)
        model = BPRRecommender(factors=3, iterations=30, random_state=3).fit(matrix)
        rows_ = np.arange(matrix.shape[0])
        return pd.DataFrame(model.score_rows(matrix.customer_ids, rows_), index=matrix.customer_ids)

    first = scores(frame)
    again = scores(renamed)
    again.index = ["c" + f"{99 - int(name[1:]):02d}" for name in again.index]
    pd.testing.assert_frame_equal(first.sort_index(), again.sort_index())
    # Customers with the same purchases get the same scores, others differ.
    assert first.loc["c00"].equals(first.loc["c06"])
    assert not first.loc["c12"].equals(first.loc["c13"])
