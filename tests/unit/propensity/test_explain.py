"""Explanations: permutation importance, partial dependence and odds ratios, against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from marketing_utils.propensity import explain
from marketing_utils.propensity.calibration import fit_calibrated
from marketing_utils.propensity.data import FeatureSpec
from marketing_utils.propensity.explain import (
    _split_columnwise,
    importance_table,
    odds_ratios,
    partial_dependence_table,
    permutation_importance_table,
)
from marketing_utils.propensity.models import build_pipeline


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class _Additive(ClassifierMixin, BaseEstimator):
    """p = sigmoid(x1 + x2 + 1[region == 'n']): known by construction, ignores 'noise'."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def _z(self, X):
        return X["x1"].to_numpy(float) + X["x2"].to_numpy(float) + (X["region"] == "n").to_numpy()

    def predict_proba(self, X):
        p = _sigmoid(self._z(X))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self._z(X) > 0).astype(int)


def _frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x1": rng.integers(-3, 4, n),  # integers: partial dependence must cope
            "x2": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "region": pd.Series(rng.choice(["n", "s"], n), dtype="str"),
        }
    )
    z = X["x1"] + X["x2"] + (X["region"] == "n")
    y = (rng.random(n) < _sigmoid(z)).astype(int).to_numpy()
    return X, y


def test_permutation_importance_is_zero_for_an_unused_feature():
    X, y = _frame()
    model = _Additive().fit(X, y)
    table = permutation_importance_table(model, X, y, n_repeats=4, seed=0)
    assert table["feature"].iloc[0] == "x1"  # the widest-spread input
    importance = table.set_index("feature")
    # Shuffling a column the model never reads cannot change a single score.
    assert importance.loc["noise", "importance_mean"] == 0.0
    assert importance.loc["noise", "importance_std"] == 0.0
    # x1 carries most of the signal: shuffling it must cost a large share of the AUC above 0.5.
    baseline = roc_auc_score(y, model.predict_proba(X)[:, 1])
    assert importance.loc["x1", "importance_mean"] > 0.4 * (baseline - 0.5)


def test_permutation_importance_subsamples_rows():
    X, y = _frame(400)
    table = permutation_importance_table(_Additive().fit(X, y), X, y, max_rows=100, n_repeats=2)
    assert len(table) == 4 and table["importance_mean"].notna().all()


def test_permutation_importance_does_not_depend_on_the_jobs():
    from joblib import parallel_backend

    X, y = _frame(300)
    model = _Additive().fit(X, y)
    serial = permutation_importance_table(model, X, y, n_repeats=3, seed=1, n_jobs=1)
    with parallel_backend("threading"):  # no process start-up in a unit test
        parallel = permutation_importance_table(model, X, y, n_repeats=3, seed=1, n_jobs=2)
        every_core = permutation_importance_table(model, X, y, n_repeats=3, seed=1, n_jobs=0)
    pd.testing.assert_frame_equal(serial, parallel)
    pd.testing.assert_frame_equal(serial, every_core)
    assert serial["importance_mean"].iloc[0] > 0.05
    with pytest.raises(ValueError, match="n_jobs"):
        permutation_importance_table(model, X, y, n_jobs=-3)


def test_partial_dependence_equals_the_hand_average():
    X, y = _frame(300)
    model = _Additive().fit(X, y)
    table = partial_dependence_table(model, X, ["x1", "region"], categorical=["region"])
    x1 = table[table["feature"] == "x1"]
    # x1 takes 7 integer values (fewer than the grid), so the grid is those values.
    assert x1["value"].tolist() == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    rest = X["x2"].to_numpy() + (X["region"] == "n").to_numpy()
    expected = [_sigmoid(v + rest).mean() for v in x1["value"]]
    np.testing.assert_allclose(x1["average_probability"], expected, rtol=1e-10)
    region = table[table["feature"] == "region"].set_index("value")["average_probability"]
    base = X["x1"].to_numpy() + X["x2"].to_numpy()
    assert region["n"] == pytest.approx(_sigmoid(base + 1).mean())
    assert region["s"] == pytest.approx(_sigmoid(base).mean())


