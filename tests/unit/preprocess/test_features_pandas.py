"""The pandas customer-day summary: sorted keys and pandas' own summation, pinned on small data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.preprocess import _features_pandas as fp
from marketing_utils.preprocess._features_columns import (
    DAY,
    FIRST_DAY,
    LAST_DAY,
    N_DAYS,
    REPEAT_MEAN,
)


def kahan(values) -> float:
    """pandas' row-by-row group-by sum, written out."""
    total = compensation = 0.0
    for value in values:
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if math.isnan(compensation):
            compensation = 0.0
        total = t
    return total


def same_bits(left, right) -> bool:
    left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
    return np.array_equal(left, right, equal_nan=True) and np.array_equal(
        np.signbit(left), np.signbit(right)
    )


@pytest.mark.parametrize("bound", [10, 2**62])
def test_stable_sort_orders_by_key_then_row(bound):
    keys = np.array([3, 1, 3, 0, 1, 3], dtype=np.int64)
    order, sorted_keys = fp.stable_sort(keys, bound)  # 2**62: no room for rows, argsort
    assert order.tolist() == [3, 1, 4, 0, 2, 5]
    assert sorted_keys.tolist() == [0, 1, 1, 3, 3, 3]


def test_run_starts():
    assert fp.run_starts(np.array([0, 0, 2, 5, 5, 5])).tolist() == [0, 2, 3]


def test_daily_sums_compensate_like_pandas():
    # Runs [0.1, 0.1, 1.0] and [0.1, 0.2, 0.3]: 1.2 with compensation, one ulp more without.
    values = np.array([0.1, 0.1, 1.0, 0.1, 0.2, 0.3])
    starts = np.array([0, 3])
    assert fp.daily_sums(values, starts, contiguous=False).tolist() == [1.2, kahan([0.1, 0.2, 0.3])]
    # Rows of each key in one block of the frame: pandas adds them with np.add.reduceat.
    plain = fp.daily_sums(values, starts, contiguous=True)
    assert plain[0] == 1.2000000000000002
    assert plain.tolist() == np.add.reduceat(values, starts).tolist()
    assert fp.daily_sums(np.array([2, 3, 4]), np.array([0, 2]), contiguous=False).tolist() == [5, 4]


def test_repeat_means_leave_the_first_value_out():
    values = np.array([10.0, 20.0, 30.0, 5.0, 1.0, 3.0])
    assert same_bits(fp.repeat_means(values, np.array([0, 3, 4])), [25.0, np.nan, 3.0])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
def test_sums_equal_pandas_group_by_bit_for_bit(monkeypatch):
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 12, 200)
    sizes[7] = 90  # longer than LONG_RUN: summed by pandas' kernel
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    values = rng.choice([1e16, -1e16, 0.1, 3.3, np.inf, 1e-3, -0.0], sizes.sum())
    runs = np.repeat(np.arange(len(sizes)), sizes)
    expected = [kahan(values[s : s + n]) for s, n in zip(starts, sizes, strict=True)]
    with np.errstate(invalid="ignore"):
        for long_run in (fp.LONG_RUN, 4):
            monkeypatch.setattr(fp, "LONG_RUN", long_run)
            assert same_bits(fp.daily_sums(values, starts, contiguous=False), expected)
        assert same_bits(fp.run_sums(values, starts), pd.Series(values).groupby(runs).sum())
        repeat = values.copy()
        repeat[starts] = np.nan
        expected_means = pd.Series(repeat).groupby(runs).mean()
        assert same_bits(fp.repeat_means(values, starts), expected_means)


