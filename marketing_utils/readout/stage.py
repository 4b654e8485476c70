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
from scipy.stats import norm

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
    ranking: dict | None = None

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
            t = self.truth
            if t["ci_covers_truth"]:
                lines.append(
                    f"Synthetic data: the true effect is {t['incremental_rate']:+.2%}; the interval covers it "
                    f"(the estimate is {t['z_score']:+.2f} standard errors from it)."
                )
            else:
                lines.append(
                    f"Synthetic data: the true effect is {t['incremental_rate']:+.2%}; the interval MISSES it: "
                    f"the estimate is {t['z_score']:+.2f} standard errors from it, which happens by chance in "
                    f"{t['miss_probability']:.1%} of campaigns (a {self.settings['confidence']:.0%} interval "
                    f"misses in {1 - self.settings['confidence']:.0%}). Rerunning this campaign many times "
                    "shows whether the interval is calibrated (section 6)."
                )
        return "\n".join(lines)

    def headline_metrics(self) -> dict:
        """The numbers behind the headline, for the stage's own section of the report index.

        The index shows a stage's metrics under its section name
        (``campaign_readout``); the complete readout metrics stay under
        ``readout`` (the interface other checks read), so only the few numbers
        the headline figures and the decision rest on are repeated here.
        """
        metrics = self.metrics()
        keys = (
            "incremental_rate", "ci_low", "ci_high", "return_on_spend", "return_on_spend_ci",
            "ranking_held", "ranking_difference", "ranking_difference_ci", "mde_current_share",
            "true_effect", "ci_covers_truth", "true_effect_z",
        )  # fmt: skip
        summary = {k: metrics[k] for k in keys if k in metrics}
        required = self.next_test["required"]
        if required is not None:
            summary["next_test_customers"] = int(required["total"])
        return {"complete_metrics": "readout", **summary}

    def headline(self) -> tuple[list[dict], str]:
        """The 2-4 headline figures and the decision sentence for the report index.

        Returns
        -------
        figures : list of dict
            For :meth:`marketing_utils.Artifacts.record_headline`: the
            incremental conversion rate with its interval, the return on
            spend, whether the predicted ranking held (when the list carries
            one) and the customers the next test needs.
        decision : str
            What to do, from the interval and the return on spend.
        """
        o, spend, nt, level = self.overall, self.spend, self.next_test, self.settings["confidence"]
        comparison = (
            f"{level:.0%} interval {o['ci_low'] * 100:+.2f} to {o['ci_high'] * 100:+.2f} points"
        )
        if self.truth is not None:
            covered = "covers" if self.truth["ci_covers_truth"] else "misses"
            comparison += (
                f"; synthetic truth {self.truth['incremental_rate'] * 100:+.2f} points: the interval "
                f"{covered} it ({self.truth['z_score']:+.1f} standard errors)"
            )
        low, high = spend["return_on_spend_ci"]
        figures = [
            {
                "label": "incremental conversion rate",
                "value": float(o["incremental_rate"]),
                "format": "points",
                "reading": f"{o['treated_rate']:.1%} of the {int(o['treated']):,} contacted converted, "
                f"{o['holdout_rate']:.1%} of the {int(o['holdout']):,} held out",
                "comparison": comparison,
            },
            {
                "label": "return on spend",
                "value": float(spend["return_on_spend"]),
                "format": "ratio",
                "reading": f"incremental revenue per unit spent on contacts "
                f"({spend['cost_per_contact']:,.2f} per contact)",
                "comparison": f"{level:.0%} interval {low:.2f} to {high:.2f}; 1.0 pays back the contacts",
            },
        ]
        if self.ranking is not None:
            r = self.ranking
            figures.append(
                {
                    "label": "predicted ranking held",
                    "value": r["verdict"],
                    "format": "text",
                    "reading": f"top half by {r['column']}: {r['top'] * 100:+.2f} points per contact; "
                    f"bottom half: {r['bottom'] * 100:+.2f} points",
                    "comparison": f"difference {r['difference'] * 100:+.2f} points ({level:.0%} interval "
                    f"{r['difference_ci'][0] * 100:+.2f} to {r['difference_ci'][1] * 100:+.2f}); "
                    f"Qini coefficient {self.qini['coefficient']:.3f} (0 = random)",
                }
            )
        if nt["required"] is not None:
            figures.append(
                {
                    "label": "customers for the next test",
                    "value": int(nt["required"]["total"]),
                    "format": "integer",
                    "reading": f"to detect {nt['target_lift'] * 100:+.2f} points with {nt['power']:.0%} power, "
                    f"holdout share {nt['holdout_share']:.0%}",
                    "comparison": f"this test: {nt['customers']:,} customers, detects "
                    f"{nt['mde_current'] * 100:+.2f} points",
                }
            )
        else:
            figures.append(
                {
                    "label": "smallest lift this test detects",
                    "value": float(nt["mde_current"]),
                    "format": "points",
                    "reading": f"{nt['customers']:,} customers, holdout share {nt['holdout_share']:.0%}, "
                    f"{nt['power']:.0%} power",
                    "comparison": "no positive lift measured to size the next test on",
                }
            )
        effect = (
            f"the campaign added {o['incremental_rate'] * 100:+.2f} conversions per 100 contacts "
            f"({level:.0%} interval {o['ci_low'] * 100:+.2f} to {o['ci_high'] * 100:+.2f})"
        )
        if o["ci_low"] > 0 and low > 1:
            action = "Roll it out to the list, keeping a random holdout in every send."
        elif o["ci_low"] > 0 and high < 1:
            action = (
                f"It raises conversion but does not pay back its contacts (return on spend interval "
                f"{low:.2f} to {high:.2f}): do not roll it out as it is; contact only the groups whose "
                "own interval pays, or cut the cost per contact."
            )
        elif o["ci_low"] > 0:
            action = (
                "It works but may not pay back its contacts (return on spend interval "
                f"{low:.2f} to {high:.2f}): cut the cost per contact or contact only the groups "
                "whose own interval pays before rolling out."
            )
        elif o["ci_high"] < 0:
            action = "Stop it: the contacts lowered conversion."
        else:
            size = f"{nt['required']['total']:,} customers" if nt["required"] else "a larger list"
            action = f"Do not roll it out yet: rerun it as a test with {size} to tell the effect from zero."
        decision = f"{effect[0].upper()}{effect[1:]}, return on spend {spend['return_on_spend']:.2f}. {action}"
        if self.ranking is not None:
            decision += {
                "yes": " The predicted ranking held (the top half gained more): keep targeting by it.",
                "no": " The predicted ranking was reversed (the top half gained less): re-rank by "
                "uplift (05, 09) before the next send.",
                "not clear": " Whether the predicted ranking held is not clear: re-rank by uplift "
                "(05, 09) or test it on a larger list.",
            }[self.ranking["verdict"]]
        return figures, decision

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
        if self.ranking is not None:
            r = self.ranking
            metrics["ranking_top_half_incremental_rate"] = r["top"]
            metrics["ranking_bottom_half_incremental_rate"] = r["bottom"]
            metrics["ranking_difference"] = r["difference"]
            metrics["ranking_difference_ci"] = list(r["difference_ci"])
            metrics["ranking_held"] = r["verdict"]
        if self.truth is not None:
            metrics["true_effect"] = self.truth["incremental_rate"]
            metrics["ci_covers_truth"] = bool(self.truth["ci_covers_truth"])
            metrics["true_effect_z"] = self.truth["z_score"]
            metrics["true_effect_miss_probability"] = self.truth["miss_probability"]
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


