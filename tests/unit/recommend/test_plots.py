"""Stage 06 figures: titled, labelled, showing what they claim."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from marketing_utils.recommend import plots
from marketing_utils.recommend.interactions import interaction_matrix

from .conftest import CUTOFF


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labelled(fig):
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_long_tail_figure(toy_transactions):
    fig = plots.long_tail_figure(interaction_matrix(toy_transactions, cutoff=CUTOFF))
    _labelled(fig)
    # Buyers per product, most bought first: 3, 2, 2, 1.
    assert fig.axes[0].lines[0].get_ydata().tolist() == [3, 2, 2, 1]


def test_similarity_heatmap_groups_by_category(toy_transactions):
    inter = interaction_matrix(toy_transactions, cutoff=CUTOFF)
    similarity = sp.csr_matrix(np.arange(16, dtype=float).reshape(4, 4))
    fig = plots.similarity_heatmap(
        similarity, inter, {"p1": "x", "p2": "x", "p3": "y", "p4": "z"}, n_products=3
    )
    _labelled(fig)
    # The 3 most bought are p2, p1, p3; by category (x: p2, p1; y: p3).
    image = fig.axes[0].images[0].get_array()
    order = [1, 0, 2]
    assert np.asarray(image).tolist() == similarity.toarray()[np.ix_(order, order)].tolist()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["x", "y"]


def test_neighbour_profile_means_by_rank():
    weights = sp.csr_matrix(np.array([[0.0, 0.9, 0.3], [0.5, 0.0, 0.0]]))
    # Rank 1: (0.9 + 0.5) / 2, rank 2: (0.3 + 0) / 2.
    assert plots.neighbour_profile(weights, 2).tolist() == pytest.approx([0.7, 0.15])
    fig = plots.neighbour_profile_figure({"items": np.array([0.7, 0.15])}, "cosine")
    _labelled(fig)


def _evaluation_frames():
    table = pd.DataFrame(
        {
            "precision": [0.1, 0.2],
            "recall": [0.3, 0.4],
            "ndcg": [0.2, 0.3],
            "map": [0.1, 0.2],
            "hit_rate": [0.5, 0.6],
            "coverage": [0.1, 0.5],
        },
        index=pd.Index(["popularity", "item_cf"], name="method"),
    )
    by_k = pd.DataFrame(
        {
            "method": ["popularity", "popularity", "item_cf", "item_cf"],
            "k": [1, 10, 1, 10],
            "ndcg": [0.1, 0.2, 0.2, 0.3],
            "recall": [0.05, 0.3, 0.1, 0.4],
        }
    )
    return table, by_k


def test_metric_figures():
    table, by_k = _evaluation_frames()
    fig = plots.metrics_figure(table, 10)
    _labelled(fig)
    assert len(fig.axes[0].patches) == 2 * 5  # two methods x five metrics
    fig = plots.metrics_at_k_figure(by_k)
    _labelled(fig)
    assert fig.axes[0].lines[1].get_ydata().tolist() == [0.2, 0.3]
    # A list holds a whole number of products: ticks at the evaluated lengths only.
    for ax in fig.axes:
        fig.canvas.draw()
        assert ax.get_xticks().tolist() == sorted(set(by_k["k"].tolist()))
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            str(k) for k in sorted(set(by_k["k"]))
        ]
        assert not any(t.get_text() for t in ax.xaxis.get_minorticklabels())


def test_history_table_suppresses_small_groups():
    per = pd.DataFrame(
        {
            "method": ["m"] * 7,
            "history": [0, 1, 1, 2, 3, 20, 20],
            "ndcg": [0.0, 1.0, 0.5, 0.2, 0.4, 0.1, 0.3],
        }
    )
    table = plots.history_table(per, min_group_size=2)
    # Groups: 0 -> 1 customer (hidden), 1 -> 2, 2-3 -> 2, 16+ -> 2.
    assert table["history"].astype(str).tolist() == ["1", "2-3", "16+"]
    assert table["ndcg"].tolist() == pytest.approx([0.75, 0.3, 0.2])
    _labelled(plots.ndcg_by_history_figure(table, 10))


def test_product_categories_from_the_first_table_that_has_them(toy_transactions):
    products = pd.DataFrame({"product_id": ["p1", "p2"], "category": ["books", None]})
    assert plots.product_categories(products, toy_transactions) == {"p1": "books"}
    assert plots.product_categories(None, toy_transactions) == {
        "p1": "x",
        "p2": "x",
        "p3": "y",
        "p4": "z",
    }
    assert plots.product_categories(None, toy_transactions.drop(columns="category")) is None


def test_product_map_source_falls_back_to_what_exists():
    from types import SimpleNamespace

    from marketing_utils.errors import DataValidationError
    from marketing_utils.recommend.text import ProductVectors

    interactions = SimpleNamespace(product_ids=np.array(["p1", "p2", "p3"], dtype=object))
    als = SimpleNamespace(item_factors_=np.arange(6.0).reshape(3, 2))
    vectors = ProductVectors(np.array(["p1", "p2"], dtype=object), np.eye(2), "tfidf_svd")
    found = plots.product_map_source("als", als=als, interactions=interactions, vectors=vectors)
    assert found[0] is als.item_factors_ and found[2] == "ALS product factors"
    found = plots.product_map_source("text", als=als, interactions=interactions, vectors=vectors)
    assert found[0] is vectors.vectors and found[1] is vectors.product_ids
    # Without ALS, the text vectors; without text, the ALS factors; without either, why not.
    assert plots.product_map_source("als", vectors=vectors)[0] is vectors.vectors
    assert (
        plots.product_map_source("text", als=als, interactions=interactions)[0] is als.item_factors_
    )
    missing, ids, why = plots.product_map_source("als")
    assert missing is None and ids is None and why.startswith("No product map")
    with pytest.raises(DataValidationError, match="product_map_from"):
        plots.product_map_source("umap", vectors=vectors)
