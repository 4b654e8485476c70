"""Tests of marketing_utils.uplift.learners: the four uplift models, their interface and their errors.

Hand-worked anchors use scikit-learn's ``DummyClassifier(strategy="prior")``,
which predicts the training response rate for every customer, so each model's
uplift reduces to a number computable by hand from the group response rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from marketing_utils.errors import DataValidationError
from marketing_utils.uplift.learners import (
    BASE_LEARNERS,
    UPLIFT_MODELS,
    ClassTransformation,
    SLearner,
    TLearner,
    XLearner,
    _matching_regressor,
    make_base_learner,
    make_feature_encoder,
    make_uplift_model,
)

PRIOR = DummyClassifier(strategy="prior")

# Balanced: treated respond 3/4, control 1/4, so the average effect is 0.5.
X_SMALL = np.arange(16, dtype=float).reshape(8, 2)
Y_BALANCED = np.array([1, 1, 0, 1, 0, 1, 0, 0])
T_BALANCED = np.array([1, 1, 1, 1, 0, 0, 0, 0])

# Unbalanced: 6 treated respond 5/6, 2 control respond 1/2, so the effect is 1/3.
Y_UNBALANCED = np.array([1, 1, 1, 1, 1, 0, 1, 0])
T_UNBALANCED = np.array([1, 1, 1, 1, 1, 1, 0, 0])


def heterogeneous_data(n: int = 3000, seed: int = 0):
    """A randomized campaign where only customers with x0 > 0 are persuadable (+0.4)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    treatment = rng.integers(0, 2, n)
    persuadable = x[:, 0] > 0
    probability = 0.2 + 0.4 * persuadable * treatment
    y = (rng.random(n) < probability).astype(int)
    features = np.column_stack([x, persuadable.astype(float)])
    return features, y, treatment, 0.4 * persuadable


@pytest.mark.parametrize("name", list(UPLIFT_MODELS))
def test_every_model_recovers_a_heterogeneous_effect(name):
    X, y, t, true_uplift = heterogeneous_data()
    model = make_uplift_model(name, LogisticRegression(max_iter=1000))
    predicted = model.fit(X, y, t).predict_uplift(X)
    persuadable = true_uplift > 0
    assert predicted[persuadable].mean() == pytest.approx(0.4, abs=0.07)
    assert predicted[~persuadable].mean() == pytest.approx(0.0, abs=0.07)
    assert spearmanr(predicted, true_uplift).statistic > 0.6
    np.testing.assert_array_equal(model.predict(X), predicted)


def test_t_learner_with_prior_classifiers_predicts_the_difference_of_rates():
    model = TLearner(PRIOR).fit(X_SMALL, Y_BALANCED, T_BALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL[:3]), [0.5, 0.5, 0.5])


def test_s_learner_with_a_classifier_that_ignores_features_predicts_no_uplift():
    model = SLearner(PRIOR).fit(X_SMALL, Y_BALANCED, T_BALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL), 0.0)


def test_s_learner_appends_treatment_and_interactions():
    plain = SLearner(LogisticRegression()).fit(X_SMALL, Y_BALANCED, T_BALANCED)
    assert plain.estimator_.n_features_in_ == 3  # two features + treatment
    lo = SLearner(LogisticRegression(), interactions=True).fit(X_SMALL, Y_BALANCED, T_BALANCED)
    assert lo.estimator_.n_features_in_ == 5  # + treatment * each feature


def test_class_transformation_balanced_groups():
    # Z = 1 for treated responders (3) and control non-responders (3): P(Z=1) = 6/8,
    # uplift = 2 * 0.75 - 1 = 0.5, the difference of rates.
    model = ClassTransformation(PRIOR).fit(X_SMALL, Y_BALANCED, T_BALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL[:2]), [0.5, 0.5])


