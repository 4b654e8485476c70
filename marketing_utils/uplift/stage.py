"""Stage 05 end to end: experiment checks, uplift models, metrics, policies.

The notebook ``05_campaign_uplift`` makes one call, :func:`campaign_uplift`,
and explains its parts; everything it shows is computed here, so tests reach
every step.

Protocol. The customers of the randomized campaign (one arm against control)
are split once into a training and a test part, stratified by treatment and
response. Each uplift model is scored by its Qini coefficient in ``cv_folds``
-fold cross-validation on the training part; the model with the best mean is
the *best model* (chosen without looking at the test part). Every model is
then refit on the whole training part and evaluated on the test part, where
all reported metrics, the policy comparison and (on synthetic data) the
agreement with the true uplift are computed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from ..errors import DataValidationError
from .experiment import (
    NOT_FEATURES,
    arm_effects,
    average_treatment_effect,
    covariate_balance,
    group_sizes,
    select_arm,
    uplift_table,
)
from .learners import make_base_learner, make_feature_encoder, make_uplift_model
from .metrics import (
    bootstrap_interval,
    qini_coefficient,
    uplift_at_k,
    uplift_auc_score,
    uplift_by_decile,
)
from .policy import policy_comparison, top_group_composition, truth_agreement

__all__ = ["UpliftResult", "campaign_uplift", "cross_validated_qini", "save_uplift"]


def _stratum(table: pd.DataFrame) -> np.ndarray:
    return (table["treatment"].to_numpy() * 2 + table["response"].to_numpy()).astype(int)


def cross_validated_qini(
    model,
    table: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    folds: int = 3,
    seed: int = 0,
) -> np.ndarray:
    """Qini coefficient of an uplift model in each fold of a stratified K-fold split.

    The feature encoder is fitted inside each training fold, so no
    information leaks from the held-out fold.
    """
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = []
    for train_rows, test_rows in splitter.split(table, _stratum(table)):
        train, test = table.iloc[train_rows], table.iloc[test_rows]
        encoder = make_feature_encoder(numeric, categorical).fit(train)
        fitted = clone(model).fit(encoder.transform(train), train["response"], train["treatment"])
        predicted = fitted.predict_uplift(encoder.transform(test))
        scores.append(qini_coefficient(test["response"], predicted, test["treatment"]))
    return np.array(scores)


@dataclass(frozen=True)
class UpliftResult:
    """Everything stage 05 computes (see :func:`campaign_uplift`).

    Attributes
    ----------
    settings : dict
        The arguments that shaped the result (arm, base learner, shares, economics).
    sizes : dict
        Customers, treated and control counts, campaign customers without features.
    arms : DataFrame
        Effect of every arm against control on the whole campaign.
    balance : DataFrame
        Standardized mean differences (:func:`covariate_balance`).
    effects : dict
        ATE on the response (and spend) for the compared arm.
    model_scores : DataFrame
        Per model: cross-validated Qini (mean, std) and test metrics.
    best_model : str
    qini_interval : dict
        Bootstrap interval of the best model's test Qini coefficient.
    scored : DataFrame
        Test customers: id, treatment, response, each model's uplift,
        ``uplift`` (best model), ``propensity`` (response model) and, on
        synthetic data, ``true_uplift`` and ``uplift_type``.
    deciles : DataFrame
        Best model's uplift by decile on the test part.
    policies : DataFrame
        :func:`policy_comparison` on the test part.
    composition : DataFrame or None
        Uplift types in the top decile of each ranking (synthetic data).
    """

    settings: dict
    sizes: dict
    arms: pd.DataFrame
    balance: pd.DataFrame
    effects: dict
    model_scores: pd.DataFrame
    best_model: str
    qini_interval: dict
    scored: pd.DataFrame
    deciles: pd.DataFrame
    policies: pd.DataFrame
    composition: pd.DataFrame | None = None

    def metrics(self) -> dict:
        """Headline metrics (JSON-ready, deterministic for a seed)."""
        k = self.settings["top_share"]
        best = self.model_scores.set_index("model").loc[self.best_model]
        at_k = self.policies[np.isclose(self.policies["share_contacted"], k)].set_index("policy")
        metrics = {
            **self.settings,
            **self.sizes,
            "max_abs_smd": float(self.balance["smd"].abs().max()),
            "n_imbalanced": int(self.balance["imbalanced"].sum()),
            "ate": self.effects["response"],
            "best_model": self.best_model,
            "models": {
                row["model"]: {k2: v for k2, v in row.items() if k2 != "model"}
                for row in self.model_scores.to_dict("records")
            },
            "qini": float(best["qini"]),
            "qini_ci_low": self.qini_interval["low"],
            "qini_ci_high": self.qini_interval["high"],
            "uplift_at_k": float(best["uplift_at_k"]),
            "ate_test": float(best["ate_test"]),
            "uplift_at_k_over_ate": float(best["uplift_at_k_over_ate"]),
            "incremental_uplift_policy": float(at_k.loc["uplift model", "incremental_responses"]),
            "incremental_response_policy": float(
                at_k.loc["response model", "incremental_responses"]
            ),
            "profit_uplift_policy": float(at_k.loc["uplift model", "profit"]),
            "profit_response_policy": float(at_k.loc["response model", "profit"]),
        }
        if "spend" in self.effects:
            metrics["ate_spend"] = self.effects["spend"]
        if "true_incremental_responses" in self.policies:
            true_uplift = float(at_k.loc["uplift model", "true_incremental_responses"])
            true_response = float(at_k.loc["response model", "true_incremental_responses"])
            metrics["spearman_true_uplift"] = float(best["spearman_true_uplift"])
            metrics["true_incremental_uplift_policy"] = true_uplift
            metrics["true_incremental_response_policy"] = true_response
            metrics["true_incremental_difference"] = true_uplift - true_response
            # A relative gain only means something over a positive baseline.
            metrics["true_gain_over_response"] = (
                true_uplift / true_response - 1 if true_response > 0 else float("nan")
            )
        if self.composition is not None:
            # Share of each uplift type in the top decile of each ranking (suppressed: None).
            metrics["top_decile_types"] = {
                ranking: dict(zip(rows["group"], rows["share"], strict=True))
                for ranking, rows in self.composition.groupby("ranking", sort=False)
                if ranking != "all customers"
            }
        return metrics


def _check_settings(models, test_size, cv_folds, top_share, n_bootstrap, min_group_size) -> None:
    where = "params campaign_uplift"
    if not isinstance(min_group_size, int) or min_group_size < 1:
        raise DataValidationError(
            f"{where}.min_group_size", f"expected an integer >= 1, found {min_group_size!r}"
        )
    if not models:
        raise DataValidationError(f"{where}.models", "expected at least one model, found none")
    if not 0 < test_size < 1:
        raise DataValidationError(
            f"{where}.test_size", f"expected a share in (0, 1), found {test_size!r}"
        )
    if not isinstance(cv_folds, int) or cv_folds < 2:
        raise DataValidationError(
            f"{where}.cv_folds", f"expected an integer >= 2, found {cv_folds!r}"
        )
    if not 0 < top_share <= 1:
        raise DataValidationError(
            f"{where}.top_share", f"expected a share in (0, 1], found {top_share!r}"
        )
    if not isinstance(n_bootstrap, int) or n_bootstrap < 2:
        raise DataValidationError(
            f"{where}.n_bootstrap", f"expected an integer >= 2, found {n_bootstrap!r}"
        )


def _single_threaded(function):
    # The models are small: one BLAS/OpenMP thread is faster than several
    # competing for a shared machine's cores (83 s against 4 s for the stage on
    # the default data, measured on the loaded 2-core project machine), and it
    # makes the floating-point results reproducible to the last digit.
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper


@_single_threaded
def campaign_uplift(
    features: pd.DataFrame,
    campaign: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    truth: pd.DataFrame | None = None,
    arm: str = "womens",
    models: tuple[str, ...] = ("s_learner", "t_learner", "class_transformation", "x_learner"),
    base_learner: str = "logistic_regression",
    test_size: float = 0.3,
    cv_folds: int = 3,
    top_share: float = 0.3,
    n_bootstrap: int = 200,
    value_per_response: float = 20.0,
    cost_per_contact: float = 1.0,
    min_group_size: int = 10,
    seed: int = 42,
) -> UpliftResult:
    """Check the experiment, fit and compare uplift models, compare targeting policies.

    Parameters
    ----------
    features : pandas.DataFrame
        ``customer_features`` of stage 01 (one row per customer).
    campaign : pandas.DataFrame
        ``campaign_clean`` of stage 01.
    numeric, categorical : list of str
        Feature columns (from ``preprocessing_info``); outcome and assignment
        columns are left out whatever these lists say.
    truth : pandas.DataFrame, optional
        The synthetic ground truth (``true_uplift``, ``uplift_type``).
    arm : str, default "womens"
        For multi-arm campaigns: the arm compared with control (see
        :func:`~marketing_utils.uplift.experiment.select_arm`).
    models : tuple of str
        Uplift models to compare (:data:`~marketing_utils.uplift.learners.UPLIFT_MODELS`).
    base_learner : str, default "logistic_regression"
        :func:`~marketing_utils.uplift.learners.make_base_learner` name; also the
        response model (fitted on the treated training customers).
    test_size : float, default 0.3
    cv_folds : int, default 3
    top_share : float, default 0.3
        Share ``k`` for uplift at k and the headline policy comparison.
    n_bootstrap : int, default 200
        Resamples of the Qini coefficient's interval.
    value_per_response, cost_per_contact : float
        Campaign economics (currency units).
    min_group_size : int, default 10
        Smallest group published in the composition table; the decile table
        uses fewer bins than ten when a bin would hold fewer than twice this
        many test customers (about this many per group).
    seed : int, default 42
        Seeds the split, the folds, the learners and the bootstrap.

    Returns
    -------
    UpliftResult
    """
    _check_settings(models, test_size, cv_folds, top_share, n_bootstrap, min_group_size)
    numeric = [c for c in numeric if c not in NOT_FEATURES and c in features.columns]
    categorical = [c for c in categorical if c not in NOT_FEATURES and c in features.columns]
    arms = arm_effects(campaign, "response")
    compared = select_arm(campaign, arm)
    table, n_without_features = uplift_table(features, compared, truth)
    sizes = {"n_customers": int(len(table)), **group_sizes(table["treatment"])}
    sizes["n_without_features"] = n_without_features
    balance = covariate_balance(table, numeric=numeric, categorical=categorical)
    effects = {"response": average_treatment_effect(table["response"], table["treatment"])}
    if "spend" in table:
        effects["spend"] = average_treatment_effect(table["spend"], table["treatment"])

    train, test = train_test_split(
        table, test_size=test_size, random_state=seed, stratify=_stratum(table)
    )
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    encoder = make_feature_encoder(numeric, categorical).fit(train)
    X_train, X_test = encoder.transform(train), encoder.transform(test)
    y_test, t_test = test["response"].to_numpy(), test["treatment"].to_numpy()
    ate_test = average_treatment_effect(y_test, t_test)["ate"]
    has_truth = truth is not None and test["true_uplift"].notna().all()

    base = make_base_learner(base_learner, seed)
    scored = test[["customer_id", "treatment", "response"]].copy()
    rows = []
    for name in models:
        model = make_uplift_model(name, base)
        folds = cross_validated_qini(
            model, train, numeric=numeric, categorical=categorical, folds=cv_folds, seed=seed
        )
        fitted = model.fit(X_train, train["response"], train["treatment"])
        predicted = fitted.predict_uplift(X_test)
        scored[f"uplift_{name}"] = predicted
        at_k = uplift_at_k(y_test, predicted, t_test, k=top_share)
        row = {
            "model": name,
            "cv_qini_mean": float(folds.mean()),
            "cv_qini_std": float(folds.std(ddof=1)),
            "qini": qini_coefficient(y_test, predicted, t_test),
            "auuc": uplift_auc_score(y_test, predicted, t_test),
            "uplift_at_k": at_k,
            "ate_test": ate_test,
            "uplift_at_k_over_ate": at_k / ate_test if ate_test != 0 else float("nan"),
        }
        if has_truth:
            row["spearman_true_uplift"] = truth_agreement(predicted, test["true_uplift"])[
                "spearman"
            ]
        rows.append(row)
    model_scores = pd.DataFrame(rows)
    best_model = str(model_scores.loc[model_scores["cv_qini_mean"].idxmax(), "model"])

    treated = train["treatment"].to_numpy() == 1
    response_model = clone(base).fit(X_train[treated], train["response"].to_numpy()[treated])
    scored["uplift"] = scored[f"uplift_{best_model}"]
    scored["propensity"] = response_model.predict_proba(X_test)[:, 1]
    if has_truth:
        scored["true_uplift"] = test["true_uplift"].to_numpy()
        scored["uplift_type"] = test["uplift_type"].to_numpy()

    interval = bootstrap_interval(
        qini_coefficient, y_test, scored["uplift"], t_test, n_boot=n_bootstrap, seed=seed
    )
    shares = sorted({0.1, 0.2, 0.3, 0.5, float(top_share)})
    policies = policy_comparison(
        y_test,
        t_test,
        scored["uplift"],
        scored["propensity"],
        shares=shares,
        value_per_response=value_per_response,
        cost_per_contact=cost_per_contact,
        true_uplift=scored["true_uplift"] if has_truth else None,
        spend=test.get("spend"),
    )
    composition = None
    if has_truth:
        composition = top_group_composition(
            scored["uplift_type"],
            {"response model": scored["propensity"], "uplift model": scored["uplift"]},
            top=0.1,
            min_group_size=min_group_size,
        )
    bins = int(min(10, max(1, len(test) // (2 * min_group_size))))
    settings = {
        "arm": arm if "arm" in campaign.columns else None,
        "base_learner": base_learner,
        "compared_models": list(models),
        "test_size": test_size,
        "cv_folds": cv_folds,
        "top_share": top_share,
        "value_per_response": value_per_response,
        "cost_per_contact": cost_per_contact,
        "n_test": int(len(test)),
    }
    return UpliftResult(
        settings=settings,
        sizes=sizes,
        arms=arms,
        balance=balance,
        effects=effects,
        model_scores=model_scores,
        best_model=best_model,
        qini_interval=interval,
        scored=scored,
        deciles=uplift_by_decile(y_test, scored["uplift"], t_test, bins=bins),
        policies=policies,
        composition=composition,
    )


def save_uplift(result: UpliftResult, store) -> list[str]:
    """Write the stage's artifacts by name; returns the names written.

    ``uplift_scores`` holds pseudonymized ids only (as every artifact).
    """
    tables = {
        "uplift_scores": result.scored,
        "uplift_model_scores": result.model_scores,
        "uplift_deciles": result.deciles,
        "uplift_policies": result.policies,
        "uplift_balance": result.balance,
        "uplift_arm_effects": result.arms,
    }
    if result.composition is not None:
        tables["uplift_top_composition"] = result.composition
    tables["uplift_summary"] = result.metrics()
    return store.save_all(tables)
