"""Regular demand series from transactions: revenue and orders per period, zeros filled.

A forecast needs one value per period, including the periods with no sales:
dropping an empty week would silently shift every later week one step and
teach the model that demand never stops. So every series here covers every
period of the observation window, with 0 where nothing was sold.

Only *complete* periods are kept: a week of which the data covers three days
looks like a collapse in demand. The partial first and last periods (if any)
are left out and reported in :attr:`DemandSeries.notes`, with the revenue they
held, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "FREQUENCIES",
    "OTHER_GROUP",
    "UNSEGMENTED",
    "DemandSeries",
    "Frequency",
    "demand_series",
    "get_frequency",
    "period_totals",
]

#: Label of the group that collects groups with too few customers to publish.
OTHER_GROUP = "other (small groups)"
#: Label of customers who have transactions but no segment.
UNSEGMENTED = "unsegmented"


@dataclass(frozen=True)
class Frequency:
    """A forecasting frequency.

    Attributes
    ----------
    name : str
        ``"daily"``, ``"weekly"`` or ``"monthly"``.
    rule : str
        The pandas period alias (weeks run Monday to Sunday).
    season_length : int
        Periods per seasonal cycle used by the seasonal models: a week of days,
        a year of weeks (52) or of months (12).
    fourier_period : float
        The exact cycle length for Fourier terms (365.25 / 7 weeks a year).
    unit : str
        The period's name in plain words, for labels.
    """

    name: str
    rule: str
    season_length: int
    fourier_period: float
    unit: str


FREQUENCIES = {
    "daily": Frequency("daily", "D", 7, 7.0, "day"),
    "weekly": Frequency("weekly", "W-SUN", 52, 365.25 / 7.0, "week"),
    "monthly": Frequency("monthly", "M", 12, 12.0, "month"),
}


def get_frequency(name: str | Frequency) -> Frequency:
    """The :class:`Frequency` called ``name``.

    Raises
    ------
    DataValidationError
        When ``name`` is not one of daily, weekly or monthly.
    """
    if isinstance(name, Frequency):
        return name
    if name not in FREQUENCIES:
        raise DataValidationError(
            "params demand_forecasting.frequency",
            f"expected one of {', '.join(FREQUENCIES)}, found {name!r}",
        )
    return FREQUENCIES[name]


@dataclass(frozen=True)
class DemandSeries:
    """Demand series in long form, with what was left out and why.

    Attributes
    ----------
    table : DataFrame
        Columns ``dimension`` (``"total"``, ``"category"``, ``"segment"``),
        ``group``, ``period`` (the first day of the period), ``revenue`` and
        ``orders``; one row per group and complete period, zeros filled.
    frequency : Frequency
    groups : DataFrame
        One row per published group: ``dimension``, ``group``,
        ``n_customers`` (distinct customers over the window), ``revenue``.
    notes : list of str
        Everything left out or merged, in plain words.
    """

    table: pd.DataFrame
    frequency: Frequency
    groups: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def series(self, dimension: str = "total", group: str = "all", measure: str = "revenue"):
        """One series as a pandas Series indexed by period start."""
        rows = self.table[(self.table["dimension"] == dimension) & (self.table["group"] == group)]
        if rows.empty:
            known = sorted(set(zip(self.table["dimension"], self.table["group"], strict=True)))
            raise KeyError(f"no series {dimension}/{group}; series: {known[:10]}")
        return rows.set_index("period")[measure].rename(f"{dimension}: {group} ({measure})")


def _check_transactions(transactions: pd.DataFrame, needed: list[str]) -> None:
    missing = [c for c in needed if c not in transactions.columns]
    if missing:
        raise DataValidationError(
            "transactions",
            f"expected columns {needed}, found {list(transactions.columns)}",
            column=missing[0],
        )
    if transactions.empty:
        raise DataValidationError("transactions", "expected at least one row, found none")
    if not pd.api.types.is_datetime64_any_dtype(transactions["timestamp"]):
        raise DataValidationError(
            "transactions",
            f"expected datetimes, found dtype {transactions['timestamp'].dtype}",
            column="timestamp",
            examples=transactions["timestamp"].head(3),
        )
    if not pd.api.types.is_numeric_dtype(transactions["amount"]):
        raise DataValidationError(
            "transactions",
            f"expected numbers, found dtype {transactions['amount'].dtype}",
            column="amount",
            examples=transactions["amount"].head(3),
        )
    for column in ("timestamp", "amount"):
        bad = transactions[column].isna()
        if bad.any():
            raise DataValidationError(
                "transactions",
                f"expected no missing values (clean the data with stage 01 first), "
                f"found {int(bad.sum())}",
                column=column,
                examples=transactions.index[bad][:3],
            )


def _window(transactions: pd.DataFrame, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    stamps = transactions["timestamp"]
    first = pd.Timestamp(start).normalize() if start is not None else stamps.min().normalize()
    last = pd.Timestamp(end).normalize() if end is not None else stamps.max().normalize()
    if last < first:
        raise DataValidationError(
            "observation window", f"expected start <= end, found {first.date()} > {last.date()}"
        )
    outside = (stamps < first) | (stamps >= last + pd.Timedelta(days=1))
    if outside.any():
        raise DataValidationError(
            "transactions",
            f"expected timestamps within the observation window {first.date()} to {last.date()}, "
            f"found {int(outside.sum())} outside it",
            column="timestamp",
            examples=stamps[outside].head(3).astype(str),
        )
    return first, last


def period_totals(
    transactions: pd.DataFrame,
    *,
    frequency: str | Frequency = "weekly",
    by: pd.Series | None = None,
    start=None,
    end=None,
) -> tuple[pd.DataFrame, list[str]]:
    """Revenue and orders per complete period (and per group), with empty periods as 0.

    Parameters
    ----------
    transactions : DataFrame
        Clean transactions with ``timestamp`` and ``amount``; ``order_id``
        (orders are distinct order ids; without it every row counts as one order).
    frequency : {"daily", "weekly", "monthly"}
        Period length; weeks run Monday to Sunday and are labelled by their Monday.
    by : Series, optional
        A group label per transaction (aligned on the index); ``None`` gives one
        group called ``"all"``. Missing labels are not allowed.
    start, end : date-like, optional
        First and last day the data covers (default: the first and last
        transaction's day). Periods not wholly inside are left out and noted.

    Returns
    -------
    table : DataFrame
        ``group``, ``period`` (first day), ``revenue``, ``orders``; every group
        has every complete period.
    notes : list of str
        The partial periods left out, with their revenue.

    Raises
    ------
    DataValidationError
        Missing or mistyped columns, missing values, timestamps outside the
        window, missing group labels, or no complete period in the window.
    """
    spec = get_frequency(frequency)
    _check_transactions(transactions, ["timestamp", "amount"])
    first, last = _window(transactions, start, end)
    labels = pd.Series("all", index=transactions.index) if by is None else by
    if len(labels) != len(transactions) or not labels.index.equals(transactions.index):
        raise DataValidationError(
            "by", f"expected one group label per transaction row, found {len(labels)} labels"
        )
    if labels.isna().any():
        raise DataValidationError(
            "by", f"expected a group label on every row, found {int(labels.isna().sum())} missing"
        )
    # Period starts as datetimes: grouping on Period objects is many times slower.
    period_starts = transactions["timestamp"].dt.to_period(spec.rule).dt.start_time
    order_key = (
        transactions["order_id"].astype(str)
        if "order_id" in transactions
        else pd.Series(range(len(transactions)), index=transactions.index).astype(str)
    )
    frame = pd.DataFrame(
        {
            "group": labels.astype(str).to_numpy(),
            "period": period_starts.to_numpy(),
            "amount": transactions["amount"].to_numpy(dtype=float),
            "order": order_key.to_numpy(),
        }
    )
    full = pd.period_range(first.to_period(spec.rule), last.to_period(spec.rule), freq=spec.rule)
    complete = full[(full.start_time >= first) & (full.end_time < last + pd.Timedelta(days=1))]
    notes = []
    for period in full.difference(complete):
        covered_from = max(period.start_time, first)
        covered_to = min(period.end_time.normalize(), last)
        days = (covered_to - covered_from).days + 1
        total_days = (period.end_time.normalize() - period.start_time).days + 1
        revenue = frame.loc[frame["period"] == period.start_time, "amount"].sum()
        notes.append(
            f"left out the partial {spec.unit} starting {period.start_time.date()} "
            f"(data covers {days} of its {total_days} days; revenue {revenue:,.2f})"
        )
    if len(complete) == 0:
        raise DataValidationError(
            "transactions",
            f"expected at least one complete {spec.unit} between {first.date()} and "
            f"{last.date()}, found none",
            column="timestamp",
        )
    complete_starts = complete.start_time
    kept = frame[frame["period"].isin(complete_starts)]
    grouped = kept.groupby(["group", "period"], observed=True).agg(
        revenue=("amount", "sum"), orders=("order", "nunique")
    )
    groups = sorted(frame["group"].unique())
    index = pd.MultiIndex.from_product([groups, complete_starts], names=["group", "period"])
    table = grouped.reindex(index, fill_value=0).reset_index()
    table = table.assign(
        revenue=table["revenue"].astype(float),
        orders=table["orders"].astype(int),
    )
    return table, notes


def _merge_small_groups(
    labels: pd.Series, customers: pd.Series, min_customers: int, dimension: str
) -> tuple[pd.Series, pd.DataFrame, list[str]]:
    sizes = customers.groupby(labels.to_numpy()).nunique()
    small = sorted(sizes.index[sizes < min_customers])
    notes = []
    if small:
        labels = labels.where(~labels.isin(small), OTHER_GROUP)
        notes.append(
            f"{dimension}: {len(small)} group(s) with fewer than {min_customers} customers "
            f"merged into '{OTHER_GROUP}'"
        )
        merged_size = customers[labels == OTHER_GROUP].nunique()
        if merged_size < min_customers:
            notes.append(
                f"{dimension}: '{OTHER_GROUP}' still has fewer than {min_customers} customers "
                "and is not forecast on its own (its sales stay in the total)"
            )
    sizes = customers.groupby(labels.to_numpy()).nunique()
    return labels, sizes.rename("n_customers"), notes


def demand_series(
    transactions: pd.DataFrame,
    *,
    frequency: str | Frequency = "weekly",
    segments: pd.DataFrame | None = None,
    segment_column: str = "rfm_segment",
    by_category: bool = True,
    min_customers: int = 20,
    start=None,
    end=None,
) -> DemandSeries:
    """Revenue and order series in total, by category and by customer segment.

    Parameters
    ----------
    transactions : DataFrame
        Clean transactions (stage 01's ``transactions_clean``): ``customer_id``,
        ``timestamp``, ``amount``, optionally ``order_id`` and ``category``.
    frequency : {"daily", "weekly", "monthly"}
    segments : DataFrame, optional
        One row per customer with ``customer_id`` and ``segment_column``
        (stage 02's ``segments``). Customers with transactions but no segment
        form the group ``"unsegmented"``; they are counted, not dropped.
    segment_column : str
        The segment label column of ``segments``.
    by_category : bool
        Also build one series per product category (when the column exists).
    min_customers : int
        Smallest number of distinct customers a published group may have;
        smaller groups are merged into ``"other (small groups)"``, and that
        group is left out if it is still too small (its sales stay in the total).
    start, end : date-like, optional
        The observation window (default: first and last transaction day).

    Returns
    -------
    DemandSeries
    """
    if min_customers < 1:
        raise DataValidationError(
            "params demand_forecasting.min_customers",
            f"expected a positive integer, found {min_customers}",
        )
    spec = get_frequency(frequency)
    _check_transactions(transactions, ["customer_id", "timestamp", "amount"])
    customers = transactions["customer_id"]
    dimensions: dict[str, pd.Series] = {"total": pd.Series("all", index=transactions.index)}
    if by_category and "category" in transactions:
        dimensions["category"] = transactions["category"].fillna("unknown").astype(str)
    notes: list[str] = []
    if segments is not None:
        for column in ("customer_id", segment_column):
            if column not in segments:
                raise DataValidationError(
                    "segments",
                    f"expected columns customer_id and {segment_column!r} "
                    f"(params demand_forecasting.segment_column), found {list(segments.columns)}",
                    column=column,
                )
        if segments["customer_id"].duplicated().any():
            raise DataValidationError(
                "segments",
                "expected one row per customer, found duplicated ids",
                column="customer_id",
                examples=segments.loc[segments["customer_id"].duplicated(), "customer_id"][:3],
            )
        labels = customers.map(segments.set_index("customer_id")[segment_column])
        unsegmented = labels.isna()
        if unsegmented.any():
            notes.append(
                f"segment: {customers[unsegmented].nunique():,} customers with transactions have "
                f"no segment (e.g. first purchase after stage 02's cutoff, or no "
                f"{segment_column}): group '{UNSEGMENTED}'"
            )
        dimensions["segment"] = labels.astype(object).where(~unsegmented, UNSEGMENTED).astype(str)

    tables, group_rows = [], []
    for dimension, labels in dimensions.items():
        labels, sizes, merge_notes = _merge_small_groups(
            labels, customers, min_customers, dimension
        )
        notes.extend(merge_notes)
        if dimension == "total" and sizes.iloc[0] < min_customers:
            raise DataValidationError(
                "transactions",
                f"expected at least min_customers={min_customers} distinct customers, "
                f"found {int(sizes.iloc[0])}",
                column="customer_id",
            )
        table, period_notes = period_totals(
            transactions, frequency=spec, by=labels, start=start, end=end
        )
        if dimension == "total":
            notes = period_notes + notes
        published = sizes[sizes >= min_customers]
        table = table[table["group"].isin(published.index)]
        revenue = table.groupby("group")["revenue"].sum()
        for group, n_customers in published.items():
            group_rows.append(
                {
                    "dimension": dimension,
                    "group": group,
                    "n_customers": int(n_customers),
                    "revenue": float(revenue.get(group, 0.0)),
                }
            )
        tables.append(table.assign(dimension=dimension))
    long = pd.concat(tables, ignore_index=True)[
        ["dimension", "group", "period", "revenue", "orders"]
    ]
    return DemandSeries(table=long, frequency=spec, groups=pd.DataFrame(group_rows), notes=notes)
