"""Rolling-origin backtest: the splits, no future data, hand-worked scores, intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.backtest import (
    backtest,
    prediction_interval,
    rolling_origin_splits,
)
from marketing_utils.forecast.models import drift, seasonal_naive


def _series(values) -> pd.Series:
    index = pd.date_range("2024-01-01", periods=len(values), freq="W-MON")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="example")


def test_splits_by_hand():
    splits = rolling_origin_splits(10, horizon=2, n_origins=3, step=2)
    assert [(s.origin, s.train_end, s.test_end) for s in splits] == [
        (1, 4, 6),
        (2, 6, 8),
        (3, 8, 10),
    ]
    assert list(splits[0].train) == [0, 1, 2, 3] and list(splits[0].test) == [4, 5]


def test_overlapping_origins_when_step_is_shorter_than_horizon():
    splits = rolling_origin_splits(12, horizon=4, n_origins=3, step=1)
    assert [(s.train_end, s.test_end) for s in splits] == [(6, 10), (7, 11), (8, 12)]


@given(
    n=st.integers(10, 200),
    horizon=st.integers(1, 20),
    n_origins=st.integers(1, 6),
    step=st.integers(1, 15),
)
def test_no_training_window_reaches_into_its_test_window(n, horizon, n_origins, step):
    try:
        splits = rolling_origin_splits(n, horizon=horizon, n_origins=n_origins, step=step)
    except DataValidationError:
        assert n - horizon - (n_origins - 1) * step < max(2, horizon) or horizon >= n
        return
    assert len(splits) == n_origins
    assert splits[-1].test_end == n  # the last origin ends with the data
    for split in splits:
        assert split.train.start == 0  # expanding window: all history before the origin
        assert max(split.train) < min(split.test)
        assert len(split.test) == horizon
        assert len(split.train) >= max(2, horizon)
    assert all(b.train_end - a.train_end == step for a, b in zip(splits, splits[1:], strict=False))


def test_split_errors_name_the_parameter():
    with pytest.raises(DataValidationError, match="horizon.*longer than the history"):
        rolling_origin_splits(10, horizon=10, n_origins=1, step=1)
    with pytest.raises(DataValidationError, match="first origin trains on 2 of the 10 periods"):
        rolling_origin_splits(10, horizon=4, n_origins=2, step=4)
    with pytest.raises(DataValidationError, match="n_origins: expected a positive whole number"):
        rolling_origin_splits(10, horizon=2, n_origins=0, step=1)
    with pytest.raises(DataValidationError, match="origin_step: expected a positive whole number"):
        rolling_origin_splits(10, horizon=2, n_origins=2, step=True)


def test_models_see_only_the_past():
    values = np.arange(100.0, 130.0)
    seen = []

    def spy(history, horizon):
        seen.append(np.array(history))
        return np.repeat(history[-1], horizon)

    backtest(_series(values), {"spy": spy}, horizon=5, n_origins=3, step=4, season_length=1)
    assert [len(h) for h in seen] == [17, 21, 25]  # 30 - 5 - 2*4, then +4, +4
    for history in seen:
        np.testing.assert_array_equal(history, values[: len(history)])


def test_scores_by_hand():
    # A straight line: drift is exact; naive lags one step of 2 behind.
    series = _series([10, 12, 14, 16, 18, 20])
    result = backtest(
        series,
        {"seasonal_naive": seasonal_naive, "drift": drift},
        horizon=1,
        n_origins=2,
        step=1,
        season_length=1,
    )
    scores = result.scores.set_index(["model", "origin"])
    # origin 1 trains on 10..16 (scale 2), forecasts 16 for 18: MAE 2, MASE 1
    assert scores.loc[("seasonal_naive", 1), "mae"] == pytest.approx(2.0)
    assert scores.loc[("seasonal_naive", 1), "mase"] == pytest.approx(1.0)
    assert scores.loc[("seasonal_naive", 2), "mape"] == pytest.approx(10.0)  # 2 / 20
    assert scores.loc[("drift", 2), "mae"] == pytest.approx(0.0)
    assert result.best_model == "drift"
    assert result.summary["model"].tolist() == ["drift", "seasonal_naive"]
    assert result.summary["rank"].tolist() == [1, 2]
    assert result.scores["origin_period"].iloc[0] == series.index[4]
    predictions = result.predictions.query("model == 'seasonal_naive'")
    assert predictions["forecast"].tolist() == [16.0, 18.0]
    assert predictions["error"].tolist() == [2.0, 2.0]
    assert predictions["step"].tolist() == [1, 1]


def test_mape_undefined_at_one_origin_is_undefined_in_the_summary():
    series = _series([5, 6, 7, 0, 9, 10])
    result = backtest(series, {"drift": drift}, horizon=1, n_origins=3, step=1, season_length=1)
    assert math.isnan(result.scores.set_index("origin").loc[1, "mape"])
    assert math.isnan(result.summary["mape"].iloc[0])
    assert not math.isnan(result.summary["mae"].iloc[0])


def test_constant_series_ranks_by_mae_and_ties_go_to_the_first_model():
    series = _series([4.0] * 8)
    result = backtest(
        series,
        {"seasonal_naive": seasonal_naive, "drift": drift},
        horizon=2,
        n_origins=2,
        step=1,
        season_length=1,
    )
    assert result.summary["mase"].isna().all()  # scale 0: MASE undefined
    assert result.best_model == "seasonal_naive"


def test_negative_forecasts_are_clipped_to_zero():
    series = _series([9, 6, 3, 2, 1, 0.5])
    result = backtest(series, {"drift": drift}, horizon=2, n_origins=1, step=1, season_length=1)
    assert result.predictions["forecast"].tolist() == [0.0, 0.0]


def test_a_model_that_cannot_fit_is_left_out_with_the_reason():
    def needs_long_history(history, horizon):
        raise DataValidationError("series", "expected a long history")

    series = _series(np.arange(1.0, 11.0))
    result = backtest(
        series,
        {"drift": drift, "long": needs_long_history},
        horizon=2,
        n_origins=2,
        step=2,
        season_length=1,
    )
    assert set(result.summary["model"]) == {"drift"}
    assert "expected a long history" in result.excluded["long"]
    with pytest.raises(DataValidationError, match="no model could be fitted"):
        backtest(
            series, {"long": needs_long_history}, horizon=2, n_origins=2, step=2, season_length=1
        )


def test_prediction_interval_by_hand():
    errors = np.array([-1.0, 2.0, -3.0, 4.0, 5.0])
    # |errors| sorted 1, 2, 3, 4, 5; the 0.8 quantile rounded up to an observed error is 5
    lower, upper = prediction_interval(np.array([10.0, 3.0]), errors, level=0.8)
    assert upper.tolist() == [15.0, 8.0]
    assert lower.tolist() == [5.0, 0.0]  # 3 - 5 clipped at zero
    lower, _ = prediction_interval(np.array([3.0]), errors, level=0.8, nonnegative=False)
    assert lower.tolist() == [-2.0]


def test_prediction_interval_errors():
    with pytest.raises(
        DataValidationError, match="interval_level: expected a level strictly between 0 and 1"
    ):
        prediction_interval(np.array([1.0]), np.array([1.0]), level=1.0)
    with pytest.raises(DataValidationError, match="at least one backtest error"):
        prediction_interval(np.array([1.0]), np.array([]), level=0.5)


def _per_origin_predictions(series, models, *, horizon, n_origins, step, season_length):
    """The predictions table built the straightforward way: one frame per model and origin."""
    values = series.to_numpy(dtype=float)
    splits = rolling_origin_splits(
        len(values), horizon=horizon, n_origins=n_origins, step=step, min_train=season_length + 1
    )
    rows = []
    for name, model in models.items():
        try:
            model_rows = []
            for split in splits:
                forecast = np.clip(model(values[: split.train_end], horizon), 0.0, None)
                actual = values[split.train_end : split.test_end]
                model_rows.append(
                    pd.DataFrame(
                        {
                            "origin": split.origin,
                            "model": name,
                            "period": series.index[split.train_end : split.test_end],
                            "step": np.arange(1, horizon + 1),
                            "actual": actual,
                            "forecast": forecast,
                            "error": actual - forecast,
                        }
                    )
                )
        except DataValidationError:
            continue
        rows.extend(model_rows)
    return pd.concat(rows, ignore_index=True)


def test_predictions_table_is_the_per_origin_table():
    rng = np.random.default_rng(3)
    series = _series(50 + np.cumsum(rng.normal(0, 4, 40)))
    snapshot = series.copy()

    def needs_long_history(history, horizon):
        if len(history) < 30:
            raise DataValidationError("series", "too short")
        return np.full(horizon, history[-1])

    models = {
        "seasonal_naive": lambda h, n: seasonal_naive(h, n, season_length=4),
        "too_long": needs_long_history,
        "drift": lambda h, n: drift(h, n) - 60.0,  # negative forecasts, clipped
    }
    options = {"horizon": 5, "n_origins": 3, "step": 4, "season_length": 4}
    result = backtest(series, models, **options)
    pd.testing.assert_frame_equal(
        result.predictions, _per_origin_predictions(series, models, **options), check_exact=True
    )
    assert "too_long" in result.excluded
    pd.testing.assert_series_equal(series, snapshot)  # the input is not mutated
