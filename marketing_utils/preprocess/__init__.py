"""Stage 01, preprocessing: cleaning with a ledger of every dropped or fixed row, customer features and labels.

Notebook ``01_preprocessing`` calls :func:`preprocess` (:mod:`.stage`); :mod:`.clean` and
:mod:`.ledger` clean and account for every row, :mod:`.features` builds the
customer features and labels (private helpers in ``_features_*``); :mod:`.outcome`
turns a customer table's own outcome column into the label and :mod:`.roles`
gives every column of a customer table its role (identifier, free text, date, ...).
"""

from .clean import (
    CleanResult,
    clean_data,
    ledger_summary,
    ledger_waterfall_data,
    normalize_category,
)
from .features import customer_features, make_labels, rfm_summary
from .ledger import LEDGER_COLUMNS, TableLedger, ledger_against_injected
from .outcome import is_churn, missing_outcome, outcome_label
from .roles import EXCLUDED_ROLES, column_roles, parse_numeric_text
from .stage import (
    ENGINES,
    OUTCOME_COLUMNS,
    PreprocessResult,
    preprocess,
    resolve_cutoff,
    screen_model_table,
    to_engine,
)

__all__ = [
    "CleanResult",
    "ENGINES",
    "EXCLUDED_ROLES",
    "LEDGER_COLUMNS",
    "OUTCOME_COLUMNS",
    "PreprocessResult",
    "TableLedger",
    "clean_data",
    "column_roles",
    "customer_features",
    "is_churn",
    "ledger_against_injected",
    "ledger_summary",
    "ledger_waterfall_data",
    "make_labels",
    "missing_outcome",
    "normalize_category",
    "outcome_label",
    "parse_numeric_text",
    "preprocess",
    "resolve_cutoff",
    "rfm_summary",
    "screen_model_table",
    "to_engine",
]
