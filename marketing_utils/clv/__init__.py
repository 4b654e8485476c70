"""Stage 08, customer lifetime value: BG/NBD, Pareto/NBD, Gamma-Gamma, cohorts and value.

Modules: :mod:`.stage` (what the notebook calls), :mod:`.plots`, :mod:`.io`,
the models :mod:`.bgnbd`, :mod:`.pareto_nbd`, :mod:`.gamma_gamma` on the
optimizer of :mod:`.mle` and the input checks of :mod:`.data`, the money in
:mod:`.value`, the validation in :mod:`.validation`, :mod:`.cohorts` and the
uses of the value in :mod:`.tiers`.
"""

from __future__ import annotations

from .bgnbd import fit_bgnbd
from .cohorts import cohort_matrix, retention_matrix, true_survival
from .gamma_gamma import fit_gamma_gamma
from .io import CLV_ARTIFACT, load_clv, save_clv
from .mle import ConvergenceError, FitResult
from .pareto_nbd import fit_pareto_nbd
from .stage import CLV_COLUMNS, ClvResult, customer_lifetime_value
from .tiers import (
    at_risk,
    clv_by_segment,
    clv_priced_targeting,
    lorenz_curve,
    targeting_table,
    value_tiers,
)
from .value import clv_table, discounted_clv

__all__ = [
    "CLV_ARTIFACT",
    "CLV_COLUMNS",
    "ClvResult",
    "ConvergenceError",
    "FitResult",
    "at_risk",
    "clv_by_segment",
    "clv_priced_targeting",
    "clv_table",
    "cohort_matrix",
    "customer_lifetime_value",
    "discounted_clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "load_clv",
    "lorenz_curve",
    "retention_matrix",
    "save_clv",
    "targeting_table",
    "true_survival",
    "value_tiers",
]
