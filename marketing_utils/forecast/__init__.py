"""Stage 07, demand forecasting: demand series, baselines, models and backtests.

Notebook ``07_demand_forecasting`` calls :func:`forecast_demand` (:mod:`.stage`) and
the figures of :mod:`.plots`.
"""

from .data import OTHER_GROUP, UNSEGMENTED
from .metrics import forecast_scores, mae, mape, mase, mase_scale, rmse, smape
from .models import drift, holt_winters, linear_trend_fourier, seasonal_naive
from .series import BASELINE
from .stage import (
    FREQUENCIES,
    METRICS,
    MODEL_NAMES,
    Backtest,
    DemandForecast,
    DemandSeries,
    Frequency,
    SeriesForecast,
    Split,
    backtest,
    demand_series,
    forecast_demand,
    forecast_series,
    get_frequency,
    make_models,
    period_totals,
    prediction_interval,
    rolling_origin_splits,
    verdict,
)

__all__ = [
    "BASELINE",
    "Backtest",
    "DemandForecast",
    "DemandSeries",
    "FREQUENCIES",
    "Frequency",
    "METRICS",
    "MODEL_NAMES",
    "OTHER_GROUP",
    "SeriesForecast",
    "Split",
    "UNSEGMENTED",
    "backtest",
    "demand_series",
    "drift",
    "forecast_demand",
    "forecast_scores",
    "forecast_series",
    "get_frequency",
    "holt_winters",
    "linear_trend_fourier",
    "mae",
    "make_models",
    "mape",
    "mase",
    "mase_scale",
    "period_totals",
    "prediction_interval",
    "rmse",
    "rolling_origin_splits",
    "seasonal_naive",
    "smape",
    "verdict",
]
