"""Per-customer, per-offer incremental response, estimated with stage 05's learners.

A randomized campaign with offers ``a = 1..J`` and a control group gives,
for each offer, a two-group experiment (the offer's customers against the
control customers). Each offer gets its own uplift model (05's S/T/X-learner
or class transformation around the same base classifier), so
``uplift[i, a]`` estimates ``P(Y=1 | x_i, offer a) - P(Y=1 | x_i, no contact)``.

The models are **cross-fitted**: the customers are split into ``folds``
stratified folds; each fold is scored by models trained on the other folds.
Every customer's estimates therefore come from models that never saw its
outcome, which is what an honest off-policy evaluation of the resulting plan
on the same customers needs. The response propensity (the classic response
model: ``P(Y=1 | x, contacted)``, the base classifier fitted on every
contacted customer) is cross-fitted the same way.

This is the one module of the planning stage that imports stage 05.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..errors import DataValidationError
from ..uplift.experiment import NOT_FEATURES
from ..uplift.learners import (
    UPLIFT_MODELS,
    make_base_learner,
    make_feature_encoder,
    make_uplift_model,
)

__all__ = ["SINGLE_OFFER", "calibrate_uplift", "campaign_arms", "offer_uplift", "uplift_models"]

#: Offer name of a campaign without an ``arm`` column (one treatment against control).
SINGLE_OFFER = "offer"


def campaign_arms(campaign: pd.DataFrame, control: str = "control") -> pd.Series:
    """Each campaign customer's arm: the ``arm`` column, or ``offer``/``control`` from ``treatment``.

    Raises
    ------
    DataValidationError
        If the control arm is missing or there is no offer arm.
    """
    if "arm" in campaign.columns:
        arm = campaign["arm"].astype(str)
    else:
        arm = pd.Series(
            np.where(campaign["treatment"].to_numpy() == 1, SINGLE_OFFER, control),
            index=campaign.index,
        )
    arms = sorted(arm.unique().tolist())
    if control not in arms or len(arms) < 2:
        raise DataValidationError(
            "campaign",
            f"expected a control arm {control!r} and at least one offer arm, found arms {arms}",
            column="arm" if "arm" in campaign.columns else "treatment",
        )
    return arm.rename("arm")


def uplift_models(model: str | list[str] | tuple[str, ...]) -> list[str]:
    """The uplift learners of an ensemble: ``"x_learner+s_learner"`` or a list of names.

    One name is a single learner. Names must be stage 05's (see
    :data:`~marketing_utils.uplift.learners.UPLIFT_MODELS`), each at most once.

    Raises
    ------
    DataValidationError
        If no name is given, a name is unknown or repeated.

    Examples
    --------
    >>> uplift_models("x_learner + s_learner")
    ['x_learner', 's_learner']
    >>> uplift_models(["t_learner"])
    ['t_learner']
    """
    where = "params campaign_planning.model"
    names = model.split("+") if isinstance(model, str) else list(model)
    if not all(isinstance(name, str) for name in names):
        raise DataValidationError(where, f"expected learner names, found {model!r}")
    names = [name.strip() for name in names]
    unknown = [name for name in names if name not in UPLIFT_MODELS]
    if not names or unknown:
        raise DataValidationError(
            where,
            f"expected names from {', '.join(UPLIFT_MODELS)} joined by '+', found {model!r}",
        )
    if len(set(names)) < len(names):
        raise DataValidationError(where, f"expected each learner at most once, found {model!r}")
    return names


def calibrate_uplift(
    score: np.ndarray,
    treated: np.ndarray,
    response: np.ndarray,
    *,
    fit_rows: np.ndarray,
    apply_rows: np.ndarray,
) -> np.ndarray:
    """Isotonic calibration of an uplift score on the randomized outcome.

    In a randomized test with treated share ``e``, the *transformed outcome*
    ``z = y * (t / e - (1 - t) / (1 - e))`` has expectation ``tau(x)``, the
    uplift, given ``x``. The non-decreasing function ``g`` of the score that
    fits ``z`` best in least squares (isotonic regression) turns a ranking
    score into uplift on the response scale: customers whose scores are high
    only by noise get the mean uplift of their score band, which is what a
    plan comparing uplift with a contact's cost needs.

    Parameters
    ----------
    score : numpy.ndarray
        Estimated uplift per customer (out-of-fold).
    treated : numpy.ndarray of bool
        Whether the customer got the offer (False: control; customers of
        other arms must be left out of ``fit_rows``).
    response : numpy.ndarray
        Observed 0/1 response.
    fit_rows, apply_rows : numpy.ndarray of int
        Customers the calibration is fitted on, and those it is applied to
        (disjoint in cross-fitting).

    Returns
    -------
    numpy.ndarray
        Calibrated uplift of ``apply_rows``, in their order.

    Examples
    --------
    Four treated and four control customers; the two low scores have no
    effect (1 of 2 respond in each group), the two high ones +0.5:

    >>> score = np.array([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9])
    >>> treated = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    >>> response = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    >>> calibrate_uplift(score, treated, response, fit_rows=np.arange(8),
    ...                  apply_rows=np.array([0, 4])).round(2).tolist()
    [0.0, 0.5]
    """
    treated = np.asarray(treated, dtype=bool)[fit_rows]
    share = treated.mean()
    if share in (0.0, 1.0):
        raise DataValidationError(
            "campaign",
            "expected treated and control customers to calibrate uplift, found one group",
        )
    y = np.asarray(response, dtype=float)[fit_rows]
    z = y * np.where(treated, 1.0 / share, -1.0 / (1.0 - share))
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip")
    iso.fit(np.asarray(score, dtype=float)[fit_rows], z)
    return np.clip(iso.predict(np.asarray(score, dtype=float)[apply_rows]), -1.0, 1.0)


def offer_uplift(
    features: pd.DataFrame,
    campaign: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    control: str = "control",
    model: str | list[str] = "t_learner",
    base_learner: str = "logistic_regression",
    folds: int = 3,
    calibrate: bool = False,
    seed: int = 42,
) -> tuple[pd.DataFrame, list[str]]:
    """Cross-fitted uplift of every offer for every campaign customer.

    Parameters
    ----------
    features : pandas.DataFrame
        ``customer_features`` of stage 01.
    campaign : pandas.DataFrame
        ``campaign_clean`` of stage 01 (``arm`` column for several offers).
    numeric, categorical : list of str
        Feature columns (outcome and assignment columns are left out).
    control : str
        The control arm's name.
    model : str or list of str
        Stage 05's uplift model, or an ensemble (``"x_learner+s_learner"``,
        see :func:`uplift_models`): every learner is cross-fitted on the same
        folds (and calibrated, with ``calibrate``) and the estimates are
        averaged. Learners err in different places, so the average is
        closer to the true uplift than the single learners, on average.
    base_learner : str
        Stage 05's base classifier name.
    folds : int
        Cross-fitting folds (>= 2). More folds train every model on more
        customers (``1 - 1/folds`` of them) at a proportional cost in time.
    calibrate : bool
        Map each offer's out-of-fold scores to uplift on the response scale
        by :func:`calibrate_uplift`, itself cross-fitted on the same folds
        (each fold calibrated on the other folds' customers of that offer and
        the control group); each learner of an ensemble separately, before
        the average.
    seed : int

    Returns
    -------
    scores : pandas.DataFrame
        One row per campaign customer with features: ``customer_id``, ``arm``,
        ``response`` (and ``spend`` when recorded), ``uplift_<offer>`` per
        offer and ``propensity``.
    offers : list of str
        The offer arms, sorted.
    """
    if not isinstance(folds, int) or folds < 2:
        raise DataValidationError(
            "params campaign_planning.cv_folds", f"expected an integer >= 2, found {folds!r}"
        )
    models = uplift_models(model)
    arm = campaign_arms(campaign, control)
    offers = sorted(a for a in arm.unique() if a != control)
    outcome = campaign[["customer_id", "response"] + (["spend"] if "spend" in campaign else [])]
    outcome = outcome.assign(arm=arm.to_numpy())
    numeric = [c for c in numeric if c not in NOT_FEATURES and c in features.columns]
    categorical = [c for c in categorical if c not in NOT_FEATURES and c in features.columns]
    table = features[["customer_id", *numeric, *categorical]].merge(
        outcome, on="customer_id", how="inner", validate="one_to_one"
    )
    if len(table) == 0:
        raise DataValidationError(
            "campaign",
            "expected campaign customers with features, found none",
            column="customer_id",
        )
    response = table["response"].to_numpy().astype(int)
    arms = table["arm"].to_numpy()
    strata = pd.factorize(pd.Series(arms) + "|" + pd.Series(response).astype(str))[0]
    base = make_base_learner(base_learner, seed)
    uplift = np.full((len(models), len(table), len(offers)), np.nan)
    propensity = np.full(len(table), np.nan)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):
        for train_rows, test_rows in splitter.split(table, strata):
            train, test = table.iloc[train_rows], table.iloc[test_rows]
            encoder = make_feature_encoder(numeric, categorical).fit(train)
            X_train, X_test = encoder.transform(train), encoder.transform(test)
            train_arm = arms[train_rows]
            for column, offer in enumerate(offers):
                rows = np.isin(train_arm, [offer, control])
                treatment = (train_arm[rows] == offer).astype(int)
                for m, name in enumerate(models):
                    fitted = make_uplift_model(name, base).fit(
                        X_train[rows], response[train_rows][rows], treatment
                    )
                    uplift[m, test_rows, column] = fitted.predict_uplift(X_test)
            contacted = train_arm != control
            responder = clone(base).fit(X_train[contacted], response[train_rows][contacted])
            propensity[test_rows] = responder.predict_proba(X_test)[:, 1]
    if calibrate:
        raw = uplift.copy()
        for train_rows, test_rows in splitter.split(table, strata):
            for column, offer in enumerate(offers):
                fit = train_rows[np.isin(arms[train_rows], [offer, control])]
                for m in range(len(models)):
                    uplift[m, test_rows, column] = calibrate_uplift(
                        raw[m, :, column],
                        arms == offer,
                        response,
                        fit_rows=fit,
                        apply_rows=test_rows,
                    )
    uplift = uplift.mean(axis=0)
    scores = table[["customer_id", "arm", "response"] + (["spend"] if "spend" in table else [])]
    scores = scores.copy()
    for column, offer in enumerate(offers):
        scores[f"uplift_{offer}"] = uplift[:, column]
    scores["propensity"] = propensity
    return scores.reset_index(drop=True), offers
