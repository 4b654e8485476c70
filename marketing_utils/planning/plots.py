"""Figures of stage 09: the efficient frontier, the policies, the plan by segment and offer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import PALETTE, finish

__all__ = ["frontier_figure", "plan_mix_figure", "policies_figure"]


def frontier_figure(frontier: pd.DataFrame, currency: str = "currency units") -> plt.Figure:
    """Expected incremental profit and responses against the budget, chosen budget marked."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    chosen = frontier[frontier["chosen"]]
    for ax, column, label in (
        (axes[0], "expected_profit", f"expected incremental profit ({currency})"),
        (axes[1], "incremental_responses", "expected incremental responses"),
    ):
        ax.plot(
            frontier["budget"], frontier[column], marker="o", color=PALETTE[0], label="best plan"
        )
        ax.scatter(
            chosen["budget"],
            chosen[column],
            s=120,
            color=PALETTE[1],
            zorder=3,
            label="chosen budget",
        )
        ax.legend(loc="lower right")
        finish(ax, f"Efficient frontier: {label.split(' (')[0]}", f"budget ({currency})", label)
    fig.tight_layout()
    return fig


def policies_figure(policies: pd.DataFrame, column: str, label: str) -> plt.Figure:
    """One bar per policy; error bars from ``<column>_ci_low/high`` when present."""
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(policies) + 1.5))
    values = policies[column].to_numpy(float)
    y = np.arange(len(policies))
    colours = [PALETTE[1] if p == "optimized plan" else PALETTE[0] for p in policies["policy"]]
    ax.barh(y, values, color=colours)
    low, high = (
        f"{column.removesuffix('_value')}_ci_low",
        f"{column.removesuffix('_value')}_ci_high",
    )
    if low in policies and high in policies:
        errors = np.vstack([values - policies[low], policies[high] - values])
        ax.errorbar(values, y, xerr=np.abs(errors), fmt="none", color="black", capsize=3)
    ax.set_yticks(y, policies["policy"])
    ax.invert_yaxis()
    ax.axvline(0, color="grey", linewidth=0.8)
    finish(ax, f"Policies compared: {label}", label, "policy")
    fig.tight_layout()
    return fig


def plan_mix_figure(summary: pd.DataFrame) -> plt.Figure:
    """Contacts of the plan by segment, stacked by offer."""
    table = summary.pivot_table(
        index="segment", columns="offer", values="contacts", aggfunc="sum", fill_value=0
    )
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(table) + 2))
    left = np.zeros(len(table))
    for position, offer in enumerate(table.columns):
        ax.barh(
            table.index,
            table[offer],
            left=left,
            color=PALETTE[position % len(PALETTE)],
            label=offer,
        )
        left += table[offer].to_numpy()
    ax.legend(title="offer")
    finish(ax, "The plan: contacts by segment and offer", "contacts (customers)", "segment")
    fig.tight_layout()
    return fig
