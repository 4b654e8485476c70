"""Figures of stage 02 (segmentation), in the house style of :mod:`marketing_utils.plotting`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from marketing_utils.plotting import PALETTE, cell_text_color, finish

__all__ = [
    "cluster_map",
    "crosstab_heatmap",
    "k_selection_figure",
    "profile_heatmap",
    "rf_grid_figure",
    "size_value_bars",
    "stability_figure",
]


def _mark_k(ax: plt.Axes, chosen_k: int) -> None:
    ax.axvline(chosen_k, color=PALETTE[3], ls="--", lw=1)


def k_selection_figure(table: pd.DataFrame, chosen_k: int) -> plt.Figure:
    """Inertia (elbow), silhouette, Calinski-Harabasz and Davies-Bouldin against k, side by side."""
    panels = [
        ("inertia", "Inertia (elbow)", "within-cluster sum of squares (scaled units²)"),
        ("silhouette", "Silhouette (higher is better)", "mean silhouette (-1 to 1)"),
        ("calinski_harabasz", "Calinski-Harabasz (higher is better)", "between/within ratio"),
        ("davies_bouldin", "Davies-Bouldin (lower is better)", "mean similarity ratio"),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for ax, (column, title, ylabel) in zip(axes, panels, strict=True):
        ax.plot(table["k"], table[column], marker="o", color=PALETTE[0])
        _mark_k(ax, chosen_k)
        ax.set_xticks(table["k"])
        finish(ax, title, "number of clusters k", ylabel)
    fig.suptitle(f"Choosing k (dashed line: chosen k = {chosen_k})", fontweight="bold")
    fig.tight_layout()
    return fig


def stability_figure(table: pd.DataFrame, chosen_k: int, threshold: float = 0.85) -> plt.Figure:
    """Bootstrap stability per k: ARI between clusterings (mean and range) and the weakest cluster."""
    fig, ax = plt.subplots(figsize=(8, 4))
    k = table["k"].to_numpy()
    mean = table["stability"].to_numpy()
    ax.fill_between(
        k,
        table["stability_min"],
        table["stability_max"],
        color=PALETTE[0],
        alpha=0.15,
        label="ARI range over bootstrap pairs",
    )
    ax.plot(k, mean, marker="o", color=PALETTE[0], label="mean ARI between bootstrap clusterings")
    ax.plot(
        k,
        table["min_cluster_stability"],
        marker="s",
        color=PALETTE[1],
        label="weakest cluster: mean Jaccard with its bootstrap match",
    )
    ax.axhline(threshold, color="grey", ls=":", lw=1, label=f"highly stable ({threshold:g})")
    _mark_k(ax, chosen_k)
    ax.set_xticks(k)
    ax.set_ylim(min(0.0, float(np.nanmin(table["stability_min"]))) - 0.02, 1.05)
    ax.legend(loc="lower left", fontsize=8)
    finish(
        ax,
        "Do the clusters come back on a new sample?",
        "number of clusters k",
        "agreement (1 = identical)",
    )
    fig.tight_layout()
    return fig


def cluster_map(
    matrix: np.ndarray,
    labels: np.ndarray,
    names: pd.Series,
    *,
    seed: int = 42,
    max_points: int = 4_000,
) -> plt.Figure:
    """The customers on the first two principal components, coloured by cluster.

    A seeded sample of at most ``max_points`` customers is drawn so the
    picture stays readable and fast on a million customers.
    """
    rng = np.random.default_rng(seed)
    shown = rng.choice(len(matrix), min(max_points, len(matrix)), replace=False)
    pca = PCA(n_components=2, random_state=seed).fit(matrix)
    points = pca.transform(matrix[shown])
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for index, cluster in enumerate(sorted(np.unique(labels))):
        mine = labels[shown] == cluster
        ax.scatter(
            points[mine, 0],
            points[mine, 1],
            s=6,
            alpha=0.5,
            color=PALETTE[index % len(PALETTE)],
            label=f"{cluster}: {names.get(cluster, '')}",
        )
    ratio = pca.explained_variance_ratio_ * 100
    # Beside the axes, not loc="best": no dot is hidden, and "best" searches every
    # dot for the emptiest corner (over a second for 4,000 dots on a busy machine).
    ax.legend(fontsize=8, markerscale=3, loc="upper left", bbox_to_anchor=(1.01, 1))
    finish(
        ax,
        "Clusters on a 2-D map (principal components)",
        f"PC 1 ({ratio[0]:.0f}% of variance, scaled units)",
        f"PC 2 ({ratio[1]:.0f}% of variance, scaled units)",
    )
    fig.tight_layout()
    return fig


def profile_heatmap(differences: pd.DataFrame, names: pd.Series) -> plt.Figure:
    """Standardized difference of every feature in every cluster (a heatmap snake plot)."""
    values = differences.to_numpy(dtype=float)
    limit = max(1.0, float(np.nanmax(np.abs(values))))
    fig, ax = plt.subplots(figsize=(max(7, 0.8 * values.shape[1] + 3), 0.6 * len(values) + 2))
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        color = cell_text_color(image, value)
        ax.text(col, row, f"{value:+.1f}", ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(values.shape[1]), differences.columns, rotation=40, ha="right")
    ax.set_yticks(range(len(values)), [f"{c}: {names.get(c, '')}" for c in differences.index])
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="standardized difference (SD from the mean)")
    finish(ax, "What distinguishes each cluster", "feature", "cluster")
    fig.tight_layout()
    return fig


def size_value_bars(profile: pd.DataFrame, *, label_col: str = "cluster_name") -> plt.Figure:
    """Share of customers next to share of revenue, per segment (published rows only)."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(profile) + 1.8))
    y = np.arange(len(profile))
    labels = profile[label_col].astype(str).tolist()
    ax.barh(
        y - 0.2, profile["share_customers"] * 100, 0.4, color=PALETTE[0], label="share of customers"
    )
    if "share_revenue" in profile:
        ax.barh(
            y + 0.2, profile["share_revenue"] * 100, 0.4, color=PALETTE[1], label="share of revenue"
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    finish(ax, "Segment sizes and value", "share (%)", "segment")
    fig.tight_layout()
    return fig


def crosstab_heatmap(
    table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str, min_size: int | None = None
) -> plt.Figure:
    """Counts of a crosstab as an annotated heatmap; blanked (small) cells read "<min"."""
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(7, 0.9 * values.shape[1] + 3), 0.55 * len(values) + 2))
    image = ax.imshow(np.nan_to_num(values), cmap="Blues", aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        text = f"<{min_size}" if np.isnan(value) and min_size else f"{value:,.0f}"
        color = cell_text_color(image, np.nan_to_num(value))
        ax.text(col, row, text, ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in table.columns], rotation=40, ha="right")
    ax.set_yticks(range(len(values)), [str(i) for i in table.index])
    ax.grid(False)
    finish(ax, title, xlabel, ylabel)
    fig.tight_layout()
    return fig


def rf_grid_figure(rfm: pd.DataFrame, *, min_size: int = 1) -> plt.Figure:
    """The 5 x 5 grid of recency and frequency scores: customers and segment of each cell."""
    counts = pd.crosstab(rfm["f_score"], rfm["r_score"]).reindex(
        index=range(5, 0, -1), columns=range(1, 6), fill_value=0
    )
    segment = rfm.groupby(["f_score", "r_score"])["rfm_segment"].first()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    image = ax.imshow(counts.to_numpy(dtype=float), cmap="Blues", aspect="auto")
    for row, f_score in enumerate(counts.index):
        for col, r_score in enumerate(counts.columns):
            n = int(counts.loc[f_score, r_score])
            shown = f"<{min_size}" if 0 < n < min_size else f"{n:,}"
            name = segment.get((f_score, r_score), "")
            color = cell_text_color(image, n)
            ax.text(col, row, f"{name}\n{shown}", ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(5), [str(c) for c in counts.columns])
    ax.set_yticks(range(5), [str(i) for i in counts.index])
    ax.grid(False)
    finish(
        ax,
        "RF grid: customers and segment per cell",
        "recency score (5 = most recent)",
        "frequency score (5 = most orders)",
    )
    fig.tight_layout()
    return fig
