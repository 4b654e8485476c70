"""Stage 07 over many series: every series and measure, the metrics, merged notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.stage import FREQUENCIES, MODEL_NAMES, DemandSeries, forecast_demand

# The series' frequency comes from the DemandSeries (monthly here).
OPTIONS = {"horizon": 6, "n_origins": 3, "origin_step": 6, "fourier_order": 2}
SEASON = np.array([0.8, 0.85, 0.9, 1.0, 1.0, 0.95, 0.9, 0.95, 1.05, 1.15, 1.3, 1.15])


def _trend_season(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 5, n)
    return (200 + 8 * t) * SEASON[t % 12] + noise


def _series_table(periods, series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long table of ``(dimension, group, revenue)`` series (orders: revenue / 10) and its groups."""
    rows = [
        pd.DataFrame(
            {
                "dimension": dimension,
                "group": group,
                "period": periods,
                "revenue": revenue,
                "orders": np.round(revenue / 10),
            }
        )  # fmt: skip
        for dimension, group, revenue in series
    ]
    groups = pd.DataFrame([(d, g) for d, g, _ in series], columns=["dimension", "group"])
    return pd.concat(rows, ignore_index=True), groups


def _demand(n_months: int = 36) -> DemandSeries:
    periods = pd.date_range("2020-01-01", periods=n_months, freq="MS")
    a, b = _trend_season(n_months, seed=1), _trend_season(n_months, seed=2) / 2
    table, groups = _series_table(periods, [("total", "all", a + b), ("category", "a", a)])
    return DemandSeries(table, FREQUENCIES["monthly"], groups, ["a note"])


def test_forecast_demand_covers_every_series_and_measure():
    # 36 months, 2 origins: the first trains on 36 - 6 - 6 = 24 months, just two seasons.
    result = forecast_demand(_demand(), **{**OPTIONS, "n_origins": 2})
    assert len(result.series) == 4  # 2 series x 2 measures
    assert set(result.series["measure"]) == {"revenue", "orders"}
    assert set(result.forecasts.groupby(["dimension", "group", "measure"]).size()) == {6}
    assert len(result.scores) == 4 * 4 * 2  # series x models x origins
    assert result.notes[0] == "a note"
    assert result.total().name == "total: all (revenue)"
    metrics = result.metrics()
    assert metrics["measure"] == "revenue" and metrics["horizon"] == 6
    assert metrics["best_model"] == result.total().best_model
    assert set(metrics["models"]) == set(MODEL_NAMES)
    for scores in metrics["models"].values():
        assert set(scores) == {"mase", "mae", "rmse", "smape", "mape"}
    assert metrics["orders"]["best_model"] in MODEL_NAMES
    assert metrics["n_series"] == 4 and sum(metrics["best_model_counts"].values()) == 4
    assert metrics["n_periods"] == 36 and metrics["season_length"] == 12


def test_a_fallback_shared_by_every_series_is_noted_once():
    result = forecast_demand(_demand(30), measures=["revenue"], **OPTIONS)
    assert result.notes == [
        "a note",
        "every series (2): the first backtest origin trains on 12 months, fewer than two "
        "seasons (24); seasonal models fall back to non-seasonal ones (naive instead of "
        "seasonal naive, no Fourier terms, Holt instead of Holt-Winters) and MASE is scaled "
        "by the naive forecast",
    ]
    assert result.metrics()["season_length"] == 1 and "orders" not in result.metrics()


def test_forecast_demand_refuses_unknown_measures():
    with pytest.raises(DataValidationError, match="measures: expected a non-empty list"):
        forecast_demand(_demand(), measures=["profit"])


