"""The customer-day summary on pandas, with integer-coded customer ids and sorted keys.

Private helper of :func:`marketing_utils.preprocess._features_frames.summarize_customers`.
On pandas the generic narwhals formulation hashes the customer id strings
twice (the customer-day group-by, then the per-customer one) and finds each
customer's first day with a window function, a third pass. Here the ids are
coded once into integers (sorted, so results come out sorted by id), a
customer-day is one integer key, and one sort of those keys orders the events
by customer, day and row: the customer-day table and each customer's rows of
it are then contiguous runs, summed without any hashing.

The sums repeat pandas' own group-by arithmetic operation for operation
(:func:`daily_sums`, :func:`run_sums`, :func:`repeat_means`), and the repeat
days are averaged in day order, as lifetimes does, so results are those of
pandas' group-by to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

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
from marketing_utils.preprocess._id_codes import FixedWidthIds, encode_ids, factorize_sorted
from marketing_utils.threads import worker_threads

#: Below this many events per thread, a second thread costs more than it saves.
MIN_ROWS_PER_THREAD = 500_000

#: Runs longer than this are summed by pandas' group-by; shorter ones position by
#: position (one vectorized step per position, so a very long run would mean
#: as many Python-level steps).
LONG_RUN = 64


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
        ``DAY``, ``amount_col`` and the ``summed`` columns (float or integer);
        at least one row.
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
    codes, n_codes, ids_of = _customer_codes(frame[customer_id_col], span)
    customer_day = codes * span + (day - low)
    parts = _customer_ranges(codes, worker_threads(len(frame), MIN_ROWS_PER_THREAD))

    def group(rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the part in customer-day order, and the start and key of each customer-day."""
        keys = customer_day if rows is None else customer_day[rows]
        order, keys = stable_sort(keys, n_codes * span)
        starts = run_starts(keys)
        return (order if rows is None else rows[order]), starts, keys[starts]

    with ThreadPoolExecutor(len(parts)) as pool:
        grouped = _map(pool, group, parts)
        # pandas sums with np.add.reduceat when each key's rows are one block of the frame.
        n_days = sum(len(keys) for _, _, keys in grouped)
        contiguous = np.count_nonzero(customer_day[1:] != customer_day[:-1]) + 1 == n_days
        values = list(dict.fromkeys([*([amount_col] if amount_col else []), *summed]))
        arrays = {column: frame[column].to_numpy() for column in values}

        def summarize(part: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:
            rows, day_starts, keys = part
            daily = pd.DataFrame(
                {
                    column: daily_sums(array[rows], day_starts, contiguous=contiguous)
                    for column, array in arrays.items()
                },
                index=pd.RangeIndex(len(keys)),
            )
            return _per_customer(
                daily,
                keys,
                span,
                low,
                ids_of,
                customer_id_col,
                amount_col,
                summed=summed,
                daily_columns=daily_columns,
                daily_summed=daily_summed,
            )

        results = _map(pool, summarize, grouped)
    if len(results) == 1:
        return results[0]
    return pd.concat(results, ignore_index=True)


def _map(pool: ThreadPoolExecutor, function: Callable, items: list) -> list:
    """``function`` over ``items``: on the pool's threads, or on this thread for a single item."""
    if len(items) == 1:
        return [function(items[0])]
    return list(pool.map(function, items))


def _per_customer(
    daily: pd.DataFrame,
    keys: np.ndarray,
    span: int,
    low: int,
    ids_of: Callable,
    customer_id_col: str,
    amount_col: str | None,
    *,
    summed: Sequence[str],
    daily_columns: Sequence[nw.Expr],
    daily_summed: Sequence[str],
) -> pd.DataFrame:
    """The per-customer table from the customer-day sums (``daily``) and their sorted ``keys``."""
    daily_code, daily_day = keys // span, keys % span + low
    daily[DAY] = daily_day
    if daily_columns:
        daily = nw.from_native(daily, eager_only=True).with_columns(*daily_columns).to_native()

    # Customers are runs of the customer-day table, which is in day order within each.
    starts = run_starts(daily_code)
    ends = np.r_[starts[1:], len(keys)]
    result = {
        customer_id_col: ids_of(daily_code[starts]),
        FIRST_DAY: daily_day[starts],
        LAST_DAY: daily_day[ends - 1],
        N_DAYS: (ends - starts).astype(np.int64),
    }
    if amount_col is not None:
        amounts = daily[amount_col].to_numpy()
        # The first purchase day is not a repeat: each customer's mean starts at its second day.
        result[REPEAT_MEAN] = repeat_means(amounts, starts)
        result["total_spend"] = run_sums(amounts, starts)
    for column in dict.fromkeys([*summed, *daily_summed]):
        result[column] = run_sums(daily[column].to_numpy(), starts)
    return pd.DataFrame(result)


def _customer_ranges(codes: np.ndarray, n_parts: int) -> list[np.ndarray | None]:
    """Rows split into ``n_parts`` ranges of customer codes, in code order; ``[None]`` for one part.

    Every customer is in one part, so the parts' per-customer results,
    concatenated, are the whole result, sorted. The bounds are quantiles of
    a regular sample of the codes (about equal parts for any id layout).
    """
    if n_parts <= 1:
        return [None]
    sample = np.sort(codes[:: max(1, len(codes) // 10_000)])
    cuts = np.unique(sample[(np.arange(1, n_parts) * len(sample)) // n_parts])
    part = np.searchsorted(cuts, codes, side="right")
    rows = [np.flatnonzero(part == index) for index in range(len(cuts) + 1)]
    # A customer with many rows can make a cut fall on the smallest code: nothing below it.
    return [chosen for chosen in rows if len(chosen)]


def stable_sort(keys: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts non-negative int64 ``keys`` (ties in row order), and the sorted keys.

    Parameters
    ----------
    keys : numpy.ndarray
        int64 keys, each in ``[0, bound)``.
    bound : int
        An upper bound of the keys.

    Returns
    -------
    order : numpy.ndarray
        Row positions, sorted by key and, for equal keys, by position.
    sorted_keys : numpy.ndarray
        ``keys[order]``.

    Notes
    -----
    When key and row number fit together in 63 bits, each key carries its row
    number in its low bits and one plain ``np.sort`` of the packed values
    sorts them: NumPy sorts int64 values with SIMD several times faster than
    ``argsort``, and the row numbers make equal keys unique, so the order is
    stable. Otherwise ``argsort(kind="stable")``.
    """
    n = len(keys)
    row_bits = max(int(n - 1).bit_length(), 1)
    if (max(int(bound), 1) - 1).bit_length() + row_bits > 63:
        order = np.argsort(keys, kind="stable")
        return order, keys[order]
    packed = keys << row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << row_bits) - 1)
    packed >>= row_bits
    return order, packed


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a new value begins in a sorted, non-empty array."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def daily_sums(values: np.ndarray, starts: np.ndarray, *, contiguous: bool) -> np.ndarray:
    """Sum of each run of ``values`` (runs begin at ``starts``), as pandas' group-by sums it.

    pandas (3.1) sums the groups of float values in one of two ways: with
    ``np.add.reduceat`` when the groups' rows are contiguous in the frame
    (sorted group numbers), else row by row with Kahan's compensation. The
    customer-day sums follow it, so that they equal pandas' own group-by over
    the customer-day key to the last bit.

    Parameters
    ----------
    values : numpy.ndarray
        float64 or integer values without NaN, grouped in runs, each run in
        its rows' order in the frame.
    starts : numpy.ndarray
        Start of each (non-empty) run, increasing, the first 0.
    contiguous : bool
        Whether each run's rows were contiguous in the frame.

    Returns
    -------
    numpy.ndarray
        One sum per run (int64 for integers and booleans).
    """
    if contiguous or values.dtype.kind in "biu":
        return run_sums(values, starts)
    return _kahan(values, starts, skip_first=False)[0]


def run_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``np.add.reduceat`` over the runs: pandas' sum of sorted groups (int64 for integers)."""
    if values.dtype.kind in "bi":
        values = values.astype(np.int64, copy=False)
    return np.add.reduceat(values, starts)


def repeat_means(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean of each run of float64 ``values`` without its first value, as pandas computes it.

    pandas' group-by ``mean`` of a column with NaN (the first values) runs its
    row-by-row kernel: a Kahan sum divided by the count.

    Parameters
    ----------
    values : numpy.ndarray
        float64 values without NaN, grouped in runs (see :func:`daily_sums`).
    starts : numpy.ndarray
        Start of each run.

    Returns
    -------
    numpy.ndarray
        One mean per run, NaN for a run of one value; equal bit for bit to
        pandas' ``groupby(...).mean()`` with each run's first value set to NaN.
    """
    total, count = _kahan(values, starts, skip_first=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _kahan(
    values: np.ndarray, starts: np.ndarray, *, skip_first: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Compensated sum and count of each run of float64 values, in pandas' order of operations.

    pandas' row-by-row group-by kernels add a group's values one by one, in
    row order, with Kahan's compensation (``y = v - c; t = s + y;
    c = (t - s) - y; s = t``, and ``c = 0`` when it is NaN, from infinite
    values). The same operations in the same order give the same bits. Here
    all runs advance together: step ``k`` adds the ``k``-th value of every run
    that has one, a vectorized pass over fewer and fewer runs. Runs longer than
    :data:`LONG_RUN` would need as many steps, so pandas' kernel sums them.
    """
    first = 1 if skip_first else 0
    sizes = np.diff(np.r_[starts, len(values)])
    count = np.maximum(sizes - first, 0)
    total = np.zeros(len(starts))
    compensation = np.zeros(len(starts))
    long = sizes > LONG_RUN
    active = np.flatnonzero(~long & (count > 0))
    position = first
    with np.errstate(invalid="ignore"):
        while len(active):
            value = values[starts[active] + position]
            before = total[active]
            y = value - compensation[active]
            t = before + y
            c = (t - before) - y
            c[np.isnan(c)] = 0.0
            total[active] = t
            compensation[active] = c
            position += 1
            active = active[sizes[active] > position]
    if long.any():
        runs = np.flatnonzero(long)
        total[runs] = _kahan_by_pandas(values, starts, runs, first)
    return total, count


def _kahan_by_pandas(
    values: np.ndarray, starts: np.ndarray, runs: np.ndarray, first: int
) -> np.ndarray:
    """Sums of the chosen runs, each without its first ``first`` values, by pandas' Kahan kernel."""
    ends = np.r_[starts[1:], len(values)][runs]
    begins = starts[runs] + first
    lengths = ends - begins
    # Row numbers of the chosen runs, run after run, without a Python loop over runs.
    rows = np.repeat(begins - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    rows += np.arange(len(rows))
    # A leading row of a last, extra group makes the group numbers unsorted, which
    # is what sends pandas to its Kahan kernel rather than to np.add.reduceat.
    labels = np.r_[len(runs), np.repeat(np.arange(len(runs)), lengths)]
    column = pd.Series(np.r_[0.0, values[rows]])
    return column.groupby(labels, sort=True).sum().to_numpy()[:-1]


def _customer_codes(ids: pd.Series, span: int) -> tuple[np.ndarray, int, Callable]:
    """Codes ``0 <= code < n`` ordered like the ids, ``n``, and the function giving ids of codes.

    The codes need not be consecutive: integer ids (such as the codes of
    :func:`encode_customer_ids`) are their own codes, shifted to start at 0,
    as long as a customer-day key packed with the row number still fits in
    63 bits (see :func:`stable_sort`); beyond that they are factorized.
    """
    if not (pd.api.types.is_integer_dtype(ids.dtype) and isinstance(ids.dtype, np.dtype)):
        codes, decoder = encode_ids(ids)
        ids = pd.Series(codes)
    else:
        decoder = None
    values = ids.to_numpy(dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    n_codes = high - low + 1
    if (n_codes * span - 1).bit_length() + max(int(len(values) - 1).bit_length(), 1) <= 63:
        codes = values - low
        if decoder is None:
            return codes, n_codes, lambda taken: taken + low
        return codes, n_codes, lambda taken: decoder.take(taken + low)
    dense, uniques = factorize_sorted(ids)
    if decoder is None:
        return dense, len(uniques), uniques.take
    return dense, len(uniques), lambda taken: decoder.take(uniques.take(taken).to_numpy())


def encode_customer_ids(
    frame: pd.DataFrame, customer_id_col: str
) -> tuple[pd.DataFrame, pd.Index | FixedWidthIds]:
    """The frame with its customer ids replaced by integer codes, and what decodes them.

    Codes follow the sorted ids, so sorting by code sorts by id. Every
    group-by and join after this hashes integers instead of strings; only the
    per-customer result is decoded (:func:`decode_customer_ids`).
    """
    codes, decoder = encode_ids(frame[customer_id_col])
    return frame.assign(**{customer_id_col: codes}), decoder


def decode_customer_ids(
    frame: pd.DataFrame, customer_id_col: str, decoder: pd.Index | FixedWidthIds
) -> pd.DataFrame:
    """Undo :func:`encode_customer_ids` on a (per-customer) result."""
    return frame.assign(**{customer_id_col: decoder.take(frame[customer_id_col].to_numpy())})
