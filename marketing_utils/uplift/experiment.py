"""Checks of a randomized campaign before any uplift model: arms, sizes, balance, effect.

An uplift model is only as good as the experiment behind it. Before modelling:

* choose the comparison (one e-mail arm against the control group);
* count treated and control customers;
* check that randomization balanced the customers' features: the standardized
  mean difference of each feature between the groups,

  .. math:: \\mathrm{SMD} = \\frac{\\bar x_T - \\bar x_C}{\\sqrt{(s_T^2 + s_C^2)/2}},

  should stay below 0.1 in absolute value (Austin 2009);
* estimate the average treatment effect (ATE) as a difference in means with a
  normal-approximation confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import DataValidationError

__all__ = [
    "NOT_FEATURES",
    "arm_effects",
    "average_treatment_effect",
    "covariate_balance",
    "group_sizes",
    "select_arm",
    "uplift_table",
]


def select_arm(campaign: pd.DataFrame, arm: str = "womens", *, control: str = "control"):
    """Keep one treatment arm and the control group of a multi-arm campaign.

    Parameters
    ----------
    campaign : pandas.DataFrame
        The campaign table; multi-arm campaigns (Hillstrom) have an ``arm``
        column naming each customer's arm.
    arm : str, default "womens"
        The arm compared with the control group; its customers get
        ``treatment = 1``. ``"any"`` keeps every arm (treated = any contact).
    control : str, default "control"
        The ``arm`` value of the control group.

    Returns
    -------
    pandas.DataFrame
        A new table. A campaign without an ``arm`` column has a single
        treatment and is returned unchanged (``arm`` is then ignored).

    Raises
    ------
    DataValidationError
        If ``arm`` or ``control`` is not one of the campaign's arms.
    """
    if "arm" not in campaign.columns or arm == "any":
        return campaign.copy()
    arms = sorted(campaign["arm"].dropna().unique().tolist())
    for name, value in (("arm", arm), ("control", control)):
        if value not in arms:
            raise DataValidationError(
                "campaign",
                f"parameter {name!r}: expected one of the campaign's arms {arms} (or 'any' for "
                f"arm), found {value!r}",
                column="arm",
            )
    if arm == control:
        raise DataValidationError(
            "campaign", f"expected an arm different from the control arm {control!r}", column="arm"
        )
    kept = campaign[campaign["arm"].isin([arm, control])]
    return kept.assign(treatment=(kept["arm"] == arm).astype(np.int64)).reset_index(drop=True)


def group_sizes(treatment) -> dict[str, float]:
    """Treated and control counts and the treated share.

    Examples
    --------
    >>> group_sizes([1, 0, 1, 1])
    {'n_treated': 3, 'n_control': 1, 'treated_share': 0.75}
    """
    values = np.asarray(treatment)
    n_treated = int((values == 1).sum())
    return {
        "n_treated": n_treated,
        "n_control": int((values == 0).sum()),
        "treated_share": n_treated / len(values) if len(values) else float("nan"),
    }


def _smd(treated: np.ndarray, control: np.ndarray) -> float:
    difference = treated.mean() - control.mean()
    pooled = np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if difference == 0 else float(np.sign(difference) * np.inf)
    return float(difference / pooled)


def covariate_balance(
    table: pd.DataFrame,
    treatment: str = "treatment",
    *,
    numeric: list[str],
    categorical: list[str] = (),
    threshold: float = 0.1,
) -> pd.DataFrame:
    """Standardized mean difference of each feature between treated and control.

    Numeric features are compared on their non-missing values; each level of
    a categorical feature is compared as a 0/1 indicator (missing values as
    their own level ``"(missing)"``). Sample variances use ``ddof=1``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per customer with the treatment column and the features.
    treatment : str, default "treatment"
        The 0/1 treatment column.
    numeric, categorical : list of str
        Features to compare.
    threshold : float, default 0.1
        ``|SMD|`` above it is flagged as an imbalance.

    Returns
    -------
    pandas.DataFrame
        ``feature`` (``"column"`` or ``"column=level"``), ``mean_treated``,
        ``mean_control``, ``smd`` and ``imbalanced``, sorted by ``|smd|``
        (largest first).
    """
    missing = [c for c in [treatment, *numeric, *categorical] if c not in table.columns]
    if missing:
        raise DataValidationError(
            "covariate_balance",
            f"expected columns {missing} in the table, found {list(table.columns)[:10]}",
        )
    groups = table[treatment].to_numpy()
    if set(np.unique(groups).tolist()) != {0, 1}:
        raise DataValidationError(
            "covariate_balance",
            "expected both treated (1) and control (0) customers and no other values",
            column=treatment,
            examples=sorted(np.unique(groups).tolist())[:5],
        )
    rows = []
    for column in numeric:
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        present = ~np.isnan(values)
        treated, control = values[present & (groups == 1)], values[present & (groups == 0)]
        if len(treated) < 2 or len(control) < 2:
            continue
        rows.append((column, treated.mean(), control.mean(), _smd(treated, control)))
    for column in categorical:
        levels = table[column].astype("object").where(table[column].notna(), "(missing)")
        for level in sorted(levels.unique().tolist(), key=str):
            indicator = (levels == level).to_numpy(dtype=float)
            treated, control = indicator[groups == 1], indicator[groups == 0]
            rows.append(
                (f"{column}={level}", treated.mean(), control.mean(), _smd(treated, control))
            )
    result = pd.DataFrame(rows, columns=["feature", "mean_treated", "mean_control", "smd"])
    result["imbalanced"] = result["smd"].abs() > threshold
    order = result["smd"].abs().sort_values(ascending=False, kind="stable").index
    return result.loc[order].reset_index(drop=True)


def average_treatment_effect(outcome, treatment, *, confidence: float = 0.95) -> dict[str, float]:
    """Difference in mean outcome between treated and control, with a confidence interval.

    .. math:: \\widehat{ATE} = \\bar y_T - \\bar y_C, \\qquad
              SE = \\sqrt{s_T^2 / n_T + s_C^2 / n_C}

    and the interval ``ATE ± z SE`` (normal approximation, ``ddof=1``
    variances), valid for a randomized campaign of reasonable size.

    Returns
    -------
    dict
        ``ate``, ``se``, ``ci_low``, ``ci_high``, ``mean_treated``,
        ``mean_control``, ``n_treated``, ``n_control`` and ``relative_lift``
        (``ate / mean_control``, ``nan`` when the control mean is 0).

    Examples
    --------
    >>> effect = average_treatment_effect([1, 1, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0])
    >>> round(effect["ate"], 4), round(effect["se"], 4)
    (0.3333, 0.4714)
    """
    y = np.asarray(outcome, dtype=float)
    t = np.asarray(treatment)
    if len(y) != len(t):
        raise DataValidationError(
            "average_treatment_effect",
            f"expected outcome and treatment of equal length, found {len(y)} and {len(t)}",
        )
    if not np.isfinite(y).all():
        raise DataValidationError(
            "average_treatment_effect",
            f"parameter 'outcome': expected finite numbers, found {int((~np.isfinite(y)).sum())} "
            "missing or infinite",
        )
    if not 0 < confidence < 1:
        raise DataValidationError(
            "average_treatment_effect",
            f"parameter 'confidence': expected a number in (0, 1), found {confidence!r}",
        )
    treated, control = y[t == 1], y[t == 0]
    if len(treated) < 2 or len(control) < 2:
        raise DataValidationError(
            "average_treatment_effect",
            "expected at least 2 treated and 2 control customers, found "
            f"{len(treated)} and {len(control)}",
        )
    ate = treated.mean() - control.mean()
    se = float(np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control)))
    z = float(norm.ppf(0.5 + confidence / 2))
    return {
        "ate": float(ate),
        "se": se,
        "ci_low": float(ate - z * se),
        "ci_high": float(ate + z * se),
        "mean_treated": float(treated.mean()),
        "mean_control": float(control.mean()),
        "n_treated": int(len(treated)),
        "n_control": int(len(control)),
        "relative_lift": float(ate / control.mean()) if control.mean() != 0 else float("nan"),
    }


def arm_effects(
    campaign: pd.DataFrame,
    outcome: str = "response",
    *,
    control: str = "control",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Average effect of each arm against the control group.

    Parameters
    ----------
    campaign : pandas.DataFrame
        With ``treatment``, the outcome column and, for multi-arm campaigns,
        ``arm``. Without ``arm`` the single treatment is compared with control.
    outcome : str, default "response"
    control : str, default "control"
        The ``arm`` value of the control group.

    Returns
    -------
    pandas.DataFrame
        One row per arm: ``arm`` and the fields of :func:`average_treatment_effect`.
    """
    if outcome not in campaign.columns:
        raise DataValidationError(
            "campaign", f"expected the outcome column {outcome!r}", column=outcome
        )
    if "arm" not in campaign.columns:
        arms = {"treatment": campaign}
    else:
        names = [a for a in sorted(campaign["arm"].dropna().unique()) if a != control]
        arms = {name: select_arm(campaign, name, control=control) for name in names}
    rows = [
        {
            "arm": name,
            **average_treatment_effect(table[outcome], table["treatment"], confidence=confidence),
        }
        for name, table in arms.items()
    ]
    return pd.DataFrame(rows)


