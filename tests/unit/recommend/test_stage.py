"""Stage glue: population, method selection, export and the headline metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def test_fit_models_fits_every_method_and_metrics_record_the_choice(toy_transactions):
    from marketing_utils.recommend.coldstart import ColdStartEvaluation
    from marketing_utils.recommend.stage import METHODS, ModelSettings, fit_models, latent_verdict
    from marketing_utils.recommend.text import product_texts, product_vectors

    split = time_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, population=list("ABCDE"))
    settings = ModelSettings(
        min_segment_size=1,
        min_support=0.1,
        latent={
            "als": {"factors": 2, "regularization": 0.1, "iterations": 3},
            "bpr": {"factors": 2, "regularization": 0.01, "iterations": 3},
        },
    )
    with pytest.raises(
        DataValidationError, match="product_texts: expected product text with words"
    ):
        product_vectors(product_texts(None, toy_transactions))  # categories "x", "y", "z"
    names = {"p1": "green tea", "p2": "black tea", "p3": "yoga mat", "p4": "running shoes"}
    products = pd.DataFrame({"product_id": list(names), "name": list(names.values())})
    vectors = product_vectors(product_texts(products), n_components=2)
    models, rules = fit_models(
        split.interactions,
        transactions=toy_transactions,
        cutoff=CUTOFF,
        segments={"A": "s"},
        vectors=vectors,
        settings=settings,
    )
    assert list(models) == list(METHODS)
    assert all(models[name].name == name for name in METHODS)
    # Baskets are customer-days here (no order ids): 7 before the cutoff, B's 2024-11-01
    # {p1, p2} the only pair: support 1/7; conf(p1 -> p2) = (1/7) / (2/7) = 0.5,
    # conf(p2 -> p1) = (1/7) / (3/7) = 1/3, lift = 0.5 / (3/7) = 7/6 both ways; 1 customer.
    assert rules.counts["baskets"] == 7 and rules.counts["rules_published"] == 2
    by_rule = {
        next(iter(a)): row
        for a, (_, row) in zip(rules.rules["antecedents"], rules.rules.iterrows(), strict=True)
    }
    assert by_rule["p1"]["confidence"] == pytest.approx(0.5)
    assert by_rule["p2"]["confidence"] == pytest.approx(1 / 3)
    assert by_rule["p1"]["lift"] == pytest.approx(7 / 6) == by_rule["p2"]["lift"]
    evaluation = evaluate_recommenders(
        models, split, k=2, ks=(2,), fallback=models["segment_popularity"]
    )
    export = export_recommendations(
        models, "als", split.population, fallback=models["segment_popularity"]
    )
    table = pd.DataFrame(
        {"ndcg": [0.5, 0.2], "recall": 0.1, "n_evaluated": 3}, index=["popularity", "content"]
    )
    metrics = stage_metrics(
        split,
        evaluation,
        export=export,
        export_method="als",
        segment_source="test",
        chosen_model="item_cf",
        cold_start=ColdStartEvaluation(table=table, k=2),
        cold_start_counts={"new_products": 2},
    )
    best = max(metrics["methods"].values(), key=lambda m: m["ndcg"])["ndcg"]
    assert metrics["chosen_model"] == "item_cf"
    assert metrics["chosen_within_best"] == pytest.approx(
        metrics["methods"]["item_cf"]["ndcg"] / best
    )
    assert metrics["cold_start"] == {
        "new_products": 2,
        "best_method": "popularity",
        "methods": {
            "popularity": {"ndcg": 0.5, "recall": 0.1},
            "content": {"ndcg": 0.2, "recall": 0.1},
        },
    }
    assert "item-kNN" in latent_verdict(evaluation)
    with pytest.raises(DataValidationError, match="methods"):
        fit_models(
            split.interactions,
            transactions=toy_transactions,
            cutoff=CUTOFF,
            segments={},
            vectors=None,
            settings=settings,
            methods=["content"],
        )


def test_fit_models_reuses_latent_models_already_fitted_on_the_same_matrix(toy_transactions):
    import numpy as np

    from marketing_utils.recommend.stage import ModelSettings, fit_models, latent_factory
    from marketing_utils.recommend.text import product_texts, product_vectors

    split = time_split(toy_transactions, cutoff=CUTOFF, horizon_days=30, population=list("ABCDE"))
    latent = {
        "als": {"factors": 2, "regularization": 0.1, "iterations": 3},
        "bpr": {"factors": 2, "regularization": 0.01, "iterations": 3},
    }
    settings = ModelSettings(min_segment_size=1, latent=latent)
    names = {"p1": "green tea", "p2": "black tea", "p3": "yoga mat", "p4": "running shoes"}
    products = pd.DataFrame({"product_id": list(names), "name": list(names.values())})
    vectors = product_vectors(product_texts(products), n_components=2)
    options = dict(
        transactions=toy_transactions,
        cutoff=CUTOFF,
        segments={"A": "s"},
        vectors=vectors,
        methods=["als", "bpr", "hybrid"],
    )
    searched = latent_factory("als", settings)(**latent["als"]).fit(split.interactions)
    other = ModelSettings(
        min_segment_size=1, latent={**latent, "als": {**latent["als"], "factors": 3}}
    )
    models, _ = fit_models(
        split.interactions, settings=settings, prefitted={"als": searched}, **options
    )
    assert models["als"] is searched and models["hybrid"].collaborative is searched
    assert models["bpr"] is not None and models["bpr"].interactions_ is split.interactions
    # A different setting, or another matrix, is fitted afresh; a fresh fit gives the same factors.
    refit, _ = fit_models(
        split.interactions, settings=other, prefitted={"als": searched}, **options
    )
    assert refit["als"] is not searched and refit["als"].factors == 3
    fresh, _ = fit_models(split.interactions, settings=settings, **options)
    assert fresh["als"] is not searched
    np.testing.assert_allclose(fresh["als"].item_factors_, searched.item_factors_)


def _paired_evaluation(differences: dict[str, np.ndarray], base: np.ndarray):
    """An Evaluation of item_cf (``base``) and methods scoring ``base + difference`` per customer."""
    from marketing_utils.recommend.evaluation import Evaluation

    scores = {"item_cf": base, **{m: base + d for m, d in differences.items()}}
    ids = [f"c{i}" for i in range(len(base))]
    per_customer = pd.concat(
        [pd.DataFrame({"customer_id": ids, "method": m, "ndcg": v}) for m, v in scores.items()],
        ignore_index=True,
    )
    table = pd.DataFrame(
        {"ndcg": [v.mean() for v in scores.values()], "n_evaluated": len(base)},
        index=pd.Index(list(scores), name="method"),
    )
    return Evaluation(table=table, by_k=pd.DataFrame(), per_customer=per_customer, k=10)


def test_a_difference_inside_the_bootstrap_noise_is_a_tie_not_a_win():
    from marketing_utils.recommend.stage import latent_verdict

    rng = np.random.default_rng(0)
    base = rng.uniform(0, 0.6, 2000)
    # ALS a hair above item-kNN on average (noise of sd 0.1 per customer, mean +0.001):
    # the old verdict called that a win. BPR clearly below it.
    noise = rng.normal(0, 0.1, 2000)
    als = noise - noise.mean() + 0.001
    bpr = rng.normal(-0.08, 0.05, 2000)
    evaluation = _paired_evaluation({"als": als, "bpr": bpr}, base)
    diff = evaluation.paired_difference("als", "item_cf", seed=0)
    assert diff["difference"] == pytest.approx(0.001)
    assert diff["difference"] == pytest.approx(
        evaluation.table.loc["als", "ndcg"] - evaluation.table.loc["item_cf", "ndcg"]
    )
    # The percentile interval of the mean difference: about +-1.96 * 0.1 / sqrt(2000).
    half = 1.96 * als.std() / np.sqrt(len(als))
    assert diff["low"] == pytest.approx(0.001 - half, abs=0.002)
    assert diff["high"] == pytest.approx(0.001 + half, abs=0.002)
    assert diff["low"] < 0 < diff["high"] and diff["n_customers"] == 2000
    assert evaluation.paired_difference("als", "item_cf", seed=0) == diff  # seeded
    verdict = latent_verdict(evaluation, seed=0)
    bpr_diff = evaluation.paired_difference("bpr", "item_cf", seed=0)
    item, als_mean, bpr_mean = (evaluation.table.loc[m, "ndcg"] for m in ("item_cf", "als", "bpr"))
    assert verdict == (
        f"ALS ties with item-kNN ({als_mean:.3f} vs {item:.3f}, {als_mean / item - 1:+.1%}; "
        f"95% interval of the difference {diff['low']:+.3f} to {diff['high']:+.3f}); "
        f"BPR does worse than item-kNN ({bpr_mean:.3f} vs {item:.3f}, {bpr_mean / item - 1:+.1%}; "
        f"95% interval of the difference {bpr_diff['low']:+.3f} to {bpr_diff['high']:+.3f}) "
        "on ndcg@k (paired bootstrap over the 2,000 evaluated customers; an interval holding 0 "
        "is a tie)."
    )
    assert bpr_diff["high"] < 0
    clear = _paired_evaluation({"als": rng.normal(0.05, 0.05, 2000)}, base)
    assert latent_verdict(clear).startswith("ALS beats item-kNN")


def test_cold_start_verdict_names_the_method_that_ranks_new_products_best():
    from marketing_utils.recommend.coldstart import ColdStartEvaluation
    from marketing_utils.recommend.stage import cold_start_verdict

    # The default run's numbers: content beats hybrid on every metric.
    table = pd.DataFrame(
        {
            "ndcg": [0.0046, 0.442, 0.363],
            "map": [0.002, 0.311, 0.214],
            "coverage": [0.4, 1.0, 0.8],
            "n_evaluated": 2673,
        },
        index=pd.Index(["popularity", "content", "hybrid"], name="method"),
    )
    verdict = cold_start_verdict(ColdStartEvaluation(table=table, k=10))
    assert verdict == (
        "On new products product text (content) does best: NDCG@10 0.442 against 0.363 for "
        "hybrid (purchases and product text), 0.0046 for category popularity; MAP@10 0.311 "
        "against 0.214 for hybrid (purchases and product text), 0.002 for category popularity; "
        "coverage 1 against 0.8 for hybrid (purchases and product text), 0.4 for category "
        "popularity. Launch new products to the customers product text puts them in front of."
    )
    swapped = table.rename(index={"content": "hybrid", "hybrid": "content"})
    assert cold_start_verdict(ColdStartEvaluation(table=swapped, k=10)).startswith(
        "On new products hybrid (purchases and product text) (hybrid) does best"
    )


def test_a_cold_start_split_nobody_bought_from_gives_no_advice_and_no_crash():
    from marketing_utils.recommend.coldstart import ColdStartEvaluation
    from marketing_utils.recommend.stage import best_cold_start_method, cold_start_verdict

    unmeasured = pd.DataFrame(
        {"ndcg": [np.nan, np.nan], "map": [np.nan, np.nan], "coverage": [0.4, 1.0]},
        index=pd.Index(["popularity", "content"], name="method"),
    )
    evaluation = ColdStartEvaluation(table=unmeasured, k=10)
    assert best_cold_start_method(evaluation) is None
    assert cold_start_verdict(evaluation).startswith("No cold-start evaluation")
    partly = unmeasured.assign(ndcg=[np.nan, 0.2])
    assert best_cold_start_method(ColdStartEvaluation(table=partly, k=10)) == "content"


def test_cold_start_models_leave_out_what_has_nothing_to_go_on():
    from marketing_utils.recommend.coldstart import CategoryPopularityRecommender
    from marketing_utils.recommend.stage import ModelSettings, cold_start_models
    from marketing_utils.recommend.text import (
        ContentRecommender,
        HybridRecommender,
        ProductVectors,
    )

    vectors = ProductVectors(np.array(["p1", "p2"], dtype=object), np.eye(2), "tfidf_svd")
    methods = ["popularity", "item_cf", "content", "hybrid"]
    settings = ModelSettings()
    categories = {"p1": "grocery", "p2": "sports"}
    models, left_out = cold_start_models(
        methods, categories=categories, vectors=vectors, settings=settings
    )
    assert list(models) == ["popularity", "content", "hybrid"] and left_out == {}
    assert isinstance(models["popularity"], CategoryPopularityRecommender)
    assert isinstance(models["content"], ContentRecommender)
    assert isinstance(models["hybrid"], HybridRecommender)
    # Text but no categories: the category baseline (a tie) is kept as the text methods' yardstick.
    models, left_out = cold_start_models(methods, categories={}, vectors=vectors, settings=settings)
    assert list(models) == ["popularity", "content", "hybrid"] and left_out == {}
    # No text: only the category baseline, and without categories nothing at all.
    models, left_out = cold_start_models(
        methods, categories=categories, vectors=None, settings=settings
    )
    assert list(models) == ["popularity"] and set(left_out) == {"content", "hybrid"}
    models, left_out = cold_start_models(methods, categories=None, vectors=None, settings=settings)
    assert models == {} and set(left_out) == {"popularity", "content", "hybrid"}
    assert "categories" in left_out["popularity"] and "text" in left_out["content"]


def test_metrics_record_the_methods_left_out_only_when_there_are_some(fitted):
    from marketing_utils.recommend.stage import stage_metrics

    split, models = fitted
    chosen = select_methods(["popularity", "item_cf"], models)
    evaluation = evaluate_recommenders(chosen, split, k=2, ks=[2], fallback=models[1])
    export = export_recommendations(chosen, "item_cf", split.population, fallback=models[1], n=2)
    common = dict(export=export, export_method="item_cf", segment_source="test")
    assert "methods_left_out" not in stage_metrics(split, evaluation, **common)
    assert "methods_left_out" not in stage_metrics(split, evaluation, **common, methods_left_out={})
    why = {"content": "no product text", "hybrid": "no product text"}
    metrics = stage_metrics(split, evaluation, **common, methods_left_out=why)
    assert metrics["methods_left_out"] == why
