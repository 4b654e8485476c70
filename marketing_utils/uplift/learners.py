"""Uplift models on randomized campaign data, with any scikit-learn classifier.

Every model estimates the uplift (conditional average treatment effect)

.. math:: \\tau(x) = P(Y = 1 \\mid x, T = 1) - P(Y = 1 \\mid x, T = 0)

and shares one interface: ``fit(X, y, treatment)`` then
``predict_uplift(X)`` (also available as ``predict``).

* :class:`SLearner`: one classifier with the treatment as a feature (and,
  optionally, treatment-feature interactions, Lo 2002);
  ``tau(x) = p(x, 1) - p(x, 0)``.
* :class:`TLearner`: one classifier per group; ``tau(x) = p_1(x) - p_0(x)``.
* :class:`ClassTransformation`: one classifier on the transformed class
  ``Z = Y T + (1 - Y)(1 - T)``; with both groups weighted to equal size
  ``tau(x) = 2 P(Z = 1 | x) - 1`` (Jaskowski and Jaroszewicz 2012).
* :class:`XLearner`: the T-learner's models impute each customer's effect,
  two regressors learn it, and their predictions are averaged with the
  propensity (Künzel et al. 2019).

The models are scikit-learn estimators (``get_params``, ``clone``), but they
take the treatment as a third argument to ``fit``, so they do not plug into
``cross_val_score``; :func:`marketing_utils.uplift.stage.cross_validated_qini`
does that job.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ..errors import DataValidationError

__all__ = [
    "BASE_LEARNERS",
    "UPLIFT_MODELS",
    "ClassTransformation",
    "SLearner",
    "TLearner",
    "XLearner",
    "make_base_learner",
    "make_feature_encoder",
    "make_uplift_model",
]

#: Names accepted by :func:`make_base_learner`.
BASE_LEARNERS = ("logistic_regression", "gradient_boosting", "random_forest")


def _check_fit_inputs(model: str, X, y, treatment) -> tuple[np.ndarray, np.ndarray]:
    where = f"{model}.fit"
    y, treatment = np.asarray(y), np.asarray(treatment)
    if not len(X) == len(y) == len(treatment):
        raise DataValidationError(
            where,
            f"expected X, y and treatment of equal length, found {len(X)}, {len(y)} and "
            f"{len(treatment)}",
        )
    for name, values in (("y", y), ("treatment", treatment)):
        bad = (
            ~np.isin(values, [0, 1]) if values.dtype.kind in "biuf" else np.ones(len(values), bool)
        )
        if bad.any():
            raise DataValidationError(
                where,
                f"parameter '{name}': expected 0/1 values, found {int(bad.sum())} other values",
                examples=values[bad][:5].tolist(),
            )
    y, treatment = y.astype(np.int64), treatment.astype(np.int64)
    for group, label in ((1, "treated"), (0, "control")):
        outcomes = set(np.unique(y[treatment == group]).tolist())
        if outcomes != {0, 1}:
            found = "no customers" if not outcomes else f"only y = {outcomes.pop()}"
            raise DataValidationError(
                where,
                f"expected responders and non-responders in the {label} group, found {found}",
            )
    return y, treatment


def _check_classifier(model: str, estimator) -> None:
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{model}: expected a scikit-learn classifier with predict_proba as estimator, "
            f"found {type(estimator).__name__}"
        )


def _positive_proba(estimator, X) -> np.ndarray:
    return estimator.predict_proba(X)[:, list(estimator.classes_).index(1)]


def _rows(X, mask: np.ndarray):
    return X[mask] if not isinstance(X, pd.DataFrame) else X.loc[mask]


class _UpliftModel(BaseEstimator):
    """Shared ``predict``; subclasses implement ``fit`` and ``predict_uplift``."""

    def predict(self, X) -> np.ndarray:
        """Predicted uplift per row of ``X`` (same as :meth:`predict_uplift`)."""
        return self.predict_uplift(X)


class SLearner(_UpliftModel):
    """One classifier with the treatment flag as an extra feature.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier with ``predict_proba``.
    interactions : bool, default False
        Also add ``treatment * x`` for every feature (Lo 2002), so that a
        linear base learner can give different customers different uplifts.

    Notes
    -----
    ``X`` must be numeric (encode categories first, e.g. with
    :func:`make_feature_encoder`), because the treatment columns are appended.
    """

    def __init__(self, estimator, interactions: bool = False) -> None:
        self.estimator = estimator
        self.interactions = interactions

    def _augment(self, X, treatment_value) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        flag = np.broadcast_to(np.asarray(treatment_value, dtype=float), (len(X),))[:, None]
        parts = [X, flag] + ([X * flag] if self.interactions else [])
        return np.hstack(parts)

    def fit(self, X, y, treatment) -> SLearner:
        """Fit the classifier on ``[X, treatment]``; returns self."""
        _check_classifier("SLearner", self.estimator)
        y, treatment = _check_fit_inputs("SLearner", X, y, treatment)
        self.estimator_ = clone(self.estimator).fit(self._augment(X, treatment), y)
        return self

    def predict_uplift(self, X) -> np.ndarray:
        """``p(x, T=1) - p(x, T=0)``."""
        check_is_fitted(self, "estimator_")
        treated = _positive_proba(self.estimator_, self._augment(X, 1.0))
        control = _positive_proba(self.estimator_, self._augment(X, 0.0))
        return treated - control


class TLearner(_UpliftModel):
    """Two classifiers: one on the treated, one on the control customers.

    Parameters
    ----------
    estimator : classifier
        Base learner for the treated group (and the control group unless
        ``control_estimator`` is given).
    control_estimator : classifier, optional
        A different base learner for the control group.
    """

    def __init__(self, estimator, control_estimator=None) -> None:
        self.estimator = estimator
        self.control_estimator = control_estimator

    def fit(self, X, y, treatment) -> TLearner:
        """Fit one classifier per group; returns self."""
        control_base = self.estimator if self.control_estimator is None else self.control_estimator
        _check_classifier("TLearner", self.estimator)
        _check_classifier("TLearner", control_base)
        y, treatment = _check_fit_inputs("TLearner", X, y, treatment)
        treated = treatment == 1
        self.treated_model_ = clone(self.estimator).fit(_rows(X, treated), y[treated])
        self.control_model_ = clone(control_base).fit(_rows(X, ~treated), y[~treated])
        return self

    def predict_uplift(self, X) -> np.ndarray:
        """``p_1(x) - p_0(x)``."""
        check_is_fitted(self, "treated_model_")
        return _positive_proba(self.treated_model_, X) - _positive_proba(self.control_model_, X)


def _sample_weight_name(estimator) -> str | None:
    if isinstance(estimator, Pipeline):
        last_name, last = estimator.steps[-1]
        return f"{last_name}__sample_weight" if has_fit_parameter(last, "sample_weight") else None
    return "sample_weight" if has_fit_parameter(estimator, "sample_weight") else None


class ClassTransformation(_UpliftModel):
    """One classifier on the transformed class ``Z = Y T + (1 - Y)(1 - T)``.

    ``Z = 1`` for treated responders and control non-responders. When both
    groups carry equal total weight, ``P(Z = 1 | x) = (1 + tau(x)) / 2``, so
    ``tau(x) = 2 P(Z = 1 | x) - 1``. Unequal groups are reweighted through
    ``sample_weight`` (treated ``0.5 / p``, control ``0.5 / (1 - p)``, with
    ``p`` the treated share), which the classifier must then accept.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier with ``predict_proba``.
    """

    def __init__(self, estimator) -> None:
        self.estimator = estimator

    def fit(self, X, y, treatment) -> ClassTransformation:
        """Fit the classifier on the transformed class; returns self."""
        _check_classifier("ClassTransformation", self.estimator)
        y, treatment = _check_fit_inputs("ClassTransformation", X, y, treatment)
        transformed = y * treatment + (1 - y) * (1 - treatment)
        share = treatment.mean()
        fit_params = {}
        if share != 0.5:
            name = _sample_weight_name(self.estimator)
            if name is None:
                raise TypeError(
                    "ClassTransformation: the treated share is "
                    f"{share:.3f}, not 0.5, so the groups are reweighted, but "
                    f"{type(self.estimator).__name__}.fit does not accept sample_weight"
                )
            fit_params[name] = np.where(treatment == 1, 0.5 / share, 0.5 / (1 - share))
        self.estimator_ = clone(self.estimator).fit(X, transformed, **fit_params)
        return self

    def predict_uplift(self, X) -> np.ndarray:
        """``2 P(Z = 1 | x) - 1``."""
        check_is_fitted(self, "estimator_")
        return 2.0 * _positive_proba(self.estimator_, X) - 1.0


def _matching_regressor(classifier):
    """A regressor of the same family as the classifier (X-learner's second stage)."""
    if isinstance(classifier, Pipeline):
        steps = [(name, clone(step)) for name, step in classifier.steps[:-1]]
        last_name, last = classifier.steps[-1]
        return Pipeline([*steps, (last_name, _matching_regressor(last))])
    if isinstance(classifier, LogisticRegression):
        return Ridge(alpha=1.0 / classifier.C)
    shared = {"random_state": getattr(classifier, "random_state", None)}
    if isinstance(classifier, HistGradientBoostingClassifier):
        keys = ("learning_rate", "max_iter", "max_depth", "max_leaf_nodes", "min_samples_leaf")
        keys += ("l2_regularization", "early_stopping")
        return HistGradientBoostingRegressor(**{k: getattr(classifier, k) for k in keys}, **shared)
    if isinstance(classifier, RandomForestClassifier):
        keys = ("n_estimators", "max_depth", "min_samples_leaf", "max_features", "n_jobs")
        return RandomForestRegressor(**{k: getattr(classifier, k) for k in keys}, **shared)
    # No regressor of the same family: a regularized boosted regressor handles any numeric X.
    return HistGradientBoostingRegressor(max_depth=3, min_samples_leaf=50, **shared)


class XLearner(_UpliftModel):
    """X-learner (Künzel, Sekhon, Bickel and Yu 2019).

    1. Outcome models ``mu_1`` (treated) and ``mu_0`` (control), as in the T-learner.
    2. Imputed effects: ``D_1 = Y - mu_0(x)`` for treated customers and
       ``D_0 = mu_1(x) - Y`` for control customers.
    3. Effect regressors ``tau_1`` on ``D_1`` (treated) and ``tau_0`` on
       ``D_0`` (control).
    4. ``tau(x) = g tau_0(x) + (1 - g) tau_1(x)``, with ``g`` the propensity.

    Parameters
    ----------
    estimator : classifier
        Base learner of the two outcome models.
    effect_estimator : regressor, optional
        Learner of the imputed effects; default: the regressor of the
        classifier's family (Ridge for logistic regression, the gradient
        boosting or random forest regressor with the same settings), else a
        shallow histogram gradient boosting regressor.
    propensity : float, optional
        ``g``; default the treated share of the training data (the campaign
        was randomized, so the propensity does not depend on ``x``).
    """

    def __init__(self, estimator, effect_estimator=None, propensity: float | None = None) -> None:
        self.estimator = estimator
        self.effect_estimator = effect_estimator
        self.propensity = propensity

    def fit(self, X, y, treatment) -> XLearner:
        """Fit the outcome models, then the effect regressors; returns self."""
        _check_classifier("XLearner", self.estimator)
        y, treatment = _check_fit_inputs("XLearner", X, y, treatment)
        if self.propensity is not None and not 0 < self.propensity < 1:
            raise ValueError(
                f"XLearner: parameter 'propensity' expected a number in (0, 1), "
                f"found {self.propensity!r}"
            )
        treated = treatment == 1
        X_treated, X_control = _rows(X, treated), _rows(X, ~treated)
        self.treated_model_ = clone(self.estimator).fit(X_treated, y[treated])
        self.control_model_ = clone(self.estimator).fit(X_control, y[~treated])
        imputed_treated = y[treated] - _positive_proba(self.control_model_, X_treated)
        imputed_control = _positive_proba(self.treated_model_, X_control) - y[~treated]
        effect_base = (
            _matching_regressor(self.estimator)
            if self.effect_estimator is None
            else self.effect_estimator
        )
        self.treated_effect_ = clone(effect_base).fit(X_treated, imputed_treated)
        self.control_effect_ = clone(effect_base).fit(X_control, imputed_control)
        self.propensity_ = (
            float(self.propensity) if self.propensity is not None else float(treated.mean())
        )
        return self

    def predict_uplift(self, X) -> np.ndarray:
        """``g tau_0(x) + (1 - g) tau_1(x)``."""
        check_is_fitted(self, "treated_effect_")
        g = self.propensity_
        return g * self.control_effect_.predict(X) + (1 - g) * self.treated_effect_.predict(X)


#: Uplift model classes by the names used in params.
UPLIFT_MODELS = {
    "s_learner": SLearner,
    "t_learner": TLearner,
    "class_transformation": ClassTransformation,
    "x_learner": XLearner,
}


def make_base_learner(name: str, seed: int = 0):
    """A base classifier by name, with the workbook's regularized settings.

    Parameters
    ----------
    name : {"logistic_regression", "gradient_boosting", "random_forest"}
        Logistic regression (L2, C = 1), histogram gradient boosting (shallow
        trees, large leaves, no early stopping so that it is deterministic) or
        a random forest with large leaves. Uplift is a small difference of two
        probabilities, so strong regularization pays off.
    seed : int
        ``random_state`` of the learners that use randomness.
    """
    if name == "logistic_regression":
        return LogisticRegression(C=1.0, max_iter=2000)
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=150,
            max_depth=3,
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=200, min_samples_leaf=50, max_features=0.5, n_jobs=1, random_state=seed
        )
    raise DataValidationError(
        "params campaign_uplift.base_learner",
        f"expected one of {', '.join(BASE_LEARNERS)}, found {name!r}",
    )


def make_uplift_model(name: str, base_learner):
    """An uplift model by name (see :data:`UPLIFT_MODELS`) around a base classifier.

    The S-learner gets treatment interactions when the base learner is linear,
    so that it can tell customers apart.
    """
    if name not in UPLIFT_MODELS:
        raise DataValidationError(
            "params campaign_uplift.models",
            f"expected names from {', '.join(UPLIFT_MODELS)}, found {name!r}",
        )
    if name == "s_learner":
        return SLearner(base_learner, interactions=isinstance(base_learner, LogisticRegression))
    return UPLIFT_MODELS[name](base_learner)


def make_feature_encoder(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Numeric features imputed (median, plus missing indicators) and standardized;
    categorical features one-hot encoded (unknown levels ignored).

    Fit it on the training rows only; its output feeds every uplift model.
    """
    numeric_steps = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
    )
    return ColumnTransformer(
        [
            ("numeric", numeric_steps, list(numeric)),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(categorical),
            ),
        ],
        verbose_feature_names_out=False,
    )
