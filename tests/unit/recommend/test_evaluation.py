"""Evaluation on the toy shop's time split, every number derived by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.baselines import PopularityRecommender
from marketing_utils.recommend.evaluation import evaluate_recommenders, recommend_with_fallback
from marketing_utils.recommend.interactions import time_split
from marketing_utils.recommend.item_cf import ItemKNNRecommender

from .conftest import CUTOFF


@pytest.fixture
def split(toy_transactions):
    return time_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, population=list("ABCDE"))


def test_popularity_and_item_cf_on_the_time_split(split):
    popularity = PopularityRecommender().fit(split.interactions)
    item = ItemKNNRecommender("cosine", 3).fit(split.interactions)
    evaluation = evaluate_recommenders(
        {"popularity": popularity, "item_cf": item}, split, k=3, ks=(1, 3), fallback=popularity
    )
    # Truth: A {p3}, C {p1}, D {p3}, E {p2} (E is cold start: the fallback's list).
    # Popularity lists: A [p3 p4], C [p1 p4], D [p2 p1 p3], E [p2 p1 p3]: hits at
    # ranks 1, 1, 3, 1. Item CF: A [p3 p4], C [p1 p4], D has no neighbour
    # (popularity fill, the same list), E from the fallback: the same hits.
    for method in ("popularity", "item_cf"):
        row = evaluation.table.loc[method]
        assert row["n_evaluated"] == 4
        assert row["precision"] == pytest.approx(1 / 3)  # one hit per list of k = 3
        assert row["recall"] == pytest.approx(1.0)
        # NDCG: 1, 1, 1/log2(4) = 0.5, 1 -> 3.5 / 4
        assert row["ndcg"] == pytest.approx(3.5 / 4)
        # AP: 1, 1, (1/3) / min(3, 1), 1 -> (3 + 1/3) / 4
        assert row["map"] == pytest.approx((3 + 1 / 3) / 4)
        assert row["hit_rate"] == 1.0
        assert row["coverage"] == 1.0  # p1..p4 all appear
    at_1 = evaluation.by_k.set_index(["method", "k"]).loc[("popularity", 1)]
    assert at_1["precision"] == pytest.approx(3 / 4)  # D's first product is p2
    assert at_1["coverage"] == pytest.approx(3 / 4)  # first products p3, p1, p2
    assert evaluation.lift("item_cf", "popularity") == pytest.approx(0.0)
    per = evaluation.per_customer.set_index(["method", "customer_id"])
    assert per.loc[("item_cf", "A"), "history"] == 2 and per.loc[("item_cf", "E"), "history"] == 0


def test_lift_is_relative():
    from marketing_utils.recommend.evaluation import Evaluation

    table = pd.DataFrame({"ndcg": [0.1, 0.13, 0.0]}, index=["popularity", "item_cf", "zero"])
    evaluation = Evaluation(table=table, by_k=pd.DataFrame(), per_customer=pd.DataFrame(), k=10)
    assert evaluation.lift("item_cf", "popularity") == pytest.approx(0.3)
    assert math.isnan(evaluation.lift("item_cf", "zero"))


def test_cold_customers_need_a_fallback(split):
    item = ItemKNNRecommender().fit(split.interactions)
    with pytest.raises(
        DataValidationError, match="cannot recommend for 1 customers.*pass a fallback"
    ):
        recommend_with_fallback(item, ["A", "E"])
    with pytest.raises(DataValidationError, match="cannot recommend for 1 customers"):
        evaluate_recommenders({"item_cf": item}, split, k=3)
    with pytest.raises(DataValidationError, match="methods: expected at least one method"):
        evaluate_recommenders({}, split)


def test_fallback_lists_are_marked(split):
    popularity = PopularityRecommender().fit(split.interactions)
    item = ItemKNNRecommender().fit(split.interactions)
    recs = recommend_with_fallback(item, ["E", "A"], fallback=popularity, n=2)
    assert recs["customer_id"].tolist() == ["A", "A", "E", "E"]
    assert recs.loc[recs["customer_id"] == "E", "source"].tolist() == ["popularity", "popularity"]


def test_metrics_do_not_depend_on_the_pseudonymization_key():
    """Two keys give two orders of the customers; every metric must be the same to the bit."""
    from marketing_utils.datasets.synthetic import make_synthetic
    from marketing_utils.privacy import pseudonymize_ids
    from marketing_utils.recommend.user_cf import UserKNNRecommender

    transactions = make_synthetic(400, seed=3, n_products=60).transactions
    transactions = transactions.dropna(subset=["customer_id", "product_id", "timestamp"])
    cutoff = transactions["timestamp"].quantile(0.8).normalize()
    tables = []
    for key in (b"first key", b"another key"):
        renamed = transactions.assign(
            customer_id=pseudonymize_ids(transactions["customer_id"].astype(str), key=key)
        )
        split = time_split(renamed, cutoff=cutoff, horizon_days=90)
        popularity = PopularityRecommender().fit(split.interactions)
        models = {
            "popularity": popularity,
            "item_cf": ItemKNNRecommender("cosine", 5).fit(split.interactions),
            "user_cf": UserKNNRecommender("jaccard", 5).fit(split.interactions),
        }
        evaluation = evaluate_recommenders(models, split, k=5, fallback=popularity)
        tables.append(evaluation.table)
    assert tables[0]["n_evaluated"].min() > 20
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def test_reused_evaluations_give_the_same_tables(split):
    popularity = PopularityRecommender().fit(split.interactions)
    item = ItemKNNRecommender("cosine", 3).fit(split.interactions)
    models = {"popularity": popularity, "item_cf": item}
    fresh = evaluate_recommenders(models, split, k=3, ks=(1, 3), fallback=popularity)
    known = evaluate_recommenders({"item_cf": item}, split, k=3, ks=(1, 3), fallback=popularity)
    reused = evaluate_recommenders(
        models, split, k=3, ks=(1, 3), fallback=popularity, reuse={"item_cf": known}
    )
    pd.testing.assert_frame_equal(reused.table, fresh.table)
    pd.testing.assert_frame_equal(reused.by_k, fresh.by_k)
    pd.testing.assert_frame_equal(reused.per_customer, fresh.per_customer)
    assert reused.table.loc["item_cf", "ndcg"] == pytest.approx(3.5 / 4)
    # Not reused: an evaluation at another k, or without the cut-off 1 asked for.
    other_k = evaluate_recommenders({"item_cf": item}, split, k=1, ks=(1,), fallback=popularity)
    at_3_only = evaluate_recommenders({"item_cf": item}, split, k=3, ks=(3,), fallback=popularity)
    for stale in (other_k, at_3_only):
        again = evaluate_recommenders(
            models, split, k=3, ks=(1, 3), fallback=popularity, reuse={"item_cf": stale}
        )
        pd.testing.assert_frame_equal(again.by_k, fresh.by_k)
