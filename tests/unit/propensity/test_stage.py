"""Stage 03 end to end on a small table with a known true probability; metrics; saving; errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from marketing_utils.artifacts import Artifacts
from marketing_utils.errors import DataValidationError
from marketing_utils.model_io import TRUSTED_TYPES, load_model
from marketing_utils.propensity.stage import (
    fit_propensity,
    save_propensity,
    score_metrics,
    true_propensity_auc,
)

FAST = {
    "models": ("logistic", "hist_gradient_boosting"),
    "cv_folds": 3,
    "search_iter": 2,
    "seed": 3,
}


def _table(n: int = 800, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    recency = rng.integers(0, 365, n)
    orders = rng.poisson(3, n)
    channel = rng.choice(["web", "store", "app"], n)
    z = 1.0 - recency / 90 + 0.3 * orders + 0.5 * (channel == "app")
    probability = 1 / (1 + np.exp(-z))
    ids = [f"cust_{i:04d}" for i in range(n)]
    table = pd.DataFrame(
        {
            "customer_id": ids,
            "recency": recency,
            "orders": orders,
            "channel": pd.Series(channel, dtype="str"),
            "label": (rng.random(n) < probability).astype(int),
        }
    )
    truth = pd.DataFrame({"customer_id": ids, "true_purchase_prob": probability})
    return table, truth


@pytest.fixture(scope="module")
def fitted():
    table, truth = _table()
    info = {"numeric_features": ["recency", "orders"], "categorical_features": ["channel"]}
    return table, truth, info, fit_propensity(table, info=info, **FAST)


def test_every_customer_is_scored_once_with_the_split(fitted):
    table, _, _, result = fitted
    scores = result.scores
    assert scores.columns.tolist() == ["customer_id", "split", "label", "score"]
    assert scores["customer_id"].tolist() == table["customer_id"].tolist()
    assert scores["label"].tolist() == table["label"].tolist()
    assert (scores["split"] == "test").sum() == 200  # test_size 0.25 of 800
    assert set(scores["split"]) == {"train", "test"}
    assert scores["score"].between(0, 1).all()
    # The test split keeps the label rate (stratified): counts differ by at most one.
    test = scores[scores["split"] == "test"]
    assert abs(test["label"].sum() - 0.25 * table["label"].sum()) <= 1


def test_model_gets_close_to_the_true_probability(fitted):
    _, truth, _, result = fitted
    ceiling = true_propensity_auc(result.scores, truth)
    assert ceiling["n"] == 200
    # 600 training rows of a logistic truth: within 0.05 AUC of the ceiling.
    assert ceiling["auc_gap"] < 0.05
    assert ceiling["model_auc"] == pytest.approx(result.metrics()["test_roc_auc"])


def test_metrics_are_the_test_metrics_and_the_choices(fitted):
    _, _, _, result = fitted
    metrics = result.metrics()
    test = result.scores[result.scores["split"] == "test"]
    assert metrics["test_roc_auc"] == pytest.approx(roc_auc_score(test["label"], test["score"]))
    assert metrics["best_model"] in FAST["models"]
    assert metrics["calibration"] in ("sigmoid", "isotonic")
    assert metrics["class_weight"] in ("none", "balanced")
    assert (metrics["n_train"], metrics["n_test"], metrics["n_customers"]) == (600, 200, 800)
    assert metrics["n_features"] == 3
    assert set(metrics["cv_roc_auc_by_family"]) == set(FAST["models"])
    # Calibrated probabilities: the Brier score beats always predicting the base rate.
    rate = test["label"].mean()
    assert metrics["test_brier"] < rate * (1 - rate)


def test_same_seed_same_scores(fitted):
    table, _, info, result = fitted
    again = fit_propensity(table, info=info, **FAST)
    pd.testing.assert_frame_equal(again.scores, result.scores)
    assert again.tuning.params == result.tuning.params


def test_saved_artifacts_round_trip(fitted, tmp_path):
    _, _, info, result = fitted
    store = Artifacts(tmp_path)
    written = save_propensity(
        result, store, preprocessing_info={**info, "label": {"cutoff": "2024-01-01"}}
    )
    assert written == ["propensity_model", "propensity_model_info", "scores", "model_comparison"]
    pd.testing.assert_frame_equal(store.load("scores"), result.scores, check_dtype=False)
    assert store.load("model_comparison")["family"].tolist() == result.comparison["family"].tolist()
    meta = store.load("propensity_model_info")
    assert meta["features"] == ["recency", "orders", "channel"]
    assert meta["numeric_features"] == ["recency", "orders"]
    assert meta["categorical_features"] == ["channel"]
    assert meta["model_family"] == result.family
    assert meta["calibration_method"] == result.calibration.method
    assert meta["cutoff"] == "2024-01-01" and meta["training_date"]
    assert set(meta["skops_trusted_types"]) <= set(TRUSTED_TYPES)
    model = load_model(store.path("propensity_model", "model"))
    np.testing.assert_allclose(
        model.predict_proba(result.prepared.X)[:, 1], result.scores["score"], rtol=0, atol=1e-12
    )


def test_score_metrics_by_hand():
    metrics = score_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    # 3 of 4 (buyer, non-buyer) pairs ordered right; AP: precision 1 at the first buyer, 2/3 at the second.
    assert metrics["roc_auc"] == pytest.approx(0.75)
    assert metrics["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    assert metrics["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert metrics["log_loss"] == pytest.approx(-(np.log(0.9) + np.log(0.4)) / 2)
    assert metrics["ece"] == pytest.approx((0.1 + 0.6 + 0.6 + 0.1) / 4)


def test_true_propensity_auc_by_hand():
    scores = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "split": ["test"] * 4 + ["train"],
            "label": [0, 0, 1, 1, 1],
            "score": [0.2, 0.3, 0.6, 0.7, 0.9],
        }
    )
    truth = pd.DataFrame(
        {"customer_id": ["e", "d", "c", "b", "a"], "true_purchase_prob": [0.5, 0.8, 0.35, 0.4, 0.1]}
    )
    result = true_propensity_auc(scores, truth)
    # Truth orders 3 of the 4 pairs right (0.35 < 0.4); the model orders all 4.
    assert result == {"true_propensity_auc": 0.75, "model_auc": 1.0, "auc_gap": -0.25, "n": 4}
    with pytest.raises(DataValidationError, match="found 1 of 4 without one"):
        true_propensity_auc(scores, truth[truth["customer_id"] != "a"])
    with pytest.raises(DataValidationError, match=r"missing \['true_purchase_prob'\]"):
        true_propensity_auc(scores, truth[["customer_id"]])


def test_label_with_one_class_is_refused():
    table, _ = _table(100)
    with pytest.raises(DataValidationError, match="expected both classes 0 and 1"):
        fit_propensity(table.assign(label=1), **FAST)


def test_label_with_missing_values_is_refused():
    table, _ = _table(100)
    table.loc[[3, 7], "label"] = np.nan
    with pytest.raises(DataValidationError, match="found 2 missing values"):
        fit_propensity(table, **FAST)


def test_table_without_usable_features_is_refused():
    table, _ = _table(100)
    with pytest.raises(DataValidationError, match="expected at least one usable feature"):
        fit_propensity(table[["customer_id", "label"]], **FAST)


def test_train_split_too_small_for_the_folds_is_refused():
    table, _ = _table(40)
    with pytest.raises(DataValidationError, match="too small for 20-fold cross-validation"):
        fit_propensity(table, **{**FAST, "cv_folds": 20})


def test_bad_choices_are_refused_before_any_fit():
    table, _ = _table(100)
    with pytest.raises(ValueError, match="class_weight: expected one of auto, none, balanced"):
        fit_propensity(table, **FAST, class_weight="inverse")
    with pytest.raises(ValueError, match="calibration: expected 'auto' or one of sigmoid"):
        fit_propensity(table, **FAST, calibration="beta")
