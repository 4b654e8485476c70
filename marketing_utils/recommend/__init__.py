"""Next-best-product recommendations, evaluated on a time split.

The stage ``06_recommendations`` builds a sparse customer-by-product matrix
from the purchases before stage 01's cutoff, fits item-based and user-based
collaborative filtering, latent-factor models (ALS, BPR), "bought together"
association rules, a text-based (content) model and a hybrid for new
products, against two baselines (overall and within-segment popularity), and
judges their top-N lists against what customers bought in the horizon after
the cutoff; settings and the exported model are chosen on a validation split
that precedes it.

Modules: :mod:`.interactions` (matrix and time split), :mod:`.similarity`
(sparse cosine/Jaccard, top-n selection), :mod:`.item_cf`, :mod:`.user_cf`,
:mod:`.latent` (ALS, BPR), :mod:`.rules` (baskets, association rules),
:mod:`.text` (product vectors, content, hybrid), :mod:`.coldstart` (new
products), :mod:`.selection` (validation split, search, choice),
:mod:`.baselines`, :mod:`.metrics`, :mod:`.evaluation`, :mod:`.sampling`
(comparing on a sample of customers at scale), :mod:`.export`
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
from .coldstart import (
    CategoryPopularityRecommender,
    ColdStartEvaluation,
    ColdStartSplit,
    cold_start_split,
    evaluate_cold_start,
)
from .evaluation import Evaluation, evaluate_recommenders, recommend_with_fallback
from .export import contact_plan, read_targeting_list, write_csv
from .interactions import (
    WEIGHTINGS,
    Interactions,
    TimeSplit,
    future_purchases,
    interaction_matrix,
    sample_evaluated,
    time_split,
)
from .item_cf import ItemKNNRecommender
from .latent import ALSRecommender, BPRRecommender, LatentFactorRecommender
from .metrics import (
    METRIC_NAMES,
    average_precision_at_k,
    catalog_coverage,
    ndcg_at_k,
    per_customer_metrics,
    per_customer_metrics_at,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)
from .oracle import OracleRecommender, oracle_comparison, oracle_verdict, synthetic_true_factors
from .rules import (
    RULE_COLUMNS,
    Baskets,
    RulesRecommender,
    RulesResult,
    baskets,
    frequent_pairs,
    mine_rules,
)
from .sampling import CustomerSample, customer_sample
from .selection import (
    SearchResult,
    choose_method,
    sample_configs,
    search_configs,
    validation_split,
)
from .similarity import METRICS, item_similarity, top_n
from .stage import (
    METHOD_NAMES,
    METHODS,
    ModelSettings,
    cold_start_models,
    cold_start_verdict,
    export_recommendations,
    fit_for_export,
    fit_models,
    latent_factory,
    latent_verdict,
    population_at_cutoff,
    select_methods,
    stage_metrics,
)
from .text import (
    TEXT_BASED_METHODS,
    TEXT_METHODS,
    ContentRecommender,
    HybridRecommender,
    ProductText,
    ProductVectors,
    find_product_text,
    left_out_sentence,
    product_texts,
    product_vectors,
)
from .user_cf import UserKNNRecommender

__all__ = [
    "METHOD_NAMES",
    "METHODS",
    "METRICS",
    "METRIC_NAMES",
    "RECOMMENDATION_COLUMNS",
    "RULE_COLUMNS",
    "TEXT_BASED_METHODS",
    "TEXT_METHODS",
    "WEIGHTINGS",
    "ALSRecommender",
    "BPRRecommender",
    "Baskets",
    "CategoryPopularityRecommender",
    "ColdStartEvaluation",
    "ColdStartSplit",
    "ContentRecommender",
    "CustomerSample",
    "Evaluation",
    "HybridRecommender",
    "Interactions",
    "ItemKNNRecommender",
    "LatentFactorRecommender",
    "ModelSettings",
    "PopularityRecommender",
    "ProductText",
    "ProductVectors",
    "Recommender",
    "RulesRecommender",
    "RulesResult",
    "SearchResult",
    "SegmentPopularityRecommender",
    "TimeSplit",
    "UserKNNRecommender",
    "average_precision_at_k",
    "baskets",
    "catalog_coverage",
    "choose_method",
    "cold_start_models",
    "cold_start_split",
    "cold_start_verdict",
    "contact_plan",
    "customer_sample",
    "evaluate_cold_start",
    "evaluate_recommenders",
    "export_recommendations",
    "favourite_category",
    "find_product_text",
    "fit_for_export",
    "fit_models",
    "future_purchases",
    "interaction_matrix",
    "item_similarity",
    "latent_factory",
    "latent_verdict",
    "left_out_sentence",
    "frequent_pairs",
    "mine_rules",
    "ndcg_at_k",
    "oracle_comparison",
    "oracle_verdict",
    "OracleRecommender",
    "synthetic_true_factors",
    "per_customer_metrics",
    "per_customer_metrics_at",
    "population_at_cutoff",
    "precision_at_k",
    "product_texts",
    "product_vectors",
    "ranking_metrics",
    "read_targeting_list",
    "recall_at_k",
    "recommend_with_fallback",
    "resolve_segments",
    "sample_configs",
    "sample_evaluated",
    "search_configs",
    "select_methods",
    "stage_metrics",
    "time_split",
    "top_n",
    "validation_split",
    "write_csv",
]
