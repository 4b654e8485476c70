"""Per-customer attributes joined onto the features: returns rate, tenure, age, demographics.

Private helpers of :func:`marketing_utils.preprocess.features.customer_features`. The
returns and customers tables may come in any backend; their per-customer
summaries are computed in their own backend and then collected into the
backend of the features, where the (small) joins happen.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess import _features_frames as ff
from marketing_utils.preprocess._features_columns import AMOUNT, CUSTOMER_ID, TIMESTAMP

CUSTOMER_ATTRIBUTES = ("gender", "region", "channel", "income")


def with_returns_rate(
    features: nw.DataFrame, returns: Any, cutoff_day: int, backend: nw.Implementation
) -> nw.DataFrame:
    """Add ``returns_rate``: absolute amount returned before the cutoff over ``total_spend``.

    Bounded by 1: a customer returning more than the spend counted (returns of
    earlier purchases) gets 1, not a rate of hundreds.
    """
    lazy, _ = ff.to_lazy(returns, "returns")
    schema = ff.check_events(
        lazy,
        "returns",
        customer_id_col=CUSTOMER_ID,
        datetime_col=TIMESTAMP,
        amount_col=AMOUNT,
        allow_negative=True,  # returns are negative, cancellations may not be: abs() below
    )
    returned_rows = lazy.select(
        CUSTOMER_ID,
        ff.day_number(TIMESTAMP, schema[TIMESTAMP]).alias(ff.DAY),
        nw.col(AMOUNT).cast(nw.Float64).abs().alias("_returned"),
    ).filter(nw.col(ff.DAY) < cutoff_day)
    if lazy.implementation.is_polars():
        returned_rows = ff.exact_sums(returned_rows, ["_returned"])
    returned = ff.collect(
        ff.group_by(returned_rows, CUSTOMER_ID)
        .agg(nw.col("_returned").sum())
        .with_columns(nw.col("_returned").cast(nw.Float64)),
        backend,
    )
    ff.check_key_type(features.schema[CUSTOMER_ID], returned, "returns")
    joined = features.join(returned, on=CUSTOMER_ID, how="left")
    amount_returned = nw.col("_returned").fill_null(0.0)
    return joined.with_columns(
        nw.when(amount_returned == 0)
        .then(0.0)
        .when(nw.col("total_spend") > 0)
        # A rate: returns of purchases made before the window cannot push it above 1.
        .then(nw.min_horizontal(amount_returned / nw.col("total_spend"), nw.lit(1.0)))
        .otherwise(float("nan"))
        .alias("returns_rate")
    ).drop("_returned")


def with_customer_attributes(
    features: nw.DataFrame, customers: Any, cutoff: pd.Timestamp, backend: nw.Implementation
) -> nw.DataFrame:
    """Join tenure, age and the demographic columns the customers table has."""
    lazy, _ = ff.to_lazy(customers, "customers")
    schema = lazy.collect_schema()
    if CUSTOMER_ID not in schema:
        raise DataValidationError(
            "customers",
            f"expected a column named {CUSTOMER_ID!r}; found columns {list(schema)}",
            column=CUSTOMER_ID,
        )
    for column in ("signup_date", "birth_date"):
        if column in schema and not ff.is_temporal(schema[column]):
            raise DataValidationError(
                "customers",
                f"expected dates or datetimes; found dtype {schema[column]}",
                column=column,
                examples=[row[0] for row in ff.examples(lazy, [column])],
            )
    cutoff_day = ff.day_of(cutoff)
    attributes = [nw.col(CUSTOMER_ID)]
    if "signup_date" in schema:
        signup_day = ff.day_number("signup_date", schema["signup_date"])
        attributes.append((nw.lit(cutoff_day) - signup_day).cast(nw.Float64).alias("tenure_days"))
    if "birth_date" in schema:
        attributes.append(_age_in_full_years("birth_date", schema["birth_date"], cutoff))
    attributes += [nw.col(column) for column in CUSTOMER_ATTRIBUTES if column in schema]
    table = ff.collect(lazy.select(*attributes), backend)

    repeated = table.filter(nw.col(CUSTOMER_ID).is_duplicated())
    if len(repeated):
        raise DataValidationError(
            "customers",
            f"expected one row per customer; found {len(repeated)} rows with a repeated id",
            column=CUSTOMER_ID,
            examples=repeated.get_column(CUSTOMER_ID).unique().to_list(),
        )
    ff.check_key_type(features.schema[CUSTOMER_ID], table, "customers")
    return features.join(table, on=CUSTOMER_ID, how="left")


def _age_in_full_years(column: str, dtype: nw.dtypes.DType, cutoff: pd.Timestamp) -> nw.Expr:
    """Completed years at the cutoff: one less until the birthday has come this year."""
    birth = nw.col(column)
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        birth = birth.dt.replace_time_zone(None)
    month, day = birth.dt.month(), birth.dt.day()
    birthday_passed = (month < cutoff.month) | ((month == cutoff.month) & (day <= cutoff.day))
    age = nw.lit(cutoff.year - 1) - birth.dt.year() + birthday_passed.cast(nw.Int64)
    return age.cast(nw.Float64).alias("age_years")
