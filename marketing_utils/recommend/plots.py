"""Figures of stage 06: the long tail, similarities, and the metrics of every method."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..plotting import PALETTE, finish
from .interactions import Interactions

__all__ = [
    "history_table",
    "long_tail_figure",
    "metrics_at_k_figure",
    "metrics_figure",
    "ndcg_by_history_figure",
    "product_categories",
    "neighbour_profile",
    "neighbour_profile_figure",
    "similarity_heatmap",
]

_METHOD_COLOURS = {
    "popularity": "#7b8794",
    "segment_popularity": PALETTE[1],
    "item_cf": PALETTE[0],
    "user_cf": PALETTE[2],
}
_LABELS = {
    "precision": "precision",
    "recall": "recall",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "hit rate",
}


def _colour(method: str, position: int) -> str:
    return _METHOD_COLOURS.get(method, PALETTE[(position + 3) % len(PALETTE)])


def long_tail_figure(interactions: Interactions) -> plt.Figure:
    """Distinct buyers per product (ranked) and distinct products per customer."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    buyers = np.sort(interactions.popularity())[::-1]
    axes[0].plot(np.arange(1, len(buyers) + 1), buyers, color=PALETTE[0])
    axes[0].set_yscale("log")
    finish(
        axes[0],
        "Product popularity: the long tail",
        "product rank (1 = most bought)",
        "distinct buyers (log scale)",
    )
    per_customer = np.diff(interactions.matrix.indptr)
    upper = max(2, int(np.percentile(per_customer, 99)) + 1)
    axes[1].hist(
        np.minimum(per_customer, upper), bins=np.arange(1, upper + 2) - 0.5, color=PALETTE[1]
    )
    finish(
        axes[1],
        "Purchase history per customer",
        f"distinct products bought (capped at {upper})",
        "customers",
    )
    fig.tight_layout()
    return fig


def product_categories(*tables: pd.DataFrame | None) -> dict[str, str] | None:
    """Product id -> category from the first table that has both columns, else ``None``.

    Pass the products table first and the transactions second: a product
    listed in several categories keeps the first one seen.
    """
    for table in tables:
        if table is not None and {"product_id", "category"} <= set(table.columns):
            pairs = table[["product_id", "category"]].dropna().drop_duplicates("product_id")
            return dict(
                zip(pairs["product_id"].astype(str), pairs["category"].astype(str), strict=True)
            )
    return None


def similarity_heatmap(
    similarity: sp.spmatrix,
    interactions: Interactions,
    categories: Mapping[str, str] | None = None,
    n_products: int = 40,
) -> plt.Figure:
    """Kept item-item similarities among the most bought products, grouped by category."""
    popularity = interactions.popularity()
    top = np.argsort(-popularity, kind="stable")[:n_products]
    labels = np.asarray(interactions.product_ids)[top]
    if categories is not None:
        group = np.array([str(categories.get(p, "")) for p in labels])
        order = np.lexsort((-popularity[top], group))
        top, labels, group = top[order], labels[order], group[order]
    block = sp.csr_matrix(similarity)[top][:, top].toarray()
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    image = ax.imshow(block, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, label="similarity s_ij (0 = not a kept neighbour)")
    if categories is not None:
        edges = np.flatnonzero(group[1:] != group[:-1]) + 0.5
        for edge in edges:
            ax.axhline(edge, color="black", lw=0.6)
            ax.axvline(edge, color="black", lw=0.6)
        bounds = np.concatenate([[-0.5], edges, [len(top) - 0.5]])
        centres = (bounds[:-1] + bounds[1:]) / 2
        names = [group[int(np.ceil(low))] for low in bounds[:-1]]
        ax.set_yticks(centres, names, fontsize=8)
        ax.set_xticks(centres, names, fontsize=8, rotation=45, ha="right")
    ax.grid(False)
    finish(
        ax,
        f"Item-item similarity, {len(top)} most bought products",
        "neighbour product j" + (" (by category)" if categories is not None else ""),
        "product i" + (" (by category)" if categories is not None else ""),
    )
    return fig


