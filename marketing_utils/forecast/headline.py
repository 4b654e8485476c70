"""The headline figures and the decision of stage 07, from a run's numbers.

:func:`stage_headline` builds what the report index shows first: the best model's
backtest MASE against the seasonal naive baseline's, the forecast of the
coming periods, how many category and segment series a model beats the
baseline on (counted over the series with a defined MASE only) and, on
synthetic data, how much of the gap to the best possible forecast is closed.
Every MASE is rounded once, as everywhere else (:func:`.series.format_mase`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .series import NO_SALES, format_mase, rounded_mase
from .stage import DemandForecast, measures_phrase

__all__ = ["series_count_figure", "stage_headline"]


def series_count_figure(forecast: DemandForecast) -> dict | None:
    """The headline figure "series where a model beats the baseline", or None without groups.

    The share is over the category and segment series whose backtest MASE is
    defined (the totals are the first headline figure); the series whose MASE
    is undefined are neither successes nor failures and are named in the
    comparison with the reason.
    """
    counts = forecast.series_counts()
    if not counts["compared"]:
        return None
    measures = list(dict.fromkeys(forecast.group_series()["measure"]))
    comparison = (
        f"{counts['beating_baseline']} of {counts['compared']} series ({measures_phrase(measures)})"
    )
    if counts["mase_undefined"]:
        no_sales = all(why.startswith(NO_SALES) for why in counts["mase_undefined_series"].values())
        why = "no sales before a backtest origin: " if no_sales else ""
        comparison += (
            f"; {counts['mase_undefined']} more have an undefined MASE ({why}a zero in-sample "
            "naive error) and are not counted"
        )
    return {
        "label": "series where a model beats the baseline",
        "value": counts["beating_baseline"] / counts["compared"],
        "format": "percent",
        "reading": "category and segment series with a defined backtest MASE whose best model "
        "beats the seasonal naive one (the total series not counted)",
        "comparison": comparison,
    }


def _season_words(season: int, unit: str) -> str:
    """One season back, in words: "a year" for 52 weeks or 12 months, else "7 days"."""
    return "a year" if (unit, season) in (("week", 52), ("month", 12)) else f"{season} {unit}s"


def _comparable_history(history, horizon: int, season: int, unit: str) -> tuple[float, str]:
    """What the forecast's sum is compared with, and its name.

    Like with like: the same periods one season earlier, when the forecast
    fits within a season and the history holds one; otherwise the last
    ``horizon`` periods (fewer when the history is shorter).
    """
    if 1 < season <= len(history) and horizon <= season:
        start = len(history) - season
        recent = float(history.iloc[start : start + horizon].sum())
        return recent, f"the same {horizon} {unit}s {_season_words(season, unit)} earlier"
    recent = float(history.iloc[-horizon:].sum())
    return recent, f"the last {min(horizon, len(history))} {unit}s"


def _naive_basis(season: int, unit: str) -> str:
    """What the seasonal naive forecast repeats, in words."""
    if season > 1:
        return f"the same {unit}s {_season_words(season, unit)} earlier"
    return f"the last {unit}'s level"


def stage_headline(
    forecast: DemandForecast,
    history: pd.Series,
    *,
    truth_metrics: Mapping | None = None,
    interval_level: float = 0.8,
    measure: str | None = None,
) -> tuple[list[dict], str]:
    """The headline figures and the decision of the report index.

    Parameters
    ----------
    forecast : DemandForecast
        From :func:`.stage.forecast_demand`.
    history : Series
        The realized total series of ``measure`` (indexed by period).
    truth_metrics : mapping, optional
        ``{"available": True, "gap_closed_share": ..., "best_model": ...,
        "best_model_mase": ..., "oracle_mase": ..., "baseline_mase": ...}``
        on synthetic data (see :meth:`.truth.OracleComparison.metrics`).
    interval_level : float
        Coverage of the prediction interval, for the wording.
    measure : str, optional
        The measure of the headline (revenue when forecast).

    Returns
    -------
    (list of dict, str)
        The figures for :meth:`~marketing_utils.Artifacts.record_headline`
        and the decision sentence.
    """
    metrics = forecast.metrics()
    measure = measure or metrics["measure"]
    total = forecast.total(measure)
    unit = forecast.frequency.unit
    upcoming = total.forecast
    planned = float(upcoming["forecast"].sum())
    periods = f"{len(upcoming)} {unit}s"
    recent, compared = _comparable_history(history, len(upcoming), total.season_length, unit)
    change = (
        f"{planned / recent - 1:+.0%} on {compared}" if recent else f"nothing sold in {compared}"
    )
    delta = f" ({planned / recent - 1:+.0%})" if recent else ""
    half_width = float((upcoming["upper"] - upcoming["forecast"]).mean())
    figures = [
        {
            "label": "backtest error (MASE)",
            "value": rounded_mase(metrics["best_mase"]),
            "format": "number",
            "reading": f"{metrics['best_model']}'s mean absolute error, relative to the seasonal "
            "naive error in sample (below 1 is better)",
            "comparison": f"seasonal naive baseline: {format_mase(metrics['baseline_mase'])} "
            f"({'beaten' if metrics['beats_baseline'] else 'not beaten'})",
        },
        {
            "label": f"{measure} forecast, next {periods}",
            "value": planned,
            "format": "currency" if measure == "revenue" else "integer",
            "reading": f"sum of the {metrics['best_model']} forecasts for the next {periods}",
            "comparison": f"{compared}: {recent:,.0f}{delta}; each {unit} within "
            f"±{half_width:,.0f} with {interval_level:.0%} confidence",
        },
    ]
    counted = series_count_figure(forecast)
    if counted is not None:
        figures.append(counted)
    truth = truth_metrics or {}
    if truth.get("available") and truth.get("gap_closed_share") is not None:
        figures.append(
            {
                "label": "gap to the best possible forecast closed",
                "value": truth["gap_closed_share"],
                "format": "percent",
                "reading": "share of the backtest MASE gap from the seasonal naive baseline to "
                "the true expected demand (the noise floor) that "
                f"{truth['best_model']} closes",
                "comparison": f"MASE {format_mase(truth['best_model_mase'])} against "
                f"{format_mase(truth['oracle_mase'])} for the true expected demand and "
                f"{format_mase(truth['baseline_mase'])} for seasonal naive",
            }
        )
    if metrics["beats_baseline"]:
        decision = (
            f"Plan stock and campaign budget on the {metrics['best_model']} forecast: "
            f"{planned:,.0f} {measure} over the next {periods} ({change}), and keep a margin "
            f"of ±{half_width:,.0f} per {unit}."
        )
    else:
        decision = (
            f"No model beats the seasonal naive forecast: plan the next {periods} on "
            f"{_naive_basis(total.season_length, unit)} ({planned:,.0f} {measure}) and revisit "
            "when more history is available."
        )
    return figures, decision
