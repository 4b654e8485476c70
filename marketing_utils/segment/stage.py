"""Stage 02: RFM segments and data-driven clusters, in one call.

:func:`segment_customers` is the single call the notebook ``02_segmentation``
makes. It scores RFM and names the RF segments (when the data has a purchase
history), prepares the behavioural features, chooses k with inertia,
silhouette, Calinski-Harabasz, Davies-Bouldin and bootstrap stability, fits
the final k-means (MiniBatchKMeans above a size threshold), compares it with a
Gaussian mixture, and profiles and names the clusters. The pieces live in
:mod:`~marketing_utils.segment.rfm`, :mod:`~marketing_utils.segment.features`,
:mod:`~marketing_utils.segment.cluster`
and :mod:`~marketing_utils.segment.profile` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.cluster import KSelection, compare_with_gmm, fit_kmeans, select_k
from marketing_utils.segment.features import (
    FeatureMatrix,
    default_cluster_columns,
    prepare_cluster_features,
)
from marketing_utils.segment.model import SegmentationModel, build_segmentation_model
from marketing_utils.segment.profile import (
    cluster_profiles,
    name_clusters,
    publishable_profiles,
    segment_crosstab,
    standardized_differences,
)
from marketing_utils.segment.rfm import (
    DEFAULT_SEGMENT_ACTIONS,
    DEFAULT_SEGMENT_MAP,
    assign_rfm_segments,
    rfm_scores,
    rfm_segment_summary,
)

__all__ = [
    "DEFAULT_SEGMENT_ACTIONS",
    "DEFAULT_SEGMENT_MAP",
    "RFM_COLUMNS",
    "FeatureMatrix",
    "KSelection",
    "SegmentationResult",
    "agreement_with_truth",
    "assign_rfm_segments",
    "cluster_profiles",
    "name_clusters",
    "prepare_cluster_features",
    "publishable_profiles",
    "rfm_scores",
    "rfm_segment_summary",
    "segment_crosstab",
    "segment_customers",
    "select_k",
    "standardized_differences",
]

#: Columns RFM needs: days since the last purchase, number of orders, total spend.
RFM_COLUMNS = ("days_since_last_purchase", "n_orders", "total_spend")

#: Money columns tried in order when ``revenue_col="auto"`` (Hillstrom: past-year spend).
REVENUE_CANDIDATES = ("total_spend", "history")


@dataclass(frozen=True)
class SegmentationResult:
    """Everything stage 02 produces.

    Attributes
    ----------
    segments : pandas.DataFrame
        One row per customer: ``customer_id``, ``rfm_segment`` (missing when
        RFM is not available), ``cluster`` (1 = largest) and ``cluster_name``.
    rfm : pandas.DataFrame or None
        RFM scores and segment per customer (None without a purchase history).
    rfm_note : str
        Why RFM is missing, or an empty string.
    features : FeatureMatrix
        The clustered matrix and how each feature was transformed.
    selection : KSelection
        The k-selection table, the chosen k and the reason.
    differences : pandas.DataFrame
        Standardized difference of each feature, per cluster.
    profiles : pandas.DataFrame
        Full cluster profiles (with a ``below_min_size`` flag); publish
        :meth:`published_profiles` instead.
    gmm : dict
        The Gaussian mixture comparison (empty when not run).
    min_size : int
        Smallest group that may be published.
    revenue_col : str or None
    model : SegmentationModel or None
        The fitted rules, for :func:`~marketing_utils.segment.model.assign_segments`.
    """

    segments: pd.DataFrame
    rfm: pd.DataFrame | None
    rfm_note: str
    features: FeatureMatrix
    selection: KSelection
    differences: pd.DataFrame
    profiles: pd.DataFrame
    gmm: dict = field(default_factory=dict)
    min_size: int = 10
    revenue_col: str | None = None
    model: SegmentationModel | None = None

    @property
    def labels(self) -> np.ndarray:
        """Cluster of each customer, in input order."""
        return self.segments["cluster"].to_numpy()

    def published_profiles(self) -> pd.DataFrame:
        """Cluster profiles with clusters below the size floor merged."""
        published = publishable_profiles(self.profiles, min_size=self.min_size)
        return published.astype({"cluster": "Int64"})

    def rfm_summary(self) -> pd.DataFrame | None:
        """Published RF segment summary (small segments merged), or None without RFM."""
        if self.rfm is None:
            return None
        return rfm_segment_summary(self.rfm, min_size=self.min_size)

    def crosstab(self) -> pd.DataFrame | None:
        """Clusters x RF segments (small cells blanked), or None without RFM."""
        if self.rfm is None:
            return None
        return segment_crosstab(
            self.segments["cluster_name"], self.segments["rfm_segment"], min_size=self.min_size
        )

    def playbook(self) -> pd.DataFrame:
        """What to do with each published cluster: its main RF segment and that segment's action.

        Clusters below the size floor are left out (they are merged in the
        published profiles). Without RFM the segment and action columns are missing.
        """
        published = self.published_profiles()
        # The merged row of small clusters has no cluster number.
        published = published[published["cluster"].notna()].astype({"cluster": int})
        columns = ["cluster", "cluster_name", "customers", "share_customers"]
        columns += ["share_revenue"] if "share_revenue" in published else []
        table = published[columns].reset_index(drop=True)
        if self.rfm is None:
            return table
        mix = pd.crosstab(self.segments["cluster"], self.segments["rfm_segment"], normalize="index")
        main = mix.idxmax(axis=1)
        table["main_rfm_segment"] = table["cluster"].map(main)
        table["main_rfm_share"] = table["cluster"].map(mix.max(axis=1))
        table["suggested_action"] = table["main_rfm_segment"].map(DEFAULT_SEGMENT_ACTIONS)
        return table

    def metrics(self, truth: pd.DataFrame | None = None) -> dict:
        """Headline metrics (deterministic for a seed; rounded to 4 decimals).

        ``truth`` (synthetic data: ``customer_id`` and ``persona``) adds the
        ARI between the clusters and the true personas.
        """
        chosen = self.selection.table.set_index("k").loc[self.selection.chosen_k]
        shares = self.segments["cluster_name"].value_counts(normalize=True)
        metrics = {
            "n_customers": len(self.segments),
            "features": self.features.columns,
            "chosen_k": self.selection.chosen_k,
            "k_reason": self.selection.reason,
            "silhouette": round(float(chosen["silhouette"]), 4),
            "stability_ari": round(float(chosen["stability"]), 4),
            "min_cluster_stability": round(float(chosen["min_cluster_stability"]), 4),
            "calinski_harabasz": round(float(chosen["calinski_harabasz"]), 2),
            "davies_bouldin": round(float(chosen["davies_bouldin"]), 4),
            "stability_by_k": {
                int(k): round(float(v), 4)
                for k, v in self.selection.table.set_index("k")["stability"].items()
            },
            "silhouette_by_k": {
                int(k): round(float(v), 4)
                for k, v in self.selection.table.set_index("k")["silhouette"].items()
            },
            "smallest_cluster_share": round(float(shares.min()), 4),
            "clusters_below_min_size": int(self.profiles["below_min_size"].sum()),
            "min_segment_size": self.min_size,
            "rfm_available": self.rfm is not None,
        }
        if self.gmm:
            metrics["gmm_agreement_ari"] = round(self.gmm["agreement_ari"], 4)
        if self.rfm is not None:
            summary = self.rfm_summary()
            metrics["rfm_segment_shares"] = {
                str(row.rfm_segment): round(float(row.share_customers), 4)
                for row in summary.itertuples()
                if not row.suppressed
            }
            metrics["rfm_scores_used"] = {
                column: sorted(int(s) for s in self.rfm[column].unique())
                for column in ("r_score", "f_score", "m_score")
            }
        else:
            metrics["rfm_note"] = self.rfm_note
        if truth is not None:
            metrics["ari_vs_personas"] = round(agreement_with_truth(self.segments, truth), 4)
            metrics["n_personas"] = int(truth["persona"].nunique())
            if "gmm_labels" in self.gmm:
                gmm = self.segments[["customer_id"]].assign(cluster=self.gmm["gmm_labels"])
                metrics["gmm_ari_vs_personas"] = round(agreement_with_truth(gmm, truth), 4)
        return metrics


def agreement_with_truth(
    segments: pd.DataFrame, truth: pd.DataFrame, *, column: str = "persona"
) -> float:
    """ARI between ``segments["cluster"]`` and ``truth[column]``, joined on ``customer_id``.

    Raises
    ------
    DataValidationError
        When no customer is in both tables.
    """
    joined = segments[["customer_id", "cluster"]].merge(
        truth[["customer_id", column]], on="customer_id", how="inner"
    )
    if joined.empty:
        raise DataValidationError(
            "truth",
            "expected customers in common with the segments, found none",
            column="customer_id",
        )
    return float(adjusted_rand_score(joined[column], joined["cluster"]))


def _resolve_revenue(features: pd.DataFrame, revenue_col: str | None) -> str | None:
    if revenue_col == "auto":
        return next((c for c in REVENUE_CANDIDATES if c in features), None)
    if revenue_col is not None and revenue_col not in features:
        raise DataValidationError(
            "params segmentation.revenue_column",
            f"expected a column of the customer table or 'auto', found {revenue_col!r}",
        )
    return revenue_col


def _rfm(features: pd.DataFrame, segment_map: Mapping[str, str] | None):
    missing = [c for c in RFM_COLUMNS if c not in features]
    if missing:
        note = (
            "RFM segments need a purchase history (columns "
            f"{', '.join(RFM_COLUMNS)}) and this table lacks {', '.join(missing)}: RFM "
            "segments are skipped and the customers are clustered on the attributes they have."
        )
        return None, note
    scores = rfm_scores(features)
    return assign_rfm_segments(scores, segment_map), ""


def segment_customers(
    features: pd.DataFrame,
    *,
    columns: Sequence[str] | str = "auto",
    k_values: Sequence[int] = tuple(range(2, 11)),
    n_clusters: int | None = None,
    seed: int = 42,
    segment_map: Mapping[str, str] | None = None,
    min_segment_size: int = 10,
    revenue_col: str | None = "auto",
    selection_sample: int = 20_000,
    silhouette_sample: int = 4_000,
    n_bootstrap: int = 5,
    n_init: int = 3,
    min_cluster_stability: float = 0.85,
    minibatch_threshold: int = 100_000,
    skew_threshold: float = 1.0,
    compare_gmm: bool = True,
    n_threads: int | None = 1,
) -> SegmentationResult:
    """RFM segments and k-means clusters with a chosen k, profiles and names.

    Parameters
    ----------
    features : pandas.DataFrame
        The ``customer_features`` table of stage 01 (one row per customer,
        with ``customer_id``).
    columns : sequence of str or "auto"
        Features to cluster; ``"auto"``: see
        :func:`~marketing_utils.segment.features.default_cluster_columns`.
    k_values : sequence of int, default 2..10
        Numbers of clusters to compare.
    n_clusters : int, optional
        Force this k instead of choosing one.
    seed : int, default 42
        Seeds every random choice.
    segment_map : mapping, optional
        RF segment map (name -> pattern on the RF code); the standard map by default.
    min_segment_size : int, default 10
        Groups smaller than this are flagged and merged in published tables.
    revenue_col : str or None, default "auto"
        Money column for the share of revenue (``"auto"``: ``total_spend``,
        else ``history``, else none).
    selection_sample, silhouette_sample, n_bootstrap, n_init, min_cluster_stability
        See :func:`~marketing_utils.segment.cluster.select_k`.
    minibatch_threshold : int, default 100000
        Above this many customers the final fit uses MiniBatchKMeans.
    skew_threshold : float, default 1.0
        Features more skewed than this are log-transformed.
    compare_gmm : bool, default True
        Also fit a Gaussian mixture with the chosen k and report the agreement.
    n_threads : int or None, default 1
        Threads for the numerical libraries (None: their default). One thread
        avoids oversubscription on a shared machine.

    Returns
    -------
    SegmentationResult
    """
    if "customer_id" not in features:
        raise DataValidationError(
            "customer_features", "expected a customer_id column", column="customer_id"
        )
    if min_segment_size < 1:
        raise DataValidationError(
            "params segmentation.min_segment_size",
            f"expected a whole number >= 1, found {min_segment_size!r}",
        )
    rfm, rfm_note = _rfm(features, segment_map)
    chosen_columns = default_cluster_columns(features) if columns == "auto" else list(columns)
    prepared = prepare_cluster_features(features, chosen_columns, skew_threshold=skew_threshold)
    revenue = _resolve_revenue(features, revenue_col)
    with threadpool_limits(limits=n_threads):
        selection = select_k(
            prepared.matrix,
            k_values,
            seed=seed,
            forced_k=n_clusters,
            selection_sample=selection_sample,
            silhouette_sample=silhouette_sample,
            n_bootstrap=n_bootstrap,
            n_init=n_init,
            min_cluster_stability=min_cluster_stability,
        )
        k = selection.chosen_k
        model = fit_kmeans(
            prepared.matrix,
            k,
            seed=seed,
            minibatch_threshold=minibatch_threshold,
            init=selection.centres[k],
        )
        raw_labels = model.predict(prepared.matrix)
        gmm = {}
        if compare_gmm:
            gmm_labels, gmm = compare_with_gmm(
                prepared.matrix, raw_labels, k, seed=seed, sample=selection.sample
            )
            gmm["gmm_labels"] = gmm_labels
    # Number clusters 1..k from the largest, so the numbering does not depend on the seed.
    sizes = np.bincount(raw_labels, minlength=k)
    order = sorted(range(k), key=lambda c: (-sizes[c], c))
    renumber = np.empty(k, dtype=int)
    renumber[order] = np.arange(1, k + 1)
    labels = renumber[raw_labels]
    differences = standardized_differences(prepared.matrix, labels, prepared.columns)
    names = name_clusters(differences)
    profiles = cluster_profiles(
        features,
        labels,
        prepared.columns,
        names=names,
        revenue_col=revenue,
        min_size=min_segment_size,
    )
    segments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(),
            "rfm_segment": rfm["rfm_segment"].to_numpy()
            if rfm is not None
            else pd.Series([None] * len(features), dtype="str"),
            "cluster": labels,
            "cluster_name": names.reindex(labels).to_numpy(),
        }
    )
    return SegmentationResult(
        segments=segments,
        rfm=rfm,
        rfm_note=rfm_note,
        features=prepared,
        selection=selection,
        differences=differences,
        profiles=profiles,
        gmm=gmm,
        min_size=min_segment_size,
        revenue_col=revenue,
        model=build_segmentation_model(
            features, rfm, segment_map, prepared, model, renumber, names
        ),
    )
