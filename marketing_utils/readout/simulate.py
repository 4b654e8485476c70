"""Play a deployed campaign forward on synthetic data, from the generator's ground truth.

The synthetic generator knows, for every customer in its campaign
population, the probability of responding without contact
(``p_response_control``) and with it (``p_response_treated``): the truth
artifact of 01. Given an export (who is contacted, who is held out), the
campaign's outcome is drawn from them: each contacted customer converts with
``p_T``, each holdout customer with ``p_C``, independently; a converted
customer spends its own mean order value times a log-normal factor
(``exp(N(0, 0.4^2))``, as the generator's campaign does) on a day drawn
uniformly in the campaign window.

**Which contact.** ``p_T`` is the probability of responding to the contact
the customer was deployed with. A targeting list has one contact: the
generator's campaign (``p_response_treated``, the e-mail). A plan names an
offer per customer; with the two-offer generator (``campaign_offers: 2``) the
truth also has ``p_response_coupon``, and a customer planned for the coupon
converts (in the simulation and in the true effect) with it, not with the
e-mail's probability. An offer is matched to the truth's
``p_response_<offer>`` column, the e-mail (and the only offer of a one-offer
campaign, whatever its name) to ``p_response_treated``; an offer the truth
does not know is an error, never silently the e-mail.

The **true effect** the readout estimates is the average effect of
contacting the deployed customers, ``mean_i (p_T,i - p_C,i)`` over every
exported customer: a sample average treatment effect conditional on the
list (not the population average of the whole customer base, nor the effect
of another offer). It is what the stratum-weighted difference of the treated
and holdout conversion rates estimates when the holdout is drawn at random
within the strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .estimates import stratified_newcombe_interval
from .export import CampaignExport, draw_order

__all__ = [
    "DEFAULT_ARM",
    "REVENUE_SIGMA",
    "coverage_study",
    "export_coverage",
    "simulate_outcomes",
    "true_effects",
]

#: Spread of a converted customer's spend around its mean order value (log scale).
REVENUE_SIGMA = 0.4


#: The offer of the generator's one-offer campaign (``p_response_treated``).
DEFAULT_ARM = "email"


def _arm_columns(truth: pd.DataFrame) -> dict[str, str]:
    """Offers the truth knows a response probability for: ``{offer: column}``."""
    arms = {
        c.removeprefix("p_response_"): c
        for c in truth.columns
        if c.startswith("p_response_") and c not in ("p_response_control", "p_response_treated")
    }
    return {DEFAULT_ARM: "p_response_treated", **arms}


def _truth_for(export: CampaignExport, truth: pd.DataFrame) -> pd.DataFrame:
    """Exported customers with ``p_response_control`` and ``p_response_treated``.

    ``p_response_treated`` is the probability under the contact each customer
    was deployed with (its offer's arm, see the module docstring).
    """
    needed = ["customer_id", "p_response_control", "p_response_treated"]
    missing = [c for c in needed if c not in truth]
    if missing:
        raise DataValidationError("truth", f"expected columns {needed}, missing {missing}")
    arms = _arm_columns(truth)
    columns = list(dict.fromkeys(needed + list(arms.values())))
    table = export.customers[["customer_id", "treatment"]].merge(
        truth[columns], on="customer_id", how="left", validate="one_to_one"
    )
    if "offer" in export.customers and len(arms) > 1:
        # A multi-offer campaign: each customer converts with its own offer's probability.
        offers = export.customers["offer"].astype(str).to_numpy()
        unknown = sorted(set(offers) - set(arms))
        if unknown:
            raise DataValidationError(
                "truth", f"expected a true response probability for every deployed offer (the truth knows "
                f"{sorted(arms)}), found offers {unknown} it does not know",
                column="offer", examples=unknown[:5],
            )  # fmt: skip
        table["p_response_treated"] = np.select(
            [offers == arm for arm in arms], [table[c] for c in arms.values()], np.nan
        )
    table = table[["customer_id", "treatment", "p_response_control", "p_response_treated"]]
    unknown = table["p_response_control"].isna() | table["p_response_treated"].isna()
    if unknown.any():
        raise DataValidationError(
            "truth", f"expected the true response probabilities of every exported customer, found none for "
            f"{int(unknown.sum())} of {len(table)} (customers outside the synthetic campaign population)",
            column="customer_id", examples=table.loc[unknown, "customer_id"].head().tolist(),
        )  # fmt: skip
    return table


def true_effects(
    export: CampaignExport, truth: pd.DataFrame, order_values: pd.Series | None = None
) -> dict:
    """The campaign's true effects on the deployed list.

    Returns
    -------
    dict
        ``incremental_rate`` (mean of ``p_T - p_C`` over the exported
        customers) and, when ``order_values`` (by customer id) are given,
        ``incremental_revenue_per_contact`` (mean of the expected spend
        difference).
    """
    table = _truth_for(export, truth)
    uplift = table["p_response_treated"] - table["p_response_control"]
    effects = {"incremental_rate": float(uplift.mean())}
    if order_values is not None:
        value = _order_values(table["customer_id"], order_values)
        factor = np.exp(REVENUE_SIGMA**2 / 2)
        effects["incremental_revenue_per_contact"] = float((uplift * value * factor).mean())
    return effects


def _order_values(ids: pd.Series, order_values: pd.Series | float) -> np.ndarray:
    if np.isscalar(order_values):
        return np.full(len(ids), float(order_values))
    values = ids.map(order_values).astype(float)
    fallback = float(np.nanmedian(order_values)) if len(order_values) else 1.0
    return values.fillna(fallback).clip(lower=1.0).to_numpy()


def simulate_outcomes(
    export: CampaignExport,
    truth: pd.DataFrame,
    *,
    seed: int,
    campaign_start: str | pd.Timestamp,
    window_days: int = 30,
    order_values: pd.Series | float = 50.0,
) -> pd.DataFrame:
    """Draw the campaign's outcomes from the ground truth.

    Parameters
    ----------
    export : CampaignExport
    truth : DataFrame
        01's ``truth`` artifact (``customer_id``, ``p_response_control``,
        ``p_response_treated``).
    seed : int
    campaign_start : date
    window_days : int
        Conversions fall on one of the ``window_days`` days from the start.
    order_values : Series (by customer id) or float
        Each customer's mean order value (customers without one get the median).

    Returns
    -------
    DataFrame
        An outcomes table: ``customer_id``, ``converted``, ``revenue``,
        ``date`` (NaT for customers who did not convert), one row per
        exported customer.
    """
    table = _truth_for(export, truth)
    rng = np.random.default_rng(int(seed))
    order = draw_order(export.customers)  # _truth_for keeps the export's rows in order

    def drawn(values: np.ndarray) -> np.ndarray:
        """Seeded draws, the i-th going to the i-th customer of the draw order."""
        placed = np.empty_like(values)
        placed[order] = values
        return placed

    treated = table["treatment"].to_numpy() == 1
    p = np.where(treated, table["p_response_treated"], table["p_response_control"])
    converted = drawn(rng.random(len(table))) < p
    factor = np.exp(drawn(rng.normal(0.0, REVENUE_SIGMA, len(table))))
    value = _order_values(table["customer_id"], order_values)
    revenue = np.where(converted, np.maximum(np.round(value * factor, 2), 1.0), 0.0)
    day = drawn(rng.integers(0, int(window_days), len(table)))
    start = pd.Timestamp(campaign_start)
    date = pd.Series(start + pd.to_timedelta(day, unit="D") + pd.Timedelta(hours=12)).where(
        converted
    )
    return pd.DataFrame(
        {
            "customer_id": table["customer_id"].to_numpy(),
            "converted": converted.astype(np.int64),
            "revenue": revenue,
            "date": date.to_numpy(),
        }
    )


def coverage_study(
    p_control: np.ndarray,
    p_treated: np.ndarray,
    strata: np.ndarray,
    *,
    holdout_share: float,
    n_campaigns: int = 400,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict:
    """How often the readout's interval covers the true effect, over simulated campaigns.

    Each campaign draws a new stratified holdout (same rule as
    :func:`holdout_mask`) and new outcomes, and is read out as
    :func:`campaign_readout` does (:func:`stratified_newcombe_interval` over
    the strata); all campaigns are drawn at once
    as arrays (campaigns x customers), so 400 campaigns of a few thousand
    customers take well under a second.

    Returns
    -------
    dict
        ``true_effect``, ``coverage`` (share of intervals containing it),
        ``mean_estimate``, ``mean_width``, ``n_campaigns``, ``below`` and
        ``above`` (intervals entirely below / above the truth).
    """
    p_control, p_treated = np.asarray(p_control, float), np.asarray(p_treated, float)
    _, inverse = np.unique(np.asarray(strata), return_inverse=True)
    counts = np.bincount(inverse)
    wanted = np.floor(holdout_share * counts + 0.5).astype(np.int64)
    n = len(p_control)
    rng = np.random.default_rng(int(seed))
    keys = inverse[None, :] + rng.random((n_campaigns, n))  # stratum first, then a random key
    order = np.argsort(keys, axis=1, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_stratum = inverse[order]
    rank = np.arange(n)[None, :] - starts[sorted_stratum]
    holdout = np.empty_like(order, dtype=bool)
    np.put_along_axis(holdout, order, rank < wanted[sorted_stratum], axis=1)
    p = np.where(holdout, p_control[None, :], p_treated[None, :])
    y = rng.random((n_campaigns, n)) < p
    # Conversions by campaign and stratum; the group sizes are the same in every campaign.
    cell = np.arange(n_campaigns)[:, None] * len(counts) + inverse[None, :]
    shape = (n_campaigns, len(counts))
    x_c = np.bincount(cell[y & holdout], minlength=shape[0] * shape[1]).reshape(shape)
    x_t = np.bincount(cell[y & ~holdout], minlength=shape[0] * shape[1]).reshape(shape)
    n_c = np.broadcast_to(wanted, shape)
    n_t = np.broadcast_to(counts - wanted, shape)
    d, low, high = stratified_newcombe_interval(x_t, n_t, x_c, n_c, confidence)
    truth = float(np.mean(p_treated - p_control))
    return {
        "true_effect": truth,
        "coverage": float(np.mean((low <= truth) & (truth <= high))),
        "below": float(np.mean(high < truth)),
        "above": float(np.mean(low > truth)),
        "mean_estimate": float(np.mean(d)),
        "mean_width": float(np.mean(high - low)),
        "n_campaigns": int(n_campaigns),
    }


def export_coverage(
    export: CampaignExport,
    truth: pd.DataFrame,
    *,
    n_campaigns: int = 400,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict:
    """:func:`coverage_study` on a deployed list: its customers, strata and holdout share.

    Shows how often the readout's interval would cover the truth if this
    campaign were rerun many times (new holdout, new outcomes): one run's
    interval misses it with probability ``1 - confidence``.
    """
    table = _truth_for(export, truth)
    strata = export.customers["stratum"].astype(str).to_numpy()
    return coverage_study(
        table["p_response_control"].to_numpy(),
        table["p_response_treated"].to_numpy(),
        strata,
        holdout_share=float(export.info["holdout_share"]),
        n_campaigns=n_campaigns,
        seed=seed,
        confidence=confidence,
    )
