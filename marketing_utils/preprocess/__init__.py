"""Stage 01, preprocessing: cleaning with a ledger of every dropped or fixed row, customer features and labels.

Notebook ``01_preprocessing`` calls :func:`preprocess` (:mod:`.stage`); :mod:`.clean` and
:mod:`.ledger` clean and account for every row, :mod:`.features` builds the
customer features and labels (private helpers in ``_features_*``).
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
from .stage import ENGINES, OUTCOME_COLUMNS, PreprocessResult, preprocess, resolve_cutoff, to_engine

__all__ = [
    "CleanResult",
    "ENGINES",
    "LEDGER_COLUMNS",
    "OUTCOME_COLUMNS",
    "PreprocessResult",
    "TableLedger",
    "clean_data",
    "customer_features",
    "ledger_against_injected",
    "ledger_summary",
    "ledger_waterfall_data",
    "make_labels",
    "normalize_category",
    "preprocess",
    "resolve_cutoff",
    "rfm_summary",
    "to_engine",
]
