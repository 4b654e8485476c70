"""Figures of stage 07: the demand history, the forecast with its interval, backtest errors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ..plotting import PALETTE, finish
from .series import BASELINE, SeriesForecast, format_mase
from .stage import DemandForecast, DemandSeries
from .truth import OracleComparison

__all__ = [
    "backtest_errors_figure",
    "demand_history_figure",
    "forecast_figure",
    "oracle_figure",
    "series_mase_figure",
]

_THOUSANDS = mticker.StrMethodFormatter("{x:,.0f}")
_MODEL_COLOURS = {
    "seasonal_naive": "#7b8794",
    "drift": PALETTE[1],
    "linear": PALETTE[0],
    "holt_winters": PALETTE[2],
}


def demand_history_figure(demand: DemandSeries, currency: str = "currency units") -> plt.Figure:
    """Total revenue and orders per period, one panel each."""
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    unit = demand.frequency.unit
    for ax, measure, label, colour in zip(
        axes,
        ("revenue", "orders"),
        (f"revenue per {unit} ({currency})", f"orders per {unit}"),
        (PALETTE[0], PALETTE[1]),
        strict=True,
    ):
        series = demand.series("total", "all", measure)
        ax.plot(series.index, series.to_numpy(), color=colour, lw=1.3)
        ax.yaxis.set_major_formatter(_THOUSANDS)
        finish(ax, f"Total {measure} per {unit}", "", label)
    axes[-1].set_xlabel(f"{unit} (first day)")
    fig.tight_layout()
    return fig


def forecast_figure(
    result: SeriesForecast,
    history: pd.Series,
    *,
    unit: str = "week",
    ylabel: str = "revenue (currency units)",
    title: str | None = None,
) -> plt.Figure:
    """History, the best model's backtest forecasts per origin, and the forecast with its interval."""
    fig, ax = plt.subplots(figsize=(10, 4.8))
    ax.plot(history.index, history.to_numpy(), color="black", lw=1.2, label="history")
    predictions = result.backtest.predictions
    best = predictions[predictions["model"] == result.best_model]
    scores = result.backtest.scores
    mase_by_origin = scores[scores["model"] == result.best_model].set_index("origin")["mase"]
    shades = [PALETTE[3], PALETTE[4], PALETTE[5], PALETTE[1], PALETTE[6]]
    for i, (origin, rows) in enumerate(best.groupby("origin")):
        ax.plot(
            rows["period"],
            rows["forecast"],
            color=shades[i % len(shades)],
            lw=1.5,
            ls="--",
            label=f"backtest origin {origin} (MASE {format_mase(mase_by_origin[origin])})",
        )
    future = result.forecast
    ax.fill_between(
        future["period"],
        future["lower"],
        future["upper"],
        color=PALETTE[0],
        alpha=0.25,
        label=f"{result.level:.0%} prediction interval",
    )
    ax.plot(future["period"], future["forecast"], color=PALETTE[0], lw=2, label="forecast")
    ax.legend(loc="upper left", fontsize=8)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    finish(
        ax,
        title or f"{result.name}: forecast with {result.best_model} (best on the backtest)",
        f"{unit} (first day)",
        ylabel,
    )
    fig.tight_layout()
    return fig


def backtest_errors_figure(result: SeriesForecast, metric: str = "mase") -> plt.Figure:
    """Each model's backtest error at each origin (grouped bars); MASE 1 marked."""
    scores = result.backtest.scores
    table = scores.pivot(index="origin", columns="model", values=metric)
    models = [m for m in result.backtest.summary["model"] if m in table.columns]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(table.index))
    for i, model in enumerate(models):
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            table[model].to_numpy(),
            width=width,
            color=_MODEL_COLOURS.get(model, PALETTE[i % len(PALETTE)]),
            label=model + (" (baseline)" if model == BASELINE else ""),
        )
    if metric == "mase":
        ax.axhline(1.0, color="black", lw=1, ls=":", label="MASE = 1")
    starts = scores.drop_duplicates("origin").set_index("origin")["origin_period"]
    ax.set_xticks(
        x, [f"origin {o}\n{pd.Timestamp(starts[o]).date()}" for o in table.index], fontsize=8
    )
    ax.legend(fontsize=8, ncols=2)
    finish(
        ax,
        f"{result.name}: backtest {metric.upper()} per origin",
        "backtest origin (first forecast period)",
        f"{metric.upper()}" + (" (unitless)" if metric == "mase" else ""),
    )
    fig.tight_layout()
    return fig


#: Candidate ticks of a logarithmic MASE axis: 1-2-5 steps, read as plain numbers.
_LOG_TICKS = np.array([m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)])


