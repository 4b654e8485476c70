"""Forecasting models: baselines by hand, exact recovery of noise-free series."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.models import (
    MODEL_NAMES,
    drift,
    holt_winters,
    linear_trend_fourier,
    make_models,
    seasonal_naive,
)


def test_seasonal_naive_repeats_the_last_season():
    history = [1, 2, 3, 4, 10, 20, 30, 40]
    assert seasonal_naive(history, 6, season_length=4).tolist() == [10, 20, 30, 40, 10, 20]


def test_naive_repeats_the_last_value():
    assert seasonal_naive([3, 9, 4], 3).tolist() == [4, 4, 4]


def test_drift_extends_the_first_to_last_line():
    # slope (16 - 10) / 3 = 2 per period from the last value 16
    assert drift([10, 20, 5, 16], 3).tolist() == [18, 20, 22]


def test_linear_recovers_trend_and_fourier_season_exactly():
    t = np.arange(48)
    truth = 5 + 0.5 * t + 3 * np.sin(2 * np.pi * t / 12) - 2 * np.cos(2 * np.pi * 2 * t / 12)
    future = np.arange(48, 60)
    expected = (
        5
        + 0.5 * future
        + 3 * np.sin(2 * np.pi * future / 12)
        - 2 * np.cos(2 * np.pi * 2 * future / 12)
    )
    forecast = linear_trend_fourier(truth, 12, fourier_period=12, fourier_order=2)
    np.testing.assert_allclose(forecast, expected, atol=1e-8)


def test_linear_feeds_its_own_forecasts_back_as_lags():
    # y_t = 1 + 0.5 y_{t-1} from y_0 = 10: the model recovers the recursion, and
    # its forecasts must continue it (1 + 0.5 * last, and so on).
    values = [10.0]
    for _ in range(19):
        values.append(1 + 0.5 * values[-1])
    expected, last = [], values[-1]
    for _ in range(3):
        last = 1 + 0.5 * last
        expected.append(last)
    forecast = linear_trend_fourier(values, 3, lags=[1])
    np.testing.assert_allclose(forecast, expected, rtol=1e-8)


def test_linear_refuses_bad_options_and_short_history():
    with pytest.raises(DataValidationError, match="lags of at least 1"):
        linear_trend_fourier(np.arange(20.0), 2, lags=[0])
    with pytest.raises(DataValidationError, match="fourier_order"):
        linear_trend_fourier(np.arange(20.0), 2, fourier_order=2)
    # 2 + 2*2 + 2 coefficients, rows from t = 12: at least 12 + 8 + 2 = 22 periods
    options = {"fourier_period": 12, "fourier_order": 2, "lags": [1, 12]}
    with pytest.raises(DataValidationError, match="at least 22 periods, found 21"):
        linear_trend_fourier(np.arange(21.0), 2, **options)
    assert linear_trend_fourier(np.arange(22.0), 2, **options).shape == (2,)


def test_holt_winters_follows_a_noise_free_multiplicative_season():
    t = np.arange(40)
    season = np.array([0.8, 1.0, 1.4, 0.8])
    series = (100 + 2 * t) * season[t % 4]
    future = np.arange(40, 48)
    expected = (100 + 2 * future) * season[future % 4]
    forecast = holt_winters(series, 8, season_length=4, damped=False)
    np.testing.assert_allclose(forecast, expected, rtol=0.02)


def test_holt_winters_needs_two_seasons_and_has_a_non_seasonal_form():
    with pytest.raises(DataValidationError, match="at least 8 periods, found 7"):
        holt_winters(np.arange(1.0, 8.0), 2, season_length=4)
    forecast = holt_winters(np.arange(1.0, 8.0), 2)  # Holt: no season
    assert forecast.shape == (2,) and forecast[0] > 6.0  # the upward trend goes on


def test_holt_winters_bad_seasonal_option():
    with pytest.raises(DataValidationError, match="expected 'auto', 'mul' or 'add'"):
        holt_winters(np.arange(1.0, 20.0), 2, season_length=4, seasonal="both")


@pytest.mark.parametrize("horizon", [0, -1, 2.5])
def test_bad_horizon(horizon):
    with pytest.raises(DataValidationError, match="horizon: expected a positive whole number"):
        drift([1.0, 2.0, 3.0], horizon)


def test_bad_history():
    with pytest.raises(DataValidationError, match="finite numbers"):
        drift([1.0, np.nan, 3.0], 1)
    with pytest.raises(DataValidationError, match="at least 2 periods, found 1"):
        drift([1.0], 1)
    with pytest.raises(DataValidationError, match="at least 4 periods, found 3"):
        seasonal_naive([1.0, 2.0, 3.0], 1, season_length=4)
    with pytest.raises(DataValidationError, match="positive integer, found 0"):
        seasonal_naive([1.0, 2.0, 3.0], 1, season_length=0)


def test_make_models_seasonal_and_fallback():
    history = np.arange(1.0, 61.0)  # 60 months, m = 12
    seasonal = make_models("monthly", seasonal=True, fourier_order=1)
    assert tuple(seasonal) == MODEL_NAMES
    assert seasonal["seasonal_naive"](history, 2).tolist() == [49.0, 50.0]  # a year earlier
    assert seasonal["linear"].keywords["lags"] == [1, 12]
    fallback = make_models("monthly", seasonal=False, fourier_order=1)
    assert fallback["seasonal_naive"](history, 2).tolist() == [60.0, 60.0]  # naive
    assert fallback["linear"].keywords["lags"] == [1]
    assert fallback["linear"].keywords["fourier_order"] == 0
    assert fallback["holt_winters"].keywords["season_length"] is None


def test_holt_winters_on_an_all_zero_history_forecasts_zero_quietly():
    # A segment with no sales yet: statsmodels takes log(0) in its information criteria.
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(holt_winters(np.zeros(24), 3, season_length=4), np.zeros(3))
        np.testing.assert_array_equal(holt_winters(np.zeros(10), 2), np.zeros(2))
    # A ResourceWarning here is the garbage collector closing what an earlier test on the
    # same worker left open (an event loop's sockets), not something holt_winters said.
    said = [
        f"{w.category.__name__}: {w.message}" for w in caught if w.category is not ResourceWarning
    ]
    assert said == []


def _statsmodels_forecast(history, horizon, **options):
    """The straightforward statsmodels call holt_winters wraps (BLAS threads as configured)."""
    import warnings

    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        use_brute = "seasonal" not in options
        fitted = ExponentialSmoothing(history, trend="add", damped_trend=True, **options).fit(
            use_brute=use_brute
        )
        return np.asarray(fitted.forecast(horizon), dtype=float)


def _weekly_series(n=120, seed=7):
    # A noisy yearly season on a trend, like the workbook's weekly demand series.
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 1000 + 3 * t + 200 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 50, n)


def test_holt_winters_single_thread_gives_bitwise_the_plain_statsmodels_forecast():
    # The one-thread BLAS limit is a speed-up only: the forecast is unchanged to the bit.
    from threadpoolctl import threadpool_limits

    history = _weekly_series()
    seasonal = {"seasonal": "mul", "seasonal_periods": 52, "initialization_method": "heuristic"}
    with threadpool_limits(2, "blas"):  # statsmodels on two threads (the suite runs on one)
        np.testing.assert_array_equal(
            holt_winters(history, 13, season_length=52),
            _statsmodels_forecast(history, 13, **seasonal),
        )
        np.testing.assert_array_equal(
            holt_winters(history[:60], 13),
            _statsmodels_forecast(history[:60], 13, initialization_method="estimated"),
        )


def test_holt_winters_fits_on_one_blas_thread_and_restores_the_pool(monkeypatch):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    seen = []
    original_fit = ExponentialSmoothing.fit

    def spying_fit(self, *args, **kwargs):
        seen.append(blas_threads())
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(ExponentialSmoothing, "fit", spying_fit)
    history = _weekly_series()
    snapshot = history.copy()
    with threadpool_limits(2, "blas"):  # whatever the pool held before (the suite runs on one)
        holt_winters(history, 13, season_length=52)
        assert blas_threads() and set(blas_threads()) == {2}
    assert seen and all(threads == 1 for threads in seen[0])
    np.testing.assert_array_equal(history, snapshot)  # the input is not mutated
