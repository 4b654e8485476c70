"""Figures of stage 02 (marketing_utils.segment.plots): every figure titled, axes labelled."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from marketing_utils.segment import plots as segment_plots
from tests.unit.segment.test_stage import FAST, three_groups


@pytest.fixture(scope="module")
def result():
    from marketing_utils.segment.stage import segment_customers

    features, _ = three_groups(n_per_group=30)
    return segment_customers(features, seed=0, **FAST)


def _labelled(fig: plt.Figure) -> list[tuple[str, str, str]]:
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    return [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in axes]


def _assert_house_style(fig: plt.Figure) -> None:
    for title, xlabel, ylabel in _labelled(fig):
        assert title and xlabel and ylabel
    plt.close(fig)


def test_k_selection_figure_has_four_panels_and_marks_the_chosen_k(result):
    fig = segment_plots.k_selection_figure(result.selection.table, 3)
    assert len(fig.axes) == 4
    marked = [line.get_xdata()[0] for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert marked == [3]
    _assert_house_style(fig)


def test_stability_figure(result):
    fig = segment_plots.stability_figure(result.selection.table, 3, threshold=0.85)
    _assert_house_style(fig)


def test_cluster_map_draws_at_most_max_points(result):
    names = result.profiles.set_index("cluster")["cluster_name"]
    fig = segment_plots.cluster_map(result.features.matrix, result.labels, names, max_points=50)
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert drawn == 50
    assert "% of variance" in fig.axes[0].get_xlabel()
    _assert_house_style(fig)


def test_profile_heatmap_annotates_every_cell(result):
    names = result.profiles.set_index("cluster")["cluster_name"]
    fig = segment_plots.profile_heatmap(result.differences, names)
    assert len(fig.axes[0].texts) == result.differences.size
    _assert_house_style(fig)


def test_heatmap_numbers_are_white_on_dark_cells_and_black_on_light_ones():
    differences = pd.DataFrame([[3.0, 0.0, -3.0]], columns=["a", "b", "c"], index=[1])
    fig = segment_plots.profile_heatmap(differences, pd.Series({1: "one"}))
    # RdBu_r from -3 to 3: dark red, white, dark blue.
    assert [t.get_color() for t in fig.axes[0].texts] == ["white", "black", "white"]
    counts = pd.DataFrame([[0.0, 50.0, 100.0]])
    fig = segment_plots.crosstab_heatmap(counts, title="t", xlabel="x", ylabel="y")
    assert [t.get_color() for t in fig.axes[0].texts] == ["black", "black", "white"]


def test_size_value_bars_and_crosstab(result):
    _assert_house_style(segment_plots.size_value_bars(result.published_profiles()))
    fig = segment_plots.crosstab_heatmap(
        result.crosstab(), title="t", xlabel="x", ylabel="y", min_size=10
    )
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("<10") == int(np.isnan(result.crosstab().to_numpy()).sum())
    _assert_house_style(fig)


def test_rf_grid_shows_all_25_cells(result):
    fig = segment_plots.rf_grid_figure(result.rfm, min_size=5)
    assert len(fig.axes[0].texts) == 25
    _assert_house_style(fig)


def test_size_value_bars_without_revenue():
    table = pd.DataFrame({"cluster_name": ["a", "b"], "share_customers": [0.6, 0.4]})
    fig = segment_plots.size_value_bars(table)
    assert len(fig.axes[0].patches) == 2
    _assert_house_style(fig)
