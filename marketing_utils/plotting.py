"""One house style for every figure: a title, labelled axes with units, readable colours."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "PALETTE",
    "cell_text_color",
    "cutoff_timeline",
    "finish",
    "ledger_waterfall",
    "use_house_style",
]

#: Colour-blind safe (Okabe-Ito) palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_house_style() -> None:
    """Apply the workbook's matplotlib style (call once at the top of a notebook)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "legend.frameon": False,
            "font.size": 10,
        }
    )


def finish(ax: plt.Axes, title: str, xlabel: str, ylabel: str) -> plt.Axes:
    """Set the title and axis labels (with units) every house figure must have."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def cell_text_color(image, value: float) -> str:
    """Black or white, whichever reads better on the cell of a heat map that shows ``value``.

    The cell's colour comes from the image's colormap and normalization; its
    relative luminance (WCAG: 0.2126 R + 0.7152 G + 0.0722 B on linearized
    sRGB) below 0.18 takes white text, where black and white have about the
    same contrast ratio.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> image = ax.imshow([[0.0, 1.0]], cmap="Blues", vmin=0, vmax=1)
    >>> cell_text_color(image, 0.0), cell_text_color(image, 1.0)
    ('black', 'white')
    >>> plt.close(fig)
    """
    if not np.isfinite(value):
        return "black"
    red, green, blue, _ = image.cmap(image.norm(value))
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "white" if luminance < 0.18 else "black"


def ledger_waterfall(steps: pd.DataFrame, title: str = "Cleaning ledger") -> plt.Figure:
    """Waterfall of rows: rows in, each removal, rows kept.

    Parameters
    ----------
    steps : DataFrame
        As returned by :func:`marketing_utils.ledger_waterfall_data`: columns
        ``label``, ``delta`` and ``running_total`` in order; the first row is the
        rows in, then one row per removal reason (negative delta), the last row
        the rows kept.
    """
    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels = list(steps["label"])
    deltas = steps["delta"].to_numpy(dtype=float)
    totals = steps["running_total"].to_numpy(dtype=float)
    bottoms = np.where(deltas < 0, totals, totals - deltas)
    colours = [PALETTE[0]] + [PALETTE[3]] * (len(steps) - 2) + [PALETTE[2]]
    bars = ax.bar(range(len(steps)), np.abs(deltas), bottom=bottoms, color=colours[: len(steps)])
    first, last = 0, len(steps) - 1
    bars[first].set_y(0)
    bars[last].set_y(0)
    bars[last].set_height(totals[last])
    for index, (delta, total) in enumerate(zip(deltas, totals, strict=True)):
        value = total if index in (first, last) else delta
        ax.annotate(
            f"{value:,.0f}",
            (index, max(total, total - delta)),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(range(len(steps)), labels, rotation=30, ha="right")
    removed = totals[first] - totals[last]
    if 0 < removed < 0.2 * totals[first]:
        # Removals are a few percent of the rows: start the axis near the kept
        # rows so the removal bars are visible, and say so.
        ax.set_ylim(max(0.0, totals[last] - 1.5 * removed), totals[first] + 0.25 * removed)
        ax.annotate(
            "y axis does not start at 0",
            (0.5, 0.98),
            xycoords="axes fraction",
            ha="center",
            va="top",
            fontsize=8,
            color="#52606d",
        )
    finish(ax, title, "cleaning step", "rows")
    fig.tight_layout()
    return fig


def cutoff_timeline(
    first_day: pd.Timestamp,
    cutoff: pd.Timestamp,
    horizon_days: int,
    last_day: pd.Timestamp,
    daily_counts: pd.Series | None = None,
    windows: Sequence[int] = (),
) -> plt.Figure:
    """The cutoff/horizon picture: features come from before the cutoff, the label from after.

    ``daily_counts`` (transactions per day) is drawn behind the windows so the
    picture shows the real data.
    """
    fig, ax = plt.subplots(figsize=(9, 3.2))
    label_end = cutoff + pd.Timedelta(days=horizon_days)
    if daily_counts is not None and len(daily_counts):
        weekly = daily_counts.resample("W").sum()
        ax.plot(
            weekly.index, weekly.to_numpy(), color="#7b8794", lw=1, label="transactions per week"
        )
    ax.axvspan(first_day, cutoff, color=PALETTE[0], alpha=0.12, label="feature window (history)")
    ax.axvspan(
        cutoff, label_end, color=PALETTE[1], alpha=0.25, label=f"label window ({horizon_days} days)"
    )
    for days in windows:
        ax.axvline(cutoff - pd.Timedelta(days=days), color=PALETTE[0], ls=":", lw=1)
        ax.annotate(
            f"{days}d",
            (cutoff - pd.Timedelta(days=days), 0.02),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            ha="right",
            va="bottom",
            xytext=(-2, 0),
            textcoords="offset points",
        )
    ax.axvline(cutoff, color="black", lw=1.5)
    ax.annotate(
        "cutoff",
        (cutoff, 0.95),
        xycoords=("data", "axes fraction"),
        ha="left",
        va="top",
        fontsize=9,
        xytext=(3, 0),
        textcoords="offset points",
    )
    if last_day > label_end:
        ax.axvspan(
            label_end, last_day, color="#cbd2d9", alpha=0.3, label="unused (after the label window)"
        )
    ax.legend(loc="upper left", fontsize=8)
    finish(ax, "Leakage-safe split in time", "date", "transactions per week")
    fig.tight_layout()
    return fig


def missingness_bars(
    shares: pd.Series, title: str = "Missing values before cleaning"
) -> plt.Figure:
    """Horizontal bars of the share of missing cells per ``table.column``."""
    fig, ax = plt.subplots(figsize=(8, max(2.2, 0.35 * len(shares) + 1)))
    if len(shares) == 0:
        ax.text(0.5, 0.5, "no missing values", ha="center", va="center", transform=ax.transAxes)
    else:
        ordered = shares.sort_values()
        ax.barh(ordered.index, ordered.to_numpy() * 100, color=PALETTE[0])
        for y, value in enumerate(ordered.to_numpy() * 100):
            ax.annotate(
                f"{value:.2f}%",
                (value, y),
                va="center",
                fontsize=8,
                xytext=(3, 0),
                textcoords="offset points",
            )
    finish(ax, title, "missing cells (% of rows)", "table.column")
    fig.tight_layout()
    return fig


def before_after_hist(
    before: pd.Series,
    after: pd.Series,
    *,
    title: str,
    xlabel: str,
    log: bool = True,
    bins: int = 60,
) -> plt.Figure:
    """Distribution of one column before and after cleaning (log10 x axis for money)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
    for ax, values, name in zip(
        axes, (before, after), ("before cleaning", "after cleaning"), strict=True
    ):
        values = pd.to_numeric(values, errors="coerce").dropna()
        shown = values[values > 0] if log else values
        data = np.log10(shown) if log else shown
        ax.hist(data, bins=bins, color=PALETTE[0] if name.startswith("before") else PALETTE[2])
        removed = len(values) - len(shown)
        note = f"{len(values):,} rows" + (f"; {removed:,} ≤ 0 not shown" if log and removed else "")
        ax.annotate(note, (0.98, 0.95), xycoords="axes fraction", ha="right", va="top", fontsize=8)
        finish(ax, name, f"log10({xlabel})" if log else xlabel, "rows")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def rate_by_quantile(
    table: pd.DataFrame,
    feature: str,
    *,
    label: str = "label",
    q: int = 10,
    title: str | None = None,
) -> plt.Figure:
    """Label rate by quantile bin of one feature: does the feature carry signal?"""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    values = pd.to_numeric(table[feature], errors="coerce")
    bins = pd.qcut(
        values.rank(method="first"), q=min(q, max(values.notna().sum(), 1)), labels=False
    )
    rates = table[label].groupby(bins).mean() * 100
    ax.bar(rates.index + 1, rates.to_numpy(), color=PALETTE[0])
    ax.axhline(table[label].mean() * 100, color=PALETTE[3], ls="--", label="overall rate")
    ax.legend()
    finish(
        ax,
        title or f"Label rate by {feature} (quantile bins)",
        f"{feature} bin (1 = lowest)",
        f"{label} rate (%)",
    )
    fig.tight_layout()
    return fig
