"""Figures of stage 06: the long tail, similarities, and the metrics of every method."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataValidationError
from ..plotting import PALETTE, finish
from .interactions import Interactions

__all__ = [
    "history_table",
    "long_tail_figure",
    "metrics_at_k_figure",
    "metrics_figure",
    "ndcg_by_history_figure",
    "product_categories",
    "product_map",
    "product_map_figure",
    "product_map_source",
    "rules_matrix_figure",
    "neighbour_profile",
    "neighbour_profile_figure",
    "similarity_heatmap",
]

_METHOD_COLOURS = {
    "popularity": "#7b8794",
    "segment_popularity": PALETTE[1],
    "item_cf": PALETTE[0],
    "user_cf": PALETTE[2],
    "als": PALETTE[3],
    "bpr": PALETTE[4],
    "rules": PALETTE[5],
    "content": "#a0522d",
    "hybrid": "#000000",
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
    """Each metric against the list length k, one line per method.

    The x axis is ticked at the list lengths evaluated, and only there: a list
    holds a whole number of products (no 2.5 or 7.5).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    lengths = sorted({int(k) for k in by_k["k"]})
    for ax, metric in zip(axes[0], metrics, strict=True):
        for position, (method, curve) in enumerate(by_k.groupby("method", sort=False)):
            ax.plot(
                curve["k"], curve[metric], marker="o", label=method, color=_colour(method, position)
            )
        ax.set_xticks(lengths, [str(k) for k in lengths])
        ax.xaxis.set_minor_locator(mticker.NullLocator())
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


def rules_matrix_figure(rules: pd.DataFrame, n_items: int = 12, title: str = "") -> plt.Figure:
    """Lift of the strongest one-to-one rules as an antecedent x consequent matrix.

    ``rules`` are a :class:`~.rules.RulesResult`'s ``rules`` (published only);
    the ``n_items`` items appearing in the strongest rules are shown, blank
    where no published rule links them.
    """
    single = rules[(rules["antecedents"].map(len) == 1) & (rules["consequents"].map(len) == 1)]
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    heading = title or "Association rules: lift of 'if bought row, then also column'"
    if single.empty:
        ax.text(0.5, 0.5, "no published rule", ha="center", va="center", transform=ax.transAxes)
        finish(ax, heading, "then also (consequent)", "if bought (antecedent)")
        return fig
    left = single["antecedents"].map(lambda s: next(iter(s))).astype(str)
    right = single["consequents"].map(lambda s: next(iter(s))).astype(str)
    items = []
    for a, c in zip(left, right, strict=True):
        for item in (a, c):
            if item not in items and len(items) < n_items:
                items.append(item)
    items = sorted(items)
    position = {item: i for i, item in enumerate(items)}
    grid = np.full((len(items), len(items)), np.nan)
    for a, c, lift in zip(left, right, single["lift"], strict=True):
        if a in position and c in position:
            grid[position[a], position[c]] = lift
    image = ax.imshow(grid, cmap="OrRd", vmin=1.0)
    fig.colorbar(image, ax=ax, label="lift (1 = bought together by chance)")
    ax.set_xticks(range(len(items)), items, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(items)), items, fontsize=8)
    ax.grid(False)
    finish(ax, heading, "then also (consequent)", "if bought (antecedent)")
    return fig


def product_map(vectors: np.ndarray, product_ids, seed: int = 0) -> pd.DataFrame:
    """Product vectors projected to 2-D by principal components (seeded, deterministic).

    Returns
    -------
    DataFrame
        ``product_id``, ``x``, ``y`` (first and second principal component).
    """
    from sklearn.decomposition import PCA

    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError(f"expected at least two product vectors, found shape {vectors.shape}")
    dims = min(2, vectors.shape[1])
    points = PCA(n_components=dims, random_state=seed).fit_transform(vectors)
    if dims == 1:
        points = np.column_stack([points[:, 0], np.zeros(len(points))])
    return pd.DataFrame(
        {"product_id": np.asarray(product_ids).astype(str), "x": points[:, 0], "y": points[:, 1]}
    )


def product_map_source(
    product_map_from: str,
    *,
    als=None,
    interactions: Interactions | None = None,
    vectors=None,
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """The product vectors to map: ALS product factors or text vectors, whichever exist.

    Parameters
    ----------
    product_map_from : {"als", "text"}
        Preferred source; the other one is used when it is missing.
    als : LatentFactorRecommender, optional
        The fitted ALS model (its ``item_factors_``, one row per product of
        ``interactions``).
    interactions : Interactions, optional
        The matrix ``als`` was fitted on.
    vectors : ProductVectors, optional
        The products' text vectors (``None`` without product text).

    Returns
    -------
    (numpy.ndarray or None, numpy.ndarray or None, str)
        Vectors, product ids and what they are; without either source,
        ``(None, None, why the map is skipped)``.
    """
    if product_map_from not in ("als", "text"):
        raise DataValidationError(
            "params recommendations.product_map_from",
            f"expected 'als' or 'text', found {product_map_from!r}",
        )
    sources = {}
    if als is not None and interactions is not None:
        sources["als"] = (als.item_factors_, interactions.product_ids, "ALS product factors")
    if vectors is not None:
        sources["text"] = (vectors.vectors, vectors.product_ids, "text vectors (TF-IDF + SVD)")
    for name in (product_map_from, "text" if product_map_from == "als" else "als"):
        if name in sources:
            return sources[name]
    return (
        None,
        None,
        "No product map: ALS was not fitted and the products have no text to map instead.",
    )


def product_map_figure(
    points: pd.DataFrame, categories: Mapping[str, str] | None, what: str
) -> plt.Figure:
    """The 2-D product map, one dot per product coloured by category."""
    fig, ax = plt.subplots(figsize=(8, 6))
    labels = (
        points["product_id"].map(lambda p: categories.get(p, "unknown"))
        if categories is not None
        else pd.Series("all products", index=points.index)
    )
    for position, label in enumerate(sorted(labels.unique())):
        chosen = (labels == label).to_numpy()
        ax.scatter(
            points.loc[chosen, "x"],
            points.loc[chosen, "y"],
            s=18,
            alpha=0.8,
            color=PALETTE[position % len(PALETTE)],
            label=label,
        )
    # Beside the axes, not loc="best": no product is hidden, and "best" searches every
    # dot for the emptiest corner, slow with thousands of products.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="category")
    finish(
        ax,
        f"Product map: {what} projected to 2-D",
        "first principal component (unitless)",
        "second principal component (unitless)",
    )
    return fig