def neighbour_profile(weights: sp.spmatrix, n: int) -> np.ndarray:
    """Mean similarity of each row's 1st, 2nd, ... n-th neighbour (0 where a row has fewer)."""
    weights = sp.csr_matrix(weights)
    table = np.zeros((weights.shape[0], n))
    for row in range(weights.shape[0]):
        values = np.sort(weights.data[weights.indptr[row] : weights.indptr[row + 1]])[::-1][:n]
        table[row, : len(values)] = values
    return table.mean(axis=0) if weights.shape[0] else table.sum(axis=0)


def neighbour_profile_figure(profiles: Mapping[str, np.ndarray], metric: str) -> plt.Figure:
    """How fast similarity falls with the neighbour's rank, for items and for customers."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for position, (name, profile) in enumerate(profiles.items()):
        ax.plot(np.arange(1, len(profile) + 1), profile, label=name, color=PALETTE[position])
    ax.legend()
    finish(
        ax,
        f"Similarity of the k-th nearest neighbour ({metric})",
        "neighbour rank k",
        "mean similarity",
    )
    return fig


def metrics_figure(table: pd.DataFrame, k: int) -> plt.Figure:
    """Grouped bars: every method's precision, recall, NDCG, MAP and hit rate at ``k``."""
    metrics = [m for m in _LABELS if m in table.columns]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(1, len(table))
    x = np.arange(len(metrics))
    for position, (method, row) in enumerate(table.iterrows()):
        ax.bar(
            x + position * width,
            row[metrics].to_numpy(dtype=float),
            width,
            label=method,
            color=_colour(method, position),
        )
    ax.set_xticks(x + width * (len(table) - 1) / 2, [f"{_LABELS[m]}@{k}" for m in metrics])
    ax.legend()
    finish(
        ax,
        f"Recommenders against the baselines (top {k}, after the cutoff)",
        "metric",
        "mean over evaluated customers (0-1)",
    )
    return fig


def metrics_at_k_figure(
    by_k: pd.DataFrame, metrics: tuple[str, ...] = ("ndcg", "recall")
) -> plt.Figure:
    """Each metric against the list length k, one line per method."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for position, (method, curve) in enumerate(by_k.groupby("method", sort=False)):
            ax.plot(
                curve["k"], curve[metric], marker="o", label=method, color=_colour(method, position)
            )
        finish(ax, f"{_LABELS[metric]}@k", "list length k (products)", f"{_LABELS[metric]} (0-1)")
    axes[0][0].legend()
    fig.tight_layout()
    return fig


def history_table(per_customer: pd.DataFrame, min_group_size: int = 20) -> pd.DataFrame:
    """Mean NDCG by method and purchase-history group; groups below ``min_group_size`` left out.

    Returns
    -------
    DataFrame
        ``method``, ``history`` (label), ``customers``, ``ndcg``.
    """
    labels = ["0 (cold start)", "1", "2-3", "4-7", "8-15", "16+"]
    edges = (-0.5, 0.5, 1.5, 3.5, 7.5, 15.5, np.inf)
    group = pd.cut(per_customer["history"], bins=edges, labels=labels)
    methods = list(dict.fromkeys(per_customer["method"]))
    table = (
        per_customer.assign(group=group)
        .groupby(["method", "group"], observed=True)
        .agg(customers=("ndcg", "size"), ndcg=("ndcg", "mean"))
        .reset_index()
        .rename(columns={"group": "history"})
    )
    table = table.assign(order=table["method"].map({m: i for i, m in enumerate(methods)}))
    table = table.sort_values(["order", "history"]).drop(columns="order")
    return table[table["customers"] >= min_group_size].reset_index(drop=True)


def ndcg_by_history_figure(table: pd.DataFrame, k: int) -> plt.Figure:
    """NDCG by purchase-history group (from :func:`history_table`), one line per method."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for position, (method, rows) in enumerate(table.groupby("method", sort=False)):
        ax.plot(
            rows["history"].astype(str),
            rows["ndcg"],
            marker="o",
            label=method,
            color=_colour(method, position),
        )
    ax.legend()
    finish(
        ax,
        f"NDCG@{k} by length of the purchase history",
        "distinct products bought before the cutoff",
        f"NDCG@{k} (0-1)",
    )
    return fig
