"""Tests of marketing_utils.uplift.plots: every figure is titled, its axes labelled, data drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from marketing_utils.uplift import plots as uplift_plots
from marketing_utils.uplift.experiment import arm_effects, covariate_balance
from marketing_utils.uplift.metrics import uplift_by_decile
from marketing_utils.uplift.policy import policy_comparison

RNG = np.random.default_rng(4)
N = 300
T = RNG.integers(0, 2, N)
X = RNG.normal(size=N)
Y = (RNG.random(N) < 0.2 + 0.2 * T * (X > 0)).astype(int)
U = 0.2 * (X > 0) + RNG.normal(0, 0.05, N)
TABLE = pd.DataFrame({"treatment": T, "response": Y, "x": X, "arm": np.where(T, "w", "control")})
SCORED = pd.DataFrame(
    {"uplift": U, "true_uplift": 0.2 * (X > 0), "uplift_type": np.where(X > 0, "p", "l")}
)

FIGURES = {
    "arms": lambda: uplift_plots.arm_effects_plot(arm_effects(TABLE)),
    "balance": lambda: uplift_plots.balance_plot(covariate_balance(TABLE, numeric=["x"])),
    "qini": lambda: uplift_plots.gain_curves_plot(Y, T, {"model": U, "noise": X}),
    "uplift": lambda: uplift_plots.gain_curves_plot(Y, T, {"model": U}, kind="uplift"),
    "deciles": lambda: uplift_plots.decile_plot(uplift_by_decile(Y, U, T)),
    "policies": lambda: uplift_plots.policy_plot(policy_comparison(Y, T, U, -U)),
    "profit": lambda: uplift_plots.policy_plot(policy_comparison(Y, T, U, -U), "profit"),
    "types": lambda: uplift_plots.uplift_by_type_plot(SCORED),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_are_titled_and_labelled(name):
    figure = FIGURES[name]()
    try:
        for ax in figure.axes:
            assert ax.get_title(), name
            assert ax.get_xlabel() and ax.get_ylabel(), name
            assert ax.lines or ax.collections or ax.patches, name
    finally:
        plt.close(figure)


def test_gain_curves_draw_each_model_and_both_references():
    figure = uplift_plots.gain_curves_plot(Y, T, {"model": U, "noise": X})
    labels = [line.get_label() for line in figure.axes[0].lines]
    assert labels == ["model", "noise", "perfect (from outcomes)", "random targeting"]
    # x axis in percent of customers: every curve ends at 100.
    assert all(line.get_xdata()[-1] == pytest.approx(100) for line in figure.axes[0].lines)
    plt.close(figure)
