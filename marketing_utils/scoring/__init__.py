"""Scoring new customers: applying the saved stage 01-03 artifacts to new data.

``marketing-workbook score`` calls :func:`score_new_customers` (:mod:`.stage`);
:mod:`.features` builds the features the saved model needs, :mod:`.io`
reads the input and writes the scores in chunks.
"""

from .features import (
    DATA_KINDS,
    data_kind,
    feature_table,
    features_from_transactions,
    load_segmentation,
)
from .io import (
    ENGINES,
    ChunkWriter,
    ScoreSpill,
    file_format,
    output_format,
    read_table,
    table_columns,
)
from .stage import ScoringSummary, decile_edges, deciles_from_edges, score_new_customers

__all__ = [
    "ChunkWriter",
    "DATA_KINDS",
    "ENGINES",
    "ScoreSpill",
    "ScoringSummary",
    "data_kind",
    "decile_edges",
    "deciles_from_edges",
    "feature_table",
    "features_from_transactions",
    "file_format",
    "load_segmentation",
    "output_format",
    "read_table",
    "score_new_customers",
    "table_columns",
]
