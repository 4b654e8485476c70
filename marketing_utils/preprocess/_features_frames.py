"""Plumbing shared by :mod:`marketing_utils.preprocess.features`: frames, checks and calendar days.

Everything here is written once with narwhals, so that it runs unchanged on
pandas, Polars (eager or lazy) and Dask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import narwhals as nw
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess._features_columns import (
    CUSTOMER_ID,
    DAY,
    FIRST_DAY,
    LAST_DAY,
    N_DAYS,
    REPEAT_MEAN,
)
from marketing_utils.preprocess._features_pandas import (
    decode_customer_ids,
    encode_customer_ids,
    summarize_customers_pandas,
)
from marketing_utils.threads import one_thread

_US_PER_DAY = 86_400_000_000
_EPOCH = pd.Timestamp("1970-01-01")

#: Polars adds up a group's rows in whatever order its threads meet them, and
#: float addition is not associative, so float sums changed in their last bits
#: from run to run (enough to flip a model choice in notebook 03). Sums of
#: decimals are exact, so their order does not matter: 12 places keep every
#: amount to within 5e-13, up to 10^26.
EXACT = nw.Decimal(38, 12)
#: Amounts must be below this in absolute value (no line of any currency comes
#: near it): EXACT then holds the sum of 10^11 of them without overflow.
AMOUNT_BOUND = 1e15


def to_lazy(frame: Any, where: str) -> tuple[nw.LazyFrame, nw.Implementation]:
    """Wrap a native frame as a narwhals LazyFrame, with the backend results come back in.

    Eager frames come back in their own library; a Polars LazyFrame comes back
    as a Polars DataFrame and every other lazy frame (Dask) as pandas, because
    results have one row per customer and fit in memory.
    """
    try:
        wrapped = nw.from_native(frame)
    except TypeError:
        raise DataValidationError(
            where,
            "expected a pandas, Polars or Dask DataFrame; "
            f"found an object of type {type(frame).__name__}",
        ) from None
    if isinstance(wrapped, nw.DataFrame):
        return wrapped.lazy(), wrapped.implementation
    if wrapped.implementation.is_polars():
        return wrapped, nw.Implementation.POLARS
    return wrapped, nw.Implementation.PANDAS


def to_eager(frame: Any, where: str) -> nw.DataFrame:
    """Wrap a native frame as an eager narwhals DataFrame, computing it if it is lazy."""
    lazy, backend = to_lazy(frame, where)
    return lazy.collect(backend=backend)


def collect(lazy: nw.LazyFrame, backend: nw.Implementation | None = None) -> nw.DataFrame:
    """Compute a lazy result into ``backend`` (see :func:`to_lazy`).

    Polars runs its streaming engine: on group-bys over millions of rows it is
    2-4 times faster than the in-memory engine (measured in
    ``benchmarks/bench_features.py``) and needs memory for the groups, not the rows.
    """
    if lazy.implementation.is_polars():
        return lazy.collect(backend=backend, engine="streaming")
    return lazy.collect(backend=backend)


def to_native(frame: nw.DataFrame) -> Any:
    """The native frame of a result; pandas results get a fresh 0..n-1 index."""
    native = frame.to_native()
    if frame.implementation.is_pandas_like():
        native = native.reset_index(drop=True)
    return native


def parse_timestamp(value: Any, name: str) -> pd.Timestamp:
    """A parameter given as a date, datetime or string, as a time-zone-naive Timestamp."""
    try:
        timestamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date or datetime; got {value!r}") from exc
    if pd.isna(timestamp):
        raise ValueError(f"{name} must be a date or datetime; got {value!r}")
    if timestamp.tzinfo is not None:
        # Transactions are compared by wall-clock calendar day (see day_number).
        timestamp = timestamp.tz_localize(None)
    return timestamp


def day_of(timestamp: pd.Timestamp) -> int:
    """Calendar day of a timestamp as an integer: days since 1970-01-01."""
    return (timestamp.normalize() - _EPOCH).days


def cutoff_day(cutoff: Any) -> int:
    """Day number of a cutoff, which must be a calendar day (midnight)."""
    timestamp = parse_timestamp(cutoff, "cutoff")
    if timestamp != timestamp.normalize():
        raise ValueError(
            f"cutoff must be a calendar day (midnight), got {timestamp}; features use "
            "whole days strictly before it and labels whole days from it"
        )
    return day_of(timestamp)


def positive_int(value: Any, name: str) -> int:
    """Check that a parameter is a positive whole number of days."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number of days; got {value!r}")
    return int(value)


