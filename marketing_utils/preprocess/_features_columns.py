"""Column names shared by the feature helpers (private to :mod:`marketing_utils.preprocess.features`).

In a module of their own so that :mod:`._features_frames` and
:mod:`._features_pandas` both import them and neither imports the other's
importer (no cycle).
"""

__all__ = [
    "AMOUNT",
    "CATEGORY",
    "CUSTOMER_ID",
    "DAY",
    "FIRST_DAY",
    "LAST_DAY",
    "N_DAYS",
    "ORDER_ID",
    "REPEAT_MEAN",
    "TIMESTAMP",
]

# Canonical column names (see marketing_utils.schema.TABLE_COLUMNS).
CUSTOMER_ID = "customer_id"
TIMESTAMP = "timestamp"
AMOUNT = "amount"
ORDER_ID = "order_id"
CATEGORY = "category"

# Internal column names start with "_" and are never part of a result.
DAY = "_day"
FIRST_DAY = "_first_day"
LAST_DAY = "_last_day"
N_DAYS = "_n_days"
REPEAT_MEAN = "_repeat_mean"
