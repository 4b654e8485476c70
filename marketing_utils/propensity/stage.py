"""Stage 03: leakage-safe, calibrated, explained purchase and response propensity models.

One call, :func:`fit_propensity`, does the whole modelling job on stage 01's
model table, in this order (every step on the training part only; the test
part is touched once, at the end):

1. check the label and choose the features from their types
   (:mod:`~marketing_utils.propensity.data`), add stage 02's segments when present;
2. a seeded, stratified train/test split;
3. compare untuned candidate families by stratified k-fold cross-validation
   and pick one by the one-standard-error rule (:mod:`~marketing_utils.propensity.models`);
4. class weights against none for that family, raced over the folds
   (balanced weights go on past the first folds only while they beat none there);
5. a seeded hyperparameter search, raced over the folds by default (every
   candidate on the first folds, the best third on the rest), kept only
   when it beats the untuned model (:mod:`~marketing_utils.propensity.search`);
6. sigmoid or isotonic calibration chosen by cross-validation, and the final
   calibrated model (:mod:`~marketing_utils.propensity.calibration`);
7. scores for every customer and the test metrics.

Explanations live in :mod:`~marketing_utils.propensity.explain`, the
gradient-descent lesson in :mod:`~marketing_utils.propensity.teach`, and
saving with skops in :mod:`~marketing_utils.model_io`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from ..errors import DataValidationError
from ..leakage import too_good_to_be_true
from ..model_io import save_model
from .bundle import scoring_metadata
from .calibration import (
    CALIBRATION_METHODS,
    CalibrationChoice,
    calibrate_fitted,
    choose_calibration,
    expected_calibration_error,
    fit_calibrated,
)
from .data import PreparedData, prepare_model_data
from .models import (
    FoldCache,
    _compare_class_weights,
    _compare_models,
    build_pipeline,
    limited_threads,
    resolve_jobs,
    select_class_weight,
    select_family,
)
from .search import TuningResult, tune_model

__all__ = [
    "DEFAULT_MODELS",
    "PropensityResult",
    "fit_prepared",
    "fit_propensity",
    "model_info",
    "save_propensity",
    "score_customers",
    "score_metrics",
    "true_propensity_auc",
]

DEFAULT_MODELS = ("logistic", "random_forest", "hist_gradient_boosting")
_CLASS_WEIGHTS = ("auto", "none", "balanced")


@dataclass(frozen=True)
class PropensityResult:
    """Everything :func:`fit_propensity` produced.

    Attributes
    ----------
    prepared : PreparedData
        The checked table, the feature spec, the labels and the split.
    comparison : DataFrame
        Cross-validated comparison of the untuned families (the ``model_comparison`` artifact).
    family : str
        The family chosen for tuning.
    class_weights : DataFrame
        No weights against balanced weights for that family.
    class_weight : str or None
        The class weight used by the final model.
    tuning : TuningResult
    calibration : CalibrationChoice
    model : CalibratedClassifierCV
        The final model: calibrated probabilities from the raw feature frame.
    logistic : Pipeline
        A logistic regression fitted on the training part (for odds ratios).
    scores : DataFrame
        ``customer_id, split, label, score`` for every customer.
    """

    prepared: PreparedData
    comparison: pd.DataFrame
    family: str
    class_weights: pd.DataFrame
    class_weight: str | None
    tuning: TuningResult
    calibration: CalibrationChoice
    model: object
    logistic: Pipeline
    scores: pd.DataFrame

    @property
    def uncalibrated(self) -> Pipeline:
        """The tuned pipeline before calibration (refitted on the training part)."""
        return self.tuning.estimator

    def test_part(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Features and labels of the held-out test customers."""
        return self.prepared.part("test")

    def metrics(self) -> dict:
        """Headline metrics on the test part (deterministic for a seed: no timings)."""
        test = self.scores[self.scores["split"] == "test"]
        metrics = {f"test_{k}": v for k, v in score_metrics(test["label"], test["score"]).items()}
        comparison = self.comparison.set_index("family")
        metrics.update(
            best_model=self.family,
            calibration=self.calibration.method,
            class_weight=str(self.class_weight).lower(),
            cv_roc_auc=float(self.tuning.cv_roc_auc),
            cv_roc_auc_by_family={f: float(v) for f, v in comparison["roc_auc_mean"].items()},
            tuned=not self.tuning.kept_defaults,
            best_params=self.tuning.params,
            n_customers=int(len(self.scores)),
            n_train=int((self.scores["split"] == "train").sum()),
            n_test=int(len(test)),
            n_features=len(self.prepared.spec.columns),
            test_positive_rate=float(test["label"].mean()),
            excluded_features=dict(self.prepared.spec.excluded),
            leakage_excluded=[
                column
                for column, reason in self.prepared.spec.excluded.items()
                if reason.startswith("leakage guard")
            ],
        )
        screen = self.prepared.screen
        top = [] if screen is None else screen.loc[~screen["excluded"], "column"].head(3).tolist()
        flag = too_good_to_be_true(metrics["test_roc_auc"], top)
        metrics["too_good_to_be_true"] = flag is not None
        if flag is not None:
            metrics["too_good_to_be_true_warning"] = flag["message"]
            metrics["too_good_to_be_true_top_features"] = flag["top_features"]
        return metrics


