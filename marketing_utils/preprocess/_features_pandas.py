"""The customer-day summary on pandas, with integer-coded customer ids.

Private helper of :func:`marketing_utils.preprocess._features_frames.summarize_customers`.
On pandas the generic narwhals formulation hashes the customer id strings
twice (the customer-day group-by, then the per-customer one) and finds each
customer's first day with a window function, a third pass. Here the ids are
factorized once into integer codes (sorted, so results come out sorted by id),
a customer-day is one integer key, and after one sorted group-by over that key
the customer-day table is ordered by customer and day, so each customer's
first day is simply where its code starts: the per-customer step is a
segmented pass over integers.

The sums use the same pandas group-by kernels as the generic path (the same
compensated summation, each group summed in row order), and the repeat days
are averaged in day order, as lifetimes does, so results are identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import narwhals as nw
import numpy as np
import pandas as pd

from marketing_utils.preprocess._features_columns import (
    DAY,
    FIRST_DAY,
    LAST_DAY,
    N_DAYS,
    REPEAT_MEAN,
)


def summarize_customers_pandas(
    frame: pd.DataFrame,
    customer_id_col: str,
    amount_col: str | None,
    *,
    summed: Sequence[str] = (),
    daily_columns: Sequence[nw.Expr] = (),
    daily_summed: Sequence[str] = (),
) -> pd.DataFrame:
    """Per customer: first, last and number of purchase days, repeat-day mean and sums.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per event with ``customer_id_col``, the integer day column
        ``DAY``, ``amount_col`` and the ``summed`` columns; at least one row.
    customer_id_col : str
        Customer id column.
    amount_col : str or None
        Amount column, or None for no monetary value.
    summed : sequence of str
        Event columns summed per customer-day, then per customer.
    daily_columns : sequence of narwhals expressions
        Columns computed on the customer-day table (from ``DAY`` and the daily sums).
    daily_summed : sequence of str
        Names of the ``daily_columns`` summed per customer.

    Returns
    -------
    pandas.DataFrame
        Sorted by customer id: the id, ``FIRST_DAY``, ``LAST_DAY``, ``N_DAYS``,
        ``REPEAT_MEAN`` (with an amount; NaN without repeat days), the
        ``summed`` and ``daily_summed`` sums, and ``total_spend`` (with an amount).
    """
    day = frame[DAY].to_numpy(dtype=np.int64)
    low = int(day.min())
    span = int(day.max()) - low + 1
    codes, ids = _customer_codes(frame[customer_id_col], span)
    customer_day = codes * span + (day - low)

    values = [c for c in dict.fromkeys([*([amount_col] if amount_col else []), *summed])]
    if values:
        daily = frame[values].groupby(customer_day, sort=False).sum()
        # Sorting the (fewer) customer-days afterwards is cheaper than a sorted group-by.
        order = np.argsort(daily.index.to_numpy())  # keys are unique: any sort is stable
        keys = daily.index.to_numpy()[order]
        daily = daily.take(order).reset_index(drop=True)
    else:
        keys = np.unique(customer_day)
        daily = pd.DataFrame(index=pd.RangeIndex(len(keys)))
    daily_code, daily_day = keys // span, keys % span + low
    daily[DAY] = daily_day
    if daily_columns:
        daily = nw.from_native(daily, eager_only=True).with_columns(*daily_columns).to_native()

    starts = np.flatnonzero(np.r_[True, daily_code[1:] != daily_code[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    n_days = ends - starts
    # Dense, sorted customer numbers per customer-day: the group-bys below need no hashing of ids.
    group = pd.Categorical.from_codes(
        np.repeat(np.arange(len(starts)), n_days), categories=pd.RangeIndex(len(starts))
    )
    result = {
        customer_id_col: ids.take(daily_code[starts]),
        FIRST_DAY: daily_day[starts],
        LAST_DAY: daily_day[ends - 1],
        N_DAYS: n_days.astype(np.int64),
    }
    to_sum = list(dict.fromkeys([*summed, *daily_summed]))
    if amount_col is not None:
        repeat = daily[amount_col].to_numpy(dtype=np.float64, copy=True)
        repeat[starts] = np.nan  # the first purchase day is not a repeat
        result[REPEAT_MEAN] = (
            pd.Series(repeat).groupby(group, observed=True, sort=False).mean().to_numpy()
        )
        result["total_spend"] = (
            daily[amount_col].groupby(group, observed=True, sort=False).sum().to_numpy()
        )
    if to_sum:
        sums = daily[to_sum].groupby(group, observed=True, sort=False).sum()
        result |= {column: sums[column].to_numpy() for column in to_sum}
    return pd.DataFrame(result)


def _customer_codes(ids: pd.Series, span: int) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """Integer codes ordered like the ids, and the ids of the codes.

    Integer ids (such as the codes of :func:`encode_customer_ids`) are their
    own codes, shifted to start at 0, when the customer-day key cannot overflow.
    """
    if pd.api.types.is_integer_dtype(ids.dtype) and isinstance(ids.dtype, np.dtype):
        values = ids.to_numpy(dtype=np.int64)
        low, high = int(values.min()), int(values.max())
        if (high - low + 1) * span < 2**62:
            return values - low, np.arange(low, high + 1, dtype=np.int64)
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int64), uniques


def encode_customer_ids(frame: pd.DataFrame, customer_id_col: str) -> tuple[pd.DataFrame, pd.Index]:
    """The frame with its customer ids replaced by integer codes, and the ids of the codes.

    Codes follow the sorted ids, so sorting by code sorts by id. Every
    group-by and join after this hashes integers instead of strings; only the
    per-customer result is decoded (:func:`decode_customer_ids`).
    """
    codes, ids = pd.factorize(frame[customer_id_col], sort=True)
    return frame.assign(**{customer_id_col: codes.astype(np.int64)}), ids


def decode_customer_ids(frame: pd.DataFrame, customer_id_col: str, ids: pd.Index) -> pd.DataFrame:
    """Undo :func:`encode_customer_ids` on a (per-customer) result."""
    return frame.assign(**{customer_id_col: ids.take(frame[customer_id_col].to_numpy())})
