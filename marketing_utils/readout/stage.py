"""Stage 10 end to end: what the campaign really did, and how big the next test must be.

The notebook ``10_campaign_readout`` makes one call, :func:`campaign_readout`,
on an export (the deployed list with its holdout) and the campaign's
outcomes, then walks through the result; every number it shows is computed
here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import qini_coefficient, qini_curve  # stage 05's metrics, through the public namespace
from ..evaluate.classification import calibration_by_group
from .estimates import effect_table
from .export import CampaignExport
from .io import campaign_table
from .join import join_outcomes
from .power import mde_by_holdout_share, minimum_detectable_lift, required_customers

__all__ = ["ReadoutResult", "campaign_readout"]

#: Group columns the readout breaks the effect down by, when the export has them.
BREAKDOWNS = ("decile", "offer", "segment")
_OTHER = "other (small groups)"


@dataclass(frozen=True)
class ReadoutResult:
    """Everything stage 10 computes (see :func:`campaign_readout`)."""

    info: dict
    joined: pd.DataFrame
    ledger: pd.DataFrame
    overall: pd.Series
    breakdowns: dict[str, pd.DataFrame]
    calibration: pd.DataFrame | None
    qini: dict | None
    power: pd.DataFrame
    next_test: dict
    spend: dict
    truth: dict | None = None
    settings: dict = field(default_factory=dict)

    def briefing(self) -> str:
        """The result in a few sentences, for the marketing manager."""
        o, level = self.overall, self.settings["confidence"]
        lines = [
            f"Contacted {int(o['treated']):,} customers and held out {int(o['holdout']):,}: "
            f"{o['treated_rate']:.2%} of the contacted converted against {o['holdout_rate']:.2%} of the holdout.",
            f"Incremental conversion rate {o['incremental_rate']:+.2%} per contact "
            f"({level:.0%} interval {o['ci_low']:+.2%} to {o['ci_high']:+.2%}), "
            f"about {o['incremental_conversions']:,.0f} conversions the campaign added.",
            f"Incremental revenue {o['incremental_revenue_per_contact']:+,.2f} per contact "
            f"({o['revenue_ci_low']:+,.2f} to {o['revenue_ci_high']:+,.2f}); at "
            f"{self.spend['cost_per_contact']:,.2f} per contact the return on spend is "
            f"{self.spend['return_on_spend']:.2f} ({self.spend['return_on_spend_ci'][0]:.2f} to "
            f"{self.spend['return_on_spend_ci'][1]:.2f}) per unit spent.",
        ]
        if o["ci_low"] > 0:
            lines.append("The campaign worked: the whole interval is above zero.")
        elif o["ci_high"] < 0:
            lines.append("The campaign hurt: the whole interval is below zero.")
        else:
            lines.append(
                "The test cannot tell whether the campaign worked: the interval includes zero "
                f"(it could detect about {self.next_test['mde_current']:+.2%} with 80% power)."
            )
        if self.truth is not None:
            covered = "covers" if self.truth["ci_covers_truth"] else "misses"
            lines.append(
                f"Synthetic data: the true effect is {self.truth['incremental_rate']:+.2%}; the interval {covered} it."
            )
        return "\n".join(lines)

    def campaign_table(self) -> pd.DataFrame:
        """The outcomes as a canonical campaign table (see :func:`marketing_utils.readout.io.campaign_table`)."""
        return campaign_table(self.joined)

    def metrics(self) -> dict:
        """Headline metrics, JSON-ready (recorded under ``readout``)."""
        o = self.overall
        counts = dict(zip(self.ledger["line"], self.ledger["count"], strict=True))
        excluded = sum(
            v
            for k, v in counts.items()
            if k.startswith("excluded: outcome") or k == "excluded: no outcome row"
        )
        metrics = {
            "incremental_rate": float(o["incremental_rate"]),
            "ci_low": float(o["ci_low"]),
            "ci_high": float(o["ci_high"]),
            "interval": "stratified newcombe hybrid score (conversion); stratified wald (revenue)",
            "confidence": self.settings["confidence"],
            "treated_rate": float(o["treated_rate"]),
            "holdout_rate": float(o["holdout_rate"]),
            "incremental_conversions": float(o["incremental_conversions"]),
            "incremental_revenue_per_contact": float(o["incremental_revenue_per_contact"]),
            "revenue_ci_low": float(o["revenue_ci_low"]),
            "revenue_ci_high": float(o["revenue_ci_high"]),
            "return_on_spend": self.spend["return_on_spend"],
            "return_on_spend_ci": list(self.spend["return_on_spend_ci"]),
            "n_exported": int(counts["exported"]),
            "n_treated": int(o["treated"]),
            "n_holdout": int(o["holdout"]),
            "n_excluded": int(excluded),
            "outcome_rows_never_exported": int(counts["excluded: customer never exported"]),
            "mde_current_share": self.next_test["mde_current"],
            "holdout_share": self.info.get("holdout_share"),
        }
        if self.qini is not None:
            metrics["qini_coefficient"] = self.qini["coefficient"]
            metrics["qini_ranking"] = self.qini["ranking"]
        if self.truth is not None:
            metrics["true_effect"] = self.truth["incremental_rate"]
            metrics["ci_covers_truth"] = bool(self.truth["ci_covers_truth"])
            if "incremental_revenue_per_contact" in self.truth:
                metrics["true_revenue_per_contact"] = self.truth["incremental_revenue_per_contact"]
        return metrics


def _merge_small(joined: pd.DataFrame, by: str, min_size: int) -> pd.Series:
    labels = joined[by].astype(str).where(joined[by].notna(), "unknown")
    sizes = labels.map(labels.value_counts())
    return labels.where(sizes >= min_size, _OTHER)


def _calibration(joined: pd.DataFrame, min_group_size: int) -> pd.DataFrame | None:
    if "score" not in joined or "decile" not in joined:
        return None
    treated = joined[joined["treatment"] == 1]
    if treated["score"].isna().any() or not treated["score"].between(0, 1).all():
        return None
    table = calibration_by_group(
        treated["converted"], treated["score"], treated["decile"],
        min_group_size=min_group_size, group_name="decile",
    )  # fmt: skip
    return table


def _qini(joined: pd.DataFrame) -> dict | None:
    ranking = next(
        (c for c in ("expected_uplift", "score") if c in joined and joined[c].notna().all()), None
    )
    if ranking is None:
        return None
    y, t, u = (
        joined["converted"].to_numpy(),
        joined["treatment"].to_numpy(),
        joined[ranking].to_numpy(float),
    )
    x, q = qini_curve(y, u, t)
    return {
        "ranking": ranking,
        "x": x,
        "qini": q,
        "coefficient": float(qini_coefficient(y, u, t)),
    }


def campaign_readout(
    export: CampaignExport,
    outcomes: pd.DataFrame,
    *,
    campaign_start: str | pd.Timestamp | None = None,
    missing_outcomes: str = "not_converted",
    cost_per_contact: float = 1.0,
    confidence: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
    target_lift: float | None = None,
    min_group_size: int = 20,
    true_effect: dict | None = None,
    where: str = "outcomes",
) -> ReadoutResult:
    """Read out a campaign: effects with intervals, return on spend, predictions, next test.

    Parameters
    ----------
    export : CampaignExport
        The deployed list (from the export record).
    outcomes : DataFrame
        Canonical outcomes (:func:`marketing_utils.readout.io.check_outcomes`).
    campaign_start, missing_outcomes, where :
        See :func:`marketing_utils.readout.join.join_outcomes`.
    cost_per_contact : float
        Cost of one contact (currency units), for the return on spend.
    confidence : float
        Coverage of the intervals.
    alpha, power : float
        Of the next test's planner.
    target_lift : float, optional
        Lift the next test must detect; default the observed one (if positive).
    min_group_size : int
        Groups smaller than this are merged into "other (small groups)".
    true_effect : dict, optional
        From :func:`marketing_utils.readout.simulate.true_effects` on synthetic data.

    Returns
    -------
    ReadoutResult
    """
    if not cost_per_contact > 0:
        raise ValueError(f"cost_per_contact: expected a cost > 0, found {cost_per_contact!r}")
    joined, ledger = join_outcomes(
        export,
        outcomes,
        campaign_start=campaign_start,
        missing_outcomes=missing_outcomes,
        where=where,
    )
    overall = effect_table(joined, strata="stratum", confidence=confidence).iloc[0]
    breakdowns = {}
    for by in BREAKDOWNS:
        if by in joined and joined[by].notna().any():
            merged = joined.assign(**{by: _merge_small(joined, by, min_group_size)})
            table = effect_table(merged, by, strata="stratum", confidence=confidence)
            if "expected_uplift" in joined:
                table["predicted_uplift"] = merged.groupby(by)["expected_uplift"].mean()
            breakdowns[by] = table
    revenue = (
        overall[["incremental_revenue_per_contact", "revenue_ci_low", "revenue_ci_high"]]
        / cost_per_contact
    )
    spend = {
        "cost_per_contact": float(cost_per_contact),
        "cost": float(cost_per_contact * overall["treated"]),
        "incremental_revenue": float(overall["incremental_revenue"]),
        "return_on_spend": float(revenue.iloc[0]),
        "return_on_spend_ci": (float(revenue.iloc[1]), float(revenue.iloc[2])),
    }
    n = int(overall["customers"])
    share = float(overall["holdout"]) / n
    baseline = float(np.clip(overall["holdout_rate"], 0.001, 0.999))
    lift = target_lift if target_lift is not None else float(overall["incremental_rate"])
    next_test = {
        "baseline_rate": baseline,
        "alpha": alpha,
        "power": power,
        "customers": n,
        "holdout_share": share,
        "mde_current": minimum_detectable_lift(n, share, baseline, alpha=alpha, power=power),
        "target_lift": lift,
        "required": (
            required_customers(baseline, lift, share, alpha=alpha, power=power)
            if 0 < lift < 1 - baseline else None
        ),
    }  # fmt: skip
    truth = None
    if true_effect is not None:
        value = true_effect["incremental_rate"]
        truth = {
            **true_effect,
            "ci_covers_truth": bool(overall["ci_low"] <= value <= overall["ci_high"]),
        }
    return ReadoutResult(
        info=dict(export.info),
        joined=joined,
        ledger=ledger,
        overall=overall,
        breakdowns=breakdowns,
        calibration=_calibration(joined, min_group_size),
        qini=_qini(joined),
        power=mde_by_holdout_share(n, baseline, alpha=alpha, power=power),
        next_test=next_test,
        spend=spend,
        truth=truth,
        settings={
            "confidence": confidence,
            "cost_per_contact": cost_per_contact,
            "min_group_size": min_group_size,
        },
    )