def score_metrics(labels, scores) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score, log loss and ECE of probabilities.

    Examples
    --------
    >>> m = score_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["roc_auc"], m["brier"]
    (0.75, 0.185)
    """
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
        "brier": float(brier_score_loss(labels, scores)),
        "log_loss": float(log_loss(labels, np.clip(scores, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "ece": expected_calibration_error(labels, scores),
    }


def score_customers(model, prepared: PreparedData, n_jobs: int = 1) -> pd.DataFrame:
    """Calibrated probability for every customer, with the pseudonymized id, split and label."""
    with limited_threads(n_jobs):
        probabilities = model.predict_proba(prepared.X)[:, 1]
    return pd.DataFrame(
        {
            "customer_id": prepared.table["customer_id"].to_numpy(),
            "split": prepared.split.astype(str),
            "label": prepared.labels.astype(int),
            "score": probabilities.astype(float),
        }
    )


def true_propensity_auc(scores: pd.DataFrame, truth: pd.DataFrame, *, split: str = "test") -> dict:
    """ROC AUC of the true purchase probability (synthetic data): the best any model could do.

    The synthetic generator knows each customer's probability of buying in
    the horizon, including whether they have silently churned, which no model
    can observe. Its AUC on the same customers is the ceiling; the gap to the
    model's AUC is what is left to learn (or cannot be learnt).

    Returns
    -------
    dict
        ``true_propensity_auc``, ``model_auc``, ``auc_gap`` (true minus model) and
        ``n`` (customers compared).

    Raises
    ------
    DataValidationError
        When ``truth`` lacks ``customer_id``/``true_purchase_prob`` or does not
        cover every scored customer.
    """
    needed = ["customer_id", "true_purchase_prob"]
    missing = [c for c in needed if c not in truth.columns]
    if missing:
        raise DataValidationError("truth", f"expected columns {needed}, missing {missing}")
    part = scores[scores["split"] == split]
    true_prob = truth.set_index("customer_id")["true_purchase_prob"].reindex(part["customer_id"])
    if true_prob.isna().any():
        raise DataValidationError(
            "truth",
            f"expected a true purchase probability for every scored customer, found "
            f"{int(true_prob.isna().sum())} of {len(part)} without one",
            column="true_purchase_prob",
        )
    true_auc = float(roc_auc_score(part["label"], true_prob.to_numpy()))
    model_auc = float(roc_auc_score(part["label"], part["score"]))
    return {
        "true_propensity_auc": true_auc,
        "model_auc": model_auc,
        "auc_gap": true_auc - model_auc,
        "n": int(len(part)),
    }


def _class_weight_param(value: str | None) -> str:
    value = "none" if value is None else str(value).lower()
    if value not in _CLASS_WEIGHTS:
        raise ValueError(
            f"params propensity_modeling.class_weight: expected one of {', '.join(_CLASS_WEIGHTS)}, "
            f"found {value!r}"
        )
    return value


def _calibration_methods(value: str) -> tuple[str, ...]:
    if value == "auto":
        return CALIBRATION_METHODS
    if value not in CALIBRATION_METHODS:
        raise ValueError(
            f"params propensity_modeling.calibration: expected 'auto' or one of "
            f"{', '.join(CALIBRATION_METHODS)}, found {value!r}"
        )
    return (value,)


def fit_propensity(
    model_table: pd.DataFrame,
    *,
    info: dict | None = None,
    segments: pd.DataFrame | None = None,
    exclude: tuple[str, ...] | list[str] = (),
    models: tuple[str, ...] | list[str] = DEFAULT_MODELS,
    test_size: float = 0.25,
    cv_folds: int = 5,
    class_weight: str | None = "auto",
    search_iter: int = 6,
    search_method: str = "racing",
    calibration: str = "auto",
    seed: int = 42,
    n_jobs: int | None = 1,
) -> PropensityResult:
    """Compare, tune and calibrate a propensity model; score every customer.

    Parameters
    ----------
    model_table : DataFrame
        Stage 01's ``model_table`` (features plus a binary ``label``).
    info : dict, optional
        Stage 01's ``preprocessing_info`` (feature lists).
    segments : DataFrame, optional
        Stage 02's ``segments``; used as categorical features when given.
    exclude : sequence of str
        Columns never to use as features.
    models : sequence of str
        Families to compare (see ``propensity_models.FAMILIES``).
    test_size : float
        Share of customers held out (stratified, seeded).
    cv_folds : int
        Folds of every cross-validation (comparison, search, calibration).
    class_weight : {"auto", "none", "balanced"}
        ``"auto"``: balanced only when it improves cross-validated PR AUC.
    search_iter : int
        Budget of the hyperparameter search (candidate settings).
    search_method : {"racing", "random", "halving"}
        ``racing`` (successive halving on the folds) chooses what ``random``
        chooses whenever the best candidate survives the first folds, from
        fewer fits; see :func:`~marketing_utils.propensity.search.tune_model`.
    calibration : {"auto", "sigmoid", "isotonic"}
        ``"auto"``: the method with the lower cross-validated Brier score.
    seed : int
        Seeds the split, the folds, the search and the models.
    n_jobs : int or None
        Parallel jobs and native threads; 0, -1 or None: every core. The
        results do not depend on it (the same seeded fits, only at the same time).

    Returns
    -------
    PropensityResult

    Notes
    -----
    No fold is fitted twice: every cross-validation uses the same seeded
    folds, so the class-weight comparison reuses the comparison's unweighted
    folds, and the calibration choice and the calibrator of the final model
    reuse the out-of-fold predictions of the chosen pipeline (from the search,
    or from the comparison when the untuned model is kept) together with the
    search's refit. The decisions and the model are those of fitting each
    step on its own, with one exception: balanced class weights are raced
    (fitted on the first two of five folds, and on the others only when they
    beat no weights on those folds); a setting that loses there is not
    chosen, where the exhaustive comparison would need it to gain more than
    one standard error on the remaining folds.
    """
    _class_weight_param(class_weight)  # parameter errors before the data checks
    _calibration_methods(calibration)
    prepared = prepare_model_data(
        model_table, info=info, segments=segments, exclude=exclude,
        test_size=test_size, cv_folds=cv_folds, seed=seed,
    )  # fmt: skip
    return fit_prepared(
        prepared, models=models, cv_folds=cv_folds, class_weight=class_weight,
        search_iter=search_iter, search_method=search_method, calibration=calibration,
        seed=seed, n_jobs=n_jobs,
    )  # fmt: skip


def fit_prepared(
    prepared: PreparedData,
    *,
    models: tuple[str, ...] | list[str] = DEFAULT_MODELS,
    cv_folds: int = 5,
    class_weight: str | None = "auto",
    search_iter: int = 6,
    search_method: str = "racing",
    calibration: str = "auto",
    seed: int = 42,
    n_jobs: int | None = 1,
) -> PropensityResult:
    """Steps 3 to 7 of :func:`fit_propensity`, on data already checked and split.

    ``prepared`` comes from :func:`~marketing_utils.propensity.data.prepare_model_data`.
    The notebook shows the checks before fitting; passing their result here
    saves doing them twice. ``cv_folds`` and ``seed`` must be those given to
    ``prepare_model_data`` (it checks that every fold has both classes).

    Parameters
    ----------
    prepared : PreparedData
    models, cv_folds, class_weight, search_iter, search_method, calibration, seed, n_jobs
        As for :func:`fit_propensity`.

    Returns
    -------
    PropensityResult
    """
    weight_param = _class_weight_param(class_weight)
    methods = _calibration_methods(calibration)
    n_jobs = resolve_jobs(n_jobs)
    common = {"cv_folds": cv_folds, "seed": seed, "n_jobs": n_jobs}
    # Every step preprocesses the same training folds: once, for all of them.
    cache = FoldCache()
    comparison, comparison_fits = _compare_models(
        prepared, models, class_weight=None, cache=cache, **common
    )
    family = select_family(comparison, cv_folds=cv_folds)
    out_of_fold = {"none": comparison_fits[family]}
    if weight_param == "auto":
        weights, weight_fits = _compare_class_weights(
            prepared, family, unweighted=comparison,
            unweighted_pr_auc=comparison_fits[family].scores["test_pr_auc"], cache=cache,
            **common,
        )  # fmt: skip
        out_of_fold.update(weight_fits)
        chosen_weight = select_class_weight(weights, cv_folds=cv_folds)
    else:
        weights = comparison[comparison["family"] == family].reset_index(drop=True)
        chosen_weight = None if weight_param == "none" else "balanced"
    baseline = weights.set_index("class_weight")["roc_auc_mean"].get(str(chosen_weight).lower())
    tuning = tune_model(
        prepared, family, class_weight=chosen_weight, n_iter=search_iter,
        method=search_method, baseline_roc_auc=baseline, fold_cache=cache, **common,
    )  # fmt: skip
    # The chosen pipeline's out-of-fold predictions on the same folds, when a step has them.
    if tuning.kept_defaults:
        chosen_fit = out_of_fold.get(str(chosen_weight).lower())
    else:
        chosen_fit = tuning.out_of_fold
    X_train, y_train = prepared.part("train")
    choice = choose_calibration(
        tuning.estimator, X_train, y_train, methods=methods,
        oof_scores=None if chosen_fit is None else chosen_fit.proba, **common,
    )  # fmt: skip
    model = None
    if chosen_fit is not None:
        predictions = chosen_fit.proba if chosen_fit.decision is None else chosen_fit.decision
        model = calibrate_fitted(
            tuning.estimator, X_train, y_train, predictions, method=choice.method,
            cv_folds=cv_folds, seed=seed,
        )  # fmt: skip
    if model is None:
        model = fit_calibrated(tuning.estimator, X_train, y_train, method=choice.method, **common)
    with limited_threads(n_jobs):
        logistic = build_pipeline(prepared.spec, "logistic", seed=seed).fit(X_train, y_train)
    return PropensityResult(
        prepared=prepared,
        comparison=comparison,
        family=family,
        class_weights=weights,
        class_weight=chosen_weight,
        tuning=tuning,
        calibration=choice,
        model=model,
        logistic=logistic,
        scores=score_customers(model, prepared, n_jobs=n_jobs),
    )


def model_info(
    result: PropensityResult, *, trusted_types: list[str], preprocessing_info: dict | None = None
) -> dict:
    """Metadata saved next to the model: features, family, calibration, training facts."""
    label = (preprocessing_info or {}).get("label", {})
    return {
        **result.prepared.spec.to_dict(),
        "model_family": result.family,
        "best_params": result.tuning.params,
        "class_weight": str(result.class_weight).lower(),
        "calibration_method": result.calibration.method,
        "label": label,
        "cutoff": label.get("cutoff"),
        "source": (preprocessing_info or {}).get("source"),
        "training_date": date.today().isoformat(),
        "n_train": int((result.prepared.split == "train").sum()),
        "skops_trusted_types": list(trusted_types),
        "sklearn_version": sklearn.__version__,
        "output": "calibrated probability of the positive class (label = 1)",
    }


def save_propensity(
    result: PropensityResult, store, preprocessing_info: dict | None = None
) -> list[str]:
    """Write the artifacts of stage 03 by name; returns the names written.

    ``propensity_model`` (skops), ``propensity_model_info`` (with the
    ``scoring`` section of :func:`~marketing_utils.propensity.bundle.scoring_metadata`),
    ``scores`` and ``model_comparison``.
    """
    model_path = store.path("propensity_model", "model")
    trusted = save_model(result.model, model_path)
    info = model_info(result, trusted_types=trusted, preprocessing_info=preprocessing_info)
    # What `marketing-workbook score` needs to rebuild the features of new customers.
    info["scoring"] = scoring_metadata(
        result.prepared.spec.columns,
        preprocessing_info,
        transaction_columns=_stored_columns(store, "transactions_clean"),
        model_path=model_path,
        segmentation_path=_stored_path(store, "segmentation_model", "json"),
    )
    store.save("propensity_model_info", info)
    store.save("scores", result.scores)
    store.save("model_comparison", result.comparison)
    return ["propensity_model", "propensity_model_info", "scores", "model_comparison"]


def _stored_path(store, name: str, kind: str):
    """Path of a stored artifact, or None when it is absent."""
    path = store.path(name, kind)
    return path if path.exists() else None


def _stored_columns(store, name: str) -> list[str]:
    """Columns of a stored table, read from its Parquet schema only (empty when absent)."""
    path = store.path(name, "table")
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)
