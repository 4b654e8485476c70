"""The seeded hyperparameter search of the chosen propensity model family."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import loguniform, randint, rankdata
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler
from sklearn.pipeline import Pipeline

from ..artifacts import to_jsonable
from .data import PreparedData
from .models import (
    FoldCache,
    OutOfFold,
    assemble_folds,
    build_pipeline,
    check_size,
    cv_splitter,
    family_name,
    fit_folds,
    fold_scores,
    limited_threads,
    race_screen,
)

__all__ = ["SEARCH_METHODS", "TuningResult", "racing_plan", "search_space", "tune_model"]

#: ``random``: every candidate on every fold; ``racing``: successive halving on the folds
#: (every candidate on the first folds, the best on the rest); ``halving``: successive
#: halving on the rows (scikit-learn's ``HalvingRandomSearchCV``).
SEARCH_METHODS = ("random", "racing", "halving")


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
    out_of_fold : OutOfFold or None
        The chosen candidate's out-of-fold predictions on the search folds
        (None when the defaults were kept or the search was successive halving).
    """

    estimator: Pipeline
    params: dict
    cv_roc_auc: float
    baseline_roc_auc: float | None
    table: pd.DataFrame
    out_of_fold: OutOfFold | None = None

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
    fold_cache: FoldCache | None = None,
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
    method : {"random", "racing", "halving"}
        ``random``: every candidate on every fold. ``racing``: successive
        halving on the folds (see :func:`racing_plan`): every candidate on
        the first folds, only the best on the others; the chosen candidate
        has its full cross-validation, so its score, its out-of-fold
        predictions and the model are those of ``random`` whenever the race
        keeps the candidate ``random`` would choose. ``halving``: scikit-learn's
        successive halving on the rows (no out-of-fold predictions to reuse).
    cv_folds, seed, n_jobs : int
    baseline_roc_auc : float, optional
        Cross-validated ROC AUC of the untuned model on the same folds (from
        :func:`compare_models`). When the best candidate does not beat it, the
        untuned model is kept: a search must not make the model worse.
    fold_cache : FoldCache, optional
        Folds of ``prepared``'s training part already preprocessed (by the
        comparison), for ``random`` and ``racing``; see
        :func:`~marketing_utils.propensity.models.fit_folds`.

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
    if method in ("random", "racing"):
        search = _random_search(pipeline, search_space(family), X, y, n_iter=int(n_iter),
                                cv_folds=cv_folds, seed=seed, n_jobs=n_jobs,
                                racing=method == "racing", cache=fold_cache)  # fmt: skip
        results, best_score, best_params, best_estimator, best_fit = search
    elif method == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        search = HalvingRandomSearchCV(
            pipeline, search_space(family), n_candidates=int(n_iter), factor=3,
            min_resources=max(20 * int(cv_folds), len(y) // 9), scoring="roc_auc",
            cv=cv_splitter(cv_folds, seed), random_state=seed, n_jobs=n_jobs, refit=True,
            error_score="raise",
        )  # fmt: skip
        with limited_threads(n_jobs):
            search.fit(X, y)
        results = pd.DataFrame(search.cv_results_)
        results = results[results["iter"] == results["iter"].max()]
        best_score, best_params = float(search.best_score_), search.best_params_
        best_estimator, best_fit = search.best_estimator_, None
    else:
        raise ValueError(
            f"params propensity_modeling.search_method: expected one of "
            f"{', '.join(SEARCH_METHODS)}, found {method!r}"
        )
    param_columns = [c for c in results.columns if c.startswith("param_")]
    extra = ["folds"] if "folds" in results.columns else []
    table = results[
        [*param_columns, "mean_test_score", "std_test_score", "rank_test_score", *extra]
    ]
    table = table.rename(
        columns={
            **{c: c.removeprefix("param_model__") for c in param_columns},
            "mean_test_score": "roc_auc_mean",
            "std_test_score": "roc_auc_std",
            "rank_test_score": "rank",
        }
    ).sort_values("rank", kind="stable")
    if baseline_roc_auc is not None and best_score <= baseline_roc_auc:
        with limited_threads(n_jobs):
            untuned = clone(pipeline).fit(X, y)
        return TuningResult(untuned, {}, float(baseline_roc_auc), baseline_roc_auc, table)
    # Plain Python numbers, so that the parameters print and serialize cleanly.
    params = to_jsonable({k.removeprefix("model__"): v for k, v in best_params.items()})
    return TuningResult(best_estimator, params, best_score, baseline_roc_auc, table, best_fit)


def racing_plan(n_candidates: int, cv_folds: int, *, factor: int = 3) -> tuple[int, int]:
    """Folds every candidate is fitted on, and candidates kept for the other folds.

    Successive halving with the folds as the resource: all candidates are
    fitted on the first ``max(2, round(2 * cv_folds / 5))`` folds; the best
    ``max(2, ceil(n_candidates / factor))`` by mean ROC AUC on those folds are
    fitted on the remaining folds too. Candidates are compared on the same
    folds, so a fold that is hard for one is hard for all (paired
    differences vary much less than the fold scores themselves). Nothing is
    raced when every candidate would be kept or no fold would be left.

    Examples
    --------
    >>> racing_plan(6, 5)
    (2, 2)
    >>> racing_plan(4, 3)
    (2, 2)
    >>> racing_plan(2, 5)
    (5, 2)
    """
    screen = race_screen(cv_folds)
    keep = max(2, -(-int(n_candidates) // int(factor)))
    if keep >= n_candidates or screen >= cv_folds:
        return int(cv_folds), int(n_candidates)
    return screen, keep


def _random_search(
    pipeline, space, X, y, *, n_iter, cv_folds, seed, n_jobs, racing=False, cache=None
):
    """What ``RandomizedSearchCV(scoring="roc_auc", refit=True)`` does, keeping out-of-fold results.

    The same candidates (``ParameterSampler`` with the same seed), the same
    folds, the same mean, standard deviation and rank of the fold ROC AUCs,
    the same choice (the first of the best rank) and the same refit on the
    whole training part; every fold of every candidate runs in parallel.

    With ``racing``, the candidates dropped by :func:`racing_plan` keep the
    scores of their first folds (column ``folds``) and rank after every
    candidate that ran on all folds; the choice is among the latter.
    """
    y = np.asarray(y)
    candidates = list(ParameterSampler(space, n_iter, random_state=seed))
    pipelines = [clone(pipeline).set_params(**clone(c, safe=False)) for c in candidates]
    folds = list(cv_splitter(cv_folds, seed).split(X, y))
    screen, keep = (
        racing_plan(len(candidates), cv_folds) if racing else (len(folds), len(pipelines))
    )
    first = fit_folds(pipelines, X, y, folds[:screen], n_jobs=n_jobs, cache=cache)
    first_means = np.array([fold_scores(part).mean() for part in first])
    # The best `keep` on the first folds (ties: the earlier candidate), in candidate order.
    kept = sorted(np.argsort(-first_means, kind="stable")[:keep].tolist())
    rest = [[] for _ in kept]
    if screen < len(folds):
        rest = fit_folds(
            [pipelines[i] for i in kept], X, y, folds[screen:], n_jobs=n_jobs, cache=cache
        )
    parts = {i: first[i] + rest[j] for j, i in enumerate(kept)}
    fits = {i: assemble_folds(part, folds, len(y)) for i, part in parts.items()}
    scores = [fold_scores(parts.get(i, first[i])) for i in range(len(candidates))]
    means = np.array([s.mean() for s in scores])
    stds = np.array([np.sqrt(np.mean((s - s.mean()) ** 2)) for s in scores])
    # Candidates with every fold rank first; the dropped ones after them.
    complete = np.array([i in parts for i in range(len(candidates))])
    ranks = rankdata(np.where(complete, -means, np.inf), method="min")
    ranks[~complete] = complete.sum() + rankdata(-means[~complete], method="min")
    ranks = ranks.astype(np.int32, copy=False)
    results = pd.DataFrame(candidates).add_prefix("param_")
    results = results.assign(mean_test_score=means, std_test_score=stds, rank_test_score=ranks)
    if racing:
        results["folds"] = [len(folds) if c else screen for c in complete]
    best = int(ranks.argmin())
    with limited_threads(n_jobs):
        refitted = clone(pipelines[best]).fit(X, y)
    return results, float(means[best]), candidates[best], refitted, fits[best]
