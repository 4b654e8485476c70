"""Stage 04 end to end: evaluate the held-out scores and decide whom to contact.

The notebook ``04_evaluation`` makes one call, :func:`evaluate_targeting`, on
the frame :func:`marketing_utils.evaluate.inputs.evaluation_frame` builds from
the artifacts of 01-03, then
walks through the result; every number it shows is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .baselines import compare_targeting
from .classification import calibration_by_group, classification_metrics, confusion_table
from .economics import (
    CampaignEconomics,
    TargetingRule,
    best_depth,
    choose_targeting,
    expected_profit,
    oracle_profit,
    profit_curve,
    realized_profit,
    threshold_tuning_check,
)
from .metrics import (
    RANKING_METRICS,
    assign_deciles,
    bootstrap_metrics,
    check_scores,
    decile_table,
    gains_curve,
    ks_statistic,
)

__all__ = [
    "TargetingEvaluation",
    "evaluate_targeting",
    "targeting_list",
    "write_targeting_list",
]


@dataclass(frozen=True)
class TargetingEvaluation:
    """Everything stage 04 computes on the held-out customers (see :func:`evaluate_targeting`)."""

    economics: CampaignEconomics
    rule: TargetingRule
    test: pd.DataFrame
    n_customers: int
    segment_source: str
    deciles: pd.DataFrame
    gains: pd.DataFrame
    intervals: pd.DataFrame
    ks: dict
    comparison: pd.DataFrame
    profit: pd.DataFrame
    decision: dict
    everyone: dict
    best_realized: dict
    tuning_check: dict
    classification: dict
    confusion: pd.DataFrame
    calibration: pd.DataFrame
    oracle: dict | None = None
    rule_gains: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def briefing(self) -> str:
        """The decision in a few sentences, for the marketing manager."""
        ci = self.intervals.set_index("metric").loc["profit"]
        model = self.comparison.set_index("approach")
        share = self.decision["depth"]
        lines = [
            f"Contact {self.decision['contacts']:,} of {len(self.test):,} held-out customers "
            f"({share:.1%}): those with a score of at least {self.rule.threshold:.3f}"
            + (" (within the contact limit)." if self.rule.max_share is not None else "."),
            f"Profit on these held-out customers: {self.decision['profit']:,.0f} "
            f"({self.info.get('confidence', 0.95):.0%} interval {ci['low']:,.0f} to {ci['high']:,.0f}), "
            f"spending {self.decision['cost']:,.0f} for an ROI of {self.decision['roi']:.2f}.",
            f"Contacting everyone would earn {self.everyone['profit']:,.0f}; contacting nobody 0.",
            f"The top 10% by score respond {model.loc['model', 'top_decile_lift']:.2f}x as often as average"
            + (
                f" (the segment rule: {model.loc['rule', 'top_decile_lift']:.2f}x)."
                if "rule" in model.index
                else "."
            ),
        ]
        if self.oracle is not None:
            lines.append(
                f"With the true propensities, this targeting earns {self.oracle['share_of_oracle']:.1%} "
                "of what a perfect-knowledge oracle would."
            )
        return "\n".join(lines)

    def money_table(self) -> pd.DataFrame:
        """Contacts, cost, revenue, profit and ROI of the choice and its alternatives (held-out)."""
        cost_per_contact = self.economics.cost_per_contact
        best = self.best_realized
        best_cost = cost_per_contact * best["contacts"]
        rows = {
            "chosen targeting": self.decision,
            "contact everyone": self.everyone,
            "contact nobody": {"contacts": 0, "cost": 0.0, "revenue": 0.0, "profit": 0.0},
            "best depth on these customers (optimistic)": {
                "contacts": best["contacts"],
                "cost": best_cost,
                "revenue": best["profit"] + best_cost,
                "profit": best["profit"],
            },
        }
        table = pd.DataFrame(
            [
                {k: row[k] for k in ("contacts", "cost", "revenue", "profit")}
                for row in rows.values()
            ],
            index=pd.Index(list(rows), name="targeting"),
        )
        return table.assign(
            depth_pct=100 * table["contacts"] / len(self.test),
            roi=table["profit"] / table["cost"].where(table["cost"] > 0),
        )

    def decision_record(self) -> dict:
        """The targeting decision as saved for later stages and the campaign team."""
        return {
            "threshold": self.rule.threshold,
            "max_share": self.rule.max_share,
            "threshold_rule": self.rule.rule,
            "cost_per_contact": self.economics.cost_per_contact,
            "value_per_conversion": self.economics.value_per_conversion,
            "budget": self.economics.budget,
            "max_contacts": self.economics.max_contacts,
            "held_out": {k: self.decision[k] for k in ("contacts", "depth", "profit", "roi")},
        }

    def metrics(self) -> dict:
        """Headline metrics (JSON-ready, deterministic for a seed).

        Keys sort so that the report index's first rows are the headline
        lift and profit figures; the rest sits under ``validation`` and
        ``with_threshold``.
        """
        ci = self.intervals.set_index("metric")
        model = self.comparison.set_index("approach")

        def interval(name: str) -> list[float]:
            return [float(ci.loc[name, "low"]), float(ci.loc[name, "high"])]

        metrics = {
            "auc": float(ci.loc["auc", "estimate"]),
            "auc_ci": interval("auc"),
            "pr_auc": float(ci.loc["pr_auc", "estimate"]),
            "pr_auc_ci": interval("pr_auc"),
            "top_decile_lift": float(ci.loc["top_decile_lift", "estimate"]),
            "top_decile_lift_ci": interval("top_decile_lift"),
            "ks": self.ks["ks"],
            "best_depth": self.decision["depth"],
            "threshold": self.rule.threshold,
            "expected_profit": self.decision["profit"],
            "expected_profit_ci": interval("profit"),
            "roi": self.decision["roi"],
            "profit_vs_everyone": self.decision["profit"] - self.everyone["profit"],
            "validation": {
                "n_test": len(self.test),
                "base_rate": float(self.test["label"].mean()),
                "threshold_rule": self.rule.rule,
                "everyone_profit": self.everyone["profit"],
                "best_realized_depth": self.best_realized["depth"],
                "best_realized_profit": self.best_realized["profit"],
                "sklearn_tuning_agrees": self.tuning_check["agree"],
                "segments": self.segment_source,
                "projected_profit_all_customers": self.decision["profit"]
                * self.n_customers
                / len(self.test),
            },
            "with_threshold": {
                k: self.classification[k] for k in ("accuracy", "precision", "recall", "f1")
            }
            | {"contacts": self.decision["contacts"]},
        }
        if "rule" in model.index:
            metrics["top_decile_lift_rule"] = float(model.loc["rule", "top_decile_lift"])
        if self.oracle is not None:
            metrics["profit_share_of_oracle"] = self.oracle["share_of_oracle"]
            metrics["validation"]["oracle_expected_profit"] = self.oracle["oracle_profit"]
            metrics["validation"]["true_expected_profit"] = self.oracle["targeting_profit"]
        return metrics


def evaluate_targeting(
    frame: pd.DataFrame,
    economics: CampaignEconomics,
    *,
    threshold_rule: str = "break_even",
    n_bins: int = 10,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 42,
    min_group_size: int = 20,
    segment_source: str = "",
) -> TargetingEvaluation:
    """Evaluate the held-out scores, compare with the baselines and choose the targeting.

    Parameters
    ----------
    frame : DataFrame
        From :func:`evaluation_frame`; only ``split == "test"`` rows are evaluated,
        the others count for the size of the list the contact limit applies to.
    economics : CampaignEconomics
    threshold_rule : {"break_even", "max_realized"}
        See :func:`marketing_utils.evaluate.economics.choose_targeting`.
    n_bins : int
        Groups of the decile table.
    n_bootstrap, confidence, seed :
        Bootstrap intervals (see :func:`marketing_utils.evaluate.metrics.bootstrap_metrics`).
    min_group_size : int
        Smallest segment shown in the calibration table.
    segment_source : str
        Where the segments came from (shown in the notebook).

    Returns
    -------
    TargetingEvaluation
    """
    test = frame[frame["split"] == "test"].reset_index(drop=True)
    y, s = check_scores(test["label"], test["score"], "scores (test split)")
    rule = choose_targeting(s, economics, rule=threshold_rule, y_true=y, n_customers=len(frame))
    selected = rule.select(s, test["customer_id"])
    test = test.assign(decile=assign_deciles(s, n_bins), selected=selected)
    cap = None if rule.max_share is None else int(np.floor(rule.max_share * len(test) + 1e-9))
    decision = realized_profit(y, selected, economics)
    decision["depth"] = decision["contacts"] / len(test)
    # "Everyone" ignores the contact limit: it is the do-not-think alternative.
    contact_all = np.ones(len(test), dtype=bool)
    everyone = realized_profit(y, contact_all, economics)

    def profit_of_rule(labels: np.ndarray, values: np.ndarray) -> float:
        chosen = rule.select(values)
        return economics.value_per_conversion * float(
            labels[chosen].sum()
        ) - economics.cost_per_contact * float(chosen.sum())

    intervals = bootstrap_metrics(
        y,
        s,
        {
            **{k: RANKING_METRICS[k] for k in ("auc", "pr_auc", "top_decile_lift")},
            "profit": profit_of_rule,
        },
        n_boot=n_bootstrap,
        confidence=confidence,
        seed=seed,
    )
    approaches = {"model": s}
    rule_gains = None
    if test["rule_score"].notna().all() and test["segment"].nunique() > 1:
        approaches["rule"] = test["rule_score"].to_numpy()
        rule_gains = gains_curve(y, approaches["rule"])
    oracle = None
    if "true_probability" in test and test["true_probability"].notna().all():
        truth = test["true_probability"].to_numpy()
        best = oracle_profit(truth, economics, cap)
        achieved = expected_profit(truth, selected, economics)
        oracle = {
            "oracle_profit": best,
            "targeting_profit": achieved,
            "everyone_profit": expected_profit(truth, contact_all, economics),
            "share_of_oracle": achieved / best if best > 0 else float("nan"),
            "oracle_contacts": int(
                min(
                    len(truth) if cap is None else cap,
                    np.sum(economics.value_per_conversion * truth > economics.cost_per_contact),
                )
            ),
        }
    return TargetingEvaluation(
        economics=economics,
        rule=rule,
        test=test,
        n_customers=len(frame),
        segment_source=segment_source,
        deciles=decile_table(y, s, n_bins),
        gains=gains_curve(y, s),
        intervals=intervals,
        ks=ks_statistic(y, s),
        comparison=compare_targeting(y, approaches, economics, max_contacts=cap),
        profit=profit_curve(y, s, economics),
        decision=decision,
        everyone=everyone,
        best_realized=best_depth(profit_curve(y, s, economics), cap),
        tuning_check=threshold_tuning_check(y, s, economics),
        classification=classification_metrics(y, selected),
        confusion=confusion_table(y, selected),
        calibration=calibration_by_group(y, s, test["segment"], min_group_size=min_group_size),
        oracle=oracle,
        rule_gains=rule_gains,
        info={"confidence": confidence, "n_bins": n_bins},
    )


def targeting_list(frame: pd.DataFrame, rule: TargetingRule, n_bins: int = 10) -> pd.DataFrame:
    """The list to hand to the campaign team: every scored customer, best first.

    Returns
    -------
    DataFrame
        ``customer_id`` (pseudonymized), ``score``, ``decile`` (among all
        customers, 1 = best), ``segment`` and ``selected`` (within the chosen
        threshold and contact limit), sorted by score then id.
    """
    ordered = frame.sort_values(["score", "customer_id"], ascending=[False, True], kind="stable")
    ordered = ordered.reset_index(drop=True)
    return pd.DataFrame(
        {
            "customer_id": ordered["customer_id"],
            "score": ordered["score"],
            "decile": assign_deciles(ordered["score"], n_bins),
            "segment": ordered["segment"],
            "selected": rule.select(ordered["score"], ordered["customer_id"]),
        }
    )


def write_targeting_list(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the targeting list as CSV (UTF-8, no index), creating the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.6f")
    return path
