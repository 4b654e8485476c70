"""Stage 07: demand forecasting, backtested against honest baselines.

The notebook ``07_demand_forecasting`` makes three calls into this module:
:func:`demand_series` (revenue and orders per period, in total, by category and
by segment, zeros filled), :func:`forecast_demand` (a rolling-origin backtest
of every model on every series, the best model per series chosen on the
backtest, and its forecast with a prediction interval) and
:meth:`DemandForecast.metrics` (the headline numbers).

The building blocks live in :mod:`.forecast_data` (series),
:mod:`.forecast_models` (the models), :mod:`.forecast_metrics` (MAE, RMSE,
MAPE, sMAPE, MASE) and :mod:`.forecast_backtest` (splits, backtest,
intervals); the ones a notebook needs are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataValidationError
from .forecast_backtest import (
    METRICS,
    Backtest,
    Split,
    backtest,
    prediction_interval,
    rolling_origin_splits,
)
from .forecast_data import (
    FREQUENCIES,
    DemandSeries,
    Frequency,
    demand_series,
    get_frequency,
    period_totals,
)
from .forecast_models import MODEL_NAMES, make_models

__all__ = [
    "FREQUENCIES",
    "METRICS",
    "MODEL_NAMES",
    "Backtest",
    "DemandForecast",
    "DemandSeries",
    "Frequency",
    "SeriesForecast",
    "Split",
    "backtest",
    "demand_series",
    "forecast_demand",
    "forecast_series",
    "get_frequency",
    "make_models",
    "period_totals",
    "prediction_interval",
    "rolling_origin_splits",
    "verdict",
]

BASELINE = "seasonal_naive"


@dataclass(frozen=True)
class SeriesForecast:
    """Backtest and forecast of one series.

    Attributes
    ----------
    name : str
        The series' name.
    backtest : Backtest
        Every model's backtest predictions and scores.
    best_model : str
        The model with the lowest backtest MASE (the one forecast).
    season_length : int
        The seasonal lag used (1 when the history is too short for seasons).
    forecast : DataFrame
        ``period``, ``forecast``, ``lower``, ``upper``: the best model refitted
        on the whole history, with the interval from its backtest errors.
    level : float
        Coverage the interval aims at.
    n_periods : int
        Length of the history.
    notes : list of str
        Fallbacks and exclusions, in plain words.
    """

    name: str
    backtest: Backtest
    best_model: str
    season_length: int
    forecast: pd.DataFrame
    level: float
    n_periods: int
    notes: list[str] = field(default_factory=list)

    def summary_row(self) -> dict:
        """Best model, its backtest MASE and the baseline's, for the series table."""
        summary = self.backtest.summary.set_index("model")
        best = summary.loc[self.best_model]
        baseline = summary.loc[BASELINE] if BASELINE in summary.index else None
        row = {
            "best_model": self.best_model,
            "season_length": self.season_length,
            **{f"best_{metric}": best[metric] for metric in METRICS},
            "baseline_mase": np.nan if baseline is None else baseline["mase"],
            "baseline_mae": np.nan if baseline is None else baseline["mae"],
        }
        # The best model is the one with the lowest backtest MASE, so it beats the
        # baseline exactly when it is not the baseline (ties go to the baseline).
        row["beats_baseline"] = bool(baseline is not None and self.best_model != BASELINE)
        return row


def _future_periods(index: pd.DatetimeIndex, spec: Frequency, horizon: int) -> pd.DatetimeIndex:
    last = pd.Period(index[-1], freq=spec.rule)
    return pd.DatetimeIndex([(last + k).start_time for k in range(1, horizon + 1)])


