"""marketing_utils: the tested package behind the Precision Marketing Workbook.

One subpackage per stage (``preprocess``, ``segment``, ``propensity``,
``evaluate``, ``uplift``, ``recommend``, ``forecast``, ``scoring``), the params
file (``params``), loading data (``datasets``) and the command line
(``runner``); the plumbing modules every stage uses sit at the top level.
Notebooks import a stage's namespace (``from marketing_utils import segment``).

The names users call most are re-exported here (``mu.customer_features``,
``mu.rfm_summary``, ``mu.scan_transactions``, ``mu.dask_client``, ...). They
are loaded on first use, so that the command line starts in a fraction of a
second and fails fast on a bad params file.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "artifacts": ["Artifacts"],
    "preprocess.clean": ["CleanResult", "clean_data", "normalize_category"],
    "compute": ["dask_client"],
    "datasets.scan": ["scan_transactions"],
    "params.data": ["load_data"],
    "datasets.synthetic": ["SyntheticData", "make_synthetic"],
    "errors": ["DataValidationError", "ParamsError", "RunError", "WorkbookError"],
    "preprocess.features": ["customer_features", "make_labels", "rfm_summary"],
    "params.file": ["load_params"],
    "preprocess.ledger": ["ledger_against_injected", "ledger_summary", "ledger_waterfall_data"],
    "preprocess.stage": ["PreprocessResult", "preprocess", "save_preprocessing"],
    "privacy": [
        "drop_pii",
        "pseudonymization_key",
        "pseudonymize",
        "pseudonymize_ids",
        "suppress_small_groups",
    ],
    "profile": ["describe_tables", "missing_share"],
    "sampling": ["sample_customers"],
    "schema": ["PII_COLUMNS", "MarketingData"],
    "segment.stage": [
        "DEFAULT_SEGMENT_MAP",
        "SegmentationResult",
        "agreement_with_truth",
        "assign_rfm_segments",
        "rfm_scores",
        "segment_customers",
    ],
    "segment.model": ["SegmentationModel", "assign_segments"],
    "segment.io": ["load_segmentation_model", "save_segmentation_model"],
    "propensity.stage": [
        "PropensityResult",
        "fit_propensity",
        "save_propensity",
        "score_customers",
    ],
    "model_io": ["TRUSTED_TYPES", "UntrustedModelError", "load_model", "save_model"],
    "scoring.stage": ["ScoringSummary", "decile_edges", "score_new_customers"],
    "propensity.bundle": ["ScoringModel", "load_scoring_model"],
    "evaluate.metrics": [
        "bootstrap_metrics",
        "decile_table",
        "gains_curve",
        "ks_statistic",
        "lift_at",
    ],
    "evaluate.economics": ["CampaignEconomics", "profit_curve"],
    "evaluate.stage": ["TargetingEvaluation", "evaluate_targeting", "targeting_list"],
    "uplift.learners": ["ClassTransformation", "SLearner", "TLearner", "XLearner"],
    "uplift.metrics": [
        "qini_coefficient",
        "qini_curve",
        "uplift_at_k",
        "uplift_by_decile",
        "uplift_curve",
    ],
    "uplift.stage": ["UpliftResult", "campaign_uplift", "save_uplift"],
    "forecast.stage": ["DemandForecast", "demand_series", "forecast_demand", "forecast_series"],
    "recommend": [
        "ItemKNNRecommender",
        "PopularityRecommender",
        "SegmentPopularityRecommender",
        "UserKNNRecommender",
        "evaluate_recommenders",
        "interaction_matrix",
        "ranking_metrics",
        "time_split",
    ],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'marketing_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