def day_number(column: str, dtype: nw.dtypes.DType) -> nw.Expr:
    """Expression: the calendar day of a date/datetime column as days since 1970-01-01.

    Time-zone-aware datetimes are read as wall-clock dates in their own time
    zone, which is what lifetimes' ``to_period("D")`` does.
    """
    expr = nw.col(column)
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        expr = expr.dt.replace_time_zone(None)
    # Floor division, so that times before 1970 fall on the right day too.
    return expr.dt.timestamp("us") // _US_PER_DAY


def is_temporal(dtype: nw.dtypes.DType) -> bool:
    """Whether a narwhals dtype holds dates or datetimes."""
    return isinstance(dtype, nw.Datetime) or dtype == nw.Date


def examples(lazy: nw.LazyFrame, columns: Sequence[str], where: nw.Expr | None = None) -> list:
    """A few rows (as tuples) to show in an error message."""
    if where is not None:
        lazy = lazy.filter(where)
    return collect(lazy.select(*columns).head(3)).rows()


def check_events(
    lazy: nw.LazyFrame,
    where: str,
    *,
    customer_id_col: str,
    datetime_col: str,
    amount_col: str | None = None,
    allow_negative: bool = False,
    not_null: Sequence[str] = (),
) -> nw.Schema:
    """Check an event table (transactions or returns) and return its schema.

    Required columns must exist with the right kind of dtype; ids, timestamps,
    amounts and the ``not_null`` columns must have no missing values; amounts
    must be finite and below :data:`AMOUNT_BOUND` in absolute value, and not
    negative unless ``allow_negative``. Every row is checked, also those a later
    date filter leaves out. Costs one pass over the data.
    """
    schema = lazy.collect_schema()
    required = [customer_id_col, datetime_col] + ([amount_col] if amount_col else [])
    for column in [*required, *not_null]:
        if column not in schema:
            raise DataValidationError(
                where,
                f"expected a column named {column!r}; found columns {list(schema)}",
                column=column,
            )
    if not is_temporal(schema[datetime_col]):
        hint = (
            " (narwhals 2.x cannot read pandas time zones with '_' in their name, "
            "e.g. America/New_York: convert with .dt.tz_localize(None) first)"
            if schema[datetime_col] == nw.Unknown
            else ""
        )
        raise DataValidationError(
            where,
            f"expected dates or datetimes; found dtype {schema[datetime_col]}{hint}",
            column=datetime_col,
            examples=[row[0] for row in examples(lazy, [datetime_col])],
        )
    if amount_col and not schema[amount_col].is_numeric():
        raise DataValidationError(
            where,
            f"expected a numeric amount; found dtype {schema[amount_col]}",
            column=amount_col,
            examples=[row[0] for row in examples(lazy, [amount_col])],
        )

    must_be_filled = list(dict.fromkeys([*required, *not_null]))
    checks = [nw.col(column).null_count().alias(f"missing {column}") for column in must_be_filled]
    negative = unbounded = None
    if amount_col:
        # Outside the bound an amount is an error upstream (a code read as money,
        # inf, NaN), and it would not fit the exact decimal sums (EXACT).
        unbounded = ~(nw.col(amount_col).abs() < AMOUNT_BOUND)
        checks.append(unbounded.sum().alias("unbounded amounts"))
    if amount_col and not allow_negative:
        negative = nw.col(amount_col) < 0
        checks.append(negative.sum().alias("negative amounts"))
    found = collect(lazy.select(*checks)).rows(named=True)[0]

    for column in must_be_filled:
        if found[f"missing {column}"]:
            raise DataValidationError(
                where,
                f"expected no missing values; found {found[f'missing {column}']} "
                "(clean the table first)",
                column=column,
                examples=examples(lazy, required, nw.col(column).is_null()),
            )
    if unbounded is not None and found["unbounded amounts"]:
        raise DataValidationError(
            where,
            f"expected finite amounts below {AMOUNT_BOUND:.0e} in absolute value; "
            f"found {found['unbounded amounts']} that are not",
            column=amount_col,
            examples=examples(lazy, required, unbounded),
        )
    if negative is not None and found["negative amounts"]:
        raise DataValidationError(
            where,
            "expected amounts >= 0 (pass returns separately, not as negative purchases); "
            f"found {found['negative amounts']} negative",
            column=amount_col,
            examples=examples(lazy, required, negative),
        )
    return schema


