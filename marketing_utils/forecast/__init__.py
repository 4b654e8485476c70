"""Stage 07, demand forecasting: demand series, baselines, models and backtests.

Notebook ``07_demand_forecasting`` calls :func:`forecast_demand` (:mod:`.stage`),
the figures of :mod:`.plots` and :func:`stage_headline` (:mod:`.headline`).
"""

from .data import OTHER_GROUP, UNSEGMENTED
from .headline import series_count_figure, stage_headline
from .metrics import forecast_scores, mae, mape, mase, mase_scale, rmse, smape
from .models import drift, holt_winters, linear_trend_fourier, seasonal_naive
from .series import BASELINE, MASE_DECIMALS, format_mase, rounded_mase
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
    "MASE_DECIMALS",
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
    "format_mase",
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
    "rounded_mase",
    "seasonal_naive",
    "series_count_figure",
    "smape",
    "stage_headline",
    "truth_expected_demand",
    "verdict",
]