def forecast_series(
    series: pd.Series,
    *,
    frequency: str | Frequency = "weekly",
    horizon: int = 13,
    n_origins: int = 3,
    origin_step: int = 13,
    interval_level: float = 0.8,
    fourier_order: int = 5,
    lags: Sequence[int] = (1,),
    seasonal_lag: bool = True,
) -> SeriesForecast:
    """Backtest every model on one series, pick the best, and forecast with it.

    Seasonal models need two full seasons in the *shortest* training window
    (the first origin's). When the series is shorter, every model falls back
    to its non-seasonal form for all origins and the final fit (the naive
    forecast, a linear model without Fourier terms, Holt's damped trend), the
    MASE scale uses lag 1, and a note says so.

    Parameters
    ----------
    series : Series
        Values per period, oldest first, indexed by period start (as
        :meth:`DemandSeries.series` returns), with no gaps.
    frequency : {"daily", "weekly", "monthly"}
    horizon : int
        Periods to forecast (and to score at each backtest origin).
    n_origins, origin_step : int
        Number of backtest origins and periods between them.
    interval_level : float
        Coverage of the prediction interval (e.g. 0.8).
    fourier_order, lags, seasonal_lag
        Options of the linear model (see :func:`make_models`).

    Returns
    -------
    SeriesForecast

    Raises
    ------
    DataValidationError
        The horizon is longer than the history, the origins do not fit in
        it, a value is missing, or no model can be fitted.
    """
    spec = get_frequency(frequency)
    name = str(series.name)
    values = series.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataValidationError(
            name, "expected a value in every period (fill empty periods with 0), found NaN"
        )
    for param, value in (
        ("horizon", horizon),
        ("n_origins", n_origins),
        ("origin_step", origin_step),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise DataValidationError(
                f"params demand_forecasting.{param}",
                f"expected a positive whole number, found {value!r}",
            )
    if horizon > len(values):
        raise DataValidationError(
            "params demand_forecasting.horizon",
            f"the horizon ({horizon} {spec.unit}s) is longer than the history of {name} "
            f"({len(values)} {spec.unit}s)",
        )
    shortest = len(values) - horizon - (n_origins - 1) * origin_step
    seasonal = shortest >= 2 * spec.season_length
    notes = []
    if not seasonal:
        notes.append(
            f"{name}: the first backtest origin trains on {shortest} {spec.unit}s, fewer than "
            f"two seasons ({2 * spec.season_length}); seasonal models fall back to non-seasonal "
            "ones (naive instead of seasonal naive, no Fourier terms, Holt instead of "
            "Holt-Winters) and MASE is scaled by the naive forecast"
        )
    season_length = spec.season_length if seasonal else 1
    models = make_models(
        spec, seasonal=seasonal, fourier_order=fourier_order, lags=lags, seasonal_lag=seasonal_lag
    )
    result = backtest(
        series,
        models,
        horizon=horizon,
        n_origins=n_origins,
        step=origin_step,
        season_length=season_length,
    )
    notes.extend(f"{name}: model {m} left out: {why}" for m, why in result.excluded.items())
    best = result.best_model
    point = np.clip(models[best](values, horizon), 0.0, None)
    errors = result.predictions.loc[result.predictions["model"] == best, "error"].to_numpy()
    lower, upper = prediction_interval(point, errors, level=interval_level)
    forecast = pd.DataFrame(
        {
            "period": _future_periods(pd.DatetimeIndex(series.index), spec, horizon),
            "forecast": point,
            "lower": lower,
            "upper": upper,
        }
    )
    return SeriesForecast(
        name, result, best, season_length, forecast, interval_level, len(values), notes
    )


@dataclass(frozen=True)
class DemandForecast:
    """Backtests and forecasts of every demand series.

    Attributes
    ----------
    series : DataFrame
        One row per series (``dimension``, ``group``, ``measure``) with its
        best model, backtest metrics and the baseline's MASE and MAE.
    scores, summary, predictions, forecasts : DataFrame
        The backtest scores per origin, the per-model summaries, the backtest
        predictions and the final forecasts of all series, keyed by
        ``dimension``, ``group`` and ``measure``.
    results : dict
        ``(dimension, group, measure)`` → :class:`SeriesForecast`.
    notes : list of str
    frequency : Frequency
    horizon : int
    """

    series: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    predictions: pd.DataFrame
    forecasts: pd.DataFrame
    results: dict
    notes: list[str]
    frequency: Frequency
    horizon: int

    def total(self, measure: str = "revenue") -> SeriesForecast:
        """The forecast of the total series of ``measure``."""
        return self.results[("total", "all", measure)]

    def _measure_metrics(self, measure: str) -> dict:
        total = self.total(measure)
        summary = total.backtest.summary.set_index("model")
        row = total.summary_row()
        return {
            "best_model": total.best_model,
            "best_mase": float(row["best_mase"]),
            "baseline_mase": float(row["baseline_mase"]),
            "beats_baseline": bool(row["beats_baseline"]),
            "season_length": int(total.season_length),
            "models": {
                str(model): {metric: float(summary.loc[model, metric]) for metric in METRICS}
                for model in summary.index
            },
        }

    def metrics(self) -> dict:
        """Headline metrics (JSON-ready, deterministic for the same data and params).

        The top level describes the total revenue series (or the first measure
        when revenue was not forecast): ``best_model``, ``best_mase``,
        ``baseline_mase``, ``beats_baseline``, ``season_length`` and
        ``models`` (every model's backtest MASE, MAE, RMSE, sMAPE and MAPE);
        the other measures' totals sit under their own name (``"orders"``),
        followed by counts over every series.
        """
        measures = list(dict.fromkeys(self.series["measure"]))
        headline = "revenue" if "revenue" in measures else measures[0]
        metrics = {
            "frequency": self.frequency.name,
            "horizon": self.horizon,
            "n_periods": self.total(headline).n_periods,
            "measure": headline,
            **self._measure_metrics(headline),
        }
        for measure in measures:
            if measure != headline:
                metrics[measure] = self._measure_metrics(measure)
        metrics.update(
            {
                "n_series": int(len(self.series)),
                "series_beating_baseline": int(self.series["beats_baseline"].sum()),
                "best_model_counts": {
                    str(k): int(v)
                    for k, v in self.series["best_model"].value_counts().sort_index().items()
                },
                "interval_level": self.total(headline).level,
            }
        )
        return metrics


def forecast_demand(
    demand: DemandSeries,
    *,
    measures: Sequence[str] = ("revenue", "orders"),
    horizon: int = 13,
    n_origins: int = 3,
    origin_step: int = 13,
    interval_level: float = 0.8,
    fourier_order: int = 5,
    lags: Sequence[int] = (1,),
    seasonal_lag: bool = True,
) -> DemandForecast:
    """Backtest and forecast every series of ``demand`` for every measure.

    Parameters
    ----------
    demand : DemandSeries
        From :func:`demand_series`.
    measures : sequence of {"revenue", "orders"}
    horizon, n_origins, origin_step, interval_level, fourier_order, lags, seasonal_lag
        See :func:`forecast_series`.

    Returns
    -------
    DemandForecast
    """
    unknown = [m for m in measures if m not in ("revenue", "orders")]
    if unknown or not measures:
        raise DataValidationError(
            "params demand_forecasting.measures",
            f"expected a non-empty list of 'revenue' and/or 'orders', found {list(measures)}",
        )
    options = {
        "frequency": demand.frequency,
        "horizon": horizon,
        "n_origins": n_origins,
        "origin_step": origin_step,
        "interval_level": interval_level,
        "fourier_order": fourier_order,
        "lags": lags,
        "seasonal_lag": seasonal_lag,
    }
    results, rows, notes = {}, [], list(demand.notes)
    frames: dict[str, list[pd.DataFrame]] = {
        "scores": [],
        "summary": [],
        "predictions": [],
        "forecasts": [],
    }
    keys = demand.table[["dimension", "group"]].drop_duplicates().itertuples(index=False)
    for dimension, group in keys:
        for measure in measures:
            result = forecast_series(demand.series(dimension, group, measure), **options)
            key = {"dimension": dimension, "group": group, "measure": measure}
            results[(dimension, group, measure)] = result
            rows.append({**key, **result.summary_row()})
            notes.extend(result.notes)
            parts = {
                "scores": result.backtest.scores,
                "summary": result.backtest.summary,
                "predictions": result.backtest.predictions,
                "forecasts": result.forecast.assign(model=result.best_model),
            }
            for name, frame in parts.items():
                frames[name].append(frame.assign(**key)[[*key, *frame.columns]])
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    return DemandForecast(
        series=pd.DataFrame(rows),
        results=results,
        notes=notes,
        frequency=demand.frequency,
        horizon=horizon,
        **tables,
    )


def _number(value: float, digits: int) -> str:
    return "undefined" if not np.isfinite(value) else f"{value:,.{digits}f}"


def verdict(result: SeriesForecast) -> str:
    """One honest sentence: does the best model beat the (seasonal) naive baseline?

    "Beats" means a lower mean backtest MASE (MAE when MASE is undefined), the
    criterion that picks the best model.
    """
    row = result.summary_row()
    baseline = "seasonal naive" if result.season_length > 1 else "naive"
    if not row["beats_baseline"]:
        return (
            f"{result.name}: no model beats the {baseline} baseline on the backtest "
            f"(baseline MASE {_number(row['baseline_mase'], 3)}, "
            f"MAE {_number(row['baseline_mae'], 0)}); the forecast is the baseline's, and the "
            "other models are unproven on this series."
        )
    gain = 1.0 - row["best_mae"] / row["baseline_mae"] if row["baseline_mae"] > 0 else np.nan
    return (
        f"{result.name}: {result.best_model} beats the {baseline} baseline on the backtest: "
        f"MASE {_number(row['best_mase'], 3)} against {_number(row['baseline_mase'], 3)}, "
        f"MAE {_number(row['best_mae'], 0)} against {_number(row['baseline_mae'], 0)}"
        + (f" ({gain:.0%} lower)." if np.isfinite(gain) else ".")
    )
