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
from .truth import (
    ORACLE,
    OracleComparison,
    aggregate_expected,
    oracle_comparison,
    oracle_verdict,
    truth_expected_demand,
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
    "ORACLE",
    "OTHER_GROUP",
    "OracleComparison",
    "SeriesForecast",
    "Split",
    "UNSEGMENTED",
    "aggregate_expected",
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
    "oracle_comparison",
    "oracle_verdict",
    "mape",
    "mase",
    "mase_scale",
    "period_totals",
    "prediction_interval",
    "rmse",
    "rolling_origin_splits",
    "seasonal_naive",
    "smape",
    "truth_expected_demand",
    "verdict",
]
