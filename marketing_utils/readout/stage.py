"""Stage 10 end to end: what the campaign really did, and how big the next test must be.

The notebook ``10_campaign_readout`` makes one call, :func:`campaign_readout`,
on an export (the deployed list with its holdout) and the campaign's
outcomes, then walks through the result; every number it shows is computed
here.

Units: a conversion rate is a share (0.267 = 26.7% of the contacted); an
effect on it, the difference of two rates, is written in **percentage
points** (``+0.205`` = ``+20.50 points``), never in percent, which would read
as a relative change.
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
#: Share of the measured lift the next test is sized to detect when no minimum effect is given.
MIN_EFFECT_SHARE = 0.5
#: The disclaimer every headline of a readout on simulated outcomes starts with.
SIMULATED = (
    "In a simulated readout (outcomes drawn from the synthetic ground truth, not a real campaign)"
)


#: Where the plan's predicted effect lies against the measured interval, and what that says.
_PREDICTION_VERDICTS = {
    "over-estimated": ("above", "the plan over-estimated the effect"),
    "under-estimated": ("below", "the plan under-estimated the effect"),
    "within": ("inside", "the measured effect is consistent with the plan"),
}


def _points(value: float) -> str:
    """An effect on a conversion rate in percentage points, signed: 0.205 -> ``+20.50``."""
    return f"{value * 100:+.2f}"


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
    prediction: dict | None = None

    @property
    def simulated(self) -> bool:
        """Whether the outcomes were simulated from the synthetic ground truth (not a real campaign)."""
        return bool(self.settings.get("simulated", False))

    def spend_text(self) -> str:
        """The return on spend in one sentence, with what break-even is."""
        o, s = self.overall, self.spend
        text = (
            f"Incremental revenue {o['incremental_revenue_per_contact']:+,.2f} per contact "
            f"({o['revenue_ci_low']:+,.2f} to {o['revenue_ci_high']:+,.2f}); at "
            f"{s['cost_per_contact']:,.2f} per contact that is {s['revenue_per_unit_spent']:.2f} of "
            "revenue per unit spent"
        )
        if s["margin"] is not None:
            low, high = s["return_on_spend_ci"]
            return (
                f"{text}; on a {s['margin']:.0%} margin the return on spend is "
                f"{s['return_on_spend']:.2f} ({low:.2f} to {high:.2f}) of margin per unit spent "
                f"(1.0 pays back the contacts, i.e. {s['break_even_revenue_per_unit_spent']:.2f} of "
                "revenue per unit spent)."
            )
        if s["break_even_margin"] is None:
            return (
                f"{text}: revenue, not margin, and no incremental revenue to pay back the contacts."
            )
        return (
            f"{text}: revenue, not margin (no margin given); it pays back the contacts when the "
            f"margin on revenue is above {s['break_even_margin']:.1%} (1 / {s['revenue_per_unit_spent']:.2f})."
        )

    def prediction_text(self) -> str | None:
        """How the plan's predicted effect compares with the measured interval (None: no prediction)."""
        p = self.prediction
        if p is None:
            return None
        level = self.settings["confidence"]
        side, meaning = _PREDICTION_VERDICTS[p["verdict"]]
        bounds = (
            ""
            if p["verdict"] == "within"
            else f" ({_points(p['ci'][0])} to {_points(p['ci'][1])} points)"
        )
        where = f"{side} the {level:.0%} interval{bounds}: {meaning}"
        return f"The plan predicted {_points(p['predicted'])} points per contact ({p['column']}), {where}."

    def next_test_text(self) -> str:
        """What this test detects and how many customers the next one needs, in points."""
        nt = self.next_test
        lines = [
            f"This test ({nt['customers']:,} customers, holdout {nt['holdout_share']:.0%}) detects a lift "
            f"of {_points(nt['mde_current'])} points with {nt['power']:.0%} power over a baseline of "
            f"{nt['baseline_rate']:.2%}."
        ]
        if nt["required"] is not None:
            r = nt["required"]
            lines.append(
                f"To detect {_min_effect_text(nt)} with this holdout share and {nt['power']:.0%} power, "
                f"the next test needs {r['total']:,} customers ({r['treated']:,} contacted, "
                f"{r['holdout']:,} held out)."
            )
        else:
            lines.append(
                "No positive lift was measured and no minimum effect of interest is given: "
                "nothing to size the next test on."
            )
        return "\n".join(lines)

    def briefing(self) -> str:
        """The result in a few sentences, for the marketing manager."""
        o, level = self.overall, self.settings["confidence"]
        lines = [
            f"{SIMULATED}:" if self.simulated else None,
            f"Contacted {int(o['treated']):,} customers and held out {int(o['holdout']):,}: "
            f"{o['treated_rate']:.2%} of the contacted converted against {o['holdout_rate']:.2%} of the holdout.",
            f"Incremental conversion rate {_points(o['incremental_rate'])} points per contact "
            f"({level:.0%} interval {_points(o['ci_low'])} to {_points(o['ci_high'])} points), "
            f"about {o['incremental_conversions']:,.0f} conversions the campaign added.",
            self.spend_text(),
        ]
        lines = [line for line in lines if line is not None]
        if o["ci_low"] > 0:
            lines.append("The campaign worked: the whole interval is above zero.")
        elif o["ci_high"] < 0:
            lines.append("The campaign hurt: the whole interval is below zero.")
        else:
            lines.append(
                "The test cannot tell whether the campaign worked: the interval includes zero "
                f"(it could detect about {_points(self.next_test['mde_current'])} points with "
                f"{self.next_test['power']:.0%} power)."
            )
        if self.prediction is not None:
            lines.append(self.prediction_text())
        if self.truth is not None:
            t = self.truth
            if t["ci_covers_truth"]:
                lines.append(
                    f"Synthetic data: the true effect is {_points(t['incremental_rate'])} points; the interval "
                    f"covers it (the estimate is {t['z_score']:+.2f} standard errors from it)."
                )
            else:
                lines.append(
                    f"Synthetic data: the true effect is {_points(t['incremental_rate'])} points; the interval "
                    "MISSES it: "
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
            "outcomes", "incremental_rate", "ci_low", "ci_high", "margin", "return_on_spend",
            "return_on_spend_ci", "revenue_per_unit_spent", "break_even_margin", "predicted_effect",
            "prediction_vs_interval", "ranking_held", "ranking_difference", "ranking_difference_ci",
            "mde_current_share", "next_test_min_effect", "next_test_customers", "true_effect",
            "ci_covers_truth", "true_effect_z",
        )  # fmt: skip
        summary = {k: metrics[k] for k in keys if metrics.get(k) is not None}
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
            What to do, from the interval and the return on spend. On simulated
            outcomes it starts with :data:`SIMULATED`, so that the report index
            never reads as if a real campaign ran.
        """
        o, spend, nt, level = self.overall, self.spend, self.next_test, self.settings["confidence"]
        comparison = (
            f"{level:.0%} interval {_points(o['ci_low'])} to {_points(o['ci_high'])} points"
        )
        if self.prediction is not None:
            p = self.prediction
            side, meaning = _PREDICTION_VERDICTS[p["verdict"]]
            comparison += (
                f"; the plan predicted {_points(p['predicted'])} points: {side} the interval"
                + ("" if p["verdict"] == "within" else f" ({meaning})")
            )
        if self.truth is not None:
            covered = "covers" if self.truth["ci_covers_truth"] else "misses"
            comparison += (
                f"; synthetic truth {_points(self.truth['incremental_rate'])} points: the interval "
                f"{covered} it ({self.truth['z_score']:+.1f} standard errors)"
            )
        reading = (
            f"{o['treated_rate']:.1%} of the {int(o['treated']):,} contacted converted, "
            f"{o['holdout_rate']:.1%} of the {int(o['holdout']):,} held out"
        )
        figures = [
            {
                "label": "incremental conversion rate",
                "value": float(o["incremental_rate"]),
                "format": "points",
                "reading": f"simulated outcomes (synthetic ground truth, not a real campaign): {reading}"
                if self.simulated
                else reading,
                "comparison": comparison,
            },
            _spend_figure(spend, level),
        ]
        if self.ranking is not None:
            r = self.ranking
            figures.append(
                {
                    "label": "predicted ranking held",
                    "value": r["verdict"],
                    "format": "text",
                    "reading": f"top half by {r['column']}: {_points(r['top'])} points per contact; "
                    f"bottom half: {_points(r['bottom'])} points",
                    "comparison": f"difference {_points(r['difference'])} points ({level:.0%} interval "
                    f"{_points(r['difference_ci'][0])} to {_points(r['difference_ci'][1])}); "
                    f"Qini coefficient {self.qini['coefficient']:.3f} (0 = random)",
                }
            )
        if nt["required"] is not None:
            figures.append(
                {
                    "label": "customers for the next test",
                    "value": int(nt["required"]["total"]),
                    "format": "integer",
                    "reading": f"to detect {_min_effect_text(nt)} with {nt['power']:.0%} power, "
                    f"holdout share {nt['holdout_share']:.0%}",
                    "comparison": f"this test: {nt['customers']:,} customers, detects "
                    f"{_points(nt['mde_current'])} points",
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
                    "comparison": "no positive lift measured and no minimum effect given to size "
                    "the next test on",
                }
            )
        effect = (
            f"the campaign added {_points(o['incremental_rate'])} conversions per 100 contacts "
            f"({level:.0%} interval {_points(o['ci_low'])} to {_points(o['ci_high'])})"
        )
        pays = _pays_back(spend)
        if spend["margin"] is not None:
            low, high = spend["return_on_spend_ci"]
            effect += (
                f", return on spend {spend['return_on_spend']:.2f} on a {spend['margin']:.0%} margin "
                "(1.0 pays back)"
            )
        else:
            effect += (
                f", {spend['revenue_per_unit_spent']:.2f} of revenue per unit spent (not margin)"
            )
        if o["ci_low"] > 0 and pays == "yes":
            action = "Roll it out to the list, keeping a random holdout in every send."
        elif o["ci_low"] > 0 and pays == "no":
            action = (
                f"It raises conversion but does not pay back its contacts (return on spend interval "
                f"{low:.2f} to {high:.2f} on margin): do not roll it out as it is; contact only the "
                "groups whose own interval pays, or cut the cost per contact."
            )
        elif o["ci_low"] > 0 and pays == "not clear":
            action = (
                "It works but may not pay back its contacts (return on spend interval "
                f"{low:.2f} to {high:.2f} on margin): cut the cost per contact or contact only the "
                "groups whose own interval pays before rolling out."
            )
        elif o["ci_low"] > 0:
            action = "It works; whether it pays back depends on the margin, which is not given" + (
                f": roll it out only if the margin on revenue is above {spend['break_even_margin']:.1%}."
                if spend["break_even_margin"] is not None
                else ", and it added no revenue: do not roll it out for revenue."
            )
        elif o["ci_high"] < 0:
            action = "Stop it: the contacts lowered conversion."
        else:
            size = (
                f"{nt['required']['total']:,} customers (to detect {_min_effect_text(nt)})"
                if nt["required"]
                else "a larger list"
            )
            action = f"Do not roll it out yet: rerun it as a test with {size} to tell the effect from zero."
        opening = f"{SIMULATED}: {effect}" if self.simulated else f"{effect[0].upper()}{effect[1:]}"
        decision = f"{opening}. {action}"
        if self.ranking is not None:
            decision += {
                "yes": " The predicted ranking held (the top half gained more): keep targeting by it.",
                "no": " The predicted ranking was reversed (the top half gained less): re-rank by "
                "uplift (05, 09) before the next send.",
                "not clear": " Whether the predicted ranking held is not clear: re-rank by uplift "
                "(05, 09) or test it on a larger list.",
            }[self.ranking["verdict"]]
        p = self.prediction
        if p is not None and p["verdict"] != "within":
            decision += (
                f" {'But the' if self.ranking is not None else 'The'} plan {p['verdict']} the effect: "
                f"it predicted {_points(p['predicted'])} points, "
                f"{_PREDICTION_VERDICTS[p['verdict']][0]} the {level:.0%} interval"
            )
            ratio = p["measured_over_predicted"]
            decision += (
                f"; scale its expected uplift by about {ratio:.2f} (measured / predicted) before "
                "planning on it."
                if ratio is not None and ratio > 0
                else "; re-estimate the uplift (05, 09) before planning on it."
            )
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
            "outcomes": "simulated" if self.simulated else "observed",
            "margin": self.spend["margin"],
            "revenue_per_unit_spent": self.spend["revenue_per_unit_spent"],
            "revenue_per_unit_spent_ci": list(self.spend["revenue_per_unit_spent_ci"]),
            "break_even_margin": self.spend["break_even_margin"],
            "n_exported": int(counts["exported"]),
            "n_treated": int(o["treated"]),
            "n_holdout": int(o["holdout"]),
            "n_excluded": int(excluded),
            "outcome_rows_never_exported": int(counts["excluded: customer never exported"]),
            "mde_current_share": self.next_test["mde_current"],
            "holdout_share": self.info.get("holdout_share"),
            "next_test_min_effect": self.next_test["min_effect"],
            "next_test_min_effect_basis": self.next_test["min_effect_basis"],
        }
        if self.spend["margin"] is not None:
            metrics["return_on_spend"] = self.spend["return_on_spend"]
            metrics["return_on_spend_ci"] = list(self.spend["return_on_spend_ci"])
        if self.next_test["required"] is not None:
            metrics["next_test_customers"] = int(self.next_test["required"]["total"])
        if self.prediction is not None:
            metrics["predicted_effect"] = self.prediction["predicted"]
            metrics["prediction_vs_interval"] = self.prediction["verdict"]
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


def _min_effect_text(next_test: dict) -> str:
    """The effect the next test is sized for, and where it comes from: ``+10.25 points (half ...)``."""
    effect = f"{_points(next_test['min_effect'])} points"
    if next_test["min_effect_basis"] == "given":
        return f"{effect} (the minimum effect of interest given)"
    share = next_test["min_effect_share"]
    part = "half" if share == 0.5 else f"{share:.0%}"
    return f"{effect} ({part} of the {_points(next_test['measured_lift'])} points measured here)"


def _pays_back(spend: dict) -> str:
    """``"yes"``, ``"no"`` or ``"not clear"`` from the margin return on spend; ``"unknown"`` without a margin."""
    if spend["margin"] is None:
        return "unknown"
    low, high = spend["return_on_spend_ci"]
    return "yes" if low > 1 else "no" if high < 1 else "not clear"


def _spend_figure(spend: dict, level: float) -> dict:
    """The headline figure of the return on spend: on margin when the margin is known."""
    ratio, (r_low, r_high) = spend["revenue_per_unit_spent"], spend["revenue_per_unit_spent_ci"]
    per_contact = f"{spend['cost_per_contact']:,.2f} per contact"
    if spend["margin"] is not None:
        low, high = spend["return_on_spend_ci"]
        return {
            "label": "return on spend (on margin)",
            "value": float(spend["return_on_spend"]),
            "format": "ratio",
            "reading": f"incremental margin per unit spent on contacts: {ratio:.2f} of revenue per unit "
            f"spent ({per_contact}) x a {spend['margin']:.0%} margin",
            "comparison": f"{level:.0%} interval {low:.2f} to {high:.2f}; 1.0 pays back the contacts "
            f"(break-even: {spend['break_even_revenue_per_unit_spent']:.2f} of revenue per unit spent)",
        }
    break_even = spend["break_even_margin"]
    return {
        "label": "incremental revenue per unit spent",
        "value": float(ratio),
        "format": "ratio",
        "reading": f"incremental revenue, not margin, per unit spent on contacts ({per_contact}); "
        "no margin given",
        "comparison": f"{level:.0%} interval {r_low:.2f} to {r_high:.2f}; "
        + (
            f"pays back the contacts only when the margin on revenue is above {break_even:.1%} "
            f"(break-even = 1 / margin)"
            if break_even is not None
            else "no incremental revenue: the contacts do not pay back"
        ),
    }


def _prediction(joined: pd.DataFrame, overall: pd.Series) -> dict | None:
    """The plan's predicted effect on the list against the measured interval.

    The prediction is the mean ``expected_uplift`` over the joined customers
    (contacted and held out): the same quantity, the average effect of
    contacting this list, that the stratum-weighted difference estimates.
    ``verdict``: ``"over-estimated"`` when it lies above the interval,
    ``"under-estimated"`` below, ``"within"`` inside. None when the list
    carries no expected uplift (a targeting list ranks by a propensity score,
    which predicts no effect) or the interval is undefined.
    """
    column = "expected_uplift"
    if column not in joined or joined[column].isna().any() or len(joined) == 0:
        return None
    low, high = float(overall["ci_low"]), float(overall["ci_high"])
    if np.isnan(low) or np.isnan(high):
        return None
    predicted = float(joined[column].astype(float).mean())
    measured = float(overall["incremental_rate"])
    verdict = (
        "over-estimated" if predicted > high else "under-estimated" if predicted < low else "within"
    )
    return {
        "column": column,
        "predicted": predicted,
        "measured": measured,
        "ci": (low, high),
        "verdict": verdict,
        "measured_over_predicted": measured / predicted if predicted > 0 else None,
    }


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
    margin: float | None = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
    min_effect: float | None = None,
    min_effect_share: float = MIN_EFFECT_SHARE,
    min_group_size: int = 20,
    true_effect: dict | None = None,
    simulated: bool | None = None,
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
    margin : float, optional
        Share of the incremental revenue that is margin, in (0, 1] (stage
        08's ``margin``). Given, the **return on spend** is the incremental
        margin per unit spent on contacts, ``margin * delta_r / c``, so that
        1.0 pays the contacts back. None: only the incremental revenue per
        unit spent, ``delta_r / c``, is reported; it pays back above
        ``1 / margin``, and the break-even margin ``c / delta_r`` is given.
    confidence : float
        Coverage of the intervals.
    alpha, power : float
        Of the next test's planner.
    min_effect : float, optional
        Minimum effect of interest the next test must detect, as a change of
        the conversion rate (0.02 = +2 points). None: ``min_effect_share`` of
        the lift measured here (no sizing when that is not positive). Sizing
        for the measured lift itself would plan a test too small to see any
        smaller, realistic effect (and half the time too small for the true one).
    min_effect_share : float
        Share of the measured lift used when ``min_effect`` is None
        (:data:`MIN_EFFECT_SHARE`, half).
    min_group_size : int
        Groups smaller than this are merged into "other (small groups)".
    true_effect : dict, optional
        From :func:`marketing_utils.readout.simulate.true_effects` on synthetic data.
    simulated : bool, optional
        Whether the outcomes were simulated from the synthetic ground truth;
        the briefing and the headline then say so. None: simulated when
        ``true_effect`` is given (a real campaign has no ground truth).

    Returns
    -------
    ReadoutResult
    """
    if not cost_per_contact > 0:
        raise ValueError(f"cost_per_contact: expected a cost > 0, found {cost_per_contact!r}")
    if margin is not None and not (
        isinstance(margin, int | float) and not isinstance(margin, bool) and 0 < margin <= 1
    ):
        raise ValueError(
            f"margin: expected the share of revenue that is margin, in (0, 1], or None, found {margin!r}"
        )
    if min_effect is not None and not (
        isinstance(min_effect, int | float)
        and not isinstance(min_effect, bool)
        and 0 < min_effect < 1
    ):
        raise ValueError(
            "min_effect: expected an increase of the conversion rate strictly between 0 and 1 "
            f"(0.02 = +2 points), or None, found {min_effect!r}"
        )
    if not (isinstance(min_effect_share, int | float) and 0 < min_effect_share <= 1):
        raise ValueError(
            f"min_effect_share: expected a share of the measured lift in (0, 1], found {min_effect_share!r}"
        )
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
    ).astype(float)
    ratio, ratio_low, ratio_high = (float(v) for v in revenue)
    spend = {
        "cost_per_contact": float(cost_per_contact),
        "cost": float(cost_per_contact * overall["treated"]),
        "incremental_revenue": float(overall["incremental_revenue"]),
        "margin": None if margin is None else float(margin),
        "revenue_per_unit_spent": ratio,
        "revenue_per_unit_spent_ci": (ratio_low, ratio_high),
        # Margin per unit spent: 1.0 pays back; None without a margin.
        "return_on_spend": None if margin is None else margin * ratio,
        "return_on_spend_ci": None if margin is None else (margin * ratio_low, margin * ratio_high),
        "break_even_revenue_per_unit_spent": None if margin is None else 1 / margin,
        "break_even_margin": 1 / ratio if ratio > 0 else None,
    }
    n = int(overall["customers"])
    share = float(overall["holdout"]) / n
    baseline = float(np.clip(overall["holdout_rate"], 0.001, 0.999))
    # A difference of two equal rates can come out as 1e-17, not 0: no lift to plan for.
    measured = round(float(overall["incremental_rate"]), 12)
    if min_effect is not None:
        effect, basis = float(min_effect), "given"
    elif measured > 0:
        effect, basis = min_effect_share * measured, "share of the measured lift"
    else:
        effect, basis = None, None
    next_test = {
        "baseline_rate": baseline,
        "alpha": alpha,
        "power": power,
        "customers": n,
        "holdout_share": share,
        "mde_current": minimum_detectable_lift(n, share, baseline, alpha=alpha, power=power),
        "measured_lift": measured,
        "min_effect": effect,
        "min_effect_basis": basis,
        "min_effect_share": min_effect_share,
        "required": (
            required_customers(baseline, effect, share, alpha=alpha, power=power)
            if effect is not None and 0 < effect < 1 - baseline else None
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
        prediction=_prediction(joined, overall),
        settings={
            "confidence": confidence,
            "cost_per_contact": cost_per_contact,
            "margin": margin,
            "min_group_size": min_group_size,
            "simulated": bool(true_effect is not None if simulated is None else simulated),
        },
    )
