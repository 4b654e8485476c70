"""Clustering customers: choosing k, bootstrap stability, and a Gaussian mixture to compare.

Choosing k
----------
For each k, k-means is fitted on a seeded sample of at most
``selection_sample`` customers and scored with inertia (elbow), silhouette
(on a smaller seeded sample: it costs O(n²)), Calinski-Harabasz,
Davies-Bouldin and two stability measures from the same bootstrap
clusterings (each fitted on a resample drawn with replacement and then
labelling the whole sample):

- ``stability``: the mean adjusted Rand index (ARI) over all pairs of
  bootstrap clusterings (1 = the same partition every time);
- ``min_cluster_stability``: for each cluster of the reference fit, the mean
  over the bootstraps of its best Jaccard similarity with a bootstrap cluster
  (Hennig 2007, as in fpc's ``clusterboot``); the weakest cluster's value.

The chosen k is the largest k whose weakest cluster is still highly stable
(``min_cluster_stability`` at least 0.85, Hennig's "highly stable"): the most
detailed segmentation in which every segment comes back when the analysis is
repeated on a new sample, the same logic as Tibshirani and Walther's (2005)
prediction strength. The ARI alone is not used to choose, because it is
dominated by the big clusters and is biased towards small k (two halves are
easy to reproduce); silhouette alone rewards splitting off compact but
arbitrary groups. When no k reaches the threshold, the k with the most stable
weakest cluster is taken and the reason says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture

from marketing_utils.errors import DataValidationError

__all__ = [
    "KSelection",
    "bootstrap_stability",
    "choose_k",
    "compare_with_gmm",
    "elbow_k",
    "fit_kmeans",
    "select_k",
]


@dataclass(frozen=True)
class KSelection:
    """The k-selection table and the choice made from it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per k: ``k``, ``inertia``, ``silhouette``,
        ``calinski_harabasz``, ``davies_bouldin``, ``stability`` (mean pairwise
        bootstrap ARI), ``stability_min``, ``stability_max`` and
        ``min_cluster_stability`` (weakest cluster's mean bootstrap Jaccard).
    chosen_k : int
    reason : str
        Why this k, in one or two sentences.
    sample : numpy.ndarray
        Row positions of the selection sample.
    centres : dict
        k -> cluster centres fitted on the sample (to initialise the final fit).
    """

    table: pd.DataFrame
    chosen_k: int
    reason: str
    sample: np.ndarray
    centres: dict[int, np.ndarray]


def fit_kmeans(
    matrix: np.ndarray,
    k: int,
    *,
    seed: int,
    n_init: int = 3,
    minibatch_threshold: int = 100_000,
    init: np.ndarray | None = None,
) -> KMeans | MiniBatchKMeans:
    """Fit k-means; MiniBatchKMeans when there are more rows than ``minibatch_threshold``.

    ``init`` (centres, e.g. from a fit on a sample) starts a single run from them.
    """
    start = {"init": init, "n_init": 1} if init is not None else {"n_init": n_init}
    if len(matrix) > minibatch_threshold:
        model = MiniBatchKMeans(k, random_state=seed, batch_size=4096, **start)
    else:
        model = KMeans(k, random_state=seed, **start)
    return model.fit(matrix)


def _best_jaccard(reference: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """For each reference cluster, its largest Jaccard similarity with a cluster of ``labels``."""
    both = np.bincount(reference * k + labels, minlength=k * k).reshape(k, k).astype(float)
    union = both.sum(axis=1, keepdims=True) + both.sum(axis=0, keepdims=True) - both
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, both / union, 0.0)
    return jaccard.max(axis=1)


def bootstrap_stability(
    matrix: np.ndarray,
    k: int,
    reference: np.ndarray,
    *,
    seed: int,
    n_bootstrap: int = 5,
    n_init: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Stability of a k-means clustering under bootstrap resampling.

    Each resample (rows of ``matrix`` drawn with replacement) gets its own
    k-means fit, which then labels every row of ``matrix``.

    Parameters
    ----------
    matrix : numpy.ndarray
        The customers (rows) to resample.
    k : int
    reference : numpy.ndarray
        Labels 0..k-1 of the reference clustering of ``matrix``.
    seed : int
    n_bootstrap : int, default 5
    n_init : int, default 3
        k-means restarts per resample (restarts keep bad local optima from
        passing for instability).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The ARI of every pair of bootstrap labelings
        (``n_bootstrap * (n_bootstrap - 1) / 2`` values), and for each
        reference cluster the mean over the resamples of its best Jaccard
        similarity with a bootstrap cluster.
    """
    if n_bootstrap < 2:
        raise DataValidationError(
            "params segmentation.n_bootstrap",
            f"expected at least 2 bootstrap resamples, found {n_bootstrap}",
        )
    rng = np.random.default_rng(seed)
    labelings, jaccards = [], []
    for b in range(n_bootstrap):
        rows = rng.integers(0, len(matrix), len(matrix))
        model = KMeans(k, n_init=n_init, random_state=seed + 1 + b).fit(matrix[rows])
        labels = model.predict(matrix)
        labelings.append(labels)
        jaccards.append(_best_jaccard(reference, labels, k))
    pairs = itertools.combinations(labelings, 2)
    return np.array([adjusted_rand_score(a, b) for a, b in pairs]), np.mean(jaccards, axis=0)


def elbow_k(table: pd.DataFrame) -> int:
    """The elbow of the inertia curve: the k farthest below the chord from first to last k."""
    k = table["k"].to_numpy(dtype=float)
    inertia = table["inertia"].to_numpy(dtype=float)
    if len(k) < 3 or inertia[0] == inertia[-1]:
        return int(k[0])
    x = (k - k[0]) / (k[-1] - k[0])
    y = (inertia - inertia[-1]) / (inertia[0] - inertia[-1])
    return int(k[np.argmax((1 - x) - y)])


def choose_k(table: pd.DataFrame, *, min_cluster_stability: float = 0.85) -> tuple[int, str]:
    """The largest k whose weakest cluster is stable; else the k with the most stable one.

    Parameters
    ----------
    table : pandas.DataFrame
        Needs ``k``, ``min_cluster_stability``, ``stability``, ``silhouette``
        and ``inertia`` (see :func:`select_k`).
    min_cluster_stability : float, default 0.85
        Mean bootstrap Jaccard the weakest cluster must reach.

    Returns
    -------
    (int, str)
        The chosen k and the reason, in words.

    Examples
    --------
    >>> t = pd.DataFrame({"k": [2, 3, 4], "min_cluster_stability": [0.99, 0.9, 0.6],
    ...                   "stability": [1.0, 0.95, 0.7], "silhouette": [0.3, 0.4, 0.5],
    ...                   "inertia": [10.0, 6.0, 5.0]})
    >>> choose_k(t)[0]
    3
    """
    by_silhouette = int(
        table.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"]
    )
    stable = table[table["min_cluster_stability"] >= min_cluster_stability]
    if len(stable):
        chosen = stable.sort_values("k").iloc[-1]
        k = int(chosen["k"])
        reason = (
            f"k = {k}: the largest k whose every cluster is highly stable (the weakest "
            f"cluster's mean bootstrap Jaccard is {chosen['min_cluster_stability']:.2f} >= "
            f"{min_cluster_stability:g}; ARI between bootstrap clusterings "
            f"{chosen['stability']:.2f})"
        )
        larger = table[table["k"] > k]
        if len(larger):
            best_larger = larger.sort_values("min_cluster_stability").iloc[-1]
            reason += (
                f"; with more clusters some segment no longer comes back (best: k = "
                f"{int(best_larger['k'])} at {best_larger['min_cluster_stability']:.2f})"
            )
        elif k == int(table["k"].max()):
            reason += "; it is the top of k_values, so a wider range may hold a larger stable k"
    else:
        chosen = table.sort_values(["min_cluster_stability", "k"], ascending=[False, True]).iloc[0]
        k = int(chosen["k"])
        reason = (
            f"k = {k}: no k reached a weakest-cluster stability of {min_cluster_stability:g}; "
            f"k = {k} has the most stable weakest cluster "
            f"({chosen['min_cluster_stability']:.2f}), so treat these clusters with caution"
        )
    reason += (
        f". Silhouette {chosen['silhouette']:.3f} (silhouette alone would pick k = "
        f"{by_silhouette}); the inertia elbow is at k = {elbow_k(table)}."
    )
    return k, reason


def _check_k_values(k_values: Sequence[int], n_rows: int) -> list[int]:
    values = sorted({int(k) for k in k_values})
    if not values or values[0] < 2 or values[-1] >= n_rows:
        raise DataValidationError(
            "params segmentation.k_values",
            f"expected whole numbers from 2 to {n_rows - 1} (fewer clusters than customers "
            f"in the selection sample), found {list(k_values)}",
        )
    return values


def select_k(
    matrix: np.ndarray,
    k_values: Sequence[int],
    *,
    seed: int,
    forced_k: int | None = None,
    selection_sample: int = 20_000,
    silhouette_sample: int = 4_000,
    n_bootstrap: int = 5,
    n_init: int = 3,
    min_cluster_stability: float = 0.85,
) -> KSelection:
    """Score every k and choose one (or report on a k forced by params).

    Parameters
    ----------
    matrix : numpy.ndarray
        Output of :func:`prepare_cluster_features` (``.matrix``).
    k_values : sequence of int
        Candidate numbers of clusters (at least 2 each).
    seed : int
        Seeds the samples, the fits and the bootstraps.
    forced_k : int, optional
        Use this k (it is scored too, and the table still shows every k).
    selection_sample : int, default 20000
        Largest number of customers the fits are scored on.
    silhouette_sample : int, default 4000
        Customers the silhouette is computed on (it is quadratic in their number).
    n_bootstrap : int, default 5
        Bootstrap resamples per k for the stability.
    n_init : int, default 3
        k-means restarts of the reference fit of each k.
    min_cluster_stability : float, default 0.85
        Mean bootstrap Jaccard the weakest cluster of the chosen k must reach
        (see :func:`choose_k`).

    Returns
    -------
    KSelection
    """
    rng = np.random.default_rng(seed)
    n_rows = len(matrix)
    sample = np.sort(rng.choice(n_rows, min(selection_sample, n_rows), replace=False))
    candidates = list(k_values) + ([forced_k] if forced_k is not None else [])
    ks = _check_k_values(candidates, len(sample))
    data = matrix[sample]
    silhouette_rows = rng.choice(len(data), min(silhouette_sample, len(data)), replace=False)
    # The same customers for every k: their distances once, not once per k.
    distances = pairwise_distances(data[silhouette_rows])
    rows, centres = [], {}
    for k in ks:
        model = KMeans(k, n_init=n_init, random_state=seed).fit(data)
        labels = model.labels_
        centres[k] = model.cluster_centers_
        pair_ari, cluster_jaccard = bootstrap_stability(
            data, k, labels, seed=seed + 1000 * k, n_bootstrap=n_bootstrap, n_init=n_init
        )
        sub_labels = labels[silhouette_rows]
        silhouette = (
            silhouette_score(distances, sub_labels, metric="precomputed")
            if len(np.unique(sub_labels)) > 1
            else float("nan")
        )
        rows.append(
            {
                "k": k,
                "inertia": float(model.inertia_),
                "silhouette": float(silhouette),
                "calinski_harabasz": float(calinski_harabasz_score(data, labels)),
                "davies_bouldin": float(davies_bouldin_score(data, labels)),
                "stability": float(pair_ari.mean()),
                "stability_min": float(pair_ari.min()),
                "stability_max": float(pair_ari.max()),
                "min_cluster_stability": float(cluster_jaccard.min()),
            }
        )
    table = pd.DataFrame(rows)
    in_range = table[table["k"].isin([int(k) for k in k_values])]
    if forced_k is not None:
        chosen = table.loc[table["k"] == forced_k].iloc[0]
        _, automatic = choose_k(in_range, min_cluster_stability=min_cluster_stability)
        reason = (
            f"k = {forced_k} was set in params (n_clusters): stability {chosen['stability']:.3f}, "
            f"silhouette {chosen['silhouette']:.3f}. The automatic rule would say: {automatic}"
        )
        return KSelection(table, int(forced_k), reason, sample, centres)
    k, reason = choose_k(in_range, min_cluster_stability=min_cluster_stability)
    return KSelection(table, k, reason, sample, centres)


def compare_with_gmm(
    matrix: np.ndarray, kmeans_labels: np.ndarray, k: int, *, seed: int, sample: np.ndarray
) -> tuple[np.ndarray, dict]:
    """Fit a Gaussian mixture with the same k and measure its agreement with k-means.

    The mixture (full covariances) is fitted on the selection sample and
    assigns every customer to its most probable component.

    Returns
    -------
    (numpy.ndarray, dict)
        The mixture's labels, and ``agreement_ari`` (ARI with the k-means
        labels), ``bic`` (on the sample) and ``sizes`` (customers per component).
    """
    mixture = GaussianMixture(k, covariance_type="full", random_state=seed, reg_covar=1e-4)
    mixture.fit(matrix[sample])
    labels = mixture.predict(matrix)
    summary = {
        "agreement_ari": float(adjusted_rand_score(kmeans_labels, labels)),
        "bic": float(mixture.bic(matrix[sample])),
        "sizes": np.bincount(labels, minlength=k).tolist(),
    }
    return labels, summary
