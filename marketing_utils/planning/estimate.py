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
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..errors import DataValidationError
from ..uplift.experiment import NOT_FEATURES
from ..uplift.learners import make_base_learner, make_feature_encoder, make_uplift_model

__all__ = ["SINGLE_OFFER", "campaign_arms", "offer_uplift"]

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


def offer_uplift(
    features: pd.DataFrame,
    campaign: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    control: str = "control",
    model: str = "t_learner",
    base_learner: str = "logistic_regression",
    folds: int = 3,
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
    model, base_learner : str
        Stage 05's uplift model and base classifier names.
    folds : int
        Cross-fitting folds (>= 2).
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
    uplift = np.full((len(table), len(offers)), np.nan)
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
                fitted = make_uplift_model(model, base).fit(
                    X_train[rows], response[train_rows][rows], treatment
                )
                uplift[test_rows, column] = fitted.predict_uplift(X_test)
            contacted = train_arm != control
            responder = clone(base).fit(X_train[contacted], response[train_rows][contacted])
            propensity[test_rows] = responder.predict_proba(X_test)[:, 1]
    scores = table[["customer_id", "arm", "response"] + (["spend"] if "spend" in table else [])]
    scores = scores.copy()
    for column, offer in enumerate(offers):
        scores[f"uplift_{offer}"] = uplift[:, column]
    scores["propensity"] = propensity
    return scores.reset_index(drop=True), offers
