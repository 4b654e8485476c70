"""Polars' number ids and packed customer-day keys: found when they hold, never a changed result."""

from __future__ import annotations

import string

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest

from marketing_utils.preprocess import _features_frames as ff
from marketing_utils.preprocess.features import customer_features, rfm_summary


def rows(ids: list, days: list[int] | None = None) -> nw.LazyFrame:
    days = days if days is not None else list(range(100, 100 + len(ids)))
    return nw.from_native(pl.LazyFrame({"customer_id": ids, ff.DAY: days}))


def log(ids: list, seed: int = 0) -> pd.DataFrame:
    """Transactions of the given ids (each at least once), over 50 days."""
    rng = np.random.default_rng(seed)
    n = 6 * len(ids)
    drawn = np.r_[np.arange(len(ids)), rng.integers(0, len(ids), n - len(ids))]
    return pd.DataFrame(
        {
            "customer_id": pd.Series(np.asarray(ids, dtype=object)[drawn]).astype(
                "str" if isinstance(ids[0], str) else "uint64" if max(ids) >= 2**63 else "int64"
            ),
            "timestamp": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 50, n), "D"),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )


def test_prefix_and_zero_padded_numbers_are_found_with_their_bounds():
    found = ff.DecimalIds.find(rows(["C00259933", "C00000001", "C09999999"]), "customer_id")
    # "C00000001" and "C09999999" share "C0"; seven digits follow.
    # The bounds start at -1, the number of an id that turns out not to be one.
    assert found == ff.DecimalIds("C0", 7, ff.KeyBounds(-1, 9_999_999, 100, 102))
    coded = found.encode(rows(["C00259933", "C00000001", "C0000x001"]), "customer_id")
    assert coded.to_native().collect()["customer_id"].to_list() == [259_933, 1, -1]
    decoded = nw.from_native(pl.DataFrame({"customer_id": [259_933, 1]}))
    assert decoded.with_columns(found.ids("customer_id"))["customer_id"].to_list() == [
        "C00259933",
        "C00000001",
    ]


@pytest.mark.parametrize(
    "ids",
    [
        ["C01", "C1", "C001"],  # widths differ
        ["Ca1", "Cb2"],  # a letter after the shared prefix
        ["C+1", "C-1", "C01"],  # a sign sorts first: "C+1" is the smallest
        ["same", "same"],  # nothing after the prefix
        ["1" * 19, "2" * 19],  # 19 digits could overflow an Int64
        [1, 2, 3],  # not strings
    ],
)
def test_other_ids_are_left_as_they_are(ids):
    assert ff.DecimalIds.find(rows(ids), "customer_id") is None


@pytest.mark.parametrize("character", list(string.printable))
def test_an_id_that_is_not_a_number_gives_the_result_of_the_ids_themselves(character):
    # "C10" and "C25" make the guess "C" + two digits; "C1" + character breaks it
    # unless the character is a digit, and the table is then built from the strings.
    transactions = log(["C10", "C1" + character, "C25", "C17"])
    # With order ids, customer_features joins the order counts: a row whose id gave
    # no number must still be seen (an inner join drops missing keys).
    transactions["order_id"] = [f"o{i // 2}" for i in range(len(transactions))]
    if character in string.ascii_letters:  # the guess is made; the parse proves it wrong
        assert ff.DecimalIds.find(rows(["C10", "C1" + character, "C25"]), "customer_id")
    expected = rfm_summary(transactions)
    expected_features = customer_features(transactions, cutoff="2024-04-10")
    assert len(expected) == len(expected_features) == transactions["customer_id"].nunique()
    for frame in (pl.from_pandas(transactions), pl.from_pandas(transactions).lazy()):
        result = rfm_summary(frame)
        assert result["customer_id"].is_sorted()
        pd.testing.assert_frame_equal(result.to_pandas(), expected, check_dtype=False)
        features = customer_features(frame, cutoff="2024-04-10").to_pandas()
        pd.testing.assert_frame_equal(features, expected_features, check_dtype=False)


@pytest.mark.parametrize(
    "ids",
    [
        [f"C{i:06d}" for i in range(0, 990_000, 9_900)],
        [f"{i:018d}" for i in (0, 7, 10**17, 10**18 - 1)],  # too wide to pack with the days
        [3, 10, 42, 7],  # integer ids: bounds found by a pass of their own
        [0, 2**62, 5],  # integers too far apart to pack
        [2**64 - 1, 2**64 - 2, 2**64 - 5],  # UInt64 beyond Int64, close together: not packed
    ],
)
def test_polars_gives_the_pandas_result(ids):
    transactions = log(ids, seed=len(ids))
    expected = rfm_summary(transactions)
    result = rfm_summary(pl.from_pandas(transactions))
    pd.testing.assert_frame_equal(result.to_pandas(), expected, check_dtype=False)
    features = customer_features(pl.from_pandas(transactions), cutoff="2024-04-10")
    pd.testing.assert_frame_equal(
        features.to_pandas(),
        customer_features(transactions, cutoff="2024-04-10"),
        check_dtype=False,
    )


def test_packed_key_needs_integer_ids_and_room_in_63_bits():
    days = [10, 12, 15]
    assert ff._customer_day_key(rows(["a", "b", "c"], days), "customer_id", None) is None
    assert ff._customer_day_key(rows([0, 2**62, 1], days), "customer_id", None) is None
    key, unpack = ff._customer_day_key(rows([5, 7, 6], days), "customer_id", None)
    packed = rows([5, 7, 6], days).to_native().collect()
    frame = nw.from_native(packed).with_columns(key)
    # Ids 5-7 and days 10-15 (span 6): key = (id - 5) * 6 + (day - 10).
    assert frame[ff._KEY].to_list() == [0, 2 * 6 + 2, 1 * 6 + 5]
    back = frame.select(ff._KEY).with_columns(*unpack)
    assert back["customer_id"].to_list() == [5, 7, 6]
    assert back[ff.DAY].to_list() == days
    wide = ff.KeyBounds(id_low=0, id_high=2**40, day_low=0, day_high=2**23)
    assert ff._customer_day_key(rows([5, 7, 6], days), "customer_id", wide) is None
