"""Candidate propensity models: pipelines, the cross-validated comparison and the selection rules.

Every model is a scikit-learn :class:`~sklearn.pipeline.Pipeline` whose first
step is a :class:`~sklearn.compose.ColumnTransformer` built from the feature
table's types, so that imputation, scaling and encoding are learnt inside each
cross-validation fold (no statistic of a held-out fold leaks into training).
No resampling is used: class imbalance is handled by class weights, which
change the loss, not the data.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from .calibration import expected_calibration_error
from .data import FeatureSpec, PreparedData

__all__ = [
    "COST_ORDER",
    "FAMILIES",
    "SCORING",
    "SMALL_DATA_MAX_ROWS",
    "build_pipeline",
    "build_preprocessor",
    "check_size",
    "compare_class_weights",
    "compare_models",
    "cv_splitter",
    "family_name",
    "limited_threads",
    "make_estimator",
    "select_class_weight",
    "select_family",
]

#: Model families that can be compared; ``svm`` and ``mlp`` are meant for small data.
FAMILIES = ("logistic", "random_forest", "hist_gradient_boosting", "svm", "mlp")

#: Largest training part a small-data family accepts (kernel SVMs grow quadratically).
SMALL_DATA_MAX_ROWS = {"svm": 10_000, "mlp": 50_000}

#: Cross-validated metrics: name → scorer. Losses are negated by scikit-learn.
SCORING = {
    "roc_auc": "roc_auc",
    "pr_auc": "average_precision",
    "log_loss": "neg_log_loss",
    "brier": "neg_brier_score",
}
_LOSSES = ("log_loss", "brier", "ece")

#: Families from the cheapest to the most expensive to train, score and explain.
COST_ORDER = ("logistic", "hist_gradient_boosting", "random_forest", "mlp", "svm")

_FAMILY_ALIASES = {
    "logistic_regression": "logistic",
    "hgb": "hist_gradient_boosting",
    "rf": "random_forest",
}


def limited_threads(n_jobs: int = 1) -> AbstractContextManager:
    """Cap native (OpenMP/BLAS) threads: on a shared machine oversubscribed threads are much slower."""
    return threadpool_limits(limits=max(int(n_jobs), 1))


def family_name(name: str) -> str:
    """The canonical family name (``"hgb"`` → ``"hist_gradient_boosting"``), or a clear error.

    Raises
    ------
    ValueError
        When ``name`` is not a known family.
    """
    family = _FAMILY_ALIASES.get(name, name)
    if family not in FAMILIES:
        raise ValueError(
            f"params propensity_modeling.models: unknown model family {name!r}; "
            f"expected one of {', '.join(FAMILIES)}"
        )
    return family


def build_preprocessor(spec: FeatureSpec) -> ColumnTransformer:
    """Column-wise preprocessing built from the feature types.

    Numeric columns: median imputation, then standardization (mean 0, sd 1).
    Categorical columns: missing values become the category ``"missing"``,
    then one-hot encoding that ignores categories unseen in training (a new
    region at scoring time gives all-zero indicators instead of an error).
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    parts = []
    if spec.numeric:
        parts.append(("numeric", numeric, list(spec.numeric)))
    if spec.categorical:
        parts.append(("categorical", categorical, list(spec.categorical)))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=True)


def make_estimator(family: str, *, seed: int = 42, class_weight: str | None = None):
    """An untuned classifier of the given family with sensible, seeded defaults.

    ``svm`` is an RBF support vector machine whose scores are turned into
    probabilities by Platt scaling with internal 3-fold cross-validation (what
    ``SVC(probability=True)`` did before it was deprecated). ``mlp`` does not
    support class weights.
    """
    family = family_name(family)
    if family == "logistic":
        return LogisticRegression(C=1.0, max_iter=2000, class_weight=class_weight)
    if family == "random_forest":
        # Each tree sees a bootstrap half of the rows: twice as fast, as accurate here.
        return RandomForestClassifier(
            n_estimators=100,
            min_samples_leaf=5,
            max_features="sqrt",
            max_samples=0.5,
            class_weight=class_weight,
            n_jobs=1,
            random_state=seed,
        )
    if family == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(random_state=seed, class_weight=class_weight)
    if family == "svm":
        svc = SVC(kernel="rbf", C=1.0, class_weight=class_weight, random_state=seed)
        return CalibratedClassifierCV(svc, method="sigmoid", cv=3)
    if class_weight is not None:
        raise ValueError(
            f"model family 'mlp' does not support class_weight={class_weight!r}; use None"
        )
    return MLPClassifier(
        hidden_layer_sizes=(32, 16),
        alpha=1e-3,
        early_stopping=True,
        max_iter=300,
        random_state=seed,
    )


