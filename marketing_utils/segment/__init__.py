"""Stage 02, segmentation: RFM segments, k-means clusters and their profiles.

Notebook ``02_segmentation`` calls :func:`segment_customers` (:mod:`.stage`) and
the figures of :mod:`.plots`; :mod:`.io` saves the segmentation model that
scoring applies to new customers.
"""

from .cluster import bootstrap_stability, choose_k, compare_with_gmm, elbow_k, fit_kmeans
from .features import (
    COMPOSITION_PREFIXES,
    TRANSACTION_CLUSTER_FEATURES,
    checked_numbers,
    default_cluster_columns,
)
from .io import (
    SEGMENTATION_FORMAT,
    load_segmentation_model,
    save_segmentation_model,
    segmentation_from_dict,
    segmentation_to_dict,
)
from .model import (
    TRANSFORMS,
    ClusterRule,
    RFMRule,
    ScoreRule,
    SegmentationModel,
    assign_segments,
    build_segmentation_model,
    cluster_matrix,
    score_rule,
)
from .profile import FEATURE_WORDS, describe_feature
from .rfm import N_SCORES, RFMScoreWarning, quantile_scores, validate_segment_map
from .stage import (
    DEFAULT_SEGMENT_ACTIONS,
    DEFAULT_SEGMENT_MAP,
    RFM_COLUMNS,
    FeatureMatrix,
    KSelection,
    SegmentationResult,
    agreement_with_truth,
    assign_rfm_segments,
    cluster_profiles,
    name_clusters,
    prepare_cluster_features,
    publishable_profiles,
    rfm_scores,
    rfm_segment_summary,
    segment_crosstab,
    segment_customers,
    select_k,
    standardized_differences,
)

__all__ = [
    "COMPOSITION_PREFIXES",
    "ClusterRule",
    "DEFAULT_SEGMENT_ACTIONS",
    "DEFAULT_SEGMENT_MAP",
    "FEATURE_WORDS",
    "FeatureMatrix",
    "KSelection",
    "N_SCORES",
    "RFMRule",
    "RFMScoreWarning",
    "RFM_COLUMNS",
    "SEGMENTATION_FORMAT",
    "ScoreRule",
    "SegmentationModel",
    "SegmentationResult",
    "TRANSACTION_CLUSTER_FEATURES",
    "TRANSFORMS",
    "agreement_with_truth",
    "assign_rfm_segments",
    "assign_segments",
    "bootstrap_stability",
    "build_segmentation_model",
    "checked_numbers",
    "choose_k",
    "cluster_matrix",
    "cluster_profiles",
    "compare_with_gmm",
    "default_cluster_columns",
    "describe_feature",
    "elbow_k",
    "fit_kmeans",
    "load_segmentation_model",
    "name_clusters",
    "prepare_cluster_features",
    "publishable_profiles",
    "quantile_scores",
    "rfm_scores",
    "rfm_segment_summary",
    "save_segmentation_model",
    "score_rule",
    "segment_crosstab",
    "segment_customers",
    "segmentation_from_dict",
    "segmentation_to_dict",
    "select_k",
    "standardized_differences",
    "validate_segment_map",
]
