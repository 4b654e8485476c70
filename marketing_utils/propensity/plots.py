"""Figures of stage 03, in the house style (title, labelled axes with units)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from ..plotting import PALETTE, finish

__all__ = [
    "gradient_descent_chart",
    "model_comparison_chart",
    "odds_ratio_chart",
    "partial_dependence_chart",
    "permutation_importance_chart",
    "reliability_diagram",
    "roc_pr_curves",
]

_FAMILY_NAMES = {
    "logistic": "logistic regression",
    "random_forest": "random forest",
    "hist_gradient_boosting": "hist. gradient boosting",
    "svm": "support vector machine",
    "mlp": "neural network (MLP)",
}


def model_comparison_chart(comparison: pd.DataFrame) -> plt.Figure:
    """Cross-validated ROC AUC and PR AUC per family (mean ± one standard deviation)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.6 * len(comparison) + 2.2), sharey=True)
    ordered = comparison.iloc[::-1]
    labels = [_FAMILY_NAMES.get(f, f) for f in ordered["family"]]
    for ax, metric, title in zip(
        axes, ("roc_auc", "pr_auc"), ("ROC AUC", "PR AUC (average precision)"), strict=True
    ):
        means, stds = ordered[f"{metric}_mean"], ordered[f"{metric}_std"]
        ax.barh(labels, means, xerr=stds, color=PALETTE[0], capsize=3)
        low = max(0.0, float((means - 2 * stds).min()) - 0.02)
        ax.set_xlim(low, min(1.0, float((means + 2 * stds).max()) + 0.02))
        for y, value in enumerate(means):
            ax.annotate(f"{value:.3f}", (value, y), xytext=(4, 6), textcoords="offset points",
                        fontsize=8)  # fmt: skip
        finish(ax, title, "score on held-out folds (higher is better)", "")
    fig.suptitle("Candidate models on the training folds", fontweight="bold")
    fig.tight_layout()
    return fig


def reliability_diagram(tables: Mapping[str, pd.DataFrame]) -> plt.Figure:
    """Observed rate against mean predicted probability, one line per model (suppressed bins omitted)."""
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.plot([0, 1], [0, 1], color="#7b8794", ls="--", lw=1, label="perfect calibration")
    for (name, table), colour in zip(tables.items(), PALETTE, strict=False):
        shown = table[~table["suppressed"]]
        ax.plot(shown["mean_predicted"] * 100, shown["observed_rate"] * 100, marker="o",
                color=colour, label=name)  # fmt: skip
    ax.lines[0].set_data([0, 100], [0, 100])
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left")
    finish(ax, "Reliability on the test customers", "mean predicted probability (%)",
           "observed rate (%)")  # fmt: skip
    fig.tight_layout()
    return fig


def roc_pr_curves(labels, scores: Mapping[str, np.ndarray]) -> plt.Figure:
    """ROC and precision-recall curves on the test customers, one line per score."""
    labels = np.asarray(labels)
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(11, 4.6))
    for (name, score), colour in zip(scores.items(), PALETTE, strict=False):
        fpr, tpr, _ = roc_curve(labels, score)
        roc_ax.plot(fpr * 100, tpr * 100, color=colour, label=name)
        precision, recall, _ = precision_recall_curve(labels, score)
        pr_ax.plot(recall * 100, precision * 100, color=colour, label=name)
    roc_ax.plot([0, 100], [0, 100], color="#7b8794", ls="--", lw=1, label="random")
    pr_ax.axhline(labels.mean() * 100, color="#7b8794", ls="--", lw=1, label="random")
    roc_ax.legend(loc="lower right")
    pr_ax.legend(loc="lower left")
    finish(roc_ax, "ROC curve", "false positive rate (% of non-buyers)", "true positive rate (%)")
    finish(pr_ax, "Precision-recall curve", "recall (% of buyers found)", "precision (%)")
    fig.tight_layout()
    return fig


def gradient_descent_chart(losses: np.ndarray, reference_loss: float | None = None) -> plt.Figure:
    """The objective after each gradient-descent step (it never increases)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color=PALETTE[0], label="gradient descent")
    if reference_loss is not None:
        ax.axhline(reference_loss, color=PALETTE[3], ls="--", label="scikit-learn optimum")
    ax.set_xscale("log")
    ax.legend()
    finish(ax, "Gradient descent: objective per step", "iteration (log scale)",
           "penalized mean log loss (nats)")  # fmt: skip
    fig.tight_layout()
    return fig


def permutation_importance_chart(table: pd.DataFrame, top: int = 15) -> plt.Figure:
    """Drop in held-out ROC AUC when each feature is shuffled (mean ± sd over repeats)."""
    shown = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(shown) + 1.6))
    ax.barh(shown["feature"], shown["importance_mean"], xerr=shown["importance_std"],
            color=PALETTE[0], capsize=2)  # fmt: skip
    ax.axvline(0, color="black", lw=0.8)
    finish(ax, "Permutation importance on the test customers",
           "drop in ROC AUC when shuffled (AUC points)", "feature")  # fmt: skip
    fig.tight_layout()
    return fig


def partial_dependence_chart(table: pd.DataFrame) -> plt.Figure:
    """Average predicted probability against each feature's value (one panel per feature)."""
    features = list(dict.fromkeys(table["feature"]))
    fig, axes = plt.subplots(1, len(features), figsize=(4 * len(features), 3.6), squeeze=False)
    for ax, feature in zip(axes[0], features, strict=True):
        part = table[table["feature"] == feature]
        values = part["value"]
        probabilities = part["average_probability"] * 100
        if pd.api.types.is_numeric_dtype(values):
            ax.plot(values, probabilities, color=PALETTE[0], marker=".")
        else:
            ax.bar(values.astype(str), probabilities, color=PALETTE[0])
            ax.tick_params(axis="x", rotation=30)
        finish(ax, feature, f"{feature} (feature units)", "average predicted probability (%)")
    fig.suptitle("Partial dependence of the top features", fontweight="bold")
    fig.tight_layout()
    return fig


def odds_ratio_chart(table: pd.DataFrame, top: int = 15) -> plt.Figure:
    """Odds ratios per one standard deviation (log scale; 1 means no effect)."""
    shown = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(shown) + 1.6))
    colours = [PALETTE[2] if r > 1 else PALETTE[3] for r in shown["odds_ratio"]]
    ax.barh(shown["feature"], shown["odds_ratio"] - 1, left=1, color=colours)
    ax.set_xscale("log")
    ax.axvline(1, color="black", lw=0.8)
    finish(ax, "Logistic regression: odds ratios",
           "odds ratio per +1 sd (log scale; >1 raises the odds)", "feature")  # fmt: skip
    fig.tight_layout()
    return fig
