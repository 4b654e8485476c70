"""Stage 04, evaluation: ranking metrics, campaign economics and the targeting list.

Notebook ``04_evaluation`` calls :func:`evaluate_targeting` (:mod:`.stage`) and the
figures of :mod:`.plots`; :mod:`.metrics` holds the ranking metrics.
"""

from .baselines import compare_targeting, rfm_columns, rfm_scores, segment_rule_scores
from .classification import calibration_by_group, classification_metrics, confusion_table
from .economics import (
    THRESHOLD_RULES,
    CampaignEconomics,
    TargetingRule,
    best_depth,
    choose_targeting,
    expected_profit,
    oracle_profit,
    profit_curve,
    realized_profit,
    threshold_tuning_check,
)
from .inputs import evaluation_frame
from .metrics import (
    RANKING_METRICS,
    assign_deciles,
    bootstrap_metrics,
    check_scores,
    decile_table,
    gain_at,
    gains_curve,
    ks_statistic,
    lift_at,
    top_decile_lift,
)
from .stage import TargetingEvaluation, evaluate_targeting, targeting_list, write_targeting_list

__all__ = [
    "CampaignEconomics",
    "RANKING_METRICS",
    "THRESHOLD_RULES",
    "TargetingEvaluation",
    "TargetingRule",
    "assign_deciles",
    "best_depth",
    "bootstrap_metrics",
    "calibration_by_group",
    "check_scores",
    "choose_targeting",
    "classification_metrics",
    "compare_targeting",
    "confusion_table",
    "decile_table",
    "evaluate_targeting",
    "evaluation_frame",
    "expected_profit",
    "gain_at",
    "gains_curve",
    "ks_statistic",
    "lift_at",
    "oracle_profit",
    "profit_curve",
    "realized_profit",
    "rfm_columns",
    "rfm_scores",
    "segment_rule_scores",
    "targeting_list",
    "threshold_tuning_check",
    "top_decile_lift",
    "write_targeting_list",
]