def group_by(lazy: nw.LazyFrame, *keys: str) -> nw.LazyGroupBy:
    """Group by keys that :func:`check_events` has found free of missing values.

    Nothing can be dropped, so pandas and Dask may skip their null handling
    (faster); Polars would only add a filter pass for it.
    """
    return lazy.group_by(*keys, drop_null_keys=not lazy.implementation.is_polars())


def encode_ids(rows: nw.LazyFrame, customer_id_col: str) -> tuple[nw.LazyFrame, Any]:
    """Customer ids as integer codes that sort like them (and what decodes them), where that pays.

    Hashing strings is most of the cost of the group-bys. On pandas the ids
    are coded once (:func:`~marketing_utils.preprocess._features_pandas.encode_customer_ids`).
    On Polars, ids made of one prefix and a zero-padded number (``C00259933``)
    become that number (:class:`DecimalIds`). Elsewhere the rows come back
    unchanged, with None.
    """
    if rows.implementation.is_pandas():
        coded, ids = encode_customer_ids(rows.to_native(), customer_id_col)
        return nw.from_native(coded, eager_only=True).lazy(), ids
    if rows.implementation.is_polars():
        ids = DecimalIds.find(rows, customer_id_col)
        if ids is not None:
            return ids.encode(rows, customer_id_col), ids
    return rows, None


def per_customer(
    rows: nw.LazyFrame,
    customer_id_col: str,
    build: Callable[[nw.LazyFrame, KeyBounds | None], nw.LazyFrame],
    backend: nw.Implementation,
) -> nw.DataFrame:
    """``build``'s per-customer table, computed on integer-coded ids where that pays, sorted by id.

    ``build`` gets the events and, when known, bounds of their (coded) ids
    and days, for :func:`summarize_customers`. Polars' number ids are a guess
    from a few statistics: a row whose id is not a number after all gets the
    number -1 (:attr:`DecimalIds.NOT_A_NUMBER`), which no id has and which
    joins like any other, so it reaches the result, and the table is then
    built again from the ids themselves.
    """
    coded, ids = encode_ids(rows, customer_id_col)
    bounds = ids.bounds if isinstance(ids, DecimalIds) else None
    result = collect(build(coded, bounds), backend)
    numbers = result.get_column(customer_id_col) if isinstance(ids, DecimalIds) else None
    if numbers is not None and len(numbers) and numbers.min() == DecimalIds.NOT_A_NUMBER:
        return collect(build(rows, None), backend).sort(customer_id_col)
    return decode_ids(result.sort(customer_id_col), customer_id_col, ids)


@dataclass(frozen=True)
class KeyBounds:
    """Bounds (inclusive) of integer customer ids and of day numbers in some events."""

    id_low: int
    id_high: int
    day_low: int
    day_high: int


