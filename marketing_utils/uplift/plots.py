"""Figures of stage 05 (campaign uplift), in the house style of :mod:`marketing_utils.plotting`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import PALETTE, finish
from .metrics import perfect_qini_curve, perfect_uplift_curve, qini_curve, uplift_curve

__all__ = [
    "arm_effects_plot",
    "balance_plot",
    "decile_plot",
    "gain_curves_plot",
    "policy_plot",
    "uplift_by_type_plot",
]


def arm_effects_plot(arms: pd.DataFrame, outcome: str = "response") -> plt.Figure:
    """Average effect of each arm against control, with its 95% interval (percentage points)."""
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.6 * len(arms)))
    positions = np.arange(len(arms))
    ate = arms["ate"].to_numpy() * 100
    errors = np.vstack([ate - arms["ci_low"] * 100, arms["ci_high"] * 100 - ate])
    ax.errorbar(ate, positions, xerr=errors, fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(positions, arms["arm"])
    ax.set_ylim(-0.6, len(arms) - 0.4)
    finish(
        ax,
        f"Average treatment effect on {outcome} (95% interval)",
        f"{outcome} rate, treated minus control (percentage points)",
        "arm",
    )
    fig.tight_layout()
    return fig


def balance_plot(balance: pd.DataFrame, threshold: float = 0.1, top: int = 20) -> plt.Figure:
    """Standardized mean differences of the features (the ``top`` largest), with the threshold."""
    shown = balance.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.28 * len(shown)))
    colours = [PALETTE[3] if flag else PALETTE[0] for flag in shown["imbalanced"]]
    ax.scatter(shown["smd"], np.arange(len(shown)), color=colours, zorder=3)
    for edge in (-threshold, threshold):
        ax.axvline(edge, color=PALETTE[3], ls="--", lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(shown)), shown["feature"], fontsize=8)
    limit = max(threshold * 1.5, float(np.nanmax(np.abs(shown["smd"].replace(np.inf, 0)))) * 1.1)
    ax.set_xlim(-limit, limit)
    finish(
        ax,
        "Covariate balance: treated against control",
        "standardized mean difference (pooled SD units)",
        "feature",
    )
    fig.tight_layout()
    return fig


def gain_curves_plot(
    y_true, treatment, predictions: dict[str, np.ndarray], kind: str = "qini"
) -> plt.Figure:
    """Qini (or uplift) curves of several models, with the perfect and random references.

    Parameters
    ----------
    y_true, treatment : array-like of 0/1
    predictions : dict
        Model name → predicted uplift on the same customers.
    kind : {"qini", "uplift"}
    """
    curve, perfect = {
        "qini": (qini_curve, perfect_qini_curve),
        "uplift": (uplift_curve, perfect_uplift_curve),
    }[kind]
    n = len(np.asarray(y_true))
    fig, ax = plt.subplots(figsize=(8, 4.8))
    low, high = 0.0, 0.0
    for index, (name, uplift) in enumerate(predictions.items()):
        x, values = curve(y_true, uplift, treatment)
        ax.plot(x / n * 100, values, color=PALETTE[index % len(PALETTE)], label=name)
        low, high = min(low, values.min()), max(high, values.max())
    x, values = perfect(y_true, treatment)
    ax.plot(x / n * 100, values, color="#7b8794", ls=":", label="perfect (from outcomes)")
    ax.plot([0, 100], [0, values[-1]], color="black", ls="--", lw=1, label="random targeting")
    # The perfect curve usually towers over real models; zoom on the models and say so.
    if values.max() > 2 * high > 0:
        margin = 0.1 * (high - low)
        ax.set_ylim(low - margin, high + 4 * margin)
        ax.annotate(
            f"perfect curve peaks at {values.max():,.0f} (above the chart)",
            (0.98, 0.97),
            xycoords="axes fraction",
            ha="right",
            va="top",
            fontsize=8,
            color="#7b8794",
        )
    ax.legend(fontsize=8, loc="lower right")
    title = "Qini curves" if kind == "qini" else "Uplift curves"
    finish(
        ax,
        f"{title} on the test customers",
        "customers contacted, ranked by predicted uplift (%)",
        "incremental responses (customers)",
    )
    fig.tight_layout()
    return fig


def decile_plot(deciles: pd.DataFrame, outcome: str = "response") -> plt.Figure:
    """Treated and control response rates per decile of predicted uplift, and their difference."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    positions = deciles["bin"].to_numpy()
    width = 0.38
    ax.bar(
        positions - width / 2,
        deciles["response_rate_treated"] * 100,
        width,
        color=PALETTE[0],
        label="treated",
    )
    ax.bar(
        positions + width / 2,
        deciles["response_rate_control"] * 100,
        width,
        color=PALETTE[1],
        label="control",
    )
    ax.plot(
        positions, deciles["uplift"] * 100, color=PALETTE[3], marker="o", label="observed uplift"
    )
    ax.plot(
        positions,
        deciles["predicted_uplift"] * 100,
        color=PALETTE[2],
        ls="--",
        marker=".",
        label="predicted uplift",
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(positions)
    ax.legend(fontsize=8, ncols=2)
    finish(
        ax,
        "Response by decile of predicted uplift",
        "decile of predicted uplift (1 = highest)",
        f"{outcome} rate (%)",
    )
    fig.tight_layout()
    return fig


def policy_plot(policies: pd.DataFrame, column: str = "incremental_responses") -> plt.Figure:
    """Incremental responses (or profit) of the top-k policies against contacting everyone."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ranked = policies[policies["policy"].isin(["uplift model", "response model"])]
    for index, (policy, rows) in enumerate(ranked.groupby("policy", sort=False)):
        rows = rows.sort_values("share_contacted")
        shares = np.r_[0.0, rows["share_contacted"].to_numpy(), 1.0] * 100
        everyone = policies.loc[policies["policy"] == "everyone", column].iloc[0]
        values = np.r_[0.0, rows[column].to_numpy(), everyone]
        ax.plot(shares, values, marker="o", color=PALETTE[index], label=f"top k% by {policy}")
    everyone = policies.loc[policies["policy"] == "everyone", column].iloc[0]
    ax.axhline(everyone, color="#7b8794", ls="--", lw=1, label="contact everyone")
    ax.axhline(0, color="black", lw=0.8, label="contact no one")
    ax.legend(fontsize=8)
    unit = "currency units" if "profit" in column else "customers"
    finish(
        ax,
        f"Targeting policies: {column.replace('_', ' ')}",
        "customers contacted (%)",
        f"{column.replace('_', ' ')} ({unit})",
    )
    fig.tight_layout()
    return fig


def uplift_by_type_plot(scored: pd.DataFrame) -> plt.Figure:
    """Predicted uplift per true uplift type (synthetic data), with each type's true uplift."""
    types = sorted(scored["uplift_type"].dropna().unique())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    data = [scored.loc[scored["uplift_type"] == name, "uplift"] * 100 for name in types]
    ax.boxplot(data, showfliers=False, medianprops={"color": PALETTE[0], "lw": 2})
    ax.plot([], [], color=PALETTE[0], lw=2, label="predicted uplift (median; box: quartiles)")
    ax.set_xticks(np.arange(1, len(types) + 1), types)
    for position, name in enumerate(types, start=1):
        truth = scored.loc[scored["uplift_type"] == name, "true_uplift"].mean() * 100
        ax.plot(
            [position - 0.35, position + 0.35],
            [truth, truth],
            color=PALETTE[3],
            lw=2,
            label="true uplift (mean)" if position == 1 else None,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.legend(fontsize=8)
    finish(
        ax,
        "Predicted against true uplift, by customer type",
        "true uplift type",
        "uplift (percentage points)",
    )
    fig.tight_layout()
    return fig