def _ranking(joined: pd.DataFrame, column: str | None, confidence: float) -> dict | None:
    """Did the predicted ranking hold? The effect in the top half by it against the bottom half.

    Each half's incremental rate and interval come from :func:`effect_table`
    (stratified); the difference of the two independent halves gets a Wald
    interval with each half's standard error read off its interval
    (``(high - low) / (2 z)``). ``verdict``: ``"yes"`` when that interval is
    above zero, ``"no"`` when below, ``"not clear"`` otherwise.
    """
    if column is None or len(joined) < 4:
        return None
    rank = joined[column].rank(method="first", ascending=False)
    half = np.where(rank <= len(joined) / 2, "top", "bottom")
    table = effect_table(
        joined.assign(_half=half), "_half", strata="stratum", confidence=confidence
    )
    if set(table.index) != {"top", "bottom"} or table[["ci_low", "ci_high"]].isna().any().any():
        return None
    z = float(norm.ppf(0.5 + confidence / 2))
    top, bottom = table.loc["top"], table.loc["bottom"]
    se = np.hypot(
        (top["ci_high"] - top["ci_low"]) / (2 * z), (bottom["ci_high"] - bottom["ci_low"]) / (2 * z)
    )
    difference = float(top["incremental_rate"] - bottom["incremental_rate"])
    low, high = difference - z * se, difference + z * se
    return {
        "column": column,
        "top": float(top["incremental_rate"]),
        "top_ci": (float(top["ci_low"]), float(top["ci_high"])),
        "bottom": float(bottom["incremental_rate"]),
        "bottom_ci": (float(bottom["ci_low"]), float(bottom["ci_high"])),
        "difference": difference,
        "difference_ci": (float(low), float(high)),
        "verdict": "yes" if low > 0 else "no" if high < 0 else "not clear",
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
    # A difference of two equal rates can come out as 1e-17, not 0: no lift to plan for.
    lift = target_lift if target_lift is not None else round(float(overall["incremental_rate"]), 12)
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
        estimate = float(overall["incremental_rate"])
        # Standard error from the side of the (asymmetric) interval that faces the truth.
        z = float(norm.ppf(0.5 + confidence / 2))
        side = overall["ci_high"] - estimate if value > estimate else estimate - overall["ci_low"]
        z_score = (estimate - value) / (side / z) if side > 0 else 0.0
        truth = {
            **true_effect,
            "ci_covers_truth": bool(overall["ci_low"] <= value <= overall["ci_high"]),
            "z_score": float(z_score),
            "miss_probability": float(2 * norm.sf(abs(z_score))),
        }
    qini = _qini(joined)
    return ReadoutResult(
        info=dict(export.info),
        joined=joined,
        ledger=ledger,
        overall=overall,
        breakdowns=breakdowns,
        calibration=_calibration(joined, min_group_size),
        qini=qini,
        power=mde_by_holdout_share(n, baseline, alpha=alpha, power=power),
        next_test=next_test,
        spend=spend,
        truth=truth,
        ranking=_ranking(joined, qini["ranking"] if qini else None, confidence),
        settings={
            "confidence": confidence,
            "cost_per_contact": cost_per_contact,
            "min_group_size": min_group_size,
        },
    )