@dataclass(frozen=True)
class DecimalIds:
    """Polars: string ids that are one ``prefix`` and a number of ``width`` digits, zero-padded.

    For such ids the number sorts like the id and is unique to it, and
    grouping by an Int64 is cheaper than by a string: with the packed
    customer-day key of :func:`_customer_day_key`, ``rfm_summary`` on 10^7
    rows took 1.05-1.09 s instead of 1.47-1.54 s (``benchmarks/bench_features.py``).
    """

    prefix: str
    width: int
    #: Bounds of the numbers and of the ``DAY`` column, when the rows have one.
    bounds: KeyBounds | None = None

    #: Numbers of more digits could overflow an Int64.
    MAX_DIGITS = 18
    #: The number of an id that is not a number after all (numbers are >= 0).
    NOT_A_NUMBER = -1

    @classmethod
    def find(cls, rows: nw.LazyFrame, customer_id_col: str) -> DecimalIds | None:
        """The shape of the ids, from their byte lengths and their smallest and largest value.

        All ids lie between the smallest and the largest, so they share
        those two's common prefix, and the character after it lies between
        theirs: when both are digits, no id has a sign there. That every
        other character is a digit is checked by the parse itself
        (:meth:`encode` gives ``NOT_A_NUMBER`` otherwise; see :func:`per_customer`).
        """
        schema = rows.collect_schema()
        if schema[customer_id_col] != nw.String:
            return None
        import polars as pl

        column = pl.col(customer_id_col)
        has_days = DAY in schema
        days = [pl.col(DAY).min().alias("day_low"), pl.col(DAY).max().alias("day_high")]
        stats = (
            rows.to_native()
            .select(
                column.str.len_bytes().min().alias("shortest"),
                column.str.len_bytes().max().alias("longest"),
                column.min().alias("low"),
                column.max().alias("high"),
                *(days if has_days else []),
            )
            .collect(engine="streaming")
            .row(0, named=True)
        )
        low, high = stats["low"], stats["high"]
        if low is None or stats["shortest"] != stats["longest"]:
            return None
        common = next(
            (i for i, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), len(low)
        )
        prefix = low[:common]
        width = stats["longest"] - len(prefix.encode())
        if not 1 <= width <= cls.MAX_DIGITS or not (low[common] + high[common]).isascii():
            return None
        if not (low[common].isdigit() and high[common].isdigit()):
            return None
        bounds = None
        numbers = low[common:], high[common:]
        if has_days and all(number.isascii() and number.isdigit() for number in numbers):
            bounds = KeyBounds(
                cls.NOT_A_NUMBER, int(numbers[1]), int(stats["day_low"]), int(stats["day_high"])
            )
        return cls(prefix, width, bounds)

    def encode(self, rows: nw.LazyFrame, customer_id_col: str) -> nw.LazyFrame:
        """The rows with each id replaced by its number (Int64; NOT_A_NUMBER if it is not one)."""
        import polars as pl

        digits = pl.col(customer_id_col).str.slice(len(self.prefix))
        number = digits.str.to_integer(base=10, strict=False).fill_null(self.NOT_A_NUMBER)
        number = number.alias(customer_id_col)
        return nw.from_native(rows.to_native().with_columns(number))

    def ids(self, customer_id_col: str) -> nw.Expr:
        """Expression: the ids back from their numbers."""
        digits = nw.col(customer_id_col).cast(nw.String).str.zfill(self.width)
        return nw.concat_str(nw.lit(self.prefix), digits).alias(customer_id_col)


def hash_partitions(rows: nw.LazyFrame, customer_id_col: str, n: int) -> list[nw.LazyFrame]:
    """Polars: the rows split into ``n`` lazy groups by a hash of the customer id.

    Every customer's rows are in exactly one group, so per-customer results of
    the groups are final and only need concatenating. The hash is Polars'
    (seeded, so the same on every call); it only decides which pass computes a
    customer, never a value.
    """
    import polars as pl

    native = rows.to_native()
    bucket = pl.col(customer_id_col).hash(seed=0) % n
    return [nw.from_native(native.filter(bucket == i)) for i in range(n)]


def decode_ids(result: nw.DataFrame, customer_id_col: str, ids: Any) -> nw.DataFrame:
    """Undo :func:`encode_ids` on a collected per-customer result."""
    if ids is None:
        return result
    if isinstance(ids, DecimalIds):
        return result.with_columns(ids.ids(customer_id_col))
    return nw.from_native(decode_customer_ids(result.to_native(), customer_id_col, ids))


