"""Customer ids as integer codes: fixed-width ids read from their bytes, and the hashed route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from marketing_utils.preprocess import _id_codes as ic
from marketing_utils.preprocess.features import customer_features, rfm_summary


def assert_codes_sort_like_ids(ids: pd.Series) -> None:
    """The fast codes order the ids exactly as pandas does, and decode to the same ids."""
    found = ic.fixed_width_codes(ids)
    assert found is not None
    codes, decoder = found
    assert codes.dtype == np.int64
    expected, uniques = pd.factorize(ids, sort=True)
    # Same order: the distinct codes, sorted, rank exactly like pandas' sorted codes.
    distinct = np.unique(codes)
    assert len(distinct) == len(uniques)
    assert np.searchsorted(distinct, codes).tolist() == expected.tolist()
    decoded = decoder.take(codes)
    assert decoded.dtype == ids.dtype
    assert list(decoded) == list(ids)


def test_hand_worked_codes():
    # "C0" is shared; the last three bytes range over 0-1, 0-4 and 0-7: radixes 2, 5, 8.
    ids = pd.Series(["C0042", "C0007", "C0042", "C0100"], dtype="str")
    codes, decoder = ic.fixed_width_codes(ids)
    assert codes.tolist() == [(0 * 5 + 4) * 8 + 2, 7, 34, (1 * 5 + 0) * 8 + 0]
    assert decoder.template == b"C0000" and decoder.positions == (2, 3, 4)
    assert decoder.symbols == (b"01", b"01234", b"01234567") and decoder.shift == 0
    assert list(decoder.take(np.array([40, 7]))) == ["C0100", "C0007"]


def test_hex_pseudonyms_fill_64_bits_with_the_bytes_found():
    # 0-9a-f spans 55 byte values: ranges would need 55^16 numbers, the 16 hex digits 16^16.
    values = ["cust_ffffffffffffffff", "cust_0000000000000000", "cust_8000000000000000"]
    ids = pd.Series([*values, "cust_0123456789abcdef"], dtype="str")
    codes, decoder = ic.fixed_width_codes(ids)
    assert decoder.symbols == (b"0123456789abcdef",) * 16 and decoder.shift == 2**63
    # The hex number itself, shifted by 2^63 into int64.
    assert codes.tolist() == [2**63 - 1, -(2**63), 0, 0x0123456789ABCDEF - 2**63]
    assert list(decoder.take(codes)) == ids.tolist()
    few = ic.fixed_width_codes(pd.Series(values, dtype="str"))
    assert few[1].symbols == (b"08f",) * 16 and few[1].shift == 0
    assert few[0].tolist() == [3**16 - 1, 0, 3**15]


@pytest.mark.parametrize(
    "values",
    [
        ["C00259933", "C00000001", "C00259933", "C09999999", "C00000010"],  # prefix + zeros
        ["000123", "000045", "100000", "000123"],  # leading zeros only
        ["cust_81fa53b0acae9159", "cust_0000000000000000", "cust_ffffffffffffffff"],  # 2^64
        ["cust_ffffffffffffffff", "cust_fffffffffffffffe", "cust_7fffffffffffffff"],
        ["AB-9", "AB-0", "Ab-9", "aB-0", "ab_1"],  # letters of both cases, punctuation
        ["é1", "a9x", "ü2", "é1"],  # two-byte letters: "é1" has 3 bytes, as "a9x" has
        ["a b", "a-b", "a+b", "a\u00a0"],  # spaces and signs are symbols like any other
        ["same", "same", "same"],  # one id: width 0 after the prefix
        ["", ""],  # empty ids
        ["9"],
    ],
)
def test_fixed_width_codes_sort_and_decode_like_the_ids(values):
    assert_codes_sort_like_ids(pd.Series(values, dtype="str"))


def test_random_fixed_width_ids_over_random_alphabets():
    rng = np.random.default_rng(3)
    for trial in range(40):
        letters = rng.choice(
            list("0123456789abcdefXYZ-_ é"), size=rng.integers(1, 12), replace=False
        )
        width = int(rng.integers(1, 9))
        pool = ["P" + "".join(rng.choice(letters, width)) for _ in range(rng.integers(1, 60))]
        byte_lengths = {len(value.encode()) for value in pool}
        ids = pd.Series(rng.choice(pool, 200), dtype="str")
        if len(byte_lengths) == 1:
            assert_codes_sort_like_ids(ids)
        else:
            assert ic.fixed_width_codes(ids) is None, trial


def test_chunked_and_sliced_arrow_ids():
    chunks = pa.chunked_array([["x07", "x01", "x99"], ["x01", "x50"]], type=pa.large_string())
    ids = pd.Series(pd.array(chunks, dtype="str")).iloc[1:]
    assert_codes_sort_like_ids(ids)
    small = pd.Series(pd.array(pa.array(["q3", "q1", "q2", "q1"]).slice(1), dtype="str"))
    assert_codes_sort_like_ids(small)


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series(["C01", "C1", "C001"], dtype="str"),  # widths differ
        pd.Series(["C01", None, "C02"], dtype="str"),  # a missing id
        pd.Series(["C01", "C02"], dtype=object),  # not Arrow-backed
        pd.Series(["C01", "C02"], dtype="string[python]"),
        pd.Series([1, 2, 3]),
        pd.Series([], dtype="str"),
        # 17 symbols of 16 kinds: 16^17 numbers do not fit in 64 bits.
        pd.Series(["0123456789abcdef0", "fedcba9876543210f"], dtype="str"),
    ],
)
def test_other_ids_take_the_hashed_route(ids):
    assert ic.fixed_width_codes(ids) is None
    present = ids.dropna()
    if len(present):
        codes, decoder = ic.encode_ids(present)
        assert list(decoder.take(codes)) == present.tolist()


@pytest.mark.parametrize("dtype", ["str", "object", "string[pyarrow]"])
def test_factorize_sorted_is_pandas_factorize(dtype):
    ids = pd.Series(["b", "a", "c", "a", "ab", "B"], dtype=dtype)
    codes, uniques = ic.factorize_sorted(ids)
    expected_codes, expected_uniques = pd.factorize(ids, sort=True)
    assert codes.dtype == np.int64
    assert codes.tolist() == expected_codes.tolist()
    pd.testing.assert_index_equal(uniques, expected_uniques, exact=True)
    with_missing = pd.Series(["b", None, "a"], dtype=dtype)
    assert ic.factorize_sorted(with_missing)[0].tolist() == [1, -1, 0]


def transactions(ids: np.ndarray, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 4_000
    return pd.DataFrame(
        {
            "customer_id": pd.Series(rng.choice(ids, n), dtype="str"),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D"),
            "order_id": pd.Series(rng.integers(0, 1_500, n)).map("o{}".format),
            "category": rng.choice(["a", "b", "c"], n),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2) * rng.choice([1.0, 1e9], n),
        }
    )


ID_SETS = {
    "prefix and zeros": np.array([f"C{i:08d}" for i in range(0, 30_000_000, 97_003)]),
    # 18 sparse digits: too wide to pack with the day, so the codes are factorized after all.
    "sparse 18 digits": np.array([f"{i * 3_162_277_660_168:018d}" for i in range(300)]),
    "pseudonyms": np.array([f"cust_{i * 0x9E3779B97F4A7C15 % 2**64:016x}" for i in range(300)]),
}


@pytest.mark.parametrize("kind", list(ID_SETS))
def test_rfm_summary_and_features_equal_the_hashed_route_bit_for_bit(kind, monkeypatch):
    frame = transactions(ID_SETS[kind])
    assert ic.fixed_width_codes(frame["customer_id"]) is not None
    fast = rfm_summary(frame, observation_period_end="2025-03-01")
    features = customer_features(frame, cutoff="2025-01-01")
    monkeypatch.setattr(ic, "fixed_width_codes", lambda ids: None)
    pd.testing.assert_frame_equal(
        fast, rfm_summary(frame, observation_period_end="2025-03-01"), check_exact=True
    )
    pd.testing.assert_frame_equal(
        features, customer_features(frame, cutoff="2025-01-01"), check_exact=True
    )
    assert fast["customer_id"].is_monotonic_increasing
    assert fast["customer_id"].dtype == frame["customer_id"].dtype


@pytest.mark.parametrize("n_parts", [2, 3])
def test_factorize_in_parts_is_one_encoding_of_the_whole(n_parts, monkeypatch):
    rng = np.random.default_rng(n_parts)
    pool = [f"id{number}" for number in rng.integers(0, 10**6, 300)] + ["", "Zz", "é"]
    ids = pd.Series(rng.choice(pool, 5_000), dtype="str")
    expected_codes, expected_uniques = pd.factorize(ids, sort=True)
    monkeypatch.setattr(ic, "worker_threads", lambda n, minimum: n_parts)
    codes, uniques = ic.factorize_sorted(ids)
    assert codes.tolist() == expected_codes.tolist()
    pd.testing.assert_index_equal(uniques, expected_uniques, exact=True)