def test_partial_dependence_samples_at_most_max_rows():
    X, y = _frame(300)
    model = _Additive().fit(X, y)
    small = partial_dependence_table(model, X, ["x2"], max_rows=50, grid_resolution=5, seed=1)
    assert len(small) == 5
    sample = X.sample(n=50, random_state=1)
    rest = sample["x1"].to_numpy() + (sample["region"] == "n").to_numpy()
    expected = [_sigmoid(v + rest).mean() for v in small["value"]]
    np.testing.assert_allclose(small["average_probability"], expected, rtol=1e-10)


def test_odds_ratios_are_exponentiated_coefficients():
    X, y = _frame(500)
    spec = FeatureSpec(numeric=("x1", "x2", "noise"), categorical=("region",))
    pipeline = build_pipeline(spec, "logistic").fit(X, y)
    table = odds_ratios(pipeline)
    assert set(table["feature"]) == {"x1", "x2", "noise", "region_n", "region_s"}
    coefficients = dict(zip(table["feature"], table["coefficient"], strict=True))
    model = pipeline.named_steps["model"]
    assert coefficients["x1"] == pytest.approx(model.coef_[0][0])
    np.testing.assert_allclose(table["odds_ratio"], np.exp(table["coefficient"]))
    assert table["coefficient"].abs().is_monotonic_decreasing
    assert table["feature"].iloc[0] == "x1" and table["odds_ratio"].iloc[0] > 1
    assert coefficients["region_n"] > coefficients["region_s"]  # 'n' adds +1 to the logit


def test_odds_ratios_need_a_linear_model():
    X, y = _frame(200)
    spec = FeatureSpec(numeric=("x1", "x2"), categorical=())
    forest = build_pipeline(spec, "random_forest").fit(X, y)
    with pytest.raises(ValueError, match="found RandomForestClassifier"):
        odds_ratios(forest)


def _sklearn_table(model, X, y, *, n_repeats, seed, rows) -> pd.DataFrame:
    result = permutation_importance(
        model, X, y, scoring="roc_auc", n_repeats=n_repeats, random_state=seed,
        max_samples=min(1.0, rows / len(X)),
    )  # fmt: skip
    return importance_table(list(X.columns), result)


@pytest.mark.parametrize("calibrated", [False, True])
@pytest.mark.parametrize(("rows", "n_jobs"), [(150, 1), (10_000, 1), (150, 2)])
def test_permutation_importance_of_a_pipeline_is_sklearns_bit_for_bit(calibrated, rows, n_jobs):
    """Preprocessing once and shuffling the preprocessed columns gives sklearn's numbers exactly."""
    X, y = _frame()
    X = X.assign(x2=X["x2"].mask(X.index % 7 == 0))  # missing values: imputed per value
    spec = FeatureSpec(numeric=("x1", "x2"), categorical=("region",))  # 'noise' is not used
    model = build_pipeline(spec, "hist_gradient_boosting", seed=0)
    if calibrated:
        model = fit_calibrated(model, X, y, method="sigmoid", cv_folds=3, seed=0)
    else:
        model = model.fit(X, y)
    split = _split_columnwise(model, X)
    assert split is not None and split[2][2] == []  # 'noise' has no preprocessed column
    assert len(split[2][3]) == 2  # 'region': one indicator per category
    before = X.copy()
    ours = permutation_importance_table(model, X, y, n_repeats=3, seed=5, max_rows=rows,
                                        n_jobs=n_jobs)  # fmt: skip
    expected = _sklearn_table(model, X, y, n_repeats=3, seed=5, rows=rows)
    pd.testing.assert_frame_equal(ours, expected, check_exact=True)
    pd.testing.assert_frame_equal(X, before)


