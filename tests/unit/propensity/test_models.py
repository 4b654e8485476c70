"""Candidate models: the preprocessing, the families, the CV comparison, the selection rules, the search."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier

from marketing_utils.propensity.data import FeatureSpec, PreparedData, prepare_model_data
from marketing_utils.propensity.models import (
    build_pipeline,
    build_preprocessor,
    compare_class_weights,
    compare_models,
    cv_splitter,
    select_class_weight,
    select_family,
)
from marketing_utils.propensity.search import search_space, tune_model


def _prepared(n: int = 300, seed: int = 0) -> PreparedData:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "signal": signal,
            "noise": rng.normal(size=n),
            "visits": rng.integers(0, 5, n),
            "region": pd.Series(rng.choice(["n", "s", "e"], n), dtype="str"),
        }
    )
    probability = 1 / (1 + np.exp(-(2 * signal - 0.5)))
    table["label"] = (rng.random(n) < probability).astype(int)
    return prepare_model_data(table, cv_folds=3, seed=seed)


def test_preprocessor_imputes_scales_and_encodes_by_hand():
    spec = FeatureSpec(numeric=("a",), categorical=("c",))
    train = pd.DataFrame(
        {"a": [1.0, 3.0, np.nan, 5.0], "c": pd.Series(["x", "y", None, "x"], dtype="str")}
    )
    pre = build_preprocessor(spec).fit(train)
    # a: median 3 fills the gap -> [1, 3, 3, 5]; mean 3, sd sqrt(2). c: categories missing, x, y.
    root2 = np.sqrt(2)
    expected = [
        [-root2, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 1, 0, 0],
        [root2, 0, 1, 0],
    ]
    np.testing.assert_allclose(pre.transform(train), expected, atol=1e-12)
    # An unseen category at scoring time gives all-zero indicators, not an error.
    new = pd.DataFrame({"a": [7.0], "c": pd.Series(["z"], dtype="str")})
    np.testing.assert_allclose(pre.transform(new), [[4 / root2, 0, 0, 0]], atol=1e-12)
    assert list(pre.get_feature_names_out()) == [
        "numeric__a",
        "categorical__c_missing",
        "categorical__c_x",
        "categorical__c_y",
    ]


def test_preprocessor_with_only_numeric_features():
    pre = build_preprocessor(FeatureSpec(numeric=("a",), categorical=()))
    assert pre.fit_transform(pd.DataFrame({"a": [1.0, 3.0]})).tolist() == [[-1.0], [1.0]]


@pytest.mark.parametrize(
    ("family", "kind"),
    [
        ("logistic", LogisticRegression),
        ("random_forest", RandomForestClassifier),
        ("hist_gradient_boosting", HistGradientBoostingClassifier),
        ("svm", CalibratedClassifierCV),
        ("mlp", MLPClassifier),
    ],
)
def test_every_family_fits_and_gives_probabilities(family, kind):
    prepared = _prepared(150)
    X, y = prepared.part("train")
    pipeline = build_pipeline(prepared.spec, family, seed=1)
    assert isinstance(pipeline.named_steps["model"], kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small MLP may stop before converging
        probabilities = pipeline.fit(X, y).predict_proba(X)[:, 1]
    assert probabilities.shape == (len(y),)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert set(search_space(family)) and all(k.startswith("model__") for k in search_space(family))


def test_unknown_family_and_unsupported_options_are_refused():
    prepared = _prepared(60)
    with pytest.raises(ValueError, match="unknown model family 'xgboost'; expected one of"):
        compare_models(prepared, ["xgboost"])
    with pytest.raises(ValueError, match="expected at least one model family, found none"):
        compare_models(prepared, [])
    with pytest.raises(ValueError, match="'mlp' does not support class_weight='balanced'"):
        build_pipeline(prepared.spec, "mlp", class_weight="balanced")


def test_small_data_families_refuse_large_training_parts():
    n = 14_000
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "x": np.arange(n) % 7,
            "label": [0, 1] * (n // 2),
        }
    )
    prepared = prepare_model_data(table, cv_folds=3)
    with pytest.raises(ValueError, match=r"'svm' is meant for small data \(at most 10,000"):
        compare_models(prepared, ["svm"])


def test_comparison_equals_scikit_learn_cross_validation():
    prepared = _prepared()
    table = compare_models(prepared, ["logistic", "hist_gradient_boosting"], cv_folds=3, seed=5)
    assert table["roc_auc_mean"].is_monotonic_decreasing
    X, y = prepared.part("train")
    row = table.set_index("family").loc["logistic"]
    pipeline = build_pipeline(prepared.spec, "logistic", seed=5)
    for name, scorer, sign in [
        ("roc_auc", "roc_auc", 1),
        ("pr_auc", "average_precision", 1),
        ("log_loss", "neg_log_loss", -1),
        ("brier", "neg_brier_score", -1),
    ]:
        scores = sign * cross_val_score(pipeline, X, y, cv=cv_splitter(3, 5), scoring=scorer)
        assert row[f"{name}_mean"] == pytest.approx(scores.mean())
        assert row[f"{name}_std"] == pytest.approx(scores.std(ddof=1))
    assert row["roc_auc_mean"] > 0.75  # the signal is strong
    assert 0 <= row["ece_mean"] < 0.3 and row["fit_seconds_mean"] > 0


def test_one_standard_error_rule_prefers_the_cheaper_family():
    table = pd.DataFrame(
        {
            "family": ["random_forest", "hist_gradient_boosting", "logistic"],
            "roc_auc_mean": [0.800, 0.796, 0.794],
            "roc_auc_std": [0.010, 0.010, 0.010],
        }
    )
    # One standard error with 4 folds: 0.010 / 2 = 0.005, so everything >= 0.795 is a tie.
    assert select_family(table, cv_folds=4) == "hist_gradient_boosting"
    # With 100 folds the standard error is 0.001: only the forest is within it.
    assert select_family(table, cv_folds=100) == "random_forest"


def test_balanced_weights_need_a_gain_beyond_the_noise():
    table = pd.DataFrame(
        {
            "class_weight": ["none", "balanced"],
            "pr_auc_mean": [0.400, 0.405],
            "pr_auc_std": [0.020, 0.020],
        }
    )
    assert select_class_weight(table, cv_folds=4) is None  # gain 0.005 < 0.01
    assert select_class_weight(table.assign(pr_auc_std=0.004), cv_folds=4) == "balanced"
    assert select_class_weight(table.iloc[:1], cv_folds=4) is None
    # The same gain, but the balanced row ran 2 of 4 folds (dropped by the race): never chosen.
    raced = table.assign(pr_auc_std=0.004, folds=[4, 2])
    assert select_class_weight(raced, cv_folds=4) is None
    assert select_class_weight(raced.assign(folds=[4, 4]), cv_folds=4) == "balanced"


def test_class_weight_comparison_reuses_the_unweighted_row():
    prepared = _prepared()
    comparison = compare_models(prepared, ["logistic"], cv_folds=3)
    weights = compare_class_weights(prepared, "logistic", unweighted=comparison, cv_folds=3)
    assert list(weights["class_weight"]) == ["none", "balanced"]
    assert list(weights["folds"]) == [3, 3]  # not raced: every fold of both settings
    assert weights.iloc[0]["roc_auc_mean"] == comparison.iloc[0]["roc_auc_mean"]
    # Balanced weights push predicted probabilities up for the minority class: worse calibration.
    assert weights.iloc[1]["ece_mean"] > weights.iloc[0]["ece_mean"]
    assert list(compare_class_weights(prepared, "mlp", cv_folds=3)["class_weight"]) == ["none"]


def test_search_is_seeded_and_reports_every_candidate():
    prepared = _prepared()
    first = tune_model(prepared, "logistic", n_iter=4, cv_folds=3, seed=2)
    again = tune_model(prepared, "logistic", n_iter=4, cv_folds=3, seed=2)
    assert len(first.table) == 4 and first.table["rank"].iloc[0] == 1
    assert first.cv_roc_auc == pytest.approx(first.table["roc_auc_mean"].max())
    assert first.params == again.params and set(first.params) == {"C"}
    assert isinstance(first.params["C"], float)  # plain JSON numbers
    assert not first.kept_defaults


def test_search_that_does_not_beat_the_untuned_model_keeps_the_defaults():
    prepared = _prepared()
    result = tune_model(prepared, "logistic", n_iter=2, cv_folds=3, baseline_roc_auc=1.0)
    assert result.kept_defaults and result.params == {}
    assert result.estimator.named_steps["model"].C == 1.0  # the untuned default
    X, _ = prepared.part("test")
    assert result.estimator.predict_proba(X).shape == (len(X), 2)  # refitted


def test_halving_search_and_bad_search_parameters():
    prepared = _prepared()
    result = tune_model(prepared, "logistic", n_iter=3, method="halving", cv_folds=3)
    assert result.cv_roc_auc > 0.7
    with pytest.raises(
        ValueError, match="search_method: expected one of random, racing, halving, found 'grid'"
    ):
        tune_model(prepared, "logistic", method="grid")
    with pytest.raises(ValueError, match="search_iter: expected a positive integer, found 0"):
        tune_model(prepared, "logistic", n_iter=0)
