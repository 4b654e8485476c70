"""Candidate propensity models: pipelines, the cross-validated comparison and the selection rules.

Every model is a scikit-learn :class:`~sklearn.pipeline.Pipeline` whose first
step is a :class:`~sklearn.compose.ColumnTransformer` built from the feature
table's types, so that imputation, scaling and encoding are learnt inside each
cross-validation fold (no statistic of a held-out fold leaks into training).
No resampling is used: class imbalance is handled by class weights, which
change the loss, not the data.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    make_scorer,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from ._binning import fast_weighted_binning
from .calibration import expected_calibration_error
from .data import FeatureSpec, PreparedData

__all__ = [
    "COST_ORDER",
    "FAMILIES",
    "SCORING",
    "FoldCache",
    "OutOfFold",
    "SMALL_DATA_MAX_ROWS",
    "build_pipeline",
    "build_preprocessor",
    "check_size",
    "compare_class_weights",
    "compare_models",
    "assemble_folds",
    "cross_fit",
    "fit_folds",
    "fold_metrics",
    "fold_scores",
    "cv_splitter",
    "family_name",
    "limited_threads",
    "resolve_jobs",
    "make_estimator",
    "race_screen",
    "select_class_weight",
    "select_family",
    "start_workers",
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
    """One native (OpenMP and BLAS) thread, whatever ``n_jobs``: this package runs in parallel
    with processes (``n_jobs`` workers of one thread each), never with threads.

    Threads of the process itself lose on a shared machine: OpenMP threads
    spin at every barrier, so when another process holds a core, gradient
    boosting on two threads took 14 to 28 s (6 to 23 s of CPU) for a fit that
    takes 2.3 s (0.8 s of CPU) on one thread; alone on two cores it saves a
    third of that fit's time. BLAS threads on the small products here (a
    logistic regression on some ten thousand rows) made that fit four times
    slower even alone. One thread also gives the sequential path's bits
    (``n_jobs=1``): with two BLAS threads the logistic coefficients moved by
    about 1e-9.

    Parameters
    ----------
    n_jobs : int
        The caller's parallel jobs (kept for the callers; it no longer raises the cap).

    Within the block, gradient boosting with class weights also bins its
    features in one pass (:func:`~marketing_utils.propensity._binning.fast_weighted_binning`:
    the same bins, a third of the fit less).
    """
    stack = ExitStack()
    stack.enter_context(threadpool_limits(limits=1))
    stack.enter_context(fast_weighted_binning())
    return stack


def resolve_jobs(n_jobs: int | None) -> int:
    """The number of parallel jobs: ``n_jobs`` itself when positive, every core for 0, None or -1.

    Raises
    ------
    ValueError
        For any other negative number.

    Examples
    --------
    >>> resolve_jobs(2)
    2
    >>> resolve_jobs(0) == resolve_jobs(-1) == resolve_jobs(None) >= 1
    True
    """
    if n_jobs is None or int(n_jobs) in (0, -1):
        from joblib import cpu_count

        return max(int(cpu_count()), 1)
    if int(n_jobs) < -1:
        raise ValueError(
            f"params propensity_modeling.n_jobs: expected a positive number of jobs, "
            f"or 0 (or -1) for every core, found {n_jobs}"
        )
    return int(n_jobs)


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


@dataclass(frozen=True)
class OutOfFold:
    """One pipeline cross-validated on the training part, with its out-of-fold predictions.

    Every later step that needs the same pipeline on the same folds (the
    class-weight comparison, the calibration choice, the calibrator of the
    final model) reads these instead of fitting the folds again.

    Attributes
    ----------
    scores : dict
        ``test_<metric>`` (one value per fold, as :func:`~sklearn.model_selection.cross_validate`
        reports them: losses negated) and ``fit_time``.
    proba : ndarray
        Out-of-fold probability of the positive class, shape ``(n,)``.
    decision : ndarray or None
        Out-of-fold decision function (what :class:`~sklearn.calibration.CalibratedClassifierCV`
        calibrates), None when the model has none.
    """

    scores: dict
    proba: np.ndarray
    decision: np.ndarray | None


def fold_metrics(y_true, proba, decision=None) -> dict[str, float]:
    """The fold scores of :data:`SCORING` and ``ece``, from one fold's predictions.

    What scikit-learn's scorers give (losses negated), computed from one
    ``predict_proba`` (and one ``decision_function``) instead of one per
    scorer: ROC AUC and PR AUC rank by the decision function when the model
    has one (as the ``roc_auc`` and ``average_precision`` scorers do), the
    losses use the probability of the positive class.

    Examples
    --------
    >>> m = fold_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["roc_auc"], m["brier"]
    (0.75, -0.185)
    """
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    ranking = proba if decision is None else np.asarray(decision, dtype=float)
    return {
        "roc_auc": float(roc_auc_score(y_true, ranking)),
        "pr_auc": float(average_precision_score(y_true, ranking)),
        "log_loss": -float(log_loss(y_true, proba)),
        "brier": -float(brier_score_loss(y_true, proba)),
        "ece": -float(expected_calibration_error(y_true, proba)),
    }


def _fit_fold(pipeline, X, y, train, test):
    tic = time.perf_counter()
    with fast_weighted_binning():  # in a worker process too
        fitted = pipeline.fit(X.iloc[train], y[train])
    fit_time = time.perf_counter() - tic
    X_test, y_test = X.iloc[test], y[test]
    # One prediction pass per fold: every score is computed from it.
    proba = fitted.predict_proba(X_test)[:, 1]
    decision = fitted.decision_function(X_test) if hasattr(fitted, "decision_function") else None
    return fold_metrics(y_test, proba, decision), fit_time, proba, decision


def _split_pipeline(pipeline) -> tuple[object, object] | None:
    """A pipeline's preprocessing steps (one estimator, or a Pipeline of several) and its model.

    None for anything else (a bare estimator, a one-step pipeline, a pipeline
    with a cache): those are fitted whole by :func:`_fit_fold`.
    """
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2 or pipeline.memory:
        return None
    steps = pipeline.steps[:-1]
    head = steps[0][1] if len(steps) == 1 else Pipeline(steps)
    if head is None or head == "passthrough" or pipeline.steps[-1][1] in (None, "passthrough"):
        return None
    return head, pipeline.steps[-1][1]


def _transform_fold(head, X, y, train, test):
    """A fold's preprocessed training rows (``fit_transform``) and test rows, and the seconds taken.

    Exactly what ``Pipeline.fit`` passes to the model and what its
    ``predict_proba`` passes at prediction time.
    """
    tic = time.perf_counter()
    head = clone(head)
    X_train = head.fit_transform(X.iloc[train], y[train])
    seconds = time.perf_counter() - tic
    return X_train, head.transform(X.iloc[test]), seconds


def _fit_model(model, X_train, y_train, X_test, y_test, head_seconds):
    """:func:`_fit_fold` of a pipeline's model on its fold's preprocessed rows.

    The fit time counts the preprocessing too (``head_seconds``), as fitting
    the pipeline would: it is the time one pipeline fit takes.
    """
    tic = time.perf_counter()
    with fast_weighted_binning():  # in a worker process too
        fitted = model.fit(X_train, y_train)
    fit_time = head_seconds + time.perf_counter() - tic
    proba = fitted.predict_proba(X_test)[:, 1]
    decision = fitted.decision_function(X_test) if hasattr(fitted, "decision_function") else None
    return fold_metrics(y_test, proba, decision), fit_time, proba, decision


def cross_fit(
    pipelines: list,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    cv_folds: int = 5,
    seed: int = 42,
    n_jobs: int = 1,
    cache: FoldCache | None = None,
) -> list[OutOfFold]:
    """Cross-validate several pipelines on the same folds, all folds of all pipelines in parallel.

    Each fold is scored by ROC AUC, PR AUC, log loss, Brier score and the
    expected calibration error from one prediction pass
    (:func:`fold_metrics`): the fold scores are those of
    :func:`~sklearn.model_selection.cross_validate` with scikit-learn's
    scorers, which predict once per scorer; the out-of-fold predictions are
    kept for reuse.

    Returns
    -------
    list of OutOfFold
        One per pipeline, in order.
    """
    y = np.asarray(y)
    folds = list(cv_splitter(cv_folds, seed).split(X, y))
    done = fit_folds(pipelines, X, y, folds, n_jobs=n_jobs, cache=cache)
    return [assemble_folds(part, folds, len(y)) for part in done]


class FoldCache(dict):
    """Preprocessed folds kept for the next :func:`fit_folds` call on the same rows.

    One per :func:`~marketing_utils.propensity.stage.fit_prepared` run: the
    comparison, the class-weight race and the search preprocess the same
    training part on the same folds with the same steps; each fold is then
    preprocessed once instead of once per step (and the later steps send
    the workers no feature frame and wait for no preprocessing round).
    Keys name the preprocessing steps and the fold's rows, so a cache must
    only ever see one feature frame.
    """


def _fold_key(head_key: str, train: np.ndarray, test: np.ndarray) -> tuple:
    return head_key, joblib.hash(np.asarray(train)), joblib.hash(np.asarray(test))


_WARM: dict = {}


def _worker_ready() -> int:
    """A fold task that does nothing: unpickling it imports this module (and scikit-learn)."""
    return 0


def start_workers(n_jobs: int | None = 1) -> None:
    """Start the fold workers now, in the background, so that the first fit does not wait for them.

    A process worker imports pandas and scikit-learn before its first fold
    (about 1.5 s); started while the notebook loads and checks the data,
    they are ready when the comparison begins. Nothing for one job. The
    first :func:`fit_folds` call waits for this start to finish (one
    parallel call at a time), so the results do not depend on it.
    """
    n_jobs = resolve_jobs(n_jobs)
    if n_jobs < 2 or n_jobs in _WARM:
        return
    import threading

    def start():
        Parallel(n_jobs=n_jobs, batch_size=1)(delayed(_worker_ready)() for _ in range(n_jobs))

    thread = threading.Thread(target=start, name="propensity-start-workers", daemon=True)
    _WARM[n_jobs] = thread
    thread.start()


def _wait_for_workers() -> None:
    for thread in list(_WARM.values()):
        thread.join()


def fit_folds(
    pipelines: list,
    X: pd.DataFrame,
    y,
    folds: list,
    *,
    n_jobs: int = 1,
    cache: FoldCache | None = None,
) -> list[list]:
    """Fit and score each pipeline on each of the given ``(train, test)`` folds, all in parallel.

    The building block of :func:`cross_fit` and of the fold racing of the
    search (:func:`~marketing_utils.propensity.search.tune_model`), which fits
    some candidates on some folds only.

    Pipelines whose preprocessing steps have the same parameters (every
    candidate of this module: only the model differs) share them: each fold
    is preprocessed once, then each model is fitted on the result. The
    preprocessing is deterministic, so every score and prediction is that of
    fitting each pipeline on its own; the fold data are then shipped to the
    workers as arrays instead of as the feature frame.

    With a ``cache`` (a :class:`FoldCache` that has only seen this ``X``),
    folds preprocessed by an earlier call are taken from it and new ones
    are added to it.

    Returns
    -------
    list of list
        For each pipeline, one opaque result per fold (in order) for :func:`assemble_folds`.
    """
    y = np.asarray(y)
    cache = FoldCache() if cache is None else cache
    parts = [_split_pipeline(p) for p in pipelines]
    # Equal parameters, equal hash: one preprocessing per distinct head and fold.
    keys = [None if part is None else joblib.hash(clone(part[0])) for part in parts]
    heads = {key: part[0] for key, part in zip(keys, parts, strict=True) if key is not None}
    fold_keys = {
        (key, k): _fold_key(key, train, test)
        for key in heads
        for k, (train, test) in enumerate(folds)
    }
    missing = [(key, k) for (key, k), fold_key in fold_keys.items() if fold_key not in cache]
    if n_jobs > 1:
        _wait_for_workers()
    with limited_threads(n_jobs), Parallel(n_jobs=n_jobs, batch_size=1) as parallel:
        if missing:
            shared = parallel(
                delayed(_transform_fold)(heads[key], X, y, *folds[k]) for key, k in missing
            )
            cache.update(
                (fold_keys[key_k], done) for key_k, done in zip(missing, shared, strict=True)
            )
        inputs = {key_k: cache[fold_key] for key_k, fold_key in fold_keys.items()}
        tasks = []
        for p, key, part in zip(pipelines, keys, parts, strict=True):
            for k, (train, test) in enumerate(folds):
                if key is None:
                    tasks.append(delayed(_fit_fold)(clone(p), X, y, train, test))
                else:
                    X_train, X_test, seconds = inputs[key, k]
                    tasks.append(
                        delayed(_fit_model)(
                            clone(part[1]), X_train, y[train], X_test, y[test], seconds
                        )
                    )
        done = parallel(tasks)
    return [done[start : start + len(folds)] for start in range(0, len(done), len(folds))]


def fold_scores(part: list, metric: str = "roc_auc") -> np.ndarray:
    """One metric of one pipeline's fold results from :func:`fit_folds` (losses negated)."""
    return np.array([result[0][metric] for result in part])


