"""Figures of stage 04: ROC/PR, gains, lift, profit and calibration, in the house style.

scikit-learn draws ROC and precision-recall curves; the marketing charts
(cumulative gains and lift with the random and perfect-model references, the
profit curve) are drawn here from the tables of :mod:`marketing_utils.evaluate.metrics`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from ..plotting import PALETTE, finish

__all__ = [
    "calibration_chart",
    "gains_chart",
    "lift_chart",
    "profit_chart",
    "profit_comparison_chart",
    "roc_pr_chart",
]


def roc_pr_chart(
    y_true, y_score, intervals: pd.DataFrame | None = None, ks: dict | None = None
) -> plt.Figure:
    """ROC curve (with the KS gap marked) and precision-recall curve side by side."""
    y, s = np.asarray(y_true), np.asarray(y_score, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    fpr, tpr, _ = roc_curve(y, s)
    ci = intervals.set_index("metric") if intervals is not None else None

    def label(name: str, short: str) -> str:
        if ci is None or name not in ci.index:
            return "model"
        row = ci.loc[name]
        return f"model ({short} {row['estimate']:.3f}, CI {row['low']:.3f}-{row['high']:.3f})"

    left.plot(fpr, tpr, color=PALETTE[0], label=label("auc", "AUC"))
    left.plot([0, 1], [0, 1], color="grey", ls="--", label="random")
    if ks is not None:
        gap = np.argmax(tpr - fpr)
        left.vlines(
            fpr[gap], fpr[gap], tpr[gap], color=PALETTE[3], lw=2, label=f"KS = {ks['ks']:.3f}"
        )
    left.legend(loc="lower right", fontsize=8)
    finish(
        left,
        "ROC curve (held-out customers)",
        "false positive rate (share of non-responders contacted)",
        "true positive rate (recall)",
    )
    precision, recall, _ = precision_recall_curve(y, s)
    right.step(recall, precision, where="post", color=PALETTE[0], label=label("pr_auc", "AP"))
    right.axhline(y.mean(), color="grey", ls="--", label=f"random (base rate {y.mean():.1%})")
    right.set_ylim(0, 1.02)
    right.legend(loc="lower left", fontsize=8)
    finish(
        right,
        "Precision-recall curve",
        "recall (share of responders reached)",
        "precision (response rate of the contacted)",
    )
    fig.tight_layout()
    return fig


def gains_chart(
    gains: pd.DataFrame,
    base_rate: float,
    rule_gains: pd.DataFrame | None = None,
    rule_label: str = "segment rule",
) -> plt.Figure:
    """Cumulative gains with the random (diagonal) and perfect-model references."""
    fig, ax = plt.subplots(figsize=(7, 5))
    depth = np.linspace(0, 1, 201)
    ax.plot(
        100 * depth,
        100 * np.minimum(depth / base_rate, 1),
        color=PALETTE[2],
        ls=":",
        label="perfect model",
    )
    ax.plot(100 * gains["depth"], 100 * gains["gain"], color=PALETTE[0], lw=2, label="model")
    if rule_gains is not None:
        ax.plot(
            100 * rule_gains["depth"],
            100 * rule_gains["gain"],
            color=PALETTE[1],
            label=rule_label,
        )
    ax.plot([0, 100], [0, 100], color="grey", ls="--", label="random")
    ax.legend(loc="lower right")
    finish(
        ax,
        "Cumulative gains: responders reached by contact depth",
        "customers contacted, best scores first (%)",
        "responders reached (% of all)",
    )
    fig.tight_layout()
    return fig


def lift_chart(
    gains: pd.DataFrame,
    base_rate: float,
    rule_gains: pd.DataFrame | None = None,
    rule_label: str = "segment rule",
) -> plt.Figure:
    """Cumulative lift by depth, with random (1) and perfect-model (1/base rate) references."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    depth = np.linspace(0.01, 1, 200)
    ax.plot(
        100 * depth,
        np.minimum(1 / base_rate, 1 / depth),
        color=PALETTE[2],
        ls=":",
        label="perfect model",
    )
    for curve, name, colour in (
        (gains, "model", PALETTE[0]),
        (rule_gains, rule_label, PALETTE[1]),
    ):
        if curve is None:
            continue
        lift = np.interp(depth, curve["depth"], curve["gain"]) / depth
        ax.plot(100 * depth, lift, color=colour, lw=2 if name == "model" else 1.5, label=name)
    ax.axhline(1, color="grey", ls="--", label="random")
    ax.axvline(10, color="black", lw=0.8, alpha=0.5)
    ax.legend(loc="upper right")
    finish(
        ax,
        "Cumulative lift: response rate of the contacted over the average",
        "customers contacted, best scores first (%)",
        "cumulative lift (x average response)",
    )
    fig.tight_layout()
    return fig


