"""Next-best-product recommendations: collaborative filtering evaluated on a time split.

The stage ``06_recommendations`` builds a sparse customer-by-product matrix
from the purchases before stage 01's cutoff, fits item-based and user-based
collaborative filtering and two baselines (overall and within-segment
popularity), and judges their top-N lists against what customers bought in
the horizon after the cutoff.

Modules: :mod:`.interactions` (matrix and time split), :mod:`.similarity`
(sparse cosine/Jaccard, top-n selection), :mod:`.item_cf`, :mod:`.user_cf`,
:mod:`.baselines`, :mod:`.metrics`, :mod:`.evaluation`, :mod:`.export`
(recommendation list, contact plan), :mod:`.stage` (notebook glue) and
:mod:`.plots`.
"""

from .base import RECOMMENDATION_COLUMNS, Recommender
from .baselines import (
    PopularityRecommender,
    SegmentPopularityRecommender,
    favourite_category,
    resolve_segments,
)
from .evaluation import Evaluation, evaluate_recommenders, recommend_with_fallback
from .export import contact_plan, read_targeting_list, write_csv
from .interactions import (
    WEIGHTINGS,
    Interactions,
    TimeSplit,
    future_purchases,
    interaction_matrix,
    time_split,
)
from .item_cf import ItemKNNRecommender
from .metrics import (
    METRIC_NAMES,
    average_precision_at_k,
    catalog_coverage,
    ndcg_at_k,
    per_customer_metrics,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)
from .similarity import METRICS, item_similarity, top_n
from .stage import (
    METHODS,
    export_recommendations,
    population_at_cutoff,
    select_methods,
    stage_metrics,
)
from .user_cf import UserKNNRecommender

__all__ = [
    "METHODS",
    "METRICS",
    "METRIC_NAMES",
    "RECOMMENDATION_COLUMNS",
    "WEIGHTINGS",
    "Evaluation",
    "Interactions",
    "ItemKNNRecommender",
    "PopularityRecommender",
    "Recommender",
    "SegmentPopularityRecommender",
    "TimeSplit",
    "UserKNNRecommender",
    "average_precision_at_k",
    "catalog_coverage",
    "contact_plan",
    "evaluate_recommenders",
    "export_recommendations",
    "favourite_category",
    "future_purchases",
    "interaction_matrix",
    "item_similarity",
    "ndcg_at_k",
    "per_customer_metrics",
    "population_at_cutoff",
    "precision_at_k",
    "ranking_metrics",
    "read_targeting_list",
    "recall_at_k",
    "recommend_with_fallback",
    "resolve_segments",
    "select_methods",
    "stage_metrics",
    "time_split",
    "top_n",
    "write_csv",
]