def assemble_folds(part: list, folds: list, n_rows: int) -> OutOfFold:
    """One pipeline's :class:`OutOfFold` from its results on every fold (in the order of ``folds``)."""
    proba = np.empty(n_rows, dtype=float)
    decision = None if part[0][3] is None else np.empty(n_rows, dtype=float)
    for (_, test), (_, _, fold_proba, fold_decision) in zip(folds, part, strict=True):
        proba[test] = fold_proba
        if decision is not None:
            decision[test] = fold_decision
    scores = {f"test_{name}": fold_scores(part, name) for name in part[0][0]}
    scores["fit_time"] = np.array([p[1] for p in part])
    return OutOfFold(scores=scores, proba=proba, decision=decision)


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
    return _compare_models(
        prepared, families, cv_folds=cv_folds, seed=seed, class_weight=class_weight, n_jobs=n_jobs
    )[0]


def _compare_models(
    prepared: PreparedData,
    families,
    *,
    cv_folds: int,
    seed: int,
    class_weight: str | None,
    n_jobs: int,
    cache: FoldCache | None = None,
) -> tuple[pd.DataFrame, dict[str, OutOfFold]]:
    """:func:`compare_models` and the out-of-fold results of each family (all folds in parallel).

    ``cache``: the :class:`FoldCache` of the run (see :func:`fit_folds`).
    """
    if not families:
        raise ValueError(
            "params propensity_modeling.models: expected at least one model family, found none"
        )
    X, y = prepared.part("train")
    names = list(dict.fromkeys(family_name(f) for f in families))
    for name in names:
        check_size(name, len(y))
    pipelines = [
        build_pipeline(prepared.spec, name, seed=seed, class_weight=class_weight) for name in names
    ]
    fits = cross_fit(pipelines, X, y, cv_folds=cv_folds, seed=seed, n_jobs=n_jobs, cache=cache)
    rows = [
        _summarize(fit.scores, family=name, class_weight=str(class_weight).lower())
        for name, fit in zip(names, fits, strict=True)
    ]
    table = pd.DataFrame(rows).sort_values("roc_auc_mean", ascending=False, kind="stable")
    return table.reset_index(drop=True), dict(zip(names, fits, strict=True))


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
        weights (``mlp``) gives only ``none``. Column ``folds``: the folds each
        row ran (all of them here; fewer for a setting dropped by the race
        that :func:`~marketing_utils.propensity.stage.fit_prepared` runs).
    """
    return _compare_class_weights(
        prepared, family, unweighted=unweighted, cv_folds=cv_folds, seed=seed, n_jobs=n_jobs
    )[0]


def race_screen(cv_folds: int) -> int:
    """Folds every contender is fitted on before a race drops the losers: ``max(2, round(2k/5))``.

    The first stage of the fold racing of the search
    (:func:`~marketing_utils.propensity.search.racing_plan`) and of the
    class-weight comparison; with ``cv_folds`` or fewer folds nothing is raced.

    Examples
    --------
    >>> race_screen(5), race_screen(3), race_screen(10)
    (2, 2, 4)
    """
    return max(2, round(2 * int(cv_folds) / 5))


def _fold_summary(part: list, **labels) -> dict:
    """:func:`_summarize` of one pipeline's results on some folds (from :func:`fit_folds`)."""
    scores = {f"test_{name}": fold_scores(part, name) for name in part[0][0]}
    scores["fit_time"] = np.array([p[1] for p in part])
    return _summarize(scores, **labels)


