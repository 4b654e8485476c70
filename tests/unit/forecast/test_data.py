"""Demand series: complete periods, zeros filled, groups merged, nothing dropped silently."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.forecast.data import (
    OTHER_GROUP,
    UNSEGMENTED,
    demand_series,
    get_frequency,
    period_totals,
)


def _lines(rows):
    """rows: (customer, timestamp, order, category, amount)."""
    return pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "order_id", "category", "amount"]
    ).assign(timestamp=lambda t: pd.to_datetime(t["timestamp"]))


# 2024-01-01 is a Monday: weeks are 1-7, 8-14 (nothing sold) and 15-21 January.
THREE_WEEKS = _lines(
    [
        ("a", "2024-01-01 10:00", "o1", "books", 10.0),
        ("a", "2024-01-01 10:00", "o1", "toys", 5.0),  # same order: one order, two lines
        ("b", "2024-01-07 23:59", "o2", "books", 20.0),
        ("b", "2024-01-15 08:00", "o3", "toys", 7.0),
        ("c", "2024-01-21 12:00", "o4", "books", 1.0),
    ]
)


def test_empty_week_is_zero_not_dropped():
    table, notes = period_totals(THREE_WEEKS, start="2024-01-01", end="2024-01-21")
    assert notes == []
    assert table["period"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"])
    )
    assert table["revenue"].tolist() == [35.0, 0.0, 8.0]
    assert table["orders"].tolist() == [2, 0, 2]  # o1 counted once despite two lines


def test_groups_each_get_every_period():
    by = THREE_WEEKS["category"]
    table, _ = period_totals(THREE_WEEKS, by=by, start="2024-01-01", end="2024-01-21")
    books = table[table["group"] == "books"]
    toys = table[table["group"] == "toys"]
    assert books["revenue"].tolist() == [30.0, 0.0, 1.0]
    assert toys["revenue"].tolist() == [5.0, 0.0, 7.0]
    assert toys["orders"].tolist() == [1, 0, 1]


def test_partial_periods_are_left_out_and_reported_with_their_revenue():
    # The window starts on Wednesday 3 January: the first week is partial, as is
    # the last one (the window ends on Wednesday 17 January).
    stamps = THREE_WEEKS["timestamp"]
    lines = THREE_WEEKS[(stamps >= "2024-01-03") & (stamps < "2024-01-18")]
    table, notes = period_totals(lines, start="2024-01-03", end="2024-01-17")
    assert table["period"].tolist() == [pd.Timestamp("2024-01-08")]
    assert table["revenue"].tolist() == [0.0]
    assert notes == [
        "left out the partial week starting 2024-01-01 (data covers 5 of its 7 days; revenue 20.00)",
        "left out the partial week starting 2024-01-15 (data covers 3 of its 7 days; revenue 7.00)",
    ]


def test_daily_and_monthly_periods():
    daily, _ = period_totals(THREE_WEEKS, frequency="daily", start="2024-01-01", end="2024-01-21")
    assert len(daily) == 21 and daily["revenue"].sum() == pytest.approx(43.0)
    assert (daily["revenue"] == 0).sum() == 21 - 4  # four days with sales
    monthly, notes = period_totals(THREE_WEEKS, frequency="monthly", end="2024-02-29")
    assert monthly["period"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert monthly["revenue"].tolist() == [43.0, 0.0]
    assert notes == []


def test_input_is_not_mutated():
    before = THREE_WEEKS.copy()
    demand_series(THREE_WEEKS, min_customers=1, start="2024-01-01", end="2024-01-21")
    pd.testing.assert_frame_equal(THREE_WEEKS, before)


def test_rows_without_order_id_count_one_order_each():
    lines = THREE_WEEKS.drop(columns="order_id")
    table, _ = period_totals(lines, start="2024-01-01", end="2024-01-21")
    assert table["orders"].tolist() == [3, 0, 2]


def _customers(n_per_segment: dict[str, int]):
    """One line per customer in week 1 (8-14 Jan 2024), and a segments table."""
    rows, segments = [], []
    for segment, n in n_per_segment.items():
        for i in range(n):
            customer = f"{segment}-{i}"
            rows.append((customer, "2024-01-08 12:00", f"o-{customer}", "books", 2.0))
            if segment != "none":
                segments.append((customer, segment))
    lines = _lines(rows)
    return lines, pd.DataFrame(segments, columns=["customer_id", "rfm_segment"])


def test_segments_small_groups_merged_and_unsegmented_kept():
    lines, segments = _customers({"big": 5, "tiny1": 2, "tiny2": 2, "none": 3})
    demand = demand_series(
        lines, segments=segments, min_customers=3, start="2024-01-08", end="2024-01-14"
    )
    groups = demand.groups.set_index(["dimension", "group"])["n_customers"].to_dict()
    assert groups[("total", "all")] == 12
    assert groups[("segment", "big")] == 5
    assert groups[("segment", OTHER_GROUP)] == 4  # tiny1 + tiny2
    assert groups[("segment", UNSEGMENTED)] == 3
    segment_revenue = demand.table.query("dimension == 'segment'")["revenue"].sum()
    assert segment_revenue == pytest.approx(24.0)  # every sale is in some segment series
    assert any("3 customers with transactions have no segment" in n for n in demand.notes)
    assert any("2 group(s) with fewer than 3 customers merged" in n for n in demand.notes)


def test_customers_with_a_missing_segment_label_are_unsegmented():
    lines, segments = _customers({"big": 5, "other": 3})
    segments.loc[segments["rfm_segment"] == "other", "rfm_segment"] = None
    demand = demand_series(
        lines, segments=segments, min_customers=3, start="2024-01-08", end="2024-01-14"
    )
    groups = demand.groups.query("dimension == 'segment'").set_index("group")["n_customers"]
    assert groups.to_dict() == {"big": 5, UNSEGMENTED: 3}


def test_merged_group_still_too_small_is_left_out_but_stays_in_the_total():
    lines, segments = _customers({"big": 5, "tiny": 1})
    demand = demand_series(
        lines, segments=segments, min_customers=3, start="2024-01-08", end="2024-01-14"
    )
    assert set(demand.table.query("dimension == 'segment'")["group"]) == {"big"}
    assert demand.series()["2024-01-08"] == pytest.approx(12.0)
    assert any("is not forecast on its own" in n for n in demand.notes)


def test_series_accessor_and_unknown_series():
    demand = demand_series(THREE_WEEKS, min_customers=1, start="2024-01-01", end="2024-01-21")
    assert demand.series("category", "toys", "orders").tolist() == [1, 0, 1]
    with pytest.raises(KeyError, match="no series segment/x"):
        demand.series("segment", "x")


def test_bad_frequency():
    with pytest.raises(
        DataValidationError, match="expected one of daily, weekly, monthly, found 'hourly'"
    ):
        get_frequency("hourly")


def test_missing_column_is_named():
    with pytest.raises(DataValidationError, match="column 'amount'"):
        period_totals(THREE_WEEKS.drop(columns="amount"))


def test_missing_values_and_types_are_refused():
    with pytest.raises(DataValidationError, match="expected no missing values"):
        period_totals(THREE_WEEKS.assign(amount=[1.0, None, 2.0, 3.0, 4.0]))
    with pytest.raises(DataValidationError, match="column 'timestamp': expected datetimes"):
        period_totals(THREE_WEEKS.assign(timestamp=THREE_WEEKS["timestamp"].astype(str)))
    with pytest.raises(DataValidationError, match="expected at least one row"):
        period_totals(THREE_WEEKS.iloc[:0])


def test_timestamps_outside_the_window_are_refused():
    with pytest.raises(DataValidationError, match="found 3 outside it"):
        period_totals(THREE_WEEKS, start="2024-01-02", end="2024-01-20")


def test_no_complete_period():
    with pytest.raises(DataValidationError, match="at least one complete week"):
        period_totals(THREE_WEEKS.iloc[:1], start="2024-01-01", end="2024-01-03")


def test_bad_segments_and_min_customers():
    lines, segments = _customers({"big": 5})
    with pytest.raises(DataValidationError, match="column 'cluster_name'"):
        demand_series(lines, segments=segments, segment_column="cluster_name")
    doubled = pd.concat([segments, segments.iloc[:1]])
    with pytest.raises(DataValidationError, match="one row per customer"):
        demand_series(lines, segments=doubled, min_customers=1)
    with pytest.raises(DataValidationError, match="min_customers: expected a positive integer"):
        demand_series(lines, min_customers=0)
    with pytest.raises(
        DataValidationError, match="at least min_customers=50 distinct customers, found 5"
    ):
        demand_series(lines, min_customers=50)
