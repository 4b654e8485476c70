"""Stage 05, campaign uplift: the experiment, uplift learners, metrics and the targeting policy.

Notebook ``05_campaign_uplift`` calls :func:`campaign_uplift` (:mod:`.stage`) and
the figures of :mod:`.plots`; :mod:`.learners` holds the meta-learners and
:mod:`.decision` turns the stage's numbers into its headline and decision.
"""

from .decision import recommended_share, significance, uplift_decision
from .experiment import (
    NOT_FEATURES,
    arm_effects,
    average_treatment_effect,
    covariate_balance,
    group_sizes,
    select_arm,
    uplift_table,
)
from .learners import (
    BASE_LEARNERS,
    UPLIFT_MODELS,
    ClassTransformation,
    SLearner,
    TLearner,
    XLearner,
    make_base_learner,
    make_feature_encoder,
    make_uplift_model,
)
from .metrics import (
    bootstrap_interval,
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_coefficient,
    qini_curve,
    rank_weights,
    uplift_at_k,
    uplift_auc_score,
    uplift_by_decile,
    uplift_curve,
)
from .policy import policy_comparison, top_group_composition, truth_agreement
from .stage import UpliftResult, campaign_uplift, cross_validated_qini, save_uplift

__all__ = [
    "BASE_LEARNERS",
    "ClassTransformation",
    "NOT_FEATURES",
    "SLearner",
    "TLearner",
    "UPLIFT_MODELS",
    "UpliftResult",
    "XLearner",
    "arm_effects",
    "average_treatment_effect",
    "bootstrap_interval",
    "campaign_uplift",
    "covariate_balance",
    "cross_validated_qini",
    "group_sizes",
    "make_base_learner",
    "make_feature_encoder",
    "make_uplift_model",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "policy_comparison",
    "qini_coefficient",
    "qini_curve",
    "rank_weights",
    "recommended_share",
    "save_uplift",
    "select_arm",
    "significance",
    "top_group_composition",
    "truth_agreement",
    "uplift_at_k",
    "uplift_auc_score",
    "uplift_by_decile",
    "uplift_curve",
    "uplift_decision",
    "uplift_table",
]
