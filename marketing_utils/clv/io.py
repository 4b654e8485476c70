"""What stage 08 saves and how the later stages read it.

Artifacts (by name, in the run directory):

- ``clv``: one row per customer: ``customer_id``, ``expected_purchases``,
  ``p_alive``, ``expected_spend``, ``clv`` (read by 04's economics and 09's
  planning as the value of a customer);
- ``clv_segments``: the CLV summarized by 02's segments (small groups merged);
- ``clv_at_risk``: high past value, low P(alive);
- ``cohort_matrix``: customers active and revenue by cohort and month;
- ``clv_holdout``, ``clv_conditional_expectations``, ``clv_tracking``,
  ``clv_params``: the validation and the fitted parameters.
"""

from __future__ import annotations

import pandas as pd

from marketing_utils.errors import DataValidationError

from .stage import CLV_COLUMNS, ClvResult

__all__ = ["CLV_ARTIFACT", "load_clv", "save_clv"]

#: Name of the per-customer value artifact.
CLV_ARTIFACT = "clv"


def params_table(result: ClvResult) -> pd.DataFrame:
    """Every fitted parameter with its standard error, calibration and final fits."""
    frames = []
    for fit_name, fits in (("calibration", result.fits), ("final", result.final_fits)):
        for model, fit in fits.items():
            frames.append(fit.table().assign(model=model, fit=fit_name))
    return pd.concat(frames, ignore_index=True)[
        ["fit", "model", "parameter", "estimate", "std_error", "ci_low", "ci_high"]
    ]


def save_clv(result: ClvResult, store, segments_summary: pd.DataFrame | None = None) -> list[str]:
    """Write the stage's artifacts by name; returns the names written."""
    tables = {
        CLV_ARTIFACT: result.artifact(),
        "clv_at_risk": result.at_risk[
            ["customer_id", "past_value", "p_alive", "clv", "value_tier"]
        ],
        "cohort_matrix": result.cohorts,
        "clv_holdout": result.holdout,
        "clv_conditional_expectations": result.conditional,
        "clv_tracking": result.tracking,
        "clv_params": params_table(result),
    }
    if segments_summary is not None:
        tables["clv_segments"] = segments_summary
    return store.save_all(tables)


def load_clv(store) -> pd.DataFrame:
    """The ``clv`` artifact, checked for the columns later stages rely on.

    Raises
    ------
    FileNotFoundError
        If stage 08 has not run.
    DataValidationError
        If a column of :data:`~marketing_utils.clv.stage.CLV_COLUMNS` is missing.
    """
    table = store.load(CLV_ARTIFACT)
    missing = [c for c in CLV_COLUMNS if c not in table]
    if missing:
        raise DataValidationError(
            CLV_ARTIFACT, f"expected columns {CLV_COLUMNS}, missing {missing}"
        )
    return table
