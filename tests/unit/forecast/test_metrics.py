"""Forecast accuracy metrics, pinned by hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marketing_utils.forecast.metrics import (
    forecast_scores,
    mae,
    mape,
    mase,
    mase_scale,
    rmse,
    smape,
)

ACTUAL = [100.0, 50.0, 0.0, 20.0]
FORECAST = [90.0, 60.0, 10.0, 20.0]


def test_mae_and_rmse_by_hand():
    # errors 10, -10, -10, 0: MAE = 30 / 4; RMSE = sqrt(300 / 4)
    assert mae(ACTUAL, FORECAST) == pytest.approx(7.5)
    assert rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(75.0))


def test_mape_by_hand_and_undefined_with_a_zero_actual():
    # |100-90|/100 = 0.1, |50-60|/50 = 0.2, |20-20|/20 = 0 -> mean 0.1 -> 10 %
    assert mape([100, 50, 20], [90, 60, 20]) == pytest.approx(10.0)
    assert math.isnan(mape(ACTUAL, FORECAST))


def test_smape_by_hand():
    # terms 2|e|/(|y|+|f|): 20/190, 20/110, 20/10 = 2, 0/40 = 0
    expected = 100 * (20 / 190 + 20 / 110 + 2 + 0) / 4
    assert smape(ACTUAL, FORECAST) == pytest.approx(expected)


def test_smape_counts_zero_actual_and_zero_forecast_as_perfect():
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert smape([0.0, 10.0], [0.0, 30.0]) == pytest.approx(100 * (0 + 40 / 40) / 2)


def test_mase_scale_is_the_in_sample_seasonal_naive_error():
    # lag 1: |12-10|, |11-12|, |15-11| = 2, 1, 4 -> 7/3
    assert mase_scale([10, 12, 11, 15], 1) == pytest.approx(7 / 3)
    # lag 2: |11-10|, |15-12| = 1, 3 -> 2
    assert mase_scale([10, 12, 11, 15], 2) == pytest.approx(2.0)


def test_mase_by_hand():
    # MAE of [16, 14] vs [15, 15] is 1; scale 7/3 -> 3/7
    assert mase([16, 14], [15, 15], [10, 12, 11, 15], 1) == pytest.approx(3 / 7)
    # seasonal: history 1..6, lag 2 differences are all 2; MAE of [7, 8] vs [5, 6] is 2
    assert mase([7, 8], [5, 6], [1, 2, 3, 4, 5, 6], 2) == pytest.approx(1.0)


def test_mase_is_undefined_for_a_constant_history():
    assert math.isnan(mase([5, 5], [4, 6], [5, 5, 5, 5], 1))


def test_forecast_scores_has_every_metric():
    scores = forecast_scores([16, 14], [15, 15], [10, 12, 11, 15], 1)
    assert set(scores) == {"mae", "rmse", "mape", "smape", "mase"}
    assert scores["mae"] == pytest.approx(1.0)
    assert scores["mase"] == pytest.approx(3 / 7)


@pytest.mark.parametrize(
    ("actual", "forecast", "message"),
    [
        ([1.0, 2.0], [1.0], "same length"),
        ([], [], "at least one value"),
        ([1.0, np.nan], [1.0, 2.0], "finite"),
        ([[1.0]], [[1.0]], "1-d"),
    ],
)
def test_bad_pairs_are_refused(actual, forecast, message):
    with pytest.raises(ValueError, match=message):
        mae(actual, forecast)


def test_mase_scale_refuses_short_history_and_bad_lag():
    with pytest.raises(ValueError, match="more than season_length=4 values"):
        mase_scale([1, 2, 3, 4], 4)
    with pytest.raises(ValueError, match="positive integer, found 0"):
        mase_scale([1, 2, 3], 0)
