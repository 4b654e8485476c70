"""Backtest and forecast one series: the best model on the backtest, its interval, a verdict.

:func:`forecast_series` runs the rolling-origin backtest of every model
(:mod:`.forecast_backtest`), picks the model with the lowest mean backtest
MASE, refits it on the whole history and puts an interval around its
forecast from its own backtest errors; :func:`verdict` says in one sentence
whether anything beat the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .backtest import METRICS, Backtest, backtest, prediction_interval
from .data import Frequency, get_frequency
from .models import make_models

__all__ = [
    "BASELINE",
    "MASE_DECIMALS",
    "SeriesForecast",
    "format_mase",
    "forecast_series",
    "rounded_mase",
    "verdict",
]

#: The model every other model must beat.
BASELINE = "seasonal_naive"

#: How :attr:`SeriesForecast.undefined_mase` starts when nothing was sold before an origin.
NO_SALES = "no sales before the backtest origin"

#: Decimals of every MASE a reader sees (sentences, headline, tables, figures): one
#: rounding everywhere, so the same number never reads 1.27 in one place and 1.28 in another.
MASE_DECIMALS = 2


def rounded_mase(value: float) -> float:
    """A MASE rounded as it is shown (:data:`MASE_DECIMALS`); NaN stays NaN.

    Examples
    --------
    >>> rounded_mase(1.275306)
    1.28
    """
    return round(float(value), MASE_DECIMALS)


def format_mase(value: float) -> str:
    """A MASE as a reader sees it everywhere: :data:`MASE_DECIMALS` decimals, or "undefined".

    Examples
    --------
    >>> format_mase(1.275306), format_mase(0.608374), format_mase(float("nan"))
    ('1.28', '0.61', 'undefined')
    """
    value = float(value)
    return "undefined" if not np.isfinite(value) else f"{rounded_mase(value):.{MASE_DECIMALS}f}"


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
        Fallbacks and exclusions for this series, in plain words.
    undefined_mase : str
        Why the MASE of this series is undefined at some backtest origin
        (empty when it is defined at every origin), in a few words: e.g. "no
        sales before the backtest origin 2025-06-30" (the in-sample seasonal
        naive error, MASE's denominator, is then 0).
    """

    name: str
    backtest: Backtest
    best_model: str
    season_length: int
    forecast: pd.DataFrame
    level: float
    n_periods: int
    notes: list[str] = field(default_factory=list)
    undefined_mase: str = ""

    @property
    def mase_defined(self) -> bool:
        """Whether the best model's and the baseline's backtest MASE are both defined."""
        summary = self.backtest.summary.set_index("model")
        if BASELINE not in summary.index:
            return False
        return bool(
            np.isfinite(summary.loc[self.best_model, "mase"])
            and np.isfinite(summary.loc[BASELINE, "mase"])
        )

    def summary_table(self) -> pd.DataFrame:
        """Every model's mean backtest scores, rounded as a reader sees them (best first).

        MASE keeps :data:`MASE_DECIMALS` decimals (as in every sentence and the
        headline), MAE and RMSE are in the series' units (whole numbers),
        sMAPE and MAPE in percent with two decimals.
        """
        table = self.backtest.summary.round({"mae": 0, "rmse": 0, "smape": 2, "mape": 2})
        return table.assign(mase=table["mase"].map(rounded_mase)).reset_index(drop=True)

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
        # A series whose MASE is undefined was ranked on MAE: it is left out of the
        # counts of series beating the baseline (see DemandForecast.metrics).
        row["mase_defined"] = self.mase_defined
        return row


def _undefined_mase_reason(series: pd.Series, scores: pd.DataFrame, season_length: int) -> str:
    """Why MASE is undefined at some origins of a backtest, in a few words ("" when it never is).

    MASE divides by the in-sample error of the seasonal naive forecast on the
    training window; it is undefined when that error is 0: the window repeats
    itself exactly at the seasonal lag, most often because nothing was sold
    before the origin (a segment of customers who all bought for the first
    time later).
    """
    undefined = scores.loc[scores["mase"].isna(), "origin_period"].drop_duplicates()
    if undefined.empty:
        return ""
    values = series.to_numpy(dtype=float)
    positions = series.index.get_indexer(pd.DatetimeIndex(undefined))
    last = max(pd.Timestamp(series.index[p]).date() for p in positions)
    if all(not np.any(values[:p] != 0) for p in positions):
        return f"{NO_SALES} {last}"
    lag = "one season" if season_length > 1 else "one period"
    return f"the history before the backtest origin {last} repeats itself exactly {lag} apart"


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
            f"the first backtest origin trains on {shortest} {spec.unit}s, fewer than "
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
    notes.extend(f"model {m} left out: {why}" for m, why in result.excluded.items())
    undefined = _undefined_mase_reason(series, result.scores, season_length)
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
        name,
        result,
        best,
        season_length,
        forecast,
        interval_level,
        len(values),
        notes,
        undefined_mase=undefined,
    )


def _number(value: float, digits: int) -> str:
    return "undefined" if not np.isfinite(value) else f"{value:,.{digits}f}"


def verdict(result: SeriesForecast) -> str:
    """One honest sentence: does the best model beat the (seasonal) naive baseline?

    "Beats" means a lower mean backtest MASE (MAE when MASE is undefined), the
    criterion that picks the best model. MASE is shown with :data:`MASE_DECIMALS`
    decimals, as everywhere else (:func:`format_mase`).
    """
    row = result.summary_row()
    baseline = "seasonal naive" if result.season_length > 1 else "naive"
    if not row["beats_baseline"]:
        return (
            f"{result.name}: no model beats the {baseline} baseline on the backtest "
            f"(baseline MASE {format_mase(row['baseline_mase'])}, "
            f"MAE {_number(row['baseline_mae'], 0)}); the forecast is the baseline's, and the "
            "other models are unproven on this series."
        )
    gain = 1.0 - row["best_mae"] / row["baseline_mae"] if row["baseline_mae"] > 0 else np.nan
    return (
        f"{result.name}: {result.best_model} beats the {baseline} baseline on the backtest: "
        f"MASE {format_mase(row['best_mase'])} against {format_mase(row['baseline_mase'])}, "
        f"MAE {_number(row['best_mae'], 0)} against {_number(row['baseline_mae'], 0)}"
        + (f" ({gain:.0%} lower)." if np.isfinite(gain) else ".")
    )
