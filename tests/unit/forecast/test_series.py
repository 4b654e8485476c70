"""One series end to end on small monthly series (m = 12 keeps Holt-Winters fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.models import MODEL_NAMES, make_models
from marketing_utils.forecast.series import forecast_series, verdict

OPTIONS = {
    "frequency": "monthly",
    "horizon": 6,
    "n_origins": 3,
    "origin_step": 6,
    "fourier_order": 2,
}
SEASON = np.array([0.8, 0.85, 0.9, 1.0, 1.0, 0.95, 0.9, 0.95, 1.05, 1.15, 1.3, 1.15])


def _monthly(values, name="total: all (revenue)") -> pd.Series:
    index = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return pd.Series(np.asarray(values, dtype=float), index=index, name=name)


def _trend_season(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 5, n)
    return (200 + 8 * t) * SEASON[t % 12] + noise


@pytest.fixture(scope="module")
def four_years():
    series = _monthly(_trend_season(48))
    return series, forecast_series(series, **OPTIONS)


def test_trend_and_season_are_learnt_and_beat_the_baseline(four_years):
    _, result = four_years
    assert result.season_length == 12 and result.notes == []
    summary = result.backtest.summary.set_index("model")
    assert set(summary.index) == set(MODEL_NAMES)
    assert result.best_model != "seasonal_naive"
    assert summary.loc[result.best_model, "mase"] < 0.9 * summary.loc["seasonal_naive", "mase"]
    row = result.summary_row()
    assert row["beats_baseline"] is True
    assert "beats the seasonal naive baseline" in verdict(result)


def test_the_forecast_continues_the_calendar_with_an_interval(four_years):
    series, result = four_years
    frame = result.forecast
    assert frame["period"].tolist() == list(pd.date_range("2024-01-01", periods=6, freq="MS"))
    assert (frame["lower"] <= frame["forecast"]).all()
    assert (frame["forecast"] <= frame["upper"]).all()
    # The half-width is the 0.8 quantile of the best model's absolute backtest errors.
    errors = result.backtest.predictions.query("model == @result.best_model")["error"].abs()
    width = np.quantile(errors, 0.8, method="higher")
    np.testing.assert_allclose(frame["upper"] - frame["forecast"], width)
    # The final fit is the best model refitted on the whole history.
    models = make_models("monthly", fourier_order=2)
    expected = np.clip(models[result.best_model](series.to_numpy(), 6), 0, None)
    np.testing.assert_allclose(frame["forecast"], expected)


def test_short_history_falls_back_to_non_seasonal_models_and_says_so():
    result = forecast_series(_monthly(_trend_season(30)), **OPTIONS)
    # first origin trains on 30 - 6 - 2*6 = 12 months, fewer than 24
    assert result.season_length == 1
    assert "trains on 12 months, fewer than two seasons (24)" in result.notes[0]
    naive = result.backtest.predictions.query("model == 'seasonal_naive' and origin == 1")
    assert naive["forecast"].nunique() == 1  # naive: the last value repeated


def test_nothing_beats_an_exact_season_and_the_verdict_says_so():
    result = forecast_series(_monthly(np.tile(SEASON * 100, 5)), **OPTIONS)
    assert result.best_model == "seasonal_naive"  # exact: MAE 0
    text = verdict(result)
    assert text.startswith("total: all (revenue): no model beats the seasonal naive baseline")
    assert "MASE undefined" in text  # a history repeating exactly has no in-sample error


def test_horizon_longer_than_the_history():
    with pytest.raises(
        DataValidationError, match=r"horizon \(40 months\) is longer than the history"
    ):
        forecast_series(_monthly(_trend_season(30)), **{**OPTIONS, "horizon": 40})


def test_missing_values_and_bad_options():
    values = _trend_season(60)
    values[5] = np.nan
    with pytest.raises(DataValidationError, match="fill empty periods with 0"):
        forecast_series(_monthly(values), **OPTIONS)
    with pytest.raises(DataValidationError, match="n_origins: expected a positive whole number"):
        forecast_series(_monthly(_trend_season(60)), **{**OPTIONS, "n_origins": 0})