def build_pipeline(
    spec: FeatureSpec, family: str, *, seed: int = 42, class_weight: str | None = None
) -> Pipeline:
    """``Pipeline([("preprocess", ColumnTransformer), ("model", classifier)])``."""
    return Pipeline(
        [
            ("preprocess", build_preprocessor(spec)),
            ("model", make_estimator(family, seed=seed, class_weight=class_weight)),
        ]
    )


def cv_splitter(cv_folds: int = 5, seed: int = 42) -> StratifiedKFold:
    """Stratified, shuffled, seeded folds: the same folds for every model compared."""
    return StratifiedKFold(n_splits=int(cv_folds), shuffle=True, random_state=seed)


def check_size(family: str, n_rows: int) -> None:
    """Refuse a small-data family (``svm``, ``mlp``) on more training rows than it can handle.

    Raises
    ------
    ValueError
        Naming the family, its limit and the number of rows found.
    """
    limit = SMALL_DATA_MAX_ROWS.get(family)
    if limit is not None and n_rows > limit:
        raise ValueError(
            f"params propensity_modeling.models: {family!r} is meant for small data (at most "
            f"{limit:,} training rows), found {n_rows:,}; remove it from the list"
        )


def _summarize(results: dict, **labels) -> dict:
    row = dict(labels)
    for name in [*SCORING, "ece"]:
        key = f"test_{name}"
        if key not in results:
            continue
        values = np.asarray(results[key], dtype=float)
        values = -values if name in _LOSSES else values
        row[f"{name}_mean"] = float(values.mean())
        row[f"{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    row["fit_seconds_mean"] = float(np.mean(results["fit_time"]))
    return row


def _ece_scorer():
    return make_scorer(
        expected_calibration_error, greater_is_better=False, response_method="predict_proba"
    )


def _cross_validate(pipeline, X, y, *, cv_folds: int, seed: int, n_jobs: int) -> dict:
    scoring = {**SCORING, "ece": _ece_scorer()}
    with limited_threads(n_jobs):
        return cross_validate(
            pipeline, X, y, cv=cv_splitter(cv_folds, seed), scoring=scoring,
            n_jobs=n_jobs, error_score="raise",
        )  # fmt: skip


def compare_models(
    prepared: PreparedData,
    families: list[str] | tuple[str, ...] = ("logistic", "random_forest", "hist_gradient_boosting"),
    *,
    cv_folds: int = 5,
    seed: int = 42,
    class_weight: str | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Cross-validate untuned candidate models on the training part.

    Each family is scored on the same stratified folds by ROC AUC, PR AUC
    (average precision), log loss, Brier score and expected calibration
    error (``ece``); the table gives the mean and standard deviation over
    folds and the mean fit time in seconds (the only column that varies
    between runs).

    Returns
    -------
    DataFrame
        One row per family, best ROC AUC first.

    Raises
    ------
    ValueError
        For an unknown family, an empty list, or a small-data family on too many rows.
    """
    if not families:
        raise ValueError(
            "params propensity_modeling.models: expected at least one model family, found none"
        )
    X, y = prepared.part("train")
    rows = []
    for name in dict.fromkeys(family_name(f) for f in families):
        check_size(name, len(y))
        pipeline = build_pipeline(prepared.spec, name, seed=seed, class_weight=class_weight)
        results = _cross_validate(pipeline, X, y, cv_folds=cv_folds, seed=seed, n_jobs=n_jobs)
        rows.append(_summarize(results, family=name, class_weight=str(class_weight).lower()))
    table = pd.DataFrame(rows).sort_values("roc_auc_mean", ascending=False, kind="stable")
    return table.reset_index(drop=True)


def select_family(comparison: pd.DataFrame, *, cv_folds: int, metric: str = "roc_auc") -> str:
    """The family to tune: the one-standard-error rule on the cross-validated metric.

    Among the families whose mean score is within one standard error
    (``std / sqrt(cv_folds)``) of the best mean, the first in
    :data:`COST_ORDER` (cheapest to train, score and explain) is chosen:
    differences smaller than the fold-to-fold noise are not evidence.

    Examples
    --------
    >>> table = pd.DataFrame({"family": ["random_forest", "hist_gradient_boosting", "logistic"],
    ...                       "roc_auc_mean": [0.80, 0.799, 0.77], "roc_auc_std": [0.01, 0.01, 0.01]})
    >>> select_family(table, cv_folds=4)
    'hist_gradient_boosting'
    """
    means, stds = comparison[f"{metric}_mean"], comparison[f"{metric}_std"]
    best = int(means.to_numpy().argmax())
    threshold = means.iloc[best] - stds.iloc[best] / np.sqrt(cv_folds)
    eligible = comparison.loc[means >= threshold, "family"].tolist()
    return min(eligible, key=COST_ORDER.index)


def compare_class_weights(
    prepared: PreparedData,
    family: str,
    *,
    unweighted: pd.DataFrame | None = None,
    cv_folds: int = 5,
    seed: int = 42,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """No weights against ``class_weight="balanced"`` for one family, on PR AUC and calibration.

    Balanced weights make each class count equally in the loss; they may help
    the ranking of the rare class a little and they distort the
    probabilities (predicted rates rise towards 50 %), which the calibration
    step must then undo. Expected calibration error (``ece``) and the Brier
    score show that cost.

    Parameters
    ----------
    unweighted : DataFrame, optional
        The :func:`compare_models` table; its row for ``family`` (same folds,
        no weights) is reused instead of being fitted again.

    Returns
    -------
    DataFrame
        One row per setting (``none``, ``balanced``); a family without class
        weights (``mlp``) gives only ``none``.
    """
    family = family_name(family)
    X, y = prepared.part("train")
    rows = []
    for weight in (None, "balanced"):
        if weight is not None and family == "mlp":
            continue
        if weight is None and unweighted is not None and family in set(unweighted["family"]):
            rows.append(unweighted[unweighted["family"] == family].iloc[0].to_dict())
            continue
        pipeline = build_pipeline(prepared.spec, family, seed=seed, class_weight=weight)
        results = _cross_validate(pipeline, X, y, cv_folds=cv_folds, seed=seed, n_jobs=n_jobs)
        rows.append(_summarize(results, family=family, class_weight=str(weight).lower()))
    return pd.DataFrame(rows)


def select_class_weight(table: pd.DataFrame, *, cv_folds: int) -> str | None:
    """``"balanced"`` only when it beats no weights on mean PR AUC by more than one standard error.

    Calibration is fixed afterwards, so PR AUC (ranking of the positives) is
    what the weights can buy; a gain within the fold-to-fold noise is not
    worth the distorted probabilities and the slower fit.

    Examples
    --------
    >>> table = pd.DataFrame({"class_weight": ["none", "balanced"],
    ...                       "pr_auc_mean": [0.40, 0.43], "pr_auc_std": [0.02, 0.02]})
    >>> select_class_weight(table, cv_folds=4)
    'balanced'
    """
    rows = table.set_index("class_weight")
    if "balanced" not in rows.index:
        return None
    standard_error = rows.loc["none", "pr_auc_std"] / np.sqrt(cv_folds)
    gain = rows.loc["balanced", "pr_auc_mean"] - rows.loc["none", "pr_auc_mean"]
    return "balanced" if gain > standard_error else None
