"""The true expected demand as a forecast: aggregation, scoring, and a check against simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.data import demand_series
from marketing_utils.forecast.series import forecast_series
from marketing_utils.forecast.truth import (
    ORACLE,
    aggregate_expected,
    oracle_comparison,
    oracle_verdict,
    truth_expected_demand,
)


def test_daily_expectations_sum_to_monday_to_sunday_weeks():
    # 2024-01-01 is a Monday: days 1..14 are two whole weeks, 15..16 a partial third.
    daily = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=16),
            "orders": np.arange(1.0, 17.0),
            "revenue": 10.0,
        }
    )
    weeks = pd.DatetimeIndex(["2024-01-01", "2024-01-08"])
    out = aggregate_expected(daily, weeks, "weekly")
    assert out.index.equals(weeks)
    assert out["orders"].tolist() == [28.0, 77.0]  # 1+...+7 and 8+...+14
    assert out["revenue"].tolist() == [70.0, 70.0]
    with pytest.raises(DataValidationError, match="1 weeks not covered \\(first 2024-01-15\\)"):
        aggregate_expected(daily, pd.DatetimeIndex(["2024-01-08", "2024-01-15"]), "weekly")


def _short_series() -> pd.Series:
    # 30 weeks: too short for a yearly season, so MASE is scaled by the naive (lag 1) error.
    values = 100 + 2 * np.arange(30) + np.tile([5.0, -5.0], 15)
    index = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    return pd.Series(values, index=index, name="total: all (orders)")


@pytest.fixture(scope="module")
def short():
    series = _short_series()
    return series, forecast_series(
        series, frequency="weekly", horizon=4, n_origins=2, origin_step=4
    )


def test_the_oracle_is_scored_on_the_same_origins_and_scale_as_the_models(short):
    series, result = short
    assert result.season_length == 1
    # An oracle that is off by exactly 1 every week: MAE 1; each origin's MASE is 1 over the
    # mean |y_t - y_{t-1}| of its training window, which alternates 12 and 8 (mean 10 or so).
    expected = series + 1.0
    comparison = oracle_comparison(result, series, expected)
    oracle_rows = comparison.scores[comparison.scores["model"] == ORACLE]
    assert oracle_rows["origin"].tolist() == [1, 2]
    assert comparison.oracle_mae == pytest.approx(1.0)
    scales = []
    for train_end in (22, 26):  # 30 - 4 - 4 and 30 - 4
        history = series.to_numpy()[:train_end]
        scales.append(np.mean(np.abs(np.diff(history))))
    assert comparison.oracle_mase == pytest.approx(np.mean([1 / s for s in scales]))
    summary = result.backtest.summary.set_index("model")
    assert comparison.best_mase == pytest.approx(summary.loc[result.best_model, "mase"])
    assert comparison.baseline_mase == pytest.approx(summary.loc["seasonal_naive", "mase"])
    gap = comparison.baseline_mase - comparison.oracle_mase
    assert comparison.gap_closed_share == pytest.approx(
        (comparison.baseline_mase - comparison.best_mase) / gap
    )
    assert comparison.predictions["error"].eq(-1.0).all()
    sentence = oracle_verdict(comparison, "orders")
    assert f"{comparison.oracle_mase:.2f}" in sentence and "of the gap" in sentence
    metrics = comparison.metrics()
    assert set(metrics) >= {"oracle_mase", "best_model_mase", "gap_closed_share"}


def test_an_oracle_worse_than_the_baseline_leaves_the_gap_undefined(short):
    series, result = short
    bad = oracle_comparison(result, series, series * 3.0)
    assert np.isnan(bad.gap_closed_share)
    assert bad.metrics()["gap_closed_share"] is None
    assert "cannot be measured" in oracle_verdict(bad)
    with pytest.raises(DataValidationError, match="2 missing"):
        oracle_comparison(result, series, series.iloc[:-2])


@pytest.fixture(scope="module")
def simulated():
    data = make_synthetic(4_000, seed=11, dirty=False)
    info = data.info
    demand = demand_series(
        data.transactions,
        frequency="weekly",
        by_category=False,
        start=info["observation_start"],
        end=info["observation_end"],
    )
    periods = demand.series("total", "all", "orders").index
    expected = truth_expected_demand(data.truth, info, data.products, periods)
    return demand, expected


def test_realized_weekly_demand_scatters_around_the_truth_as_the_model_says(simulated):
    demand, expected = simulated
    orders = demand.series("total", "all", "orders")
    revenue = demand.series("total", "all", "revenue")
    assert len(orders) == 156
    # Over the window (about 26,000 orders) the realized totals are within a few percent.
    assert orders.sum() / expected["orders"].sum() == pytest.approx(1.0, abs=0.02)
    assert revenue.sum() / expected["revenue"].sum() == pytest.approx(1.0, abs=0.04)
    # Weekly residuals are centred Poisson noise: standardized, mean ~0 and variance ~1.
    z = (orders - expected["orders"]) / np.sqrt(expected["orders_variance"])
    assert abs(z.mean()) < 3 / np.sqrt(len(z))
    assert 0.7 < z.var() < 1.4
    # And the truth is not a constant: it follows the season (December above July).
    weekly = expected["orders"]
    assert weekly[weekly.index.month == 12].mean() > 1.2 * weekly[weekly.index.month == 7].mean()