#: Campaign columns that are outcomes or the assignment itself: never features.
NOT_FEATURES = ("treatment", "response", "spend", "visit", "conversion", "arm", "label")


def uplift_table(
    features: pd.DataFrame, campaign: pd.DataFrame, truth: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, int]:
    """Join customer features with the campaign (and the synthetic truth).

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer (``customer_features`` of stage 01).
    campaign : pandas.DataFrame
        ``customer_id``, ``treatment``, ``response`` and optionally ``spend``.
    truth : pandas.DataFrame, optional
        ``customer_id``, ``true_uplift`` and ``uplift_type`` (synthetic data).

    Returns
    -------
    table : pandas.DataFrame
        One row per campaign customer with features, in the order of
        ``features``. Stage 01 orders customers by their original id, so this
        order, and every seeded split made on it, does not depend on the
        pseudonymization key (sorting by pseudonym would).
    n_without_features : int
        Campaign customers without a feature row (left out, and reported).
    """
    for name, frame, needed in (
        ("customer_features", features, ["customer_id"]),
        ("campaign", campaign, ["customer_id", "treatment", "response"]),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataValidationError(
                name, f"expected columns {needed}, missing {missing}", column=missing[0]
            )
    duplicated = campaign["customer_id"].duplicated()
    if duplicated.any():
        raise DataValidationError(
            "campaign",
            f"expected one row per customer, found {int(duplicated.sum())} repeated ids",
            column="customer_id",
            examples=campaign.loc[duplicated, "customer_id"].head().tolist(),
        )
    outcome_columns = [c for c in campaign.columns if c in NOT_FEATURES or c == "customer_id"]
    feature_columns = [c for c in features.columns if c not in NOT_FEATURES]
    table = features[feature_columns].merge(
        campaign[outcome_columns], on="customer_id", how="inner", validate="one_to_one"
    )
    if truth is not None:
        table = table.merge(
            truth[["customer_id", "true_uplift", "uplift_type"]],
            on="customer_id",
            how="left",
            validate="one_to_one",
        )
    return table.reset_index(drop=True), int(len(campaign) - len(table))
