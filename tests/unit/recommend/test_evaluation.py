"""Evaluation on the toy shop's time split, every number derived by hand."""

from __future__ import annotations

import math

import numpy as np
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


def _straightforward(model, split, fallback, cutoffs):
    """The evaluation through frames of ids: recommend, match with the truth, average."""
    from marketing_utils.recommend.metrics import (
        catalog_coverage,
        mean_metrics,
        per_customer_metrics_at,
    )

    customers = split.truth["customer_id"].unique()
    lists = recommend_with_fallback(model, customers, fallback=fallback, n=max(cutoffs))
    at = per_customer_metrics_at(lists, split.truth, cutoffs)
    rows = [
        {
            "k": k,
            **mean_metrics(at[k]),
            "coverage": catalog_coverage(lists, k, split.interactions.shape[1]),
        }
        for k in cutoffs
    ]
    return pd.DataFrame(rows), at


def test_lists_as_columns_give_the_frames_metrics_exactly():
    """The evaluation's column path against recommend + per_customer_metrics_at, to the bit."""
    from marketing_utils.datasets.synthetic import make_synthetic
    from marketing_utils.recommend.baselines import SegmentPopularityRecommender
    from marketing_utils.recommend.latent import ALSRecommender
    from marketing_utils.recommend.user_cf import UserKNNRecommender

    transactions = make_synthetic(300, seed=5, n_products=40).transactions
    transactions = transactions.dropna(subset=["customer_id", "product_id", "timestamp"])
    cutoff = transactions["timestamp"].quantile(0.8).normalize()
    split = time_split(transactions, cutoff=cutoff, horizon_days=90, weighting="count")
    truth_before = split.truth.copy()
    popularity = PopularityRecommender().fit(split.interactions)
    segments = pd.Series(
        ["s1" if i % 2 else "s2" for i in range(len(split.interactions.customer_ids))],
        index=split.interactions.customer_ids,
    )
    models = {
        "popularity": popularity,
        "segment_popularity": SegmentPopularityRecommender(segments, 5).fit(split.interactions),
        "item_cf": ItemKNNRecommender("cosine", 5).fit(split.interactions),
        "user_cf": UserKNNRecommender("cosine", 7, block_cells=500).fit(split.interactions),
        "als": ALSRecommender(4, 0.1, 3, random_state=1).fit(split.interactions),
    }
    cutoffs = [1, 3, 5, 20]
    evaluation = evaluate_recommenders(models, split, k=5, ks=cutoffs, fallback=popularity)
    for name, model in models.items():
        expected, at = _straightforward(model, split, popularity, cutoffs)
        got = evaluation.by_k[evaluation.by_k["method"] == name].drop(columns="method")
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_exact=True)
        people = evaluation.per_customer[evaluation.per_customer["method"] == name]
        pd.testing.assert_frame_equal(
            people.drop(columns=["method", "history"]).reset_index(drop=True),
            at[5],
            check_exact=True,
        )
    pd.testing.assert_frame_equal(split.truth, truth_before)


def test_a_fallback_on_another_catalogue_is_compared_through_frames(split, toy_transactions):
    # The fallback learned without p4: its column numbers mean other products,
    # so the lists are compared by product id (the frame path), with the same result.
    popularity = PopularityRecommender().fit(split.interactions)
    item = ItemKNNRecommender("cosine", 3).fit(split.interactions)
    smaller = time_split(
        toy_transactions[toy_transactions["product_id"] != "p4"],
        cutoff=CUTOFF,
        horizon_days=30,
        population=list("ABCDE"),
    )
    other = PopularityRecommender().fit(smaller.interactions)
    evaluation = evaluate_recommenders({"item_cf": item}, split, k=3, ks=(1, 3), fallback=other)
    expected, _ = _straightforward(item, split, other, [1, 3])
    got = evaluation.by_k.drop(columns="method")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    same = evaluate_recommenders({"item_cf": item}, split, k=3, ks=(1, 3), fallback=popularity)
    assert (
        same.table.loc["item_cf", "n_evaluated"] == evaluation.table.loc["item_cf", "n_evaluated"]
    )


def test_top_columns_are_the_recommended_lists(split):
    # A bought p1 p2, so with purchases excluded only p3 and p4 remain: a list shorter than n.
    item = ItemKNNRecommender("cosine", 3).fit(split.interactions)
    popularity = PopularityRecommender().fit(split.interactions)
    products = list(split.interactions.product_ids)
    for model, ids in ((item, ["A", "B", "C", "D"]), (popularity, ["E", "A", "B"])):
        for exclude in (True, False):
            columns = model.top_columns(ids, n=3, exclude_purchased=exclude)
            recs = model.recommend(ids, n=3, exclude_purchased=exclude)
            assert columns.shape == (len(ids), 3) and columns.dtype == np.int64
            for row, customer in zip(columns, ids, strict=True):
                listed = recs.loc[recs["customer_id"] == customer].sort_values("rank")
                assert [products[c] for c in row if c >= 0] == listed["product_id"].tolist()
                assert (row[len(listed) :] == -1).all()
    assert item.top_columns(["A"], n=3).tolist() == [[2, 3, -1]]
    with pytest.raises(RuntimeError, match="not fitted"):
        ItemKNNRecommender().top_columns(["A"])
