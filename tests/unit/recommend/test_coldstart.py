"""The cold-start split (new products hidden from training) and the models that can rank them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.coldstart import (
    CategoryPopularityRecommender,
    cold_start_split,
    evaluate_cold_start,
)
from marketing_utils.recommend.latent import ALSRecommender
from marketing_utils.recommend.text import (
    ContentRecommender,
    HybridRecommender,
    product_texts,
    product_vectors,
)

from .conftest import CUTOFF


def test_products_first_sold_after_the_cutoff_are_new(toy_transactions):
    # p5 is first sold after the cutoff (by A, in the horizon).
    lines = pd.concat(
        [
            toy_transactions,
            toy_transactions.iloc[[8]].assign(product_id="p5", category="y"),
        ],
        ignore_index=True,
    )
    split = cold_start_split(lines, cutoff=CUTOFF, horizon_days=30, new_product_share=0.0)
    assert split.new_products.tolist() == ["p5"]
    assert split.counts["first_sold_after_cutoff"] == 1
    assert split.counts["launch_simulated"] == 0
    column = list(split.interactions.product_ids).index("p5")
    assert split.interactions.matrix[:, column].nnz == 0  # an empty column
    assert split.truth.to_dict("list") == {"customer_id": ["A"], "product_id": ["p5"]}


def test_a_simulated_launch_hides_earlier_sales(toy_transactions):
    # Products sold in the horizon: p1, p2, p3 (p4 only after it). A share of 0.5 hides 2 of 3.
    split = cold_start_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, new_product_share=0.5, seed=3
    )
    new = set(split.new_products)
    assert len(new) == 2 and new < {"p1", "p2", "p3"}
    matrix = split.interactions.matrix
    for product in new:
        assert matrix[:, list(split.interactions.product_ids).index(product)].nnz == 0
    assert set(split.truth["product_id"]) <= new
    # E has no row (no purchase before the cutoff): not evaluated. F is not known at all.
    assert not set(split.truth["customer_id"]) & {"E", "F"}
    again = cold_start_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, new_product_share=0.5, seed=3
    )
    assert set(again.new_products) == new
    with pytest.raises(DataValidationError, match="new_product_share"):
        cold_start_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, new_product_share=1.0)
    with pytest.raises(DataValidationError, match="expected new products"):
        cold_start_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, new_product_share=0.0)


def test_category_popularity_counts_distinct_buyers_of_the_category(toy_transactions):
    split = cold_start_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, new_product_share=0.5, seed=3
    )
    categories = {"p1": "x", "p2": "x", "p3": "y", "p4": "z"}
    model = CategoryPopularityRecommender(categories).fit(split.interactions)
    # Before the cutoff: category x bought by A, B, C; y by B, C; z by D; the hidden products'
    # sales are gone, so the counts are over what is left in the matrix.
    binary = split.interactions.binary().toarray()
    ids = list(split.interactions.product_ids)
    for product, category in categories.items():
        members = [ids.index(p) for p, c in categories.items() if c == category]
        expected = int((binary[:, members].sum(axis=1) > 0).sum())
        assert model.category_buyers_[ids.index(product)] == expected


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic(2000, seed=7, n_products=120, dirty=False)


def test_text_finds_the_buyers_of_new_products_on_synthetic_data(synthetic):
    tx = synthetic.transactions
    split = cold_start_split(
        tx,
        cutoff=synthetic.info["cutoff"],
        horizon_days=synthetic.info["horizon_days"],
        new_product_share=0.15,
        seed=7,
        min_customers_per_product=2,
    )
    assert split.counts["new_products"] == 18 and split.counts["evaluated_customers"] > 150
    vectors = product_vectors(product_texts(synthetic.products), n_components=32, seed=7)
    categories = synthetic.products.set_index("product_id")["category"]
    models = {
        "popularity": CategoryPopularityRecommender(categories),
        "content": ContentRecommender(vectors),
        "hybrid": HybridRecommender(
            ALSRecommender(32, 0.1, 15, alpha=10.0, random_state=7), vectors
        ),
    }
    table = evaluate_cold_start(
        {name: m.fit(split.interactions) for name, m in models.items()}, split, k=10
    ).table
    # The target: content or hybrid reaches NDCG@10 >= 1.5x popularity on new products.
    assert table.loc["content", "ndcg"] >= 1.5 * table.loc["popularity", "ndcg"]
    assert table.loc["hybrid", "ndcg"] >= 1.5 * table.loc["popularity", "ndcg"]
    assert (table["n_evaluated"] == split.counts["evaluated_customers"]).all()
    assert np.isfinite(table.to_numpy(dtype=float)).all()