def profit_chart(
    profit: pd.DataFrame,
    *,
    chosen_depth: float,
    best_realized_depth: float | None = None,
    limit_depth: float | None = None,
    currency: str = "currency units",
) -> plt.Figure:
    """Realized profit on the held-out customers by contact depth, with the chosen depth."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(100 * profit["depth"], profit["profit"], color=PALETTE[0], lw=2, label="model ranking")
    everyone = profit["profit"].iloc[-1]
    ax.plot([0, 100], [0, everyone], color="grey", ls="--", label="random ranking (expected)")
    ax.axhline(0, color="black", lw=0.8)
    chosen = np.interp(chosen_depth, profit["depth"], profit["profit"])
    ax.scatter(
        [100 * chosen_depth],
        [chosen],
        color=PALETTE[3],
        zorder=3,
        s=50,
        label=f"chosen: {chosen_depth:.1%} contacted",
    )
    if best_realized_depth is not None:
        ax.axvline(
            100 * best_realized_depth,
            color=PALETTE[3],
            ls=":",
            lw=1,
            label="best depth on these customers (optimistic)",
        )
    if limit_depth is not None:
        ax.axvspan(
            100 * limit_depth,
            100,
            color="#cbd2d9",
            alpha=0.4,
            label="beyond the budget / contact limit",
        )
    ax.legend(loc="best", fontsize=8)
    finish(
        ax,
        "Profit curve on held-out customers",
        "customers contacted, best scores first (%)",
        f"profit ({currency})",
    )
    fig.tight_layout()
    return fig


def calibration_chart(
    deciles: pd.DataFrame, by_segment: pd.DataFrame | None = None, segment_column: str = "segment"
) -> plt.Figure:
    """Predicted against observed response by decile and, if given, by segment."""
    panels = 2 if by_segment is not None and len(by_segment) else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.5), squeeze=False)
    ax = axes[0, 0]
    shown = deciles[deciles["customers"] > 0]
    top = max(100 * shown["mean_score"].max(), shown["response_rate_pct"].max(), 1) * 1.05
    ax.plot([0, top], [0, top], color="grey", ls="--", label="perfectly calibrated")
    ax.plot(
        100 * shown["mean_score"],
        shown["response_rate_pct"],
        marker="o",
        color=PALETTE[0],
        label="deciles",
    )
    ax.legend(loc="upper left")
    finish(ax, "Calibration by score decile", "predicted response (%)", "observed response (%)")
    if panels == 2:
        ax = axes[0, 1]
        table = by_segment.dropna(subset=["predicted_rate_pct"]).sort_values("predicted_rate_pct")
        positions = np.arange(len(table))
        ax.scatter(
            table["predicted_rate_pct"],
            positions,
            marker="|",
            s=200,
            color="grey",
            label="predicted",
        )
        flagged = table["z"].abs() > 2
        ax.scatter(
            table["observed_rate_pct"],
            positions,
            color=np.where(flagged, PALETTE[3], PALETTE[0]),
            zorder=3,
            label="observed (red: |z| > 2)",
        )
        ax.set_yticks(positions, table[segment_column])
        ax.legend(loc="lower right", fontsize=8)
        finish(ax, "Calibration by segment", "response rate (%)", segment_column)
    fig.tight_layout()
    return fig


def profit_comparison_chart(
    profits: dict[str, float], *, title: str, currency: str = "currency units"
) -> plt.Figure:
    """Horizontal bars of profit by targeting approach (e.g. everyone, model, oracle)."""
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(profits) + 1.6))
    names, values = list(profits), list(profits.values())
    ax.barh(names, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
    for y, value in enumerate(values):
        ax.annotate(
            f"{value:,.0f}",
            (value, y),
            va="center",
            fontsize=8,
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax.invert_yaxis()
    finish(ax, title, f"expected profit ({currency})", "targeting")
    fig.tight_layout()
    return fig
