"""Stage glue: population, method selection, export and the headline metrics."""

from __future__ import annotations

import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.baselines import PopularityRecommender, SegmentPopularityRecommender
from marketing_utils.recommend.evaluation import evaluate_recommenders
from marketing_utils.recommend.interactions import time_split
from marketing_utils.recommend.item_cf import ItemKNNRecommender
from marketing_utils.recommend.stage import (
    export_recommendations,
    population_at_cutoff,
    select_methods,
    stage_metrics,
)

from .conftest import CUTOFF


def test_population_adds_customers_signed_up_before_the_cutoff(toy_transactions, toy_customers):
    features = toy_customers.iloc[:4][["customer_id"]]  # A-D have a history
    # E signed up on 2024-12-15 (before the cutoff), F on 2025-01-21 (after).
    assert population_at_cutoff(features, toy_customers, CUTOFF).tolist() == list("ABCDE")
    assert population_at_cutoff(features, None, CUTOFF).tolist() == list("ABCD")
    with pytest.raises(DataValidationError, match="customer_features, column 'customer_id'"):
        population_at_cutoff(features.rename(columns={"customer_id": "id"}), None, CUTOFF)


@pytest.fixture
def fitted(toy_transactions):
    split = time_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, population=list("ABCDE"))
    models = [
        PopularityRecommender().fit(split.interactions),
        SegmentPopularityRecommender({"E": "s"}, min_segment_size=1).fit(split.interactions),
        ItemKNNRecommender().fit(split.interactions),
    ]
    return split, models


def test_select_methods_in_the_order_asked(fitted):
    _, models = fitted
    chosen = select_methods(["item_cf", "popularity"], models)
    assert list(chosen) == ["item_cf", "popularity"]
    with pytest.raises(
        DataValidationError,
        match="methods: expected a non-empty list of popularity, segment_popularity, item_cf, found \\['svd'\\]",
    ):
        select_methods(["svd"], models)
    with pytest.raises(DataValidationError, match="methods"):
        select_methods([], models)


def test_export_and_metrics(fitted):
    split, models = fitted
    chosen = select_methods(["popularity", "item_cf"], models)
    export = export_recommendations(chosen, "item_cf", split.population, fallback=models[1], n=2)
    # E (cold) gets the segment baseline's list: segment "s" has no member with a
    # history, so it is the overall list [p2 p1]; the others get item CF's.
    e = export[export["customer_id"] == "E"]
    assert e["product_id"].tolist() == ["p2", "p1"] and set(e["source"]) == {"segment_popularity"}
    assert export["customer_id"].nunique() == 5
    evaluation = evaluate_recommenders(chosen, split, k=2, ks=(2,), fallback=models[1])
    metrics = stage_metrics(
        split, evaluation, export=export, export_method="item_cf", segment_source="test"
    )
    assert metrics["customers"] == 5 and metrics["cold_start_customers"] == 1
    assert metrics["evaluated_customers"] == 4 and metrics["new_customers_after_cutoff"] == 1
    assert metrics["item_cf_ndcg_lift"] == pytest.approx(
        metrics["methods"]["item_cf"]["ndcg"] / metrics["methods"]["popularity"]["ndcg"] - 1
    )
    assert metrics["best_method"] in ("popularity", "item_cf") and "contact_plan" not in metrics
    # 9 lines: A [p3 p4], B [p4], C [p1 p4], D [p2 p1] (all fill), E [p2 p1].
    assert len(export) == 9
    assert metrics["export_fill_share"] == pytest.approx(
        (export["source"] == "popularity_fill").mean()
    )
    with pytest.raises(
        DataValidationError, match="export_method: expected one of the fitted methods"
    ):
        export_recommendations(chosen, "user_cf", split.population, fallback=models[0])
