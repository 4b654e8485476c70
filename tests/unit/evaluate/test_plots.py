"""Tests of marketing_utils.evaluate.plots: every figure is titled and its axes labelled."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from marketing_utils.evaluate import plots as evaluate_plots
from marketing_utils.evaluate.classification import calibration_by_group
from marketing_utils.evaluate.economics import CampaignEconomics, profit_curve
from marketing_utils.evaluate.metrics import (
    bootstrap_metrics,
    decile_table,
    gains_curve,
    ks_statistic,
)

RNG = np.random.default_rng(1)
P = RNG.beta(1, 3, 300)
Y = (RNG.random(300) < P).astype(int)
GROUPS = RNG.choice(["a", "b", "c"], 300)


FIGURES = {
    "roc_pr": lambda: evaluate_plots.roc_pr_chart(
        Y, P, bootstrap_metrics(Y, P, ["auc", "pr_auc"], n_boot=5), ks_statistic(Y, P)
    ),
    "gains": lambda: evaluate_plots.gains_chart(
        gains_curve(Y, P), Y.mean(), gains_curve(Y, np.round(P, 1))
    ),
    "lift": lambda: evaluate_plots.lift_chart(gains_curve(Y, P), Y.mean()),
    "profit": lambda: evaluate_plots.profit_chart(
        profit_curve(Y, P, CampaignEconomics(1.0, 5.0)),
        chosen_depth=0.4,
        best_realized_depth=0.35,
        limit_depth=0.6,
    ),
    "calibration": lambda: evaluate_plots.calibration_chart(
        decile_table(Y, P), calibration_by_group(Y, P, GROUPS)
    ),
    "comparison": lambda: evaluate_plots.profit_comparison_chart(
        {"everyone": 10.0, "model": 50.0, "oracle": 55.0}, title="Profit"
    ),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_axis_has_a_title_and_labels(name):
    figure = FIGURES[name]()
    try:
        for ax in figure.axes:
            assert ax.get_title(), f"figure {name}: an axis has no title"
            assert ax.get_xlabel() and ax.get_ylabel(), f"figure {name}: unlabelled axis"
    finally:
        plt.close("all")


def test_profit_chart_marks_the_chosen_depth():
    figure = evaluate_plots.profit_chart(
        profit_curve(Y, P, CampaignEconomics(1.0, 5.0)), chosen_depth=0.25
    )
    try:
        labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
        assert "chosen: 25.0% contacted" in labels
    finally:
        plt.close("all")