def test_permutation_importance_shuffles_the_raw_table_for_other_models():
    X, y = _frame()
    spec = FeatureSpec(numeric=("x1", "x2"), categorical=("region",))
    # Several calibrated copies (ensemble=True): each has its own preprocessing.
    pipeline = build_pipeline(spec, "logistic")
    ensemble = CalibratedClassifierCV(pipeline, cv=3, ensemble=True).fit(X, y)
    # A preprocessing that mixes columns is not column-wise.
    mixing = Pipeline(
        [
            ("preprocess", ColumnTransformer([("pca", PCA(n_components=2), ["x1", "x2"])])),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    for model in (ensemble, mixing, _Additive().fit(X, y)):
        assert _split_columnwise(model, X) is None
        ours = permutation_importance_table(model, X, y, n_repeats=2, seed=1, max_rows=100)
        expected = _sklearn_table(model, X, y, n_repeats=2, seed=1, rows=100)
        pd.testing.assert_frame_equal(ours, expected, check_exact=True)


@pytest.mark.parametrize("stacked_rows", [20_000, 600])
def test_partial_dependence_is_scikit_learns_bit_for_bit_on_a_calibrated_pipeline(
    stacked_rows, monkeypatch
):
    # One stacked prediction per feature (or per few grid values: 600 rows is two copies of the
    # 250-row sample, so three grid values run in two calls) must give scikit-learn's grid and
    # averages exactly:
    # integers (made floats), a numeric column with missing values and few distinct values,
    # text and pandas categorical columns, a calibrated gradient-boosting pipeline.
    from sklearn.inspection import partial_dependence

    rng = np.random.default_rng(7)
    n = 600
    X = pd.DataFrame(
        {
            "orders": rng.integers(0, 40, n),
            "spend": rng.gamma(2.0, 50.0, n),
            "tenure": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 6, n).astype(float)),
            "region": pd.Series(rng.choice(["n", "s", "e"], n), dtype="str"),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n)),
        }
    )
    z = 0.05 * X["orders"] + 0.01 * X["spend"] - (X["region"] == "s") + (X["tier"] == "gold")
    y = (rng.random(n) < _sigmoid(z.to_numpy() - 1.5)).astype(int)
    spec = FeatureSpec(numeric=("orders", "spend", "tenure"), categorical=("region", "tier"))
    model = fit_calibrated(
        build_pipeline(spec, "hist_gradient_boosting", seed=0), X, y, method="sigmoid", cv_folds=3
    )
    features = ["orders", "spend", "tenure", "region", "tier"]
    categorical = ["region", "tier"]
    monkeypatch.setattr(explain, "STACKED_ROWS", stacked_rows)
    table = partial_dependence_table(
        model, X, features, categorical=categorical, max_rows=250, grid_resolution=8, seed=3
    )
    sample = X.sample(n=250, random_state=3).astype({"orders": float})
    for feature in features:
        ours = table[table["feature"] == feature]
        theirs = partial_dependence(
            model, sample, [feature],
            categorical_features=[feature] if feature in categorical else None,
            grid_resolution=8, kind="average", method="brute", response_method="predict_proba",
        )  # fmt: skip
        grid = theirs["grid_values"][0]
        expected = [str(v) for v in grid] if feature in categorical else grid.astype(float)
        if feature in categorical:
            assert ours["value"].tolist() == expected
        else:
            np.testing.assert_array_equal(ours["value"].to_numpy(dtype=float), expected)
        np.testing.assert_array_equal(ours["average_probability"].to_numpy(), theirs["average"][0])
    # tenure has 5 values and missing ones: the grid is its distinct values, as scikit-learn's.
    assert len(table[table["feature"] == "tenure"]) == 6


def test_partial_dependence_names_the_feature_without_a_range():
    X, y = _frame(200)
    X["flat"] = 1.0
    X.loc[:4, "flat"] = np.linspace(0, 1, 5)
    model = _Additive().fit(X, y)
    with pytest.raises(ValueError, match="'flat'"):
        partial_dependence_table(model, X, ["flat"], grid_resolution=5)
