"""The seeded hyperparameter search of the chosen propensity model family."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import loguniform, randint
from sklearn.base import clone
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline

from ..artifacts import to_jsonable
from .data import PreparedData
from .models import build_pipeline, check_size, cv_splitter, family_name, limited_threads

__all__ = ["TuningResult", "search_space", "tune_model"]


def search_space(family: str) -> dict:
    """Hyperparameter distributions of a family for the randomized search (pipeline names)."""
    family = family_name(family)
    spaces = {
        "logistic": {"C": loguniform(1e-3, 1e2)},
        "random_forest": {
            "n_estimators": [100, 200],
            "min_samples_leaf": [1, 3, 5, 10, 20],
            "max_features": ["sqrt", 0.3, 0.5],
            "max_depth": [None, 8, 16],
            "max_samples": [0.3, 0.5, None],
        },
        "hist_gradient_boosting": {
            "learning_rate": loguniform(0.02, 0.3),
            "max_iter": randint(100, 400),
            "max_leaf_nodes": [7, 15, 31, 63],
            "min_samples_leaf": [10, 20, 50, 100],
            "l2_regularization": loguniform(1e-3, 10.0),
            "max_features": [0.5, 0.8, 1.0],
        },
        "svm": {"estimator__C": loguniform(0.1, 30.0), "estimator__gamma": loguniform(1e-3, 1.0)},
        "mlp": {
            "alpha": loguniform(1e-5, 1e-1),
            "hidden_layer_sizes": [(16,), (32,), (32, 16), (64, 32)],
            "learning_rate_init": loguniform(1e-4, 1e-2),
        },
    }
    return {f"model__{name}": values for name, values in spaces[family].items()}


@dataclass(frozen=True)
class TuningResult:
    """Outcome of the hyperparameter search.

    Attributes
    ----------
    estimator : Pipeline
        The chosen (uncalibrated) pipeline, refitted on the whole training part.
    params : dict
        Its hyperparameters as plain JSON values (empty when the untuned
        defaults were kept).
    cv_roc_auc : float
        Its mean cross-validated ROC AUC.
    baseline_roc_auc : float or None
        The untuned model's mean cross-validated ROC AUC on the same folds.
    table : DataFrame
        Every candidate tried: parameters, mean and sd of ROC AUC, rank.
    """

    estimator: Pipeline
    params: dict
    cv_roc_auc: float
    baseline_roc_auc: float | None
    table: pd.DataFrame

    @property
    def kept_defaults(self) -> bool:
        """Whether the search failed to beat the untuned model (so the defaults were kept)."""
        return not self.params


def tune_model(
    prepared: PreparedData,
    family: str,
    *,
    class_weight: str | None = None,
    n_iter: int = 10,
    method: str = "random",
    cv_folds: int = 5,
    seed: int = 42,
    baseline_roc_auc: float | None = None,
    n_jobs: int = 1,
) -> TuningResult:
    """Seeded hyperparameter search for one family, on ROC AUC over the training folds.

    Parameters
    ----------
    prepared : PreparedData
    family : str
    class_weight : {None, "balanced"}
    n_iter : int
        Budget: number of candidate settings (``random``) or of starting
        candidates (``halving``, successive halving on the number of rows).
    method : {"random", "halving"}
    cv_folds, seed, n_jobs : int
    baseline_roc_auc : float, optional
        Cross-validated ROC AUC of the untuned model on the same folds (from
        :func:`compare_models`). When the best candidate does not beat it, the
        untuned model is kept: a search must not make the model worse.

    Returns
    -------
    TuningResult
    """
    family = family_name(family)
    if int(n_iter) < 1:
        raise ValueError(
            f"params propensity_modeling.search_iter: expected a positive integer, found {n_iter}"
        )
    X, y = prepared.part("train")
    check_size(family, len(y))
    pipeline = build_pipeline(prepared.spec, family, seed=seed, class_weight=class_weight)
    common = dict(
        scoring="roc_auc", cv=cv_splitter(cv_folds, seed), random_state=seed, n_jobs=n_jobs,
        refit=True, error_score="raise",
    )  # fmt: skip
    if method == "random":
        search = RandomizedSearchCV(pipeline, search_space(family), n_iter=int(n_iter), **common)
    elif method == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        search = HalvingRandomSearchCV(
            pipeline, search_space(family), n_candidates=int(n_iter), factor=3,
            min_resources=max(20 * int(cv_folds), len(y) // 9), **common,
        )  # fmt: skip
    else:
        raise ValueError(
            f"params propensity_modeling.search_method: expected 'random' or 'halving', "
            f"found {method!r}"
        )
    with limited_threads(n_jobs):
        search.fit(X, y)
    results = pd.DataFrame(search.cv_results_)
    if method == "halving":
        results = results[results["iter"] == results["iter"].max()]
    param_columns = [c for c in results.columns if c.startswith("param_")]
    table = results[[*param_columns, "mean_test_score", "std_test_score", "rank_test_score"]]
    table = table.rename(
        columns={
            **{c: c.removeprefix("param_model__") for c in param_columns},
            "mean_test_score": "roc_auc_mean",
            "std_test_score": "roc_auc_std",
            "rank_test_score": "rank",
        }
    ).sort_values("rank", kind="stable")
    best_score = float(search.best_score_)
    if baseline_roc_auc is not None and best_score <= baseline_roc_auc:
        with limited_threads(n_jobs):
            untuned = clone(pipeline).fit(X, y)
        return TuningResult(untuned, {}, float(baseline_roc_auc), baseline_roc_auc, table)
    # Plain Python numbers, so that the parameters print and serialize cleanly.
    params = to_jsonable({k.removeprefix("model__"): v for k, v in search.best_params_.items()})
    return TuningResult(search.best_estimator_, params, best_score, baseline_roc_auc, table)
