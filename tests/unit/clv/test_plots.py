"""Stage 08's figures: durations read as a reader says them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from marketing_utils.clv import plots

BGNBD = {"r": 0.74, "alpha": 10.3, "a": 1.53, "b": 41.2}


@pytest.mark.parametrize(
    ("periods", "unit", "text"),
    [
        (104.14285714285714, "W", "104 weeks"),
        (52.142857142857146, "W", "52 weeks"),
        (39.0, "W", "39 weeks"),
        (1.0, "W", "1 week"),
        (2.5, "W", "2.5 weeks"),
        (3.0, "W", "3 weeks"),
        (365.0, "D", "365 days"),
    ],
)
def test_duration_label(periods, unit, text):
    assert plots.duration_label(periods, unit) == text


def test_heatmaps_label_the_durations_readably():
    fig = plots.expected_purchases_heatmap(BGNBD, horizon=52.142857142857146, T=104.14285714285714)
    ax, colorbar = fig.axes
    assert ax.get_title().endswith("(customers observed 104 weeks)")
    assert colorbar.get_ylabel() == "expected purchases in the next 52 weeks"
    plt.close(fig)
    fig = plots.p_alive_figure(BGNBD, T=104.14285714285714)
    assert fig.axes[0].get_title() == "Probability of being alive (customers observed 104 weeks)"
    plt.close(fig)
