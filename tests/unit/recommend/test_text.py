"""Product texts and vectors, the content-based model and the hybrid's fallback for new products."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.base import Recommender
from marketing_utils.recommend.interactions import interaction_matrix
from marketing_utils.recommend.text import (
    ContentRecommender,
    HybridRecommender,
    ProductVectors,
    find_product_text,
    left_out_sentence,
    product_texts,
    product_vectors,
)

PRODUCTS = pd.DataFrame(
    {
        "product_id": ["p1", "p2", "p3", "p4"],
        "name": ["Espresso beans", "Ground coffee", "Yoga mat", "Running shoes"],
        "category": ["grocery", "grocery", "sports", "sports"],
        "description": ["dark roast coffee", "coffee roast for filters", "non slip yoga", None],
    }
)


def test_product_texts_join_name_category_and_description():
    texts = product_texts(PRODUCTS)
    assert texts["text"].tolist() == [
        "espresso beans grocery dark roast coffee",
        "ground coffee grocery coffee roast for filters",
        "yoga mat sports non slip yoga",
        "running shoes sports",
    ]
    # Own-data exports: the most frequent description of each product's lines.
    lines = pd.DataFrame(
        {"product_id": ["9", "9", "9", "7"], "description": ["MUG RED", "MUG RED", "MUG", "TEA"]}
    )
    assert product_texts(None, lines).to_dict("list") == {
        "product_id": ["7", "9"],
        "text": ["tea", "mug red"],
    }
    with pytest.raises(DataValidationError, match="expected product text"):
        product_texts(None, lines[["product_id"]])


def test_tfidf_svd_vectors_put_products_with_shared_words_together():
    vectors = product_vectors(product_texts(PRODUCTS), n_components=2, seed=0)
    v = vectors.vectors
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    cosine = v @ v.T
    assert cosine[0, 1] > 0.9  # both coffee
    assert cosine[2, 3] > 0.9  # both sports
    assert cosine[0, 2] < 0.2
    again = product_vectors(product_texts(PRODUCTS), n_components=2, seed=0)
    np.testing.assert_array_equal(v, again.vectors)
    aligned = vectors.aligned(["p3", "unknown"])
    np.testing.assert_array_equal(aligned[0], v[2])
    assert not aligned[1].any()


def test_sentence_model_is_never_downloaded(tmp_path):
    texts = product_texts(PRODUCTS)
    with pytest.raises(DataValidationError, match="text_model_path.*local model folder"):
        product_vectors(texts, method="sentence_model", model_path=str(tmp_path / "absent"))
    with pytest.raises(DataValidationError, match="text_model_path"):
        product_vectors(texts, method="sentence_model", model_path=None)
    with pytest.raises(DataValidationError, match="text_method"):
        product_vectors(texts, method="word2vec")


def _matrix(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id"])
    frame["timestamp"] = pd.Timestamp("2024-01-01")
    return interaction_matrix(frame)


# Hand-made unit vectors: p1 = (1, 0), p2 = (0.6, 0.8), p3 = (0, 1), p4 = (-1, 0).
VECTORS = ProductVectors(
    np.array(["p1", "p2", "p3", "p4"], dtype=object),
    np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]]),
    "hand-made",
)


def test_content_scores_are_the_cosine_with_the_profile():
    interactions = _matrix([("a", "p1"), ("b", "p3"), ("b", "p4"), ("c", "p2")])
    model = ContentRecommender(VECTORS).fit(interactions)
    scores = model.score_rows(np.array(["a"]), interactions.rows_of(["a"]))
    # a's profile is p1 = (1, 0): cosines 1, 0.6, 0, -1 -> (1 + cos) / 2.
    np.testing.assert_allclose(scores[0], [1.0, 0.8, 0.5, 0.0])
    assert model.recommend(["a"], n=1)["product_id"].tolist() == ["p2"]


class _Fixed(Recommender):
    """A 'collaborative' model with fixed scores, to check the hybrid's arithmetic."""

    name = "fixed"

    def score_rows(self, customer_ids, rows):
        return np.tile(np.array([0.9, 0.3, 0.0, 0.6]), (len(rows), 1))


def test_hybrid_new_products_borrow_scores_of_their_text_neighbours():
    # p1 (3 buyers), p2 (2), p4 (2) are established; p3 has 1 buyer: new with min_purchases=2.
    interactions = _matrix(
        [
            ("a", "p1"),
            ("b", "p1"),
            ("c", "p1"),
            ("a", "p2"),
            ("b", "p2"),
            ("c", "p3"),
            ("a", "p4"),
            ("d", "p4"),
        ]
    )
    model = HybridRecommender(_Fixed(), VECTORS, min_purchases=2, n_text_neighbours=2).fit(
        interactions
    )
    assert model.new_products_.tolist() == [False, False, True, False]
    scores = model.score_rows(np.array(["d"]), interactions.rows_of(["d"]))[0]
    # p3 = (0, 1): cosines with p1, p2, p4 are 0, 0.8, 0; the 2 nearest with s > 0: p2 only
    # -> p3 gets p2's score 0.3. Established products keep their own scores.
    np.testing.assert_allclose(scores, [0.9, 0.3, 0.3, 0.6])
    wider = HybridRecommender(_Fixed(), VECTORS, min_purchases=3, n_text_neighbours=3).fit(
        interactions
    )
    # Now p2, p3, p4 are new; only p1 is established. p2 = (0.6, 0.8): cos with p1 = 0.6 > 0
    # -> 0.9; p3: cos 0 -> no neighbour -> 0; p4: cos -1 -> 0.
    np.testing.assert_allclose(
        wider.score_rows(np.array(["d"]), interactions.rows_of(["d"]))[0], [0.9, 0.9, 0.0, 0.0]
    )


def test_find_product_text_says_which_methods_go_without_text():
    methods = ["popularity", "item_cf", "content", "hybrid"]
    found = find_product_text(PRODUCTS)
    assert found.available and found.missing is None
    assert found.texts.equals(product_texts(PRODUCTS))
    assert found.left_out(methods) == {}
    # An export mapping product_id only: no text column anywhere.
    ids_only = PRODUCTS[["product_id"]]
    lines = pd.DataFrame({"product_id": ["p1", "p2"], "customer_id": ["c1", "c2"]})
    before = (ids_only.copy(), lines.copy())
    missing = find_product_text(ids_only, lines)
    assert not missing.available and missing.texts is None
    assert "no product text" in missing.missing and "description" in missing.missing
    assert missing.left_out(methods) == {"content": missing.missing, "hybrid": missing.missing}
    assert missing.left_out(["popularity", "hybrid"]) == {"hybrid": missing.missing}
    assert ids_only.equals(before[0]) and lines.equals(before[1])  # inputs not modified
    # Text columns present but empty for every product count as no text.
    empty = PRODUCTS.assign(name=None, category=None, description=None)
    blank = find_product_text(empty)
    assert not blank.available and "empty" in blank.missing
    assert set(blank.left_out(methods)) == {"content", "hybrid"}


def test_left_out_sentence_names_the_methods_and_why():
    assert left_out_sentence({}) == ""
    reason = "no product text (no description column)"
    assert left_out_sentence({"content": reason, "hybrid": reason}) == (
        f"Content and hybrid are left out: {reason}."
    )
    assert left_out_sentence({"popularity": "no categories"}) == (
        "Popularity is left out: no categories."
    )