def straightforward(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary with pandas group-bys, as the pandas code used to compute it."""
    daily = frame.groupby(["customer_id", DAY], sort=True)[["amount", "extra"]].sum()
    daily = daily.reset_index()
    first = daily.groupby("customer_id")[DAY].transform("min")
    daily["repeat"] = daily["amount"].where(daily[DAY] > first)
    per = daily.groupby("customer_id", sort=True)
    return pd.DataFrame(
        {
            "customer_id": per[DAY].min().index.to_numpy(),
            FIRST_DAY: per[DAY].min().to_numpy(),
            LAST_DAY: per[DAY].max().to_numpy(),
            N_DAYS: per.size().to_numpy(),
            REPEAT_MEAN: per["repeat"].mean().to_numpy(),
            "total_spend": per["amount"].sum().to_numpy(),
            "extra": per["extra"].sum().to_numpy(),
        }
    )


def test_hand_worked_summary():
    # a: day 1 (10 + 5), day 4 (20), day 8 (30); b: day 3 (7); c: day 2 (3), day 9 (6 + 4).
    frame = pd.DataFrame(
        {
            "customer_id": ["c", "a", "b", "a", "c", "a", "a", "c"],
            DAY: [9, 1, 3, 4, 2, 8, 1, 9],
            "amount": [6.0, 10.0, 7.0, 20.0, 3.0, 30.0, 5.0, 4.0],
        }
    )
    result = fp.summarize_customers_pandas(frame, "customer_id", "amount")
    assert result["customer_id"].tolist() == ["a", "b", "c"]
    assert result[FIRST_DAY].tolist() == [1, 3, 2]
    assert result[LAST_DAY].tolist() == [8, 3, 9]
    assert result[N_DAYS].tolist() == [3, 1, 2]
    assert same_bits(result[REPEAT_MEAN], [25.0, np.nan, 10.0])
    assert result["total_spend"].tolist() == [65.0, 7.0, 13.0]


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("rows_in_order", [False, True])
def test_summary_equals_pandas_group_bys(rows_in_order, threads, monkeypatch):
    # Three threads: customers split in three ranges of codes, summed apart, concatenated.
    monkeypatch.setattr(fp, "worker_threads", lambda n_rows, minimum: threads)
    rng = np.random.default_rng(7)
    n = 3_000
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(rng.integers(0, 150, n)).map("id{:03d}".format),
            DAY: rng.integers(19_000, 19_060, n),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2) * rng.choice([1.0, 1e12], n),
            "extra": rng.standard_normal(n),
        }
    )
    if rows_in_order:  # each customer-day's rows one block: pandas' other summation
        frame = frame.sort_values(["customer_id", DAY], kind="stable", ignore_index=True)
    result = fp.summarize_customers_pandas(frame, "customer_id", "amount", summed=["extra"])
    expected = straightforward(frame)
    assert result.columns.tolist() == expected.columns.tolist()
    assert result["customer_id"].tolist() == expected["customer_id"].tolist()
    for column in expected.columns[1:]:
        assert result[column].dtype == expected[column].dtype, column
        assert same_bits(result[column], expected[column]), column


def test_customer_ranges_split_rows_by_customer_in_code_order():
    codes = np.array([5, 1, 9, 1, 5, 7])
    # Sorted codes 1 1 5 5 7 9: the cut at the middle one, 5, starts the second part.
    parts = fp._customer_ranges(codes, 2)
    assert [part.tolist() for part in parts] == [[1, 3], [0, 2, 4, 5]]
    assert fp._customer_ranges(codes, 1) == [None]
    # One customer with most rows and the smallest code: the cut falls on it, no empty part.
    skewed = np.r_[np.zeros(60, dtype=np.int64), np.arange(1, 41)]
    assert [len(part) for part in fp._customer_ranges(skewed, 2)] == [100]
    rng = np.random.default_rng(0)
    many = rng.integers(0, 1_000, 50_000)
    parts = fp._customer_ranges(many, 3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(many)))
    highest = [many[part].max() for part in parts]
    lowest = [many[part].min() for part in parts]
    assert all(high < low for high, low in zip(highest, lowest[1:], strict=False))
    assert min(len(part) for part in parts) > len(many) / 4


def test_a_customer_with_most_rows_splits_like_any_other(monkeypatch):
    monkeypatch.setattr(fp, "worker_threads", lambda n_rows, minimum: 2)
    frame = pd.DataFrame(
        {
            "customer_id": np.r_[np.zeros(60, dtype=np.int64), np.arange(1, 41)],
            DAY: np.arange(100) % 7,
            "amount": np.arange(100, dtype=float),
        }
    )
    result = fp.summarize_customers_pandas(frame, "customer_id", "amount")
    assert result["customer_id"].tolist() == list(range(41))
    assert result[N_DAYS].tolist()[:2] == [7, 1]
    assert result["total_spend"].sum() == frame["amount"].sum()
    alone = fp.summarize_customers_pandas(frame.assign(customer_id="C7"), "customer_id", "amount")
    assert alone["customer_id"].tolist() == ["C7"] and alone[N_DAYS].tolist() == [7]


def test_threads_give_the_one_thread_features_bit_for_bit(monkeypatch):
    from marketing_utils.preprocess.features import customer_features, rfm_summary

    rng = np.random.default_rng(11)
    n = 20_000
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(rng.integers(0, 900, n)).map("k{}".format).astype("str"),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
            "category": rng.choice(["a", "b"], n),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2) * rng.choice([1.0, 1e10], n),
        }
    )
    one = rfm_summary(frame), customer_features(frame, cutoff="2024-09-01", windows=(30, 90))
    monkeypatch.setattr(fp, "worker_threads", lambda n_rows, minimum: 3)
    three = rfm_summary(frame), customer_features(frame, cutoff="2024-09-01", windows=(30, 90))
    for single, threaded in zip(one, three, strict=True):
        pd.testing.assert_frame_equal(threaded, single, check_exact=True)