def _log_axis_ticks(values: np.ndarray, reference: float = 1.0) -> tuple[tuple, np.ndarray]:
    """Limits and readable major ticks of a log axis showing ``values`` and ``reference``.

    Matplotlib labels the minor ticks of a log axis spanning a decade or two
    with mathtext ("3×10⁻¹"), and those labels run into each other; plain
    1-2-5 ticks (0.2, 0.5, 1, 2) never do. The limits are the 1-2-5 ticks just
    outside the values; when more than seven ticks would crowd the axis, only
    the powers of ten are labelled.
    """
    finite = values[np.isfinite(values) & (values > 0)]
    low = min(float(finite.min()) if finite.size else reference, reference) / 1.1
    high = max(float(finite.max()) if finite.size else reference, reference) * 1.1
    candidates = _LOG_TICKS
    low = float(candidates[candidates <= low].max()) if (candidates <= low).any() else low
    high = float(candidates[candidates >= high].min()) if (candidates >= high).any() else high
    ticks = candidates[(candidates >= low) & (candidates <= high)]
    if len(ticks) > 7:
        ticks = ticks[np.isclose(np.log10(ticks), np.round(np.log10(ticks)))]
    return (low, high), ticks


def series_mase_figure(forecast: DemandForecast, measure: str = "revenue") -> plt.Figure:
    """Best model's backtest MASE against the baseline's, for every series of ``measure``.

    The MASE axis is logarithmic (series differ by orders of magnitude, and
    ratios are what matter), with plain 1-2-5 ticks (0.2, 0.5, 1, 2, ...); a
    series whose MASE is undefined (its in-sample seasonal naive error is 0 at
    some backtest origin, mostly: no sales before it) is marked as such.
    """
    rows = forecast.series[forecast.series["measure"] == measure].iloc[::-1]
    labels = [f"{d}: {g}" for d, g in zip(rows["dimension"], rows["group"], strict=True)]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.38 * len(rows) + 1.2)))
    ax.hlines(y, rows["best_mase"], rows["baseline_mase"], color="#cbd2d9", lw=2)
    ax.scatter(
        rows["baseline_mase"], y, color="#7b8794", label="seasonal naive (baseline)", zorder=3
    )
    ax.scatter(rows["best_mase"], y, color=PALETTE[0], label="best model", zorder=3)
    ax.set_xscale("log")
    limits, ticks = _log_axis_ticks(
        np.concatenate([rows["best_mase"].to_numpy(float), rows["baseline_mase"].to_numpy(float)])
    )
    ax.set_xlim(*limits)
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    for yi, (value, model) in enumerate(zip(rows["best_mase"], rows["best_model"], strict=True)):
        if np.isfinite(value):
            ax.annotate(
                model,
                (value, yi),
                fontsize=7,
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
            )
        else:
            ax.annotate(
                "MASE undefined (in-sample naive error 0): not counted",
                (1.0, yi),
                fontsize=7,
                va="center",
                xytext=(6, 0),
                textcoords="offset points",
            )
    ax.axvline(1.0, color="black", lw=1, ls=":")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.legend(fontsize=8, loc="best")
    finish(
        ax,
        f"Backtest MASE per series ({measure})",
        "MASE (unitless, log scale; lower is better)",
        "series",
    )
    fig.tight_layout()
    return fig


def oracle_figure(
    comparison: OracleComparison,
    result: SeriesForecast,
    history: pd.Series,
    expected: pd.Series,
    *,
    unit: str = "week",
    ylabel: str = "revenue (currency units)",
) -> plt.Figure:
    """Realized demand, the best model's backtest forecasts and the true expected demand.

    Shows the periods from a season before the first backtest origin to the
    end: the gap between the black (realized) and green (true expected) lines
    is chance, which no forecast can predict.
    """
    predictions = result.backtest.predictions
    best = predictions[predictions["model"] == result.best_model]
    first = pd.Timestamp(best["period"].min())
    position = max(int(history.index.get_indexer([first])[0]) - result.season_length, 0)
    shown = history.index[position:]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(shown, history.loc[shown].to_numpy(), color="black", lw=1.2, label="realized")
    ax.plot(
        shown,
        expected.reindex(shown).to_numpy(),
        color=PALETTE[2],
        lw=2,
        label=f"true expected (MASE {format_mase(comparison.oracle_mase)})",
    )
    for i, (_, rows) in enumerate(best.groupby("origin")):
        ax.plot(
            rows["period"],
            rows["forecast"],
            color=PALETTE[0],
            lw=1.5,
            ls="--",
            label=f"{result.best_model} backtest (MASE {format_mase(comparison.best_mase)})"
            if i == 0
            else None,
        )
    ax.legend(loc="upper left", fontsize=8)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    finish(
        ax,
        f"{result.name}: realized, best model and the best possible forecast",
        f"{unit} (first day)",
        ylabel,
    )
    fig.tight_layout()
    return fig
