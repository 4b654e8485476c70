"""Choosing k, stability and the mixture comparison (marketing_utils.segment.cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.cluster import (
    _best_jaccard,
    bootstrap_stability,
    choose_k,
    compare_with_gmm,
    elbow_k,
    fit_kmeans,
    select_k,
)


def blobs(n_per_blob: int = 80, centres=((0, 0), (8, 0), (0, 8)), seed: int = 0) -> np.ndarray:
    """Well separated round blobs (sd 0.5, centres 8 apart)."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 0.5, size=(n_per_blob, 2)) for c in centres])


def _table(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_best_jaccard_of_a_relabelled_partition_is_one():
    np.testing.assert_allclose(_best_jaccard(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), 2), 1)


def test_best_jaccard_by_hand():
    # Cluster 0 = {0, 1}: best match {0, 1, 2} -> 2/3. Cluster 1 = {2, 3}: {3} -> 1/2 (vs {0,1,2}: 1/4).
    jaccard = _best_jaccard(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1]), 2)
    np.testing.assert_allclose(jaccard, [2 / 3, 1 / 2])


def test_elbow_by_hand():
    # k 2..6 -> x = 0, .25, .5, .75, 1; y = (I - 22) / 78 = 1, .231, .103, .038, 0;
    # (1 - x) - y = 0, .519, .397, .212, 0: the elbow is k = 3.
    table = _table(k=[2, 3, 4, 5, 6], inertia=[100.0, 40.0, 30.0, 25.0, 22.0])
    assert elbow_k(table) == 3


def test_choose_k_takes_the_largest_k_whose_weakest_cluster_is_stable():
    table = _table(
        k=[2, 3, 4, 5],
        min_cluster_stability=[1.0, 0.95, 0.9, 0.6],
        stability=[1.0, 0.97, 0.93, 0.8],
        silhouette=[0.5, 0.4, 0.3, 0.45],
        inertia=[10.0, 7.0, 6.0, 5.5],
    )
    k, reason = choose_k(table)
    assert k == 4
    assert "largest k whose every cluster is highly stable" in reason
    assert "best: k = 5 at 0.60" in reason
    assert "silhouette alone would pick k = 2" in reason


def test_choose_k_threshold_is_a_parameter():
    table = _table(
        k=[2, 3],
        min_cluster_stability=[0.99, 0.9],
        stability=[1.0, 0.95],
        silhouette=[0.5, 0.4],
        inertia=[10.0, 7.0],
    )
    assert choose_k(table, min_cluster_stability=0.95)[0] == 2
    k, reason = choose_k(table, min_cluster_stability=0.85)
    assert k == 3 and "top of k_values" in reason


def test_choose_k_without_any_stable_k_takes_the_most_stable_and_warns_in_the_reason():
    table = _table(
        k=[2, 3, 4],
        min_cluster_stability=[0.5, 0.7, 0.6],
        stability=[0.6, 0.8, 0.7],
        silhouette=[0.2, 0.1, 0.3],
        inertia=[10.0, 8.0, 7.0],
    )
    k, reason = choose_k(table)
    assert k == 3
    assert "no k reached" in reason and "caution" in reason


def test_bootstrap_stability_of_clear_blobs_is_perfect():
    data = blobs()
    reference = KMeans(3, n_init=3, random_state=0).fit_predict(data)
    pair_ari, jaccard = bootstrap_stability(data, 3, reference, seed=1, n_bootstrap=3)
    assert pair_ari.shape == (3,)  # 3 resamples -> 3 pairs
    np.testing.assert_allclose(pair_ari, 1.0)
    np.testing.assert_allclose(jaccard, 1.0)


def test_bootstrap_stability_needs_two_resamples():
    with pytest.raises(DataValidationError, match="n_bootstrap.*at least 2"):
        bootstrap_stability(blobs(), 2, np.zeros(240, dtype=int), seed=0, n_bootstrap=1)


def test_select_k_finds_three_blobs_and_reports_every_k():
    selection = select_k(blobs(), range(2, 7), seed=0, n_bootstrap=3)
    assert selection.chosen_k == 3
    assert selection.table["k"].tolist() == [2, 3, 4, 5, 6]
    row = selection.table.set_index("k").loc[3]
    assert row["silhouette"] > 0.8
    assert row["min_cluster_stability"] == pytest.approx(1.0)
    assert row["stability"] == pytest.approx(1.0)
    assert selection.table.set_index("k")["silhouette"].idxmax() == 3
    assert set(selection.centres) == {2, 3, 4, 5, 6}
    assert selection.reason.startswith("k = 3:")


def test_select_k_works_on_a_sample_of_a_larger_table():
    data = blobs(n_per_blob=400)
    selection = select_k(data, [2, 3, 4], seed=0, selection_sample=300, silhouette_sample=100)
    assert len(selection.sample) == 300
    assert len(np.unique(selection.sample)) == 300
    assert selection.chosen_k == 3


def test_a_forced_k_is_used_and_the_automatic_choice_is_still_reported():
    selection = select_k(blobs(), [2, 3, 4], seed=0, forced_k=5, n_bootstrap=2)
    assert selection.chosen_k == 5
    assert 5 in selection.table["k"].tolist()
    assert "set in params" in selection.reason
    assert "would say: k = 3" in selection.reason


@pytest.mark.parametrize("k_values", [[1, 2, 3], [2, 300]])
def test_k_values_out_of_range_are_refused(k_values):
    with pytest.raises(DataValidationError, match="params segmentation.k_values"):
        select_k(blobs(), k_values, seed=0)


def test_select_k_is_deterministic_for_a_seed():
    first = select_k(blobs(), [2, 3, 4], seed=5, n_bootstrap=2)
    second = select_k(blobs(), [2, 3, 4], seed=5, n_bootstrap=2)
    pd.testing.assert_frame_equal(first.table, second.table)


def test_minibatch_kmeans_is_used_above_the_threshold():
    data = blobs()
    assert isinstance(fit_kmeans(data, 3, seed=0, minibatch_threshold=100), MiniBatchKMeans)
    model = fit_kmeans(data, 3, seed=0, minibatch_threshold=1_000)
    assert type(model) is KMeans
    started = fit_kmeans(data, 3, seed=0, init=model.cluster_centers_)
    np.testing.assert_array_equal(started.predict(data), model.predict(data))


def test_the_mixture_agrees_with_kmeans_on_clear_blobs():
    data = blobs()
    labels = KMeans(3, n_init=3, random_state=0).fit_predict(data)
    mixture_labels, summary = compare_with_gmm(data, labels, 3, seed=0, sample=np.arange(len(data)))
    assert summary["agreement_ari"] == pytest.approx(1.0)
    assert sorted(summary["sizes"]) == [80, 80, 80]
    assert len(mixture_labels) == len(data)
