"""Stage 07 headline: one rounding of MASE everywhere, and honest series counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketing_utils.forecast.headline import stage_headline
from marketing_utils.forecast.series import format_mase, rounded_mase, verdict
from marketing_utils.forecast.stage import forecast_demand

from .test_stage import OPTIONS, _demand_with_a_late_segment


def _result():
    demand = _demand_with_a_late_segment()
    return demand, forecast_demand(demand, **{**OPTIONS, "n_origins": 2})


def test_format_mase_rounds_once_for_every_reader():
    # 1.2753 read 1.27 in a table, 1.275 in the verdict and 1.28 in the headline.
    assert format_mase(1.275306) == "1.28" and rounded_mase(1.275306) == 1.28
    assert format_mase(0.608374) == "0.61" and format_mase(float("nan")) == "undefined"


def test_the_same_mase_reads_the_same_in_the_verdict_headline_and_tables():
    demand, result = _result()
    total = result.total()
    row = total.summary_row()
    best, baseline = format_mase(row["best_mase"]), format_mase(row["baseline_mase"])
    figures, decision = stage_headline(result, demand.series())
    assert figures[0]["value"] == rounded_mase(row["best_mase"])
    assert figures[0]["comparison"].startswith(f"seasonal naive baseline: {baseline} ")
    sentence = verdict(total)
    if row["beats_baseline"]:
        assert f"MASE {best} against {baseline}," in sentence
    else:
        assert f"baseline MASE {baseline}," in sentence
    table = total.summary_table().set_index("model")
    assert f"{table.loc['seasonal_naive', 'mase']:.2f}" == baseline
    assert f"{table.loc[total.best_model, 'mase']:.2f}" == best
    series = result.series_table()
    assert f"{series.loc[0, 'baseline_mase']:.2f}" == baseline


def test_the_series_figure_counts_only_series_with_a_defined_mase():
    demand, result = _result()
    figures, _ = stage_headline(result, demand.series())
    figure = next(f for f in figures if f["label"] == "series where a model beats the baseline")
    counts = result.series_counts()
    assert counts["compared"] == 2 and counts["mase_undefined"] == 2
    assert figure["value"] == counts["beating_baseline"] / 2
    assert figure["reading"].startswith("category and segment series with a defined backtest MASE")
    assert figure["comparison"] == (
        f"{counts['beating_baseline']} of 2 series (revenue and orders counted separately); "
        "2 more have an undefined MASE (no sales before a backtest origin: a zero in-sample "
        "naive error) and are not counted"
    )


def test_without_groups_there_is_no_series_figure_and_the_decision_follows_the_backtest():
    demand, result = _result()
    only_total = forecast_demand(
        type(demand)(
            demand.table[demand.table["dimension"] == "total"],
            demand.frequency,
            demand.groups[demand.groups["dimension"] == "total"],
        ),
        **{**OPTIONS, "n_origins": 2},
    )
    figures, decision = stage_headline(only_total, demand.series())
    assert [f["label"] for f in figures] == [
        "backtest error (MASE)",
        "revenue forecast, next 6 months",
    ]
    total = only_total.total()
    planned = float(total.forecast["forecast"].sum())
    if total.summary_row()["beats_baseline"]:
        assert decision.startswith(f"Plan stock and campaign budget on the {total.best_model}")
        assert f"{planned:,.0f} revenue over the next 6 months" in decision
    else:
        assert decision.startswith("No model beats the seasonal naive forecast")
    # The same months a year earlier (season 12): the last 12 months' first 6.
    history = demand.series()
    recent = float(history.iloc[-12:][:6].sum())
    assert figures[1]["comparison"].startswith(f"the same 6 months a year earlier: {recent:,.0f}")
    assert figures[1]["value"] == planned


def test_the_comparison_covers_as_many_periods_as_the_forecast():
    from marketing_utils.forecast.headline import _comparable_history

    history = pd.Series(np.arange(1.0, 31.0))  # 30 days: 1, 2, ..., 30
    # Daily data (season 7) and a 13-day forecast: longer than a season, so the last 13 days.
    assert _comparable_history(history, 13, 7, "day") == (
        float(sum(range(18, 31))),
        "the last 13 days",
    )
    # A 5-day forecast fits in a week: the same 5 days a week earlier (days 24 to 28).
    assert _comparable_history(history, 5, 7, "day") == (
        float(sum(range(24, 29))),
        "the same 5 days 7 days earlier",
    )
    # Weekly data: a year back.
    weeks = pd.Series(np.ones(60))
    assert _comparable_history(weeks, 13, 52, "week") == (13.0, "the same 13 weeks a year earlier")
    # No season (or too little history): the last periods.
    assert _comparable_history(history, 4, 1, "day") == (
        float(27 + 28 + 29 + 30),
        "the last 4 days",
    )