def test_class_transformation_reweights_unbalanced_groups():
    # Treated share 6/8: weights 0.5/0.75 = 2/3 (treated) and 0.5/0.25 = 2 (control).
    # Weighted P(Z=1) = (2/3 * 5 responders + 2 * 1 non-responder) / (2/3 * 6 + 2 * 2)
    #                 = (10/3 + 2) / 8 = 2/3, so uplift = 2 * 2/3 - 1 = 1/3 = 5/6 - 1/2.
    # Unweighted it would be 2 * (5 + 1)/8 - 1 = 0.5: wrong.
    model = ClassTransformation(PRIOR).fit(X_SMALL, Y_UNBALANCED, T_UNBALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL[:1]), [1 / 3])


def test_class_transformation_routes_weights_through_a_pipeline():
    pipeline = make_pipeline(StandardScaler(), DummyClassifier(strategy="prior"))
    model = ClassTransformation(pipeline).fit(X_SMALL, Y_UNBALANCED, T_UNBALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL[:1]), [1 / 3])


def test_class_transformation_refuses_unbalanced_groups_without_sample_weight():
    with pytest.raises(TypeError, match="KNeighborsClassifier.fit does not accept sample_weight"):
        ClassTransformation(KNeighborsClassifier(n_neighbors=1)).fit(
            X_SMALL, Y_UNBALANCED, T_UNBALANCED
        )
    # Balanced groups need no weights, so any classifier works.
    ClassTransformation(KNeighborsClassifier(n_neighbors=1)).fit(X_SMALL, Y_BALANCED, T_BALANCED)


@pytest.mark.parametrize("propensity", [None, 0.2, 0.9])
def test_x_learner_with_prior_models_predicts_the_difference_of_rates(propensity):
    # mu_1 = 5/6, mu_0 = 1/2: imputed effects average 5/6 - 1/2 in both groups,
    # so the effect regressors (means) agree and the weighting g does not matter.
    model = XLearner(PRIOR, effect_estimator=DummyRegressor(), propensity=propensity)
    model.fit(X_SMALL, Y_UNBALANCED, T_UNBALANCED)
    np.testing.assert_allclose(model.predict_uplift(X_SMALL[:2]), [1 / 3, 1 / 3])
    assert model.propensity_ == (0.75 if propensity is None else propensity)


def test_x_learner_weights_the_two_effect_models_by_the_propensity():
    # With logistic outcome models the two constant effect estimates differ, so the
    # prediction must be g * tau_0 + (1 - g) * tau_1 with g = 0.25.
    X, y, t, _ = heterogeneous_data(400, seed=3)
    model = XLearner(LogisticRegression(), effect_estimator=DummyRegressor(), propensity=0.25)
    model.fit(X, y, t)
    tau_0 = model.control_effect_.predict(X[:1])[0]
    tau_1 = model.treated_effect_.predict(X[:1])[0]
    assert model.predict_uplift(X[:1])[0] == pytest.approx(0.25 * tau_0 + 0.75 * tau_1)


def test_matching_regressor_follows_the_classifier_family():
    assert isinstance(_matching_regressor(LogisticRegression(C=4.0)), Ridge)
    assert _matching_regressor(LogisticRegression(C=4.0)).alpha == pytest.approx(0.25)
    boosted = _matching_regressor(make_base_learner("gradient_boosting", seed=3))
    assert isinstance(boosted, HistGradientBoostingRegressor)
    assert (boosted.max_depth, boosted.min_samples_leaf, boosted.random_state) == (3, 100, 3)
    forest = _matching_regressor(make_base_learner("random_forest", seed=1))
    assert isinstance(forest, RandomForestRegressor) and forest.min_samples_leaf == 50
    piped = _matching_regressor(make_pipeline(StandardScaler(), LogisticRegression()))
    assert isinstance(piped, Pipeline) and isinstance(piped.steps[-1][1], Ridge)
    assert isinstance(_matching_regressor(KNeighborsClassifier()), HistGradientBoostingRegressor)


