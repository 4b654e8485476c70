"""Figures of stage 08: the models explained, the validation, cohorts and the value."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from marketing_utils.plotting import PALETTE, finish

from . import bgnbd
from .cohorts import retention_matrix
from .gamma_gamma import conditional_expected_spend

__all__ = [
    "clv_discount_figure",
    "cohort_heatmap",
    "conditional_expectations_figure",
    "duration_label",
    "expected_purchases_heatmap",
    "lorenz_figure",
    "p_alive_figure",
    "retention_curves_figure",
    "spend_shrinkage_figure",
    "tracking_figure",
]

_UNIT_NAMES = {"W": "weeks", "D": "days"}


def duration_label(periods: float, time_unit: str = "W") -> str:
    """A duration as a reader says it: ``104 weeks``, ``52 weeks``, ``1 week``, ``2.5 weeks``.

    Durations of 10 periods or more are rounded to whole periods (104.14 weeks
    reads "104 weeks"); shorter ones keep one decimal unless they are whole.

    Examples
    --------
    >>> [duration_label(v) for v in (104.142857, 52.142857, 1.0, 2.5)]
    ['104 weeks', '52 weeks', '1 week', '2.5 weeks']
    >>> duration_label(364.0, "D")
    '364 days'
    """
    unit = _UNIT_NAMES[time_unit]
    value = float(periods)
    shown = (
        f"{value:.0f}" if abs(value) >= 10 or round(value, 1) == round(value) else f"{value:.1f}"
    )
    return f"{shown} {unit[:-1] if shown == '1' else unit}"


def expected_purchases_heatmap(
    params, *, horizon: float, T: float, max_frequency: int = 20, time_unit: str = "W"
) -> plt.Figure:
    """Expected purchases in the next ``horizon`` periods over frequency and recency (BG/NBD)."""
    unit = _UNIT_NAMES[time_unit]
    x = np.arange(0, max_frequency + 1, dtype=float)
    tx = np.linspace(0, T, 60)
    xx, tt = np.meshgrid(x, tx)
    values = bgnbd.conditional_expected_purchases(params, horizon, xx, np.where(xx > 0, tt, 0), T)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    mesh = ax.pcolormesh(x, tx, values, shading="nearest", cmap="viridis")
    fig.colorbar(
        mesh, ax=ax, label=f"expected purchases in the next {duration_label(horizon, time_unit)}"
    )
    finish(
        ax,
        "Expected purchases by frequency and recency "
        f"(customers observed {duration_label(T, time_unit)})",
        "frequency (repeat purchases)",
        f"recency (age at the last purchase, {unit})",
    )
    return fig


def p_alive_figure(
    params, *, T: float, max_frequency: int = 20, time_unit: str = "W"
) -> plt.Figure:
    """P(alive) over frequency and recency (BG/NBD): the recent buyers are alive."""
    unit = _UNIT_NAMES[time_unit]
    x = np.arange(0, max_frequency + 1, dtype=float)
    tx = np.linspace(0, T, 60)
    xx, tt = np.meshgrid(x, tx)
    values = bgnbd.p_alive(params, xx, np.where(xx > 0, tt, 0), T)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    mesh = ax.pcolormesh(x, tx, values, shading="nearest", cmap="magma", vmin=0, vmax=1)
    fig.colorbar(mesh, ax=ax, label="P(alive)")
    finish(
        ax,
        f"Probability of being alive (customers observed {duration_label(T, time_unit)})",
        "frequency (repeat purchases)",
        f"recency (age at the last purchase, {unit})",
    )
    return fig


def spend_shrinkage_figure(params, *, population_mean: float | None = None) -> plt.Figure:
    """Gamma-Gamma: the expected spend moves from the population mean toward the own mean with x."""
    values = params.params if hasattr(params, "params") else params
    p, q, v = (float(values[n]) for n in ("p", "q", "v"))
    mean = p * v / (q - 1) if population_mean is None else population_mean
    x = np.arange(1, 21, dtype=float)
    fig, ax = plt.subplots()
    for factor, colour in zip((0.5, 1.0, 2.0), PALETTE, strict=False):
        own = factor * mean
        ax.plot(
            x,
            conditional_expected_spend(params, x, own),
            "o-",
            color=colour,
            label=f"own mean {own:,.1f}",
        )
        ax.axhline(own, color=colour, linestyle=":", linewidth=1)
    ax.axhline(mean, color="#7b8794", linestyle="--", label=f"population mean {mean:,.1f}")
    ax.legend()
    finish(
        ax,
        "Gamma-Gamma shrinks the observed mean spend toward the population",
        "repeat purchases x",
        "expected spend per purchase (currency units)",
    )
    return fig


def clv_discount_figure(monthly: pd.DataFrame) -> plt.Figure:
    """Monthly expected margin and its discounted value, with the running CLV."""
    fig, ax = plt.subplots()
    ax.bar(monthly["month"], monthly["margin"], color=PALETTE[5], label="expected margin")
    ax.bar(
        monthly["month"],
        monthly["discounted"],
        color=PALETTE[0],
        width=0.5,
        label="discounted to today",
    )
    ax2 = ax.twinx()
    ax2.plot(monthly["month"], monthly["clv"], color=PALETTE[3], marker="o", label="CLV so far")
    ax2.set_ylabel("cumulative discounted margin (currency units)")
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    finish(
        ax,
        "The discounted CLV sum, month by month",
        "month ahead",
        "margin in the month (currency units)",
    )
    return fig


def tracking_figure(tracking: pd.DataFrame, calibration_end, time_unit: str = "W") -> plt.Figure:
    """Repeat transactions per period and cumulative, actual against BG/NBD, across both periods."""
    unit = _UNIT_NAMES[time_unit][:-1]
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    for ax, cols, label in (
        (axes[0], ("actual", "expected"), f"repeat transactions per {unit}"),
        (axes[1], ("actual_cumulative", "expected_cumulative"), "cumulative repeat transactions"),
    ):
        ax.plot(tracking["start"], tracking[cols[0]], color="#1f2933", label="actual")
        ax.plot(
            tracking["start"],
            tracking[cols[1]],
            color=PALETTE[0],
            linestyle="--",
            label="BG/NBD expected",
        )
        ax.axvline(
            pd.Timestamp(calibration_end),
            color=PALETTE[3],
            linestyle=":",
            label="end of calibration",
        )
        ax.set_ylabel(label)
        ax.legend()
    axes[0].set_title("Tracking: the model against what happened, calibration and holdout")
    axes[1].set_xlabel(f"{unit} starting")
    return fig


def conditional_expectations_figure(conditional: pd.DataFrame, period_label: str) -> plt.Figure:
    """Mean holdout purchases by calibration frequency: actual, models and baselines."""
    fig, ax = plt.subplots()
    pos = np.arange(len(conditional))
    ax.plot(pos, conditional["actual"], "o-", color="#1f2933", label="actual", linewidth=2)
    styles = {
        "bgnbd": ("BG/NBD", PALETTE[0], "--"),
        "pareto_nbd": ("Pareto/NBD", PALETTE[2], "--"),
        "rate_forward": ("rate carried forward", PALETTE[1], ":"),
        "gap_rule": ("zero after the usual gap", PALETTE[4], ":"),
    }
    for column, (label, colour, style) in styles.items():
        if column in conditional:
            ax.plot(
                pos, conditional[column], marker=".", linestyle=style, color=colour, label=label
            )
    ax.set_xticks(pos, conditional["label"])
    ax.legend()
    finish(
        ax,
        "Conditional expectations: holdout purchases by calibration purchases",
        "repeat purchases in calibration",
        f"mean purchases in the holdout ({period_label})",
    )
    return fig


def cohort_heatmap(cohorts: pd.DataFrame, value: str = "retention") -> plt.Figure:
    """Heat map of the cohort matrix (retention by default)."""
    matrix = retention_matrix(cohorts, value)
    fig, ax = plt.subplots(figsize=(9, max(3.5, 0.22 * len(matrix) + 1.5)))
    shown = matrix.drop(columns=0) if value == "retention" and 0 in matrix else matrix
    mesh = ax.pcolormesh(
        shown.columns,
        np.arange(len(shown)),
        shown.to_numpy(dtype=float),
        shading="nearest",
        cmap="viridis",
    )
    label = "share of the cohort buying" if value == "retention" else value
    fig.colorbar(mesh, ax=ax, label=label)
    step = max(1, len(shown) // 12)
    ax.set_yticks(np.arange(len(shown))[::step], shown.index[::step])
    ax.invert_yaxis()
    finish(
        ax,
        "Acquisition cohorts: who comes back, month by month",
        "months since the first purchase",
        "cohort (month of the first purchase)",
    )
    return fig


def retention_curves_figure(
    cohorts: pd.DataFrame, survival: pd.DataFrame | None = None, max_lines: int = 6
) -> plt.Figure:
    """Retention curves of a few cohorts; with the truth, the true share alive dashed."""
    names = sorted(cohorts["cohort"].unique())
    chosen = names[:: max(1, len(names) // max_lines)][:max_lines]
    fig, ax = plt.subplots()
    for name, colour in zip(chosen, PALETTE, strict=False):
        rows = cohorts[(cohorts["cohort"] == name) & (cohorts["age"] > 0)]
        ax.plot(rows["age"], rows["retention"], color=colour, label=f"{name} buying")
        if survival is not None:
            alive = survival[(survival["cohort"] == name) & (survival["age"] > 0)]
            ax.plot(
                alive["age"],
                alive["alive_share"],
                color=colour,
                linestyle="--",
                label=f"{name} truly alive",
            )
    ax.set_ylim(0, None)
    ax.legend(ncol=2, fontsize=8)
    finish(
        ax,
        "Retention by cohort" + (" against the true survival" if survival is not None else ""),
        "months since the first purchase",
        "share of the cohort",
    )
    return fig


def lorenz_figure(lorenz: pd.DataFrame) -> plt.Figure:
    """Share of holdout value held by the top customers, ranked by predicted CLV."""
    fig, ax = plt.subplots(figsize=(6, 5.5))
    share = lorenz["share_customers"]
    ax.plot(share, lorenz["best"], color="#7b8794", linestyle=":", label="perfect ranking")
    ax.plot(share, lorenz["by_prediction"], color=PALETTE[0], label="ranked by predicted CLV")
    ax.plot(share, lorenz["random"], color=PALETTE[1], linestyle="--", label="random ranking")
    ax.axvline(0.2, color=PALETTE[3], linewidth=0.8)
    ax.legend()
    finish(
        ax,
        "Who holds the value (holdout spend)",
        "share of customers, highest predicted first",
        "share of holdout spend",
    )
    return fig