def _compare_class_weights(
    prepared: PreparedData,
    family: str,
    *,
    unweighted: pd.DataFrame | None,
    cv_folds: int,
    seed: int,
    n_jobs: int,
    unweighted_pr_auc: np.ndarray | None = None,
    cache: FoldCache | None = None,
) -> tuple[pd.DataFrame, dict[str, OutOfFold]]:
    """:func:`compare_class_weights` and the out-of-fold results it fitted (by ``class_weight``).

    With ``unweighted_pr_auc`` (the unweighted pipeline's PR AUC on each of
    the same folds, from the comparison), balanced weights are raced: fitted
    on the first :func:`race_screen` folds, and on the others only when their
    mean PR AUC on those folds beats the unweighted one's on the same folds.
    A setting that loses the paired comparison on the first folds would need
    a gain of more than one standard error on the rest to be chosen; it is
    dropped instead (its row summarizes the folds it ran, column ``folds``).
    ``cache``: the :class:`FoldCache` of the run (see :func:`fit_folds`).
    """
    family = family_name(family)
    X, y = prepared.part("train")
    y = np.asarray(y)
    rows, fitted, done = {}, {}, {}
    for weight in (None, "balanced"):
        if weight is not None and family == "mlp":
            continue
        if weight is None and unweighted is not None and family in set(unweighted["family"]):
            rows[weight] = unweighted[unweighted["family"] == family].iloc[0].to_dict()
            rows[weight]["folds"] = int(cv_folds)
            continue
        fitted[weight] = build_pipeline(prepared.spec, family, seed=seed, class_weight=weight)
    folds = list(cv_splitter(cv_folds, seed).split(X, y))
    screen = race_screen(len(folds))
    if unweighted_pr_auc is not None and list(fitted) == ["balanced"] and screen < len(folds):
        label = {"family": family, "class_weight": "balanced"}
        first = fit_folds([fitted["balanced"]], X, y, folds[:screen], n_jobs=n_jobs, cache=cache)
        first = first[0]
        gain = fold_scores(first, "pr_auc").mean() - np.mean(unweighted_pr_auc[:screen])
        if gain <= 0:
            rows["balanced"] = {**_fold_summary(first, **label), "folds": screen}
        else:
            rest = fit_folds(
                [fitted["balanced"]], X, y, folds[screen:], n_jobs=n_jobs, cache=cache
            )[0]
            done["balanced"] = assemble_folds(first + rest, folds, len(y))
    else:
        fits = cross_fit(
            list(fitted.values()), X, y, cv_folds=cv_folds, seed=seed, n_jobs=n_jobs, cache=cache
        )
        done = dict(zip(fitted, fits, strict=True))
    for weight, fit in done.items():
        rows[weight] = {
            **_summarize(fit.scores, family=family, class_weight=str(weight).lower()),
            "folds": int(cv_folds),
        }
    table = pd.DataFrame([rows[w] for w in (None, "balanced") if w in rows])
    return table, {str(w).lower(): fit for w, fit in done.items()}


def select_class_weight(table: pd.DataFrame, *, cv_folds: int) -> str | None:
    """``"balanced"`` only when it beats no weights on mean PR AUC by more than one standard error.

    Calibration is fixed afterwards, so PR AUC (ranking of the positives) is
    what the weights can buy; a gain within the fold-to-fold noise is not
    worth the distorted probabilities and the slower fit. A ``balanced`` row
    whose ``folds`` are fewer than ``cv_folds`` was dropped by the race of
    :func:`compare_class_weights` (it lost on the first folds) and is never chosen.

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
    if "folds" in rows.columns and rows.loc["balanced", "folds"] < cv_folds:
        return None  # dropped by the race: it lost to no weights on the first folds
    standard_error = rows.loc["none", "pr_auc_std"] / np.sqrt(cv_folds)
    gain = rows.loc["balanced", "pr_auc_mean"] - rows.loc["none", "pr_auc_mean"]
    return "balanced" if gain > standard_error else None