def test_keyed_concat_is_the_assign_then_concat_table():
    from marketing_utils.forecast.stage import _keyed_concat

    frames = [
        pd.DataFrame({"model": ["a", "b"], "mase": [0.5, np.nan], "rank": [1, 2]}),
        pd.DataFrame({"model": ["c"], "mase": [1.25], "rank": [1]}),
        pd.DataFrame({"model": pd.Series([], dtype="str"), "mase": [], "rank": []}).astype(
            {"mase": float, "rank": int}
        ),
        pd.DataFrame({"model": ["d", "e", "f"], "mase": [1.0, 2.0, 3.0], "rank": [3, 1, 2]}),
    ]
    keys = [
        {"dimension": "total", "group": "all", "measure": "revenue"},
        {"dimension": "category", "group": "books", "measure": "orders"},
        {"dimension": "segment", "group": "new", "measure": "revenue"},
        {"dimension": "segment", "group": "loyal", "measure": "orders"},
    ]
    parts = list(zip(keys, frames, strict=True))
    copies = [frame.copy() for frame in frames]
    expected = pd.concat(
        [frame.assign(**key)[[*key, *frame.columns]] for key, frame in parts],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(_keyed_concat(parts), expected, check_exact=True)
    for frame, copy in zip(frames, copies, strict=True):  # the inputs are not mutated
        pd.testing.assert_frame_equal(frame, copy)


def _demand_with_a_late_segment() -> DemandSeries:
    """Total, one category and one segment that sold nothing before month 31 of 36."""
    periods = pd.date_range("2020-01-01", periods=36, freq="MS")
    category = _trend_season(36, seed=1)
    late = np.where(np.arange(36) >= 30, _trend_season(36, seed=3), 0.0)
    series = [("total", "all", category + late), ("category", "a", category),
              ("segment", "late", late)]  # fmt: skip
    table, groups = _series_table(periods, series)
    return DemandSeries(table, FREQUENCIES["monthly"], groups)


def test_series_counts_leave_out_the_totals_and_the_series_without_a_mase():
    # Origins train on 24 and 30 months: the late segment has no sales before either,
    # so its in-sample seasonal naive error (MASE's denominator) is 0 at both.
    result = forecast_demand(_demand_with_a_late_segment(), **{**OPTIONS, "n_origins": 2})
    series = result.series.set_index(["dimension", "group", "measure"])
    late = result.results[("segment", "late", "revenue")]
    assert np.isnan(series.loc[("segment", "late", "revenue"), "best_mase"])
    assert not late.mase_defined and late.undefined_mase == (
        "no sales before the backtest origin 2022-07-01"
    )
    assert result.results[("category", "a", "revenue")].undefined_mase == ""
    # What is compared: the category series only (the totals are the headline's own figure).
    beats_a = [
        bool(series.loc[("category", "a", m), "beats_baseline"]) for m in ("revenue", "orders")
    ]
    counts = result.series_counts()
    assert counts == {
        "group_series": 4,
        "compared": 2,
        "beating_baseline": sum(beats_a),
        "mase_undefined": 2,
        "mase_undefined_series": {
            "segment: late (revenue)": "no sales before the backtest origin 2022-07-01",
            "segment: late (orders)": "no sales before the backtest origin 2022-07-01",
        },
    }
    # Counting every row, as before, would count the totals (and any undefined series).
    assert counts["beating_baseline"] < int(result.series["beats_baseline"].sum())
    metrics = result.metrics()
    assert metrics["n_series"] == 6 and metrics["n_group_series"] == 4
    assert metrics["n_series_compared"] == 2 and metrics["n_series_mase_undefined"] == 2
    assert metrics["series_beating_baseline"] == counts["beating_baseline"]
    sentence = result.series_verdict()
    assert sentence.startswith(
        f"{counts['beating_baseline']} of the 2 category and segment series (revenue and "
        "orders counted separately) with a defined MASE"
    )
    assert "2 more series have an undefined MASE" in sentence
    assert "segment: late (revenue, orders): no sales before the backtest origin 2022-07-01" in (
        sentence
    )
    table = result.series_table()
    assert table["mase_defined"].tolist() == result.series["mase_defined"].tolist()
    np.testing.assert_array_equal(
        table["baseline_mase"], result.series["baseline_mase"].round(2).to_numpy()
    )
