"""Acquisition cohorts and retention, from transactions on any engine.

A customer's *cohort* is the calendar month of the first purchase; its *age*
in a later month is the number of months since that one (0 for the first
month). The cohort matrix counts, for every cohort and age, the customers who
bought in that month and their revenue; retention is that count over the
cohort's size.

One narwhals query runs on pandas, Polars and Dask. Revenue is summed in
whole cents (integers), so the matrix is *identical* across engines, not only
close: float sums depend on the order of the additions, which differs
between engines and partitions.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError

__all__ = ["cohort_matrix", "retention_matrix", "true_survival"]


def cohort_matrix(
    transactions: Any,
    *,
    customer_id_col: str = "customer_id",
    datetime_col: str = "timestamp",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Customers active and revenue by acquisition cohort and months since the first purchase.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame, polars.LazyFrame or dask.dataframe.DataFrame
        Clean transactions with a customer id, a date/datetime and an amount.

    Returns
    -------
    pandas.DataFrame
        One row per (cohort, age) with activity, sorted: ``cohort`` (month as
        ``"YYYY-MM"``), ``age`` (months since the first purchase), ``cohort_size``,
        ``customers`` (active that month), ``revenue`` (exact to the cent) and
        ``retention`` (``customers / cohort_size``). A pandas frame on every engine.

    Raises
    ------
    DataValidationError
        If a column is missing, has the wrong type or missing values, or an
        amount is negative.
    """
    lazy = _check_transactions(transactions, customer_id_col, datetime_col, amount_col)
    stamp = nw.col(datetime_col)
    rows = lazy.select(
        nw.col(customer_id_col).alias("cid"),
        (stamp.dt.year().cast(nw.Int64) * 12 + stamp.dt.month().cast(nw.Int64) - 1).alias("month"),
        (nw.col(amount_col).cast(nw.Float64) * 100).round(0).cast(nw.Int64).alias("cents"),
    )
    per_month = rows.group_by("cid", "month").agg(nw.col("cents").sum())
    first = per_month.group_by("cid").agg(nw.col("month").min().alias("cohort"))
    aged = per_month.join(first, on="cid").with_columns(
        (nw.col("month") - nw.col("cohort")).alias("age")
    )
    matrix = aged.group_by("cohort", "age").agg(
        nw.len().alias("customers"), nw.col("cents").sum().alias("cents")
    )
    sizes = first.group_by("cohort").agg(nw.len().alias("cohort_size"))
    out = matrix.join(sizes, on="cohort").collect(backend=nw.Implementation.PANDAS).to_native()
    out = out.astype(
        {
            "cohort": "int64",
            "age": "int64",
            "customers": "int64",
            "cents": "int64",
            "cohort_size": "int64",
        }
    )
    out = out.sort_values(["cohort", "age"]).reset_index(drop=True)
    year, month = np.divmod(out["cohort"].to_numpy(), 12)
    return pd.DataFrame(
        {
            "cohort": [f"{y:04d}-{m + 1:02d}" for y, m in zip(year, month, strict=True)],
            "age": out["age"].to_numpy(),
            "cohort_size": out["cohort_size"].to_numpy(),
            "customers": out["customers"].to_numpy(),
            "revenue": out["cents"].to_numpy() / 100.0,
            "retention": out["customers"].to_numpy() / out["cohort_size"].to_numpy(),
        }
    )


def _check_transactions(frame: Any, customer_id_col: str, datetime_col: str, amount_col: str):
    """The transactions as a narwhals LazyFrame, checked for what the cohorts need."""
    try:
        wrapped = nw.from_native(frame)
    except TypeError:
        raise DataValidationError(
            "transactions",
            f"expected a pandas, Polars or Dask DataFrame, found {type(frame).__name__}",
        ) from None
    lazy = wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped
    schema = lazy.collect_schema()
    for column in (customer_id_col, datetime_col, amount_col):
        if column not in schema:
            raise DataValidationError(
                "transactions", f"expected a column {column!r}, found columns {list(schema)}"
            )
    if schema[datetime_col] not in (nw.Date, nw.Datetime) and not isinstance(
        schema[datetime_col], nw.Datetime
    ):
        raise DataValidationError(
            "transactions",
            f"expected dates or datetimes, found {schema[datetime_col]}",
            column=datetime_col,
        )
    if not schema[amount_col].is_numeric():
        raise DataValidationError(
            "transactions", f"expected numbers, found {schema[amount_col]}", column=amount_col
        )
    counts = (
        lazy.select(
            *[
                nw.col(c).is_null().sum().alias(c)
                for c in (customer_id_col, datetime_col, amount_col)
            ],
            (nw.col(amount_col) < 0).sum().alias("negative"),
        )
        .collect()
        .to_pandas()
        .iloc[0]
    )
    for column in (customer_id_col, datetime_col, amount_col):
        if counts[column]:
            raise DataValidationError(
                "transactions",
                f"expected no missing values, found {int(counts[column])}",
                column=column,
            )
    if counts["negative"]:
        raise DataValidationError(
            "transactions",
            f"expected amounts >= 0 (returns are not purchases), found {int(counts['negative'])} negative",
            column=amount_col,
        )
    return lazy


def retention_matrix(cohorts: pd.DataFrame, value: str = "retention") -> pd.DataFrame:
    """The cohort table as a matrix: cohorts as rows, ages as columns (0 where nobody bought)."""
    matrix = cohorts.pivot(index="cohort", columns="age", values=value)
    # an age a cohort has not reached yet stays missing; a reached age without buyers is 0
    last_cohort = pd.Period(cohorts["cohort"].max(), "M")
    for cohort in matrix.index:
        reached = (last_cohort - pd.Period(cohort, "M")).n
        row = matrix.loc[cohort]
        matrix.loc[cohort] = row.where(row.notna() | (row.index > reached), 0.0)
    return matrix


def true_survival(
    transactions: pd.DataFrame, truth: pd.DataFrame, *, max_age: int | None = None
) -> pd.DataFrame:
    """Share of each cohort truly alive at the end of each month since acquisition (synthetic).

    A customer is alive at the end of a month when the generator's
    ``dropout_date`` (the last order before leaving) is missing or after it.

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``age``, ``alive_share``; ages up to the last month of the data.
    """
    if "dropout_date" not in truth or "customer_id" not in truth:
        raise DataValidationError(
            "truth", f"expected columns customer_id and dropout_date, found {list(truth.columns)}"
        )
    stamps = pd.to_datetime(transactions["timestamp"])
    first = stamps.groupby(transactions["customer_id"]).min().dt.to_period("M").rename("cohort")
    frame = first.reset_index().merge(truth[["customer_id", "dropout_date"]], on="customer_id")
    last_month = stamps.max().to_period("M")
    rows = []
    for cohort, group in frame.groupby("cohort"):
        dropout = pd.to_datetime(group["dropout_date"])
        ages = (last_month - cohort).n
        if max_age is not None:
            ages = min(ages, max_age)
        for age in range(ages + 1):
            month_end = (cohort + age + 1).start_time
            alive = dropout.isna() | (dropout >= month_end)
            rows.append({"cohort": str(cohort), "age": age, "alive_share": float(alive.mean())})
    return pd.DataFrame(rows)