def test_models_work_on_dataframes_through_a_pipeline():
    frame = pd.DataFrame(
        {"x": np.linspace(0, 1, 8), "segment": ["a", "b"] * 4},
        index=np.arange(100, 108),
    )
    encoder = ColumnTransformer(
        [("num", "passthrough", ["x"]), ("cat", OneHotEncoder(), ["segment"])]
    )
    pipeline = Pipeline([("encode", encoder), ("model", LogisticRegression())])
    for model in (TLearner(pipeline), ClassTransformation(pipeline), XLearner(pipeline)):
        predicted = model.fit(frame, Y_BALANCED, T_BALANCED).predict_uplift(frame)
        assert predicted.shape == (8,) and np.isfinite(predicted).all()


def test_models_are_scikit_learn_estimators_and_do_not_change_their_input():
    model = TLearner(LogisticRegression(), control_estimator=PRIOR)
    assert clone(model).get_params()["control_estimator"] is not PRIOR
    X = X_SMALL.copy()
    model.fit(X, Y_BALANCED, T_BALANCED)
    np.testing.assert_array_equal(X, X_SMALL)
    assert not hasattr(model.estimator, "coef_")  # the base learner is cloned, not fitted
    with pytest.raises(NotFittedError):
        SLearner(LogisticRegression()).predict_uplift(X_SMALL)


@pytest.mark.parametrize("name", list(UPLIFT_MODELS))
@pytest.mark.parametrize(
    ("y", "t", "message"),
    [
        (Y_BALANCED[:7], T_BALANCED, "equal length"),
        (np.array([2, 1, 0, 1, 0, 1, 0, 0]), T_BALANCED, "'y': expected 0/1 values"),
        (Y_BALANCED, np.ones(8, int), "control group, found no customers"),
        (np.array([1, 1, 1, 1, 0, 1, 0, 0]), T_BALANCED, "treated group, found only y = 1"),
        (Y_BALANCED, np.array([1, 1, 1, 1, 0, 0, 0, 3]), "'treatment': expected 0/1"),
    ],
)
def test_fit_inputs_are_checked(name, y, t, message):
    model = make_uplift_model(name, LogisticRegression())
    with pytest.raises(DataValidationError, match=message):
        model.fit(X_SMALL, y, t)


def test_base_learner_must_give_probabilities():
    with pytest.raises(TypeError, match="with predict_proba as estimator, found LinearRegression"):
        TLearner(LinearRegression()).fit(X_SMALL, Y_BALANCED, T_BALANCED)


def test_x_learner_propensity_must_be_a_probability():
    with pytest.raises(ValueError, match="'propensity' expected a number in"):
        XLearner(PRIOR, propensity=1.0).fit(X_SMALL, Y_BALANCED, T_BALANCED)


def test_factories():
    assert isinstance(make_base_learner("logistic_regression"), LogisticRegression)
    assert isinstance(make_base_learner("gradient_boosting"), HistGradientBoostingClassifier)
    assert isinstance(make_base_learner("random_forest"), RandomForestClassifier)
    assert len(BASE_LEARNERS) == 3
    with pytest.raises(DataValidationError, match="base_learner: expected one of"):
        make_base_learner("svm")
    with pytest.raises(DataValidationError, match="models: expected names from"):
        make_uplift_model("r_learner", PRIOR)
    # A linear base learner gets interactions in the S-learner; trees do not need them.
    assert make_uplift_model("s_learner", LogisticRegression()).interactions is True
    assert make_uplift_model("s_learner", make_base_learner("random_forest")).interactions is False


def test_feature_encoder_imputes_scales_and_one_hot_encodes():
    train = pd.DataFrame({"income": [10.0, np.nan, 30.0, 50.0], "region": ["n", "s", "n", None]})
    encoder = make_feature_encoder(["income"], ["region"]).fit(train)
    encoded = encoder.transform(train)
    # income (scaled), its missing indicator (scaled), region n / s / missing.
    assert encoded.shape == (4, 5)
    assert np.isfinite(encoded).all()
    # Median 30 replaces the missing income, so the scaled column has mean 0.
    assert encoded[:, 0].mean() == pytest.approx(0.0)
    unseen = encoder.transform(pd.DataFrame({"income": [20.0], "region": ["west"]}))
    np.testing.assert_array_equal(unseen[0, 2:], [0, 0, 0])
