"""Customer features at a cutoff: the RFM summary, spend windows, category mix and labels.

One implementation, written with narwhals, runs on pandas, Polars and Dask.

Backends
--------
Eager inputs come back in their own library (pandas in, pandas out; Polars
DataFrame in, Polars DataFrame out). Lazy inputs are computed, because the
result has one row per customer and fits in memory even when the transaction
log does not: a Polars LazyFrame gives a Polars DataFrame and a Dask DataFrame
gives a pandas DataFrame. Results are sorted by customer id.

Days
----
Everything is counted in calendar days. A timestamp's day is its wall-clock
date (time-zone-aware timestamps in their own time zone), as in lifetimes'
``to_period("D")``. A ``cutoff`` must be a calendar day (midnight): features
use the events strictly before it, labels the events from it on, so the two
never share an event.

Cost
----
Days are integers (days since 1970-01-01). Transactions are summed per
customer-day, then the customer-day table is summarized per customer; the
first purchase day, which the repeat-purchase mean leaves out, comes from the
same customer summary. Each engine takes its fastest route to the same
numbers: pandas codes the customer ids as sorted integers once, orders the
events by one sort of their customer-day keys and sums the runs of that order
with pandas' own arithmetic (:mod:`marketing_utils.preprocess._features_pandas`); Polars
runs the narwhals query on its streaming engine; Dask shuffles the events by
customer and summarizes each partition with the pandas code.
``customer_features`` adds one group-by over (customer, order) when there are
order ids. No ``n_unique`` is used: narwhals' Dask ``n_unique`` counts a value
once per partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import narwhals as nw

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess import _features_attributes as fa
from marketing_utils.preprocess import _features_frames as ff
from marketing_utils.preprocess._features_columns import (
    AMOUNT,
    CATEGORY,
    CUSTOMER_ID,
    ORDER_ID,
    TIMESTAMP,
)

__all__ = ["customer_features", "make_labels", "rfm_summary"]


def rfm_summary(
    transactions: Any,
    *,
    customer_id_col: str = CUSTOMER_ID,
    datetime_col: str = TIMESTAMP,
    monetary_value_col: str | None = AMOUNT,
    observation_period_end: Any = None,
) -> Any:
    """Frequency, recency, T and monetary value per customer, exactly as lifetimes computes them.

    Follows ``lifetimes.utils.summary_data_from_transaction_data(..., freq="D")``:
    timestamps are reduced to calendar days, transactions after the
    observation end day are dropped, and each customer's transactions are
    summed per day before anything is counted.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame, polars.LazyFrame or dask.dataframe.DataFrame
        A clean transaction log: no missing ids, timestamps or amounts, no
        negative amounts (returns are not purchases).
    customer_id_col, datetime_col : str
        Names of the customer id and of the date/datetime column.
    monetary_value_col : str or None, default "amount"
        Name of the amount column; ``None`` leaves ``monetary_value`` out.
    observation_period_end : date, datetime or str, optional
        Last day observed, inclusive (a time of day is ignored, as in lifetimes).
        Defaults to the day of the last transaction.

    Returns
    -------
    DataFrame
        One row per customer with a transaction up to the end day, sorted by id,
        with float columns:

        - ``frequency``: number of distinct purchase days minus one (repeat days);
        - ``recency``: days from the first to the last purchase day;
        - ``T``: days from the first purchase day to the observation end day;
        - ``monetary_value``: mean of the daily totals of the repeat days (the
          first purchase day is left out), 0 when ``frequency`` is 0.

        Backend as described in the module docstring.

    Raises
    ------
    DataValidationError
        If a column is missing, has the wrong type, missing values or negative amounts.
    """
    lazy, backend = ff.to_lazy(transactions, "transactions")
    schema = ff.check_events(
        lazy,
        "transactions",
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        amount_col=monetary_value_col,
    )
    columns = [
        nw.col(customer_id_col),
        ff.day_number(datetime_col, schema[datetime_col]).alias(ff.DAY),
    ]
    if monetary_value_col is not None:
        columns.append(nw.col(monetary_value_col).cast(nw.Float64))
    rows = lazy.select(*columns)
    end_day = None
    if observation_period_end is not None:
        end_day = ff.day_of(ff.parse_timestamp(observation_period_end, "observation_period_end"))
        rows = rows.filter(nw.col(ff.DAY) <= end_day)
    per_customer = ff.per_customer(
        rows,
        customer_id_col,
        lambda events, bounds: ff.summarize_customers(
            events, customer_id_col, monetary_value_col, bounds=bounds
        ),
        backend,
    )
    if end_day is None:
        # The last transaction day over all customers is the last of their last days.
        end_day = per_customer.get_column(ff.LAST_DAY).max() if len(per_customer) else 0
    summary = per_customer.select(
        customer_id_col, *ff.rfm_columns(int(end_day), monetary=monetary_value_col is not None)
    )
    return ff.to_native(summary)


def customer_features(
    transactions: Any,
    *,
    cutoff: Any,
    windows: Sequence[int] = (30, 90, 365),
    customers: Any = None,
    returns: Any = None,
    categories: Iterable[str] | None = None,
    partitions: int = 1,
) -> Any:
    """One row of features per customer, from the events strictly before ``cutoff``.

    Every customer with at least one purchase before the cutoff gets a row;
    nothing at or after the cutoff is read, so the features can be paired with
    :func:`make_labels` without leakage.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame, polars.LazyFrame or dask.dataframe.DataFrame
        Clean canonical transactions: ``customer_id``, ``timestamp``, ``amount``
        and optionally ``order_id`` and ``category``. No returns in it.
    cutoff : date, datetime or str
        The first day *not* observed; must be a calendar day (midnight).
    windows : sequence of int, default (30, 90, 365)
        Lengths in days of the recent-activity windows.
    customers : DataFrame, optional
        Canonical customers table (one row per ``customer_id``), any backend.
    returns : DataFrame, optional
        Returned or cancelled lines with the transactions' columns (amounts are
        usually negative; their absolute value is used), any backend.
    categories : iterable of str, optional
        Categories to compute spend shares for; default: every category seen
        before the cutoff.
    partitions : int, default 1
        Polars only: split the customers into this many groups by a hash of
        their id and compute the groups one after the other, each pass reading
        the events again (a LazyFrame from ``scan_transactions`` reads the
        files again). Memory then holds the group-by tables of one group,
        about ``1 / partitions`` of them, for that many passes over the data.
        The result is the one-pass result bit for bit (money is summed as
        exact decimals, in any order). Ignored on pandas and Dask (Dask already
        works partition by partition).

    Returns
    -------
    DataFrame
        Sorted by ``customer_id``; backend as described in the module docstring.
        Columns, in order:

        - ``frequency``, ``recency``, ``T``, ``monetary_value``: the
          :func:`rfm_summary` with the observation ending the day before the cutoff;
        - ``n_orders``: distinct ``order_id`` values, or distinct purchase days
          when the transactions have no ``order_id``;
        - ``total_spend``: sum of the amounts;
        - ``avg_basket``: ``total_spend / n_orders``;
        - ``days_since_last_purchase``: days from the last purchase day to the cutoff day;
        - ``mean_days_between_purchases``: ``recency / frequency``, NaN when
          ``frequency`` is 0;
        - ``spend_{w}d``, ``orders_{w}d`` for each window ``w``: spend of the
          events with ``cutoff - w days <= timestamp < cutoff``, and the orders
          (or purchase days) whose first event is in that window;
        - ``share_{category}``: that category's part of ``total_spend`` (NaN when
          ``total_spend`` is 0); they sum to 1 when every category is listed;
        - ``returns_rate`` (with ``returns``, at most 1): absolute returned amount before
          the cutoff divided by ``total_spend``, 0 without returns (NaN when a
          customer returned something but spent 0);
        - from ``customers``, for the columns it has: ``tenure_days`` (days from
          the signup day to the cutoff day), ``age_years`` (full years at the
          cutoff from ``birth_date``; a 29 February birthday counts from
          1 March in other years), then ``gender``, ``region``, ``channel`` and
          ``income`` as they are. Both day counts are floats, NaN where unknown.

    Raises
    ------
    DataValidationError
        If a table lacks a column, has wrong types, missing keys, amounts of the
        wrong sign, or the customers table repeats a ``customer_id``.
    ValueError
        If ``cutoff`` is not a calendar day or a window is not a positive integer.
    """
    cutoff_timestamp = ff.parse_timestamp(cutoff, "cutoff")
    cutoff_day = ff.cutoff_day(cutoff)
    windows = [ff.positive_int(window, "each window") for window in windows]
    partitions = ff.positive_int(partitions, "partitions")
    lazy, backend = ff.to_lazy(transactions, "transactions")
    columns = lazy.collect_schema()
    has_orders = ORDER_ID in columns
    if categories is not None and CATEGORY not in columns:
        raise DataValidationError(
            "transactions",
            f"expected a {CATEGORY!r} column because categories were given; "
            f"found columns {list(columns)}",
            column=CATEGORY,
        )
    schema = ff.check_events(
        lazy,
        "transactions",
        customer_id_col=CUSTOMER_ID,
        datetime_col=TIMESTAMP,
        amount_col=AMOUNT,
        not_null=[ORDER_ID] if has_orders else [],
    )
    keep = [c for c in (ORDER_ID, CATEGORY) if c in schema]
    rows = lazy.select(
        CUSTOMER_ID,
        *keep,
        ff.day_number(TIMESTAMP, schema[TIMESTAMP]).alias(ff.DAY),
        nw.col(AMOUNT).cast(nw.Float64),
    ).filter(nw.col(ff.DAY) < cutoff_day)

    if categories is None and CATEGORY in schema:
        seen = ff.collect(rows.select(CATEGORY).unique()).get_column(CATEGORY)
        categories = sorted(seen.drop_nulls().to_list())
    categories = list(dict.fromkeys(categories or []))

    def customer_table(events: nw.LazyFrame, bounds: ff.KeyBounds | None = None) -> nw.LazyFrame:
        per_customer = _spend_by_customer(
            events, cutoff_day, windows, categories, has_orders=has_orders, bounds=bounds
        )
        if has_orders:
            per_customer = per_customer.join(
                _order_counts(events, cutoff_day, windows), on=CUSTOMER_ID, how="inner"
            )
        else:
            per_customer = per_customer.with_columns(nw.col(ff.N_DAYS).alias("n_orders"))
        return per_customer.select(CUSTOMER_ID, *_feature_columns(cutoff_day, windows, categories))

    if rows.implementation.is_dask():
        # One shuffle by customer, then every partition is one pandas computation.
        result = ff.collect(ff.by_customer(rows, CUSTOMER_ID, customer_table), backend)
    elif rows.implementation.is_polars() and partitions > 1:
        # Customers never span two hash groups, so each group's rows are final.
        parts = [
            ff.collect(customer_table(part), backend)
            for part in ff.hash_partitions(rows, CUSTOMER_ID, partitions)
        ]
        result = nw.concat(parts, how="vertical")
    else:
        result = ff.per_customer(rows, CUSTOMER_ID, customer_table, backend)
    if returns is not None:
        result = fa.with_returns_rate(result, returns, cutoff_day, backend)
    if customers is not None:
        result = fa.with_customer_attributes(result, customers, cutoff_timestamp, backend)
    return ff.to_native(result.sort(CUSTOMER_ID))


def make_labels(transactions: Any, *, cutoff: Any, horizon_days: int, customers: Any = None) -> Any:
    """Whether each customer buys in the ``horizon_days`` days from ``cutoff`` on.

    Reads only the events with ``cutoff <= timestamp < cutoff + horizon_days``
    to set the label, so it never overlaps the features of
    :func:`customer_features` at the same cutoff.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame, polars.LazyFrame or dask.dataframe.DataFrame
        Clean canonical transactions with ``customer_id`` and ``timestamp``.
    cutoff : date, datetime or str
        First day of the label window; must be a calendar day (midnight).
    horizon_days : int
        Length of the label window in days.
    customers : DataFrame, optional
        The customers to label, e.g. the output of :func:`customer_features`
        (only its ``customer_id`` column is read), any backend. Default: every
        customer with a purchase before the cutoff, which is the population of
        :func:`customer_features`.

    Returns
    -------
    DataFrame
        ``customer_id`` and ``label`` (int, 1 if the customer has at least one
        purchase in the window, else 0). With ``customers`` the rows and backend
        are those of ``customers``; otherwise sorted by id, backend as described
        in the module docstring.
    """
    cutoff_day = ff.cutoff_day(cutoff)
    horizon_days = ff.positive_int(horizon_days, "horizon_days")
    lazy, backend = ff.to_lazy(transactions, "transactions")
    schema = ff.check_events(
        lazy, "transactions", customer_id_col=CUSTOMER_ID, datetime_col=TIMESTAMP
    )
    days = lazy.select(CUSTOMER_ID, ff.day_number(TIMESTAMP, schema[TIMESTAMP]).alias(ff.DAY))
    in_horizon = (nw.col(ff.DAY) >= cutoff_day) & (nw.col(ff.DAY) < cutoff_day + horizon_days)
    buyers = ff.collect(days.filter(in_horizon).select(CUSTOMER_ID).unique())
    buyer_ids = buyers.get_column(CUSTOMER_ID).to_list()

    if customers is None:
        population = ff.collect(
            days.filter(nw.col(ff.DAY) < cutoff_day).select(CUSTOMER_ID).unique(), backend
        ).sort(CUSTOMER_ID)
    else:
        population = ff.to_eager(customers, "customers")
        if CUSTOMER_ID not in population.columns:
            raise DataValidationError(
                "customers",
                f"expected a {CUSTOMER_ID!r} column; found columns {population.columns}",
                column=CUSTOMER_ID,
            )
        ff.check_key_type(schema[CUSTOMER_ID], population, "customers")
    labels = population.select(
        CUSTOMER_ID, nw.col(CUSTOMER_ID).is_in(buyer_ids).cast(nw.Int64).alias("label")
    )
    return ff.to_native(labels)


def _category_sum(index: int) -> str:
    return f"_category_{index}"


def _spend_by_customer(
    rows: nw.LazyFrame,
    cutoff_day: int,
    windows: Sequence[int],
    categories: Sequence[Any],
    *,
    has_orders: bool,
    bounds: ff.KeyBounds | None = None,
) -> nw.LazyFrame:
    """Per customer: purchase days, repeat-day mean, spend in total, per window and category.

    Without order ids, also the purchase days in each window (``orders_{w}d``).
    """
    if categories:
        rows = rows.with_columns(
            nw.when(nw.col(CATEGORY) == category)
            .then(nw.col(AMOUNT))
            .otherwise(0.0)
            .alias(_category_sum(i))
            for i, category in enumerate(categories)
        )
    summed = [_category_sum(i) for i in range(len(categories))]
    # Windows start on a day boundary, so per-day totals split exactly between them.
    # Zero as the amount times 0 keeps the amount's dtype: on Polars the daily totals
    # are exact decimals (ff.EXACT), and a float 0.0 would round them to floats.
    window_columns, window_summed = [], []
    for w in windows:
        in_window = nw.col(ff.DAY) >= cutoff_day - w
        window_columns.append(
            nw.when(in_window)
            .then(nw.col(AMOUNT))
            .otherwise(nw.col(AMOUNT) * 0)
            .alias(f"spend_{w}d")
        )
        window_summed.append(f"spend_{w}d")
        if not has_orders:
            window_columns.append(in_window.cast(nw.Int64).alias(f"orders_{w}d"))
            window_summed.append(f"orders_{w}d")
    return ff.summarize_customers(
        rows,
        CUSTOMER_ID,
        AMOUNT,
        summed=summed,
        daily_columns=window_columns,
        daily_summed=window_summed,
        bounds=bounds,
    )


def _feature_columns(
    cutoff_day: int, windows: Sequence[int], categories: Sequence[Any]
) -> list[nw.Expr]:
    """The output columns of :func:`customer_features`, in order, from the per-customer sums."""
    n_orders = nw.col("n_orders").cast(nw.Int64)
    frequency = nw.col(ff.N_DAYS) - 1
    columns = [
        *ff.rfm_columns(cutoff_day - 1),
        n_orders,
        nw.col("total_spend"),
        (nw.col("total_spend") / n_orders).alias("avg_basket"),
        (nw.lit(cutoff_day) - nw.col(ff.LAST_DAY)).cast(nw.Int64).alias("days_since_last_purchase"),
        nw.when(frequency > 0)
        .then((nw.col(ff.LAST_DAY) - nw.col(ff.FIRST_DAY)) / frequency)
        .otherwise(float("nan"))
        .cast(nw.Float64)
        .alias("mean_days_between_purchases"),
    ]
    for w in windows:
        columns += [nw.col(f"spend_{w}d"), nw.col(f"orders_{w}d").cast(nw.Int64)]
    columns += [
        (nw.col(_category_sum(i)) / nw.col("total_spend")).alias(f"share_{category}")
        for i, category in enumerate(categories)
    ]
    return columns


def _order_counts(rows: nw.LazyFrame, cutoff_day: int, windows: Sequence[int]) -> nw.LazyFrame:
    """Per customer: distinct orders, and those whose first event falls in each window."""
    orders = ff.group_by(rows, CUSTOMER_ID, ORDER_ID).agg(nw.col(ff.DAY).min())
    orders = orders.with_columns(
        (nw.col(ff.DAY) >= cutoff_day - w).cast(nw.Int64).alias(f"orders_{w}d") for w in windows
    )
    return ff.group_by(orders, CUSTOMER_ID).agg(
        nw.len().alias("n_orders"), *[nw.col(f"orders_{w}d").sum() for w in windows]
    )
