"""Stage 07 figures: titled, labelled with units, showing what they claim."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from marketing_utils.forecast import plots as forecast_plots
from marketing_utils.forecast.stage import FREQUENCIES, DemandSeries, forecast_demand
from marketing_utils.forecast.truth import oracle_comparison


@pytest.fixture(scope="module")
def demand_and_result():
    periods = pd.date_range("2020-01-01", periods=36, freq="MS")
    t = np.arange(36)
    revenue = (100 + 3 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    table = pd.DataFrame(
        {
            "dimension": "total",
            "group": "all",
            "period": periods,
            "revenue": revenue,
            "orders": np.round(revenue / 5),
        }
    )
    groups = pd.DataFrame({"dimension": ["total"], "group": ["all"]})
    demand = DemandSeries(table, FREQUENCIES["monthly"], groups)
    result = forecast_demand(demand, horizon=6, n_origins=2, origin_step=6, fourier_order=1)
    yield demand, result
    plt.close("all")


def _axes_text(fig):
    return [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]


def test_history_figure_has_both_measures(demand_and_result):
    demand, _ = demand_and_result
    fig = forecast_plots.demand_history_figure(demand)
    titles = [t for t, _, _ in _axes_text(fig)]
    assert titles == ["Total revenue per month", "Total orders per month"]
    assert fig.axes[0].get_ylabel() == "revenue per month (currency units)"
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), demand.series(measure="orders"))


def test_forecast_figure_shows_history_backtests_and_interval(demand_and_result):
    demand, result = demand_and_result
    total = result.total()
    fig = forecast_plots.forecast_figure(
        total, demand.series(), unit="month", ylabel="revenue (EUR)"
    )
    ax = fig.axes[0]
    assert ax.get_title().startswith("total: all (revenue): forecast with")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("month (first day)", "revenue (EUR)")
    labels = [line.get_label() for line in ax.lines]
    assert labels[0] == "history" and labels[-1] == "forecast"
    assert sum(label.startswith("backtest origin") for label in labels) == 2
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), total.forecast["forecast"])


def test_backtest_errors_figure_has_a_bar_per_model_and_origin(demand_and_result):
    _, result = demand_and_result
    fig = forecast_plots.backtest_errors_figure(result.total())
    ax = fig.axes[0]
    assert ax.get_title() == "total: all (revenue): backtest MASE per origin"
    assert ax.get_ylabel() == "MASE (unitless)"
    assert len(ax.patches) == 4 * 2  # models x origins


def test_series_mase_figure(demand_and_result):
    _, result = demand_and_result
    fig = forecast_plots.series_mase_figure(result, "orders")
    ax = fig.axes[0]
    assert ax.get_title() == "Backtest MASE per series (orders)"
    assert ax.get_xlabel() == "MASE (unitless, log scale; lower is better)"
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["total: all"]


def test_oracle_figure_shows_realized_truth_and_the_best_models_backtests(demand_and_result):
    demand, result = demand_and_result
    total, history = result.total(), demand.series()
    expected = history * 0.98 + 1.0
    comparison = oracle_comparison(total, history, expected)
    fig = forecast_plots.oracle_figure(
        comparison, total, history, expected, unit="month", ylabel="revenue (EUR)"
    )
    ax = fig.axes[0]
    assert ax.get_title() == (
        "total: all (revenue): realized, best model and the best possible forecast"
    )
    labels = [line.get_label() for line in ax.lines]
    assert labels[0] == "realized"
    assert labels[1] == f"true expected (MASE {comparison.oracle_mase:.2f})"
    assert labels[2] == f"{total.best_model} backtest (MASE {comparison.best_mase:.2f})"
    # From a season (12 months) before the first origin (month 36 - 6 - 6 = 24) to the end.
    assert len(ax.lines[0].get_xdata()) == 36 - 12
    np.testing.assert_allclose(ax.lines[1].get_ydata(), expected.iloc[12:])
    assert len(ax.lines) == 2 + 2  # one dashed line per backtest origin


def _visible_tick_labels(fig, ax):
    """The x tick labels drawn inside the axis (major and minor), left to right."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    low, high = ax.get_xlim()
    ticks = [
        *zip(ax.xaxis.get_majorticklocs(), ax.xaxis.get_majorticklabels(), strict=True),
        *zip(ax.xaxis.get_minorticklocs(), ax.xaxis.get_minorticklabels(), strict=True),
    ]
    labels = sorted(
        (loc, label)
        for loc, label in ticks
        if low <= loc <= high and label.get_visible() and label.get_text()
    )
    return [label for _, label in labels], [
        label.get_window_extent(renderer) for _, label in labels
    ]


def test_series_mase_axis_has_readable_ticks_that_do_not_overlap():
    # MASE from 0.15 to 3.41 (the default run's revenue series): matplotlib's own log ticks
    # label the minor ticks "3×10⁻¹", "4×10⁻¹", ... and those labels run into each other.
    from types import SimpleNamespace

    best = [0.15, 0.22, 0.42, 0.61, 0.75, 0.91, 1.06, 1.37, 1.92, np.nan]
    baseline = [1.65, 1.89, 1.44, 1.28, 1.28, 1.01, 1.53, 1.42, 3.41, np.nan]
    series = pd.DataFrame(
        {
            "dimension": "segment",
            "group": [f"g{i}" for i in range(len(best))],
            "measure": "revenue",
            "best_model": "linear",
            "best_mase": best,
            "baseline_mase": baseline,
        }
    )
    fig = forecast_plots.series_mase_figure(SimpleNamespace(series=series))
    ax = fig.axes[0]
    labels, boxes = _visible_tick_labels(fig, ax)
    texts = [label.get_text() for label in labels]
    assert texts == ["0.1", "0.2", "0.5", "1", "2", "5"]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 < right.x0, texts  # no two labels touch
    low, high = ax.get_xlim()
    assert (low, high) == (0.1, 5.0)  # every dot inside, from tick to tick
