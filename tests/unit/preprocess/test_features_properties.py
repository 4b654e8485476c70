"""Property tests: customer features and labels on random transaction tables, against a
row-by-row reference written independently of the narwhals implementation.

The tables mix the awkward cases: customers whose every event is at or after the
cutoff (an empty history: no row), one transaction per customer, several events
with the same timestamp, zero amounts, and the empty table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketing_utils.preprocess.features import customer_features, make_labels

CUTOFF = pd.Timestamp("2024-02-01")
WINDOWS = (7, 30)
HORIZON = 14
# Few distinct stamps, so identical timestamps are common; some at or after the cutoff.
STAMPS = [
    pd.Timestamp(s)
    for s in (
        "2023-12-01 09:00",
        "2024-01-02 10:00",
        "2024-01-02 10:00",
        "2024-01-20 23:59",
        "2024-01-25 08:00",
        "2024-01-31 23:59",
        "2024-02-01 00:00",  # the cutoff itself: a label event, never a feature
        "2024-02-10 12:00",
        "2024-02-20 12:00",  # after the label window
    )
]

events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(STAMPS),
        st.integers(0, 2),  # order number within the customer
        st.sampled_from(["x", "y"]),
        st.sampled_from([0.0, 1.5, 10.0, 99.99]),
    ),
    max_size=25,
)


def _table(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "order", "category", "amount"])
    frame = frame.astype(
        {
            "customer_id": "str",
            "timestamp": "datetime64[ns]",
            "category": "str",
            "amount": "float64",
        }
    )
    frame["order_id"] = frame["customer_id"] + "-" + frame["order"].astype("str")
    return frame.drop(columns="order")


def _reference(rows) -> dict[str, dict[str, float]]:
    """Features of each customer with history, computed one event at a time."""
    cutoff_day = CUTOFF.toordinal()
    history: dict[str, list] = {}
    for customer, stamp, order, category, amount in rows:
        if stamp < CUTOFF:
            history.setdefault(customer, []).append(
                (stamp.toordinal(), f"{customer}-{order}", category, amount)
            )
    expected = {}
    for customer, found in history.items():
        daily: dict[int, float] = {}
        for day, _, _, amount in found:
            daily[day] = daily.get(day, 0.0) + amount
        days = sorted(daily)
        frequency = len(days) - 1
        recency = days[-1] - days[0]
        repeat = [daily[d] for d in days[1:]]
        orders = {order for _, order, _, _ in found}
        first_day_of_order = {}
        for day, order, _, _ in found:
            first_day_of_order[order] = min(day, first_day_of_order.get(order, day))
        total = sum(amount for *_, amount in found)
        row = {
            "frequency": frequency,
            "recency": recency,
            "T": (cutoff_day - 1) - days[0],
            "monetary_value": sum(repeat) / len(repeat) if repeat else 0.0,
            "n_orders": len(orders),
            "total_spend": total,
            "avg_basket": total / len(orders),
            "days_since_last_purchase": cutoff_day - days[-1],
            "mean_days_between_purchases": recency / frequency if frequency else math.nan,
        }
        for window in WINDOWS:
            start = cutoff_day - window
            row[f"spend_{window}d"] = sum(a for d, _, _, a in found if d >= start)
            row[f"orders_{window}d"] = sum(1 for d in first_day_of_order.values() if d >= start)
        for category in sorted({c for _, _, c, _ in found} | set()):
            spent = sum(a for _, _, c, a in found if c == category)
            row[f"share_{category}"] = spent / total if total else math.nan
        expected[customer] = row
    return expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=events)
@example(rows=[])
@example(rows=[("a", STAMPS[1], 0, "x", 10.0), ("b", STAMPS[4], 0, "y", 1.5)])  # one each
@example(rows=[("a", STAMPS[6], 0, "x", 10.0)])  # only a cutoff-day event: no history
def test_features_match_the_reference_on_random_tables(rows):
    table = _table(rows)
    before = table.copy()
    features = customer_features(table, cutoff=CUTOFF, windows=WINDOWS)
    pd.testing.assert_frame_equal(table, before)  # the input is not mutated

    expected = _reference(rows)
    assert features["customer_id"].tolist() == sorted(expected)
    categories = sorted({c for _, s, _, c, _ in rows if s < CUTOFF})
    assert [c for c in features.columns if c.startswith("share_")] == [
        f"share_{c}" for c in categories
    ]
    for record in features.to_dict("records"):
        reference = expected[record["customer_id"]]
        for name in reference.keys() | {k for k in record if k != "customer_id"}:
            got, want = record[name], reference.get(name, math.nan)
            if isinstance(want, float) and math.isnan(want) and name.startswith("share_"):
                # A category the customer never bought: share 0, or NaN when spend is 0.
                want = 0.0 if reference["total_spend"] else math.nan
            assert np.isclose(got, want, equal_nan=True), (record["customer_id"], name, got, want)


@settings(max_examples=40, deadline=None)
@given(rows=events)
def test_features_ignore_events_at_or_after_the_cutoff(rows):
    table = _table(rows)
    history = table[table["timestamp"] < CUTOFF].reset_index(drop=True)
    if history.empty:
        assert customer_features(table, cutoff=CUTOFF, windows=WINDOWS).empty
        return
    later = customer_features(table, cutoff=CUTOFF, windows=WINDOWS, categories=["x", "y"])
    only = customer_features(history, cutoff=CUTOFF, windows=WINDOWS, categories=["x", "y"])
    pd.testing.assert_frame_equal(later, only)


@settings(max_examples=60, deadline=None)
@given(rows=events)
def test_labels_are_purchases_in_the_window_for_the_feature_population(rows):
    table = _table(rows)
    labels = make_labels(table, cutoff=CUTOFF, horizon_days=HORIZON)
    end = CUTOFF + pd.Timedelta(days=HORIZON)
    population = sorted({c for c, s, *_ in rows if s < CUTOFF})
    buyers = {c for c, s, *_ in rows if CUTOFF <= s < end}
    assert labels["customer_id"].tolist() == population
    assert labels["label"].tolist() == [int(c in buyers) for c in population]