def summarize_customers(
    rows: nw.LazyFrame,
    customer_id_col: str,
    amount_col: str | None,
    *,
    summed: Sequence[str] = (),
    daily_columns: Sequence[nw.Expr] = (),
    daily_summed: Sequence[str] = (),
    bounds: KeyBounds | None = None,
) -> nw.LazyFrame:
    """One row per customer from event rows (customer id, ``DAY``, amount, ``summed``).

    Sums the events per customer and day, adds ``daily_columns`` to that
    customer-day table, then summarizes it per customer (see
    :func:`summarize_days`): ``FIRST_DAY``, ``LAST_DAY``, ``N_DAYS``,
    ``REPEAT_MEAN`` and ``total_spend`` (with an amount) and the sums of the
    ``summed`` and ``daily_summed`` columns. pandas takes a faster route with
    integer-coded ids (:mod:`marketing_utils.preprocess._features_pandas`), same results.
    On Polars the amount and ``summed`` are summed as exact decimals (:data:`EXACT`);
    ``daily_columns`` built from the daily amount keep that dtype if they keep the
    amount's (a zero as ``amount * 0``, not ``0.0``), and so sum exactly too.
    """
    if rows.implementation.is_pandas():
        native = rows.to_native()
        if len(native):
            summary = summarize_customers_pandas(
                native,
                customer_id_col,
                amount_col,
                summed=summed,
                daily_columns=daily_columns,
                daily_summed=daily_summed,
            )
            return nw.from_native(summary, eager_only=True).lazy()
    if rows.implementation.is_dask():
        return _summarize_customers_dask(
            rows, customer_id_col, amount_col, summed, daily_columns, daily_summed
        )
    polars = rows.implementation.is_polars()
    values = list(dict.fromkeys([*([amount_col] if amount_col else []), *summed]))
    if polars:
        # Day numbers fit in 32 bits (they come from microseconds in 64 bits), and
        # the narrower key makes Polars' two group-bys cheaper: 5-10 % of the
        # query's CPU time at 10^7 rows (docs/benchmarks.md).
        rows = exact_sums(rows.with_columns(nw.col(DAY).cast(nw.Int32)), values)
    daily_sums = [nw.col(c).sum() for c in values]
    packed = _customer_day_key(rows, customer_id_col, bounds) if polars else None
    if packed is not None:
        key, unpack = packed
        daily = rows.group_by(key).agg(*daily_sums).with_columns(*unpack).drop(_KEY)
    else:
        daily = group_by(rows, customer_id_col, DAY).agg(*daily_sums)
    if daily_columns:
        daily = daily.with_columns(*daily_columns)
    customer_sums = {"total_spend": amount_col} if amount_col else {}
    customer_sums |= {c: c for c in [*summed, *daily_summed]}
    summary = summarize_days(daily, customer_id_col, amount_col, sums=customer_sums)
    if not polars:
        return summary
    schema = summary.collect_schema()
    return summary.with_columns(
        nw.col(name).cast(nw.Float64) for name, dtype in schema.items() if dtype.is_decimal()
    )


_KEY = "_customer_day"


