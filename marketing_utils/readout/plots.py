"""Figures of the campaign readout (house style: title, labelled axes with units)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import PALETTE, finish

__all__ = ["calibration_plot", "effect_plot", "mde_plot", "qini_plot"]


def effect_plot(table: pd.DataFrame, title: str, confidence: float = 0.95) -> plt.Figure:
    """Incremental conversion rate per group with its interval (percentage points).

    ``table`` is :func:`marketing_utils.readout.estimates.effect_table` output;
    a ``predicted_uplift`` column, when present, is drawn as a marker.
    """
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.8))
    labels = [str(i) for i in table.index]
    y = np.arange(len(table))[::-1]
    estimate = 100 * table["incremental_rate"].to_numpy()
    low, high = 100 * table["ci_low"].to_numpy(), 100 * table["ci_high"].to_numpy()
    ax.errorbar(estimate, y, xerr=[estimate - low, high - estimate], fmt="o", color=PALETTE[0],
                capsize=3, label=f"measured ({confidence:.0%} interval)")  # fmt: skip
    if "predicted_uplift" in table:
        ax.plot(100 * table["predicted_uplift"], y, "D", color=PALETTE[1], label="predicted uplift")
    ax.axvline(0, color="black", lw=1, ls="--")
    ax.set_yticks(y, labels)
    ax.legend(fontsize=8, loc="best")
    finish(
        ax,
        title,
        "incremental conversion rate, treated - holdout (percentage points)",
        table.index.name or "group",
    )
    fig.tight_layout()
    return fig


def calibration_plot(calibration: pd.DataFrame) -> plt.Figure:
    """Predicted against realized conversion rate of the contacted customers, by decile."""
    fig, ax = plt.subplots(figsize=(6, 5))
    frame = calibration.dropna(subset=["predicted_rate_pct", "observed_rate_pct"])
    ax.scatter(frame["predicted_rate_pct"], frame["observed_rate_pct"], s=12 + frame["customers"] / 20,
               color=PALETTE[0], label="decile (size = customers)")  # fmt: skip
    top = (
        float(max(frame["predicted_rate_pct"].max(), frame["observed_rate_pct"].max(), 1.0)) * 1.05
    )
    ax.plot([0, top], [0, top], color="black", ls="--", lw=1, label="calibrated")
    for _, row in frame.iterrows():
        ax.annotate(str(row["decile"]), (row["predicted_rate_pct"], row["observed_rate_pct"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.legend(fontsize=8)
    finish(ax, "Were the scores calibrated on the live campaign?", "predicted conversion rate (%)",
           "realized conversion rate of the contacted (%)")  # fmt: skip
    fig.tight_layout()
    return fig


def qini_plot(qini: dict, n_customers: int) -> plt.Figure:
    """Qini curve of the deployed ranking on the campaign itself, against random targeting."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = 100 * np.asarray(qini["x"]) / n_customers
    ax.plot(x, qini["qini"], color=PALETTE[0], label=f"ranked by {qini['ranking']}")
    ax.plot([0, 100], [0, qini["qini"][-1]], color="black", ls="--", lw=1, label="random order")
    ax.legend(fontsize=8, loc="best")
    finish(ax, f"Qini curve on the campaign (coefficient {qini['coefficient']:.3f})",
           "deployed customers, best predicted first (%)", "incremental conversions (customers)")  # fmt: skip
    fig.tight_layout()
    return fig


def mde_plot(
    power: pd.DataFrame,
    current_share: float | None = None,
    observed_lift: float | None = None,
    min_effect: float | None = None,
) -> plt.Figure:
    """Minimum detectable lift against holdout share (the planner's chart).

    ``observed_lift`` and ``min_effect`` (the minimum effect of interest the
    next test is sized for) are drawn as horizontal lines, in points.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(100 * power["holdout_share"], 100 * power["mde"], marker="o", color=PALETTE[0],
            label="minimum detectable lift")  # fmt: skip
    if current_share is not None:
        ax.axvline(
            100 * current_share, color=PALETTE[1], ls=":", label="this campaign's holdout share"
        )
    if observed_lift is not None and observed_lift > 0:
        ax.axhline(100 * observed_lift, color=PALETTE[2], ls="--", lw=1, label="lift measured now")
    if min_effect is not None and min_effect > 0:
        ax.axhline(100 * min_effect, color=PALETTE[3], ls="-.", lw=1,
                   label="minimum effect the next test is sized for")  # fmt: skip
    ax.legend(fontsize=8)
    finish(ax, "How small a lift can a test of this size detect?", "holdout share (%)",
           "detectable lift (percentage points)")  # fmt: skip
    fig.tight_layout()
    return fig