def _customer_day_key(
    rows: nw.LazyFrame, customer_id_col: str, bounds: KeyBounds | None
) -> tuple[nw.Expr, list[nw.Expr]] | None:
    """Polars, integer ids: customer and day packed in one Int64, and how to unpack them.

    One integer key groups faster than the pair (about a tenth less time for
    ``rfm_summary`` at 10^7 rows). Needs bounds of the ids and days (any
    that hold; without ``bounds``, one pass over the two columns finds
    them); None for other ids or when the key could exceed 63 bits.
    """
    dtype = rows.collect_schema()[customer_id_col]
    if not dtype.is_integer():
        return None
    if bounds is None:
        found = collect(
            rows.select(
                nw.col(customer_id_col).min().alias("id_low"),
                nw.col(customer_id_col).max().alias("id_high"),
                nw.col(DAY).min().alias("day_low"),
                nw.col(DAY).max().alias("day_high"),
            )
        ).rows(named=True)[0]
        if found["id_low"] is None:
            return None
        bounds = KeyBounds(*(int(found[name]) for name in KeyBounds.__dataclass_fields__))
    id_low, day_low = bounds.id_low, bounds.day_low
    span = bounds.day_high - day_low + 1
    # Ids are computed on as Int64 (UInt64 and Int128 ids may not fit).
    if id_low < -(2**63) or bounds.id_high >= 2**63:
        return None
    if (bounds.id_high - id_low + 1) * span >= 2**63:
        return None
    customer = nw.col(customer_id_col).cast(nw.Int64) - id_low
    key = (customer * span + (nw.col(DAY).cast(nw.Int64) - day_low)).alias(_KEY)
    unpack = [
        (nw.col(_KEY) // span + id_low).cast(dtype).alias(customer_id_col),
        (nw.col(_KEY) % span + day_low).cast(nw.Int32).alias(DAY),
    ]
    return key, unpack


def exact_sums(frame: nw.LazyFrame, columns: Sequence[str]) -> nw.LazyFrame:
    """Polars: the float ``columns`` as :data:`EXACT` decimals, so that their sums repeat exactly."""
    schema = frame.collect_schema()
    return frame.with_columns(nw.col(c).cast(EXACT) for c in columns if schema[c].is_float())


def _summarize_customers_dask(
    rows: nw.LazyFrame,
    customer_id_col: str,
    amount_col: str | None,
    summed: Sequence[str],
    daily_columns: Sequence[nw.Expr],
    daily_summed: Sequence[str],
) -> nw.LazyFrame:
    """Dask: :func:`summarize_customers` on pandas, partition by partition (see :func:`by_customer`).

    The generic formulation's window function also fails in dask-expr once
    group-bys split their output over several partitions.
    """
    options = {"summed": summed, "daily_columns": daily_columns, "daily_summed": daily_summed}
    return by_customer(
        rows,
        customer_id_col,
        lambda events: summarize_customers(events, customer_id_col, amount_col, **options),
    )


def by_customer(
    rows: nw.LazyFrame, customer_id_col: str, build: Callable[[nw.LazyFrame], nw.LazyFrame]
) -> nw.LazyFrame:
    """Dask: shuffle the events so that each customer is in one partition, then ``build`` on pandas.

    ``build`` turns a pandas-backed frame of events into one row per customer;
    it runs on each partition (on the workers, when a ``distributed`` client
    is active), so the results are those of pandas, after a single shuffle.
    """

    def per_partition(part: pd.DataFrame) -> pd.DataFrame:
        if len(part) == 0:
            return meta
        # Dask runs partitions on threads of its own already.
        with one_thread():
            events, ids = encode_ids(nw.from_native(part, eager_only=True).lazy(), customer_id_col)
            return decode_ids(collect(build(events)), customer_id_col, ids).to_native()

    events = rows.to_native()
    meta = per_partition(events._meta_nonempty).iloc[:0]
    shuffled = events.shuffle(on=customer_id_col, shuffle_method=_shuffle_method())
    return nw.from_native(shuffled.map_partitions(per_partition, meta=meta))


def _shuffle_method() -> str:
    """Dask's peer-to-peer shuffle on a cluster; in-memory tasks, not disk, without one."""
    try:
        from distributed import default_client

        default_client()
    except (ImportError, ValueError):
        return "tasks"
    return "p2p"


def summarize_days(
    daily: nw.LazyFrame,
    customer_id_col: str,
    amount_col: str | None,
    sums: Mapping[str, str] | None = None,
) -> nw.LazyFrame:
    """One row per customer from a customer-day table (one row per customer and purchase day).

    Gives the first and last purchase day, the number of purchase days, the
    ``sums`` (output name: daily column summed) and, with an amount, the mean
    of the daily totals of the repeat days (every day but the first), null
    when there is none: lifetimes' conventions. The amounts have no missing
    values (:func:`check_events`).
    """
    sums = dict(sums or {})
    if amount_col is not None and daily.implementation.is_polars():
        amount_type = daily.collect_schema()[amount_col]
        # Total minus first day is only exact, and so only the same, on exact numbers.
        if amount_type.is_decimal() or amount_type.is_integer():
            return _summarize_days_polars(daily, customer_id_col, amount_col, sums)
    aggregations = [
        nw.col(DAY).min().alias(FIRST_DAY),
        nw.col(DAY).max().alias(LAST_DAY),
        nw.len().alias(N_DAYS),
        *(nw.col(column).sum().alias(name) for name, column in sums.items()),
    ]
    if amount_col is not None:
        # Two steps because Dask and pandas only aggregate plain columns in a group-by.
        daily = daily.with_columns(nw.col(DAY).min().over(customer_id_col).alias(FIRST_DAY))
        daily = daily.with_columns(
            nw.when(nw.col(DAY) > nw.col(FIRST_DAY)).then(nw.col(amount_col)).alias(REPEAT_MEAN)
        )
        aggregations += [
            nw.col(REPEAT_MEAN).sum().alias(_REPEAT_SUM),
            nw.col(REPEAT_MEAN).count().alias(_REPEAT_COUNT),
        ]
    summary = group_by(daily, customer_id_col).agg(*aggregations)
    if amount_col is None:
        return summary
    return summary.with_columns(_repeat_mean(nw.col(_REPEAT_SUM), nw.col(_REPEAT_COUNT))).drop(
        _REPEAT_SUM, _REPEAT_COUNT
    )


def _summarize_days_polars(
    daily: nw.LazyFrame, customer_id_col: str, amount_col: str, sums: Mapping[str, str]
) -> nw.LazyFrame:
    """Polars: :func:`summarize_days` in one group-by, the repeat days' sum as total minus first day.

    Polars computes the first day's amount as a ``min_by`` within the one
    group-by; without the general formulation's window and its second pass,
    ``rfm_summary`` at 10^7 rows took a median 1.26 s instead of 1.48 s, and
    2.3 CPU s instead of 2.7, interleaved call by call (docs/benchmarks.md).
    For decimal (:data:`EXACT`) or integer amounts only: on those the difference
    is the sum of the repeat days to the last digit, as in the general
    formulation (on floats a large first day would swallow small repeat days).
    """
    import polars as pl

    day, amount = pl.col(DAY), pl.col(amount_col)
    # Each day appears once per customer, so "the first day's amount" is well defined.
    repeat_sum = amount.sum() - amount.sort_by(day).first()
    summary = (
        daily.to_native()
        .group_by(customer_id_col)
        .agg(
            day.min().alias(FIRST_DAY),
            day.max().alias(LAST_DAY),
            pl.len().alias(N_DAYS),
            *(pl.col(column).sum().alias(name) for name, column in sums.items()),
            repeat_sum.alias(_REPEAT_SUM),
        )
    )
    repeat_count = nw.col(N_DAYS) - 1
    return (
        nw.from_native(summary)
        .with_columns(_repeat_mean(nw.col(_REPEAT_SUM), repeat_count))
        .drop(_REPEAT_SUM)
    )


def _repeat_mean(total: nw.Expr, count: nw.Expr) -> nw.Expr:
    """The repeat days' mean from their sum and number, null without repeat days.

    A sum and a count rather than a mean: a mean of decimals is a float mean in
    Polars, whose order varies (see EXACT).
    """
    return nw.when(count > 0).then(total.cast(nw.Float64) / count).alias(REPEAT_MEAN)


_REPEAT_SUM, _REPEAT_COUNT = "_repeat_sum", "_repeat_count"


def rfm_columns(end_day: int | nw.Expr, *, monetary: bool = True) -> list[nw.Expr]:
    """frequency, recency, T (and monetary_value) from :func:`summarize_days` output."""
    frequency = nw.col(N_DAYS) - 1
    columns = [
        frequency.cast(nw.Float64).alias("frequency"),
        (nw.col(LAST_DAY) - nw.col(FIRST_DAY)).cast(nw.Float64).alias("recency"),
        (nw.lit(end_day) - nw.col(FIRST_DAY)).cast(nw.Float64).alias("T"),
    ]
    if monetary:
        columns.append(
            nw.when(frequency > 0)
            .then(nw.col(REPEAT_MEAN))
            .otherwise(0.0)
            .cast(nw.Float64)
            .alias("monetary_value")
        )
    return columns


def check_key_type(expected: nw.dtypes.DType, other: nw.DataFrame, where: str) -> None:
    """Customer ids of another table must have the transactions' type, or nothing would match."""
    found = other.schema[CUSTOMER_ID]
    if found != expected:
        raise DataValidationError(
            where,
            f"expected customer ids of the transactions' type {expected}; found {found}",
            column=CUSTOMER_ID,
            examples=other.get_column(CUSTOMER_ID).head(3).to_list(),
        )
