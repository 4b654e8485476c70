"""Tests of marketing_utils.privacy: keyed pseudonyms, PII columns, small groups."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from marketing_utils import privacy
from marketing_utils.errors import DataValidationError
from marketing_utils.privacy import (
    assert_no_pii,
    drop_pii,
    pseudonymization_key,
    pseudonymize,
    pseudonymize_ids,
    suppress_small_groups,
)
from marketing_utils.schema import MarketingData

KEY = b"test-key-0123456789abcdef"


def _expected_pseudonym(raw: str, key: bytes = KEY) -> str:
    return "cust_" + hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def test_pseudonyms_are_keyed_hmac_and_deterministic():
    ids = pd.Series(["c1", "c2", "c1", None], index=[10, 11, 12, 13], name="customer_id")
    out = pseudonymize_ids(ids, key=KEY)
    assert out.tolist()[:3] == [
        _expected_pseudonym("c1"),
        _expected_pseudonym("c2"),
        _expected_pseudonym("c1"),
    ]
    assert pd.isna(out.iloc[3])
    assert out.index.tolist() == [10, 11, 12, 13] and out.name == "customer_id"
    assert out.iloc[:3].str.fullmatch(r"cust_[0-9a-f]{16}").all()
    pd.testing.assert_series_equal(out, pseudonymize_ids(ids.copy(), key=KEY))
    assert ids.tolist()[:3] == ["c1", "c2", "c1"]


def test_different_keys_give_different_ids():
    ids = pd.Series([f"c{i}" for i in range(100)])
    first = pseudonymize_ids(ids, key=KEY)
    second = pseudonymize_ids(ids, key=b"another-key")
    assert (first != second).all()
    assert first.nunique() == 100


def test_each_distinct_id_is_hashed_once(monkeypatch):
    calls = []
    real_digest = hmac.digest

    def counting_digest(key, msg, digest):
        calls.append(msg)
        return real_digest(key, msg, digest)

    monkeypatch.setattr(privacy.hmac, "digest", counting_digest)
    pseudonymize_ids(pd.Series(["a", "b", "a", "c", "b", "a"]), key=KEY)
    assert sorted(calls) == [b"a", b"b", b"c"]


def test_key_must_be_bytes():
    with pytest.raises(TypeError, match="non-empty bytes"):
        pseudonymize_ids(pd.Series(["a"]), key="text")
    with pytest.raises(TypeError):
        pseudonymize_ids(pd.Series(["a"]), key=b"")


def test_key_from_environment_else_one_random_key_per_process(monkeypatch):
    monkeypatch.setenv("WORKBOOK_PSEUDONYM_KEY", "s3cret")
    assert pseudonymization_key() == b"s3cret"
    monkeypatch.delenv("WORKBOOK_PSEUDONYM_KEY")
    monkeypatch.setattr(privacy, "_process_key", None)
    random_key = pseudonymization_key()
    assert len(random_key) == 32
    assert pseudonymization_key() == random_key
    monkeypatch.setattr(privacy, "_process_key", None)
    assert pseudonymization_key() != random_key


def test_drop_pii_exact_names_case_insensitive():
    frame = pd.DataFrame(
        columns=[
            "customer_id",
            "Name",
            "EMAIL",
            "phone",
            "Address",
            "First Name",
            "e-mail",
            "product_name",
            "email_opened",
            "income",
            "loyalty_id",
        ]
    )
    out = drop_pii(frame, extra=["Loyalty ID"])
    assert out.columns.tolist() == ["customer_id", "product_name", "email_opened", "income"]
    assert len(frame.columns) == 11


@dataclasses.dataclass(frozen=True)
class _WithTruth(MarketingData):
    truth: pd.DataFrame | None = None


def _raw_data() -> _WithTruth:
    customers = pd.DataFrame(
        {
            "customer_id": ["a1", "b2", "c3"],
            "name": ["Ann Lee", "Bo Chan", "Cy Diaz"],
            "email": ["ann@x.org", "bo@x.org", "cy@x.org"],
            "region": ["west", "south", "west"],
        }
    )
    transactions = pd.DataFrame(
        {"customer_id": ["a1", "a1", "c3", "b2"], "amount": [5.0, 7.0, 2.0, 1.0]}
    )
    truth = pd.DataFrame({"customer_id": ["c3", "a1"], "persona": ["x", "y"]})
    return _WithTruth(
        customers=customers,
        transactions=transactions,
        truth=truth,
        source="test",
        info={"observation_end": "2024-01-31"},
    )


def test_pseudonymize_all_tables_joins_preserved_no_raw_values():
    raw = _raw_data()
    out = pseudonymize(raw, key=KEY)
    assert isinstance(out, _WithTruth) and out.info["pseudonymized"] is True
    assert out.customers.columns.tolist() == ["customer_id", "region"]
    # Spend per region by join: west = a1 (5 + 7) + c3 (2) = 14, south = b2 (1).
    for data in (raw, out):
        joined = data.transactions.merge(data.customers, on="customer_id", validate="m:1")
        assert joined.groupby("region")["amount"].sum().to_dict() == {"south": 1.0, "west": 14.0}
    assert out.truth["customer_id"].tolist() == [
        _expected_pseudonym("c3"),
        _expected_pseudonym("a1"),
    ]
    raw_values = [*raw.customers["customer_id"], *raw.customers["name"], *raw.customers["email"]]
    for table in (out.customers, out.transactions, out.truth):
        assert_no_pii(table, raw_values)
    assert raw.customers["customer_id"].tolist() == ["a1", "b2", "c3"]
    assert "email" in raw.customers


def test_assert_no_pii_finds_values_in_frames_and_text():
    frame = pd.DataFrame({"customer_id": ["cust_1", "a1"], "n": [1, 2]})
    with pytest.raises(AssertionError, match="1 raw identifying values"):
        assert_no_pii(frame, ["a1", "zz", None, ""])
    assert_no_pii(frame, ["a", "zz"])  # exact cells: "a" alone is not an id here
    with pytest.raises(AssertionError):
        assert_no_pii("<td>ann@x.org</td>", ["ann@x.org"])
    assert_no_pii("<td>cust_1</td>", ["ann@x.org"])
    with pytest.raises(AssertionError):
        assert_no_pii(frame.set_index("customer_id"), ["a1"])


def _segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["a", "b", "c", "d"],
            "customers": [50, 3, 4, 20],
            "revenue": [500.0, 30.0, 60.0, 100.0],
            "mean_spend": [10.0, 10.0, 15.0, 5.0],
        }
    )


def test_small_groups_merged_into_other_with_sums_and_shares():
    out = suppress_small_groups(
        _segments(),
        count_col="customers",
        min_size=5,
        label_col="segment",
        sum_cols=["revenue"],
        share_col="share",
    )
    # b (3) and c (4) are below 5: merged into one row of 7 customers and 30 + 60 = 90
    # revenue; shares over 50 + 3 + 4 + 20 = 77 customers.
    assert out["segment"].tolist() == ["a", "d", "other (small groups)"]
    assert out["customers"].tolist() == [50.0, 20.0, 7.0]
    assert out["revenue"].tolist() == [500.0, 100.0, 90.0]
    assert out["share"].tolist() == pytest.approx([50 / 77, 20 / 77, 7 / 77])
    assert out["merged_groups"].tolist() == [1, 1, 2]
    assert out["suppressed"].tolist() == [False, False, False]
    assert np.isnan(out["mean_spend"].iloc[2])


def test_merged_row_below_min_size_is_suppressed():
    table = _segments().iloc[[0, 1]]
    out = suppress_small_groups(
        table,
        count_col="customers",
        min_size=5,
        label_col="segment",
        sum_cols=["revenue"],
        share_col="share",
    )
    # Only b (3) is small; 3 < 5 even after merging, so its values are blanked.
    other = out.iloc[1]
    assert other["segment"] == "other (small groups)" and bool(other["suppressed"])
    assert np.isnan(other["customers"]) and np.isnan(other["revenue"])
    assert np.isnan(other["share"])
    assert out["share"].iloc[0] == pytest.approx(50 / 53)


def test_no_small_groups_leaves_rows_and_flags_them_published():
    out = suppress_small_groups(_segments(), count_col="customers", min_size=3, label_col="segment")
    assert out["segment"].tolist() == ["a", "b", "c", "d"]
    assert out["customers"].tolist() == [50.0, 3.0, 4.0, 20.0]
    assert not out["suppressed"].any()


def test_suppress_small_groups_bad_input():
    with pytest.raises(DataValidationError, match="missing \\['size'\\]"):
        suppress_small_groups(_segments(), count_col="size", min_size=5, label_col="segment")
    negative = _segments().assign(customers=[50, -1, 4, 20])
    with pytest.raises(DataValidationError, match="column 'customers'.*Examples: -1"):
        suppress_small_groups(negative, count_col="customers", min_size=5, label_col="segment")


@pytest.mark.datasets
def test_pseudonyms_of_real_cdnow_ids_are_distinct(datasets_dir):
    raw = pd.read_csv(datasets_dir / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": "str"})
    out = pseudonymize_ids(raw["customer_id"], key=KEY)
    # The README: a cohort of 23,570 customers; 16 hex characters (64 bits) leave
    # no collision among them, so the number of distinct ids is unchanged.
    assert raw["customer_id"].nunique() == out.nunique() == 23_570
    assert_no_pii(out, raw["customer_id"].unique())


def test_assert_no_pii_ignores_row_numbers_but_not_other_indexes():
    ids = pd.Series(["cust_x", "cust_y", "cust_z"])
    assert_no_pii(ids, ["0", "1", "2"])  # RangeIndex labels are row numbers
    with pytest.raises(AssertionError):
        assert_no_pii(ids.set_axis(["7", "8", "9"]), ["8"])


def test_pseudonymize_synthetic_data_end_to_end():
    synthetic = pytest.importorskip("marketing_utils.datasets.synthetic")
    raw = synthetic.make_synthetic(300, seed=3, dirty=False)
    out = pseudonymize(raw, key=KEY)
    assert not {"name", "email", "phone", "address"} & set(out.customers.columns)
    identifiers = [raw.customers[column] for column in ("customer_id", "name", "email", "phone")]
    raw_values = pd.concat(identifiers).dropna().unique()
    for table in (out.customers, out.transactions, out.campaign, out.truth):
        assert_no_pii(table, raw_values)
    # Same mapping in every table: the truth rows still line up with customers,
    # and every transaction still finds its customer.
    assert out.truth["customer_id"].tolist() == out.customers["customer_id"].tolist()
    assert out.transactions["customer_id"].isin(out.customers["customer_id"]).all()
    assert out.defects == raw.defects


@pytest.mark.parametrize(
    "text",
    [
        "GIFT CARD 5012345678900",  # an EAN-13 barcode
        "ISBN 978-3-16-148410-0",
        "SIZES 36 38 40 42 44",
        "CALENDAR 2010 2011 2012",
        "SKU 123-456-789",
        "DECORATION AT XMAS. NEW",
        "SET 6@1.25",
        "UNION JACK FLAG",
        "Paul Smith shirt",
    ],
)
def test_real_product_text_is_not_contact_data(text):
    from marketing_utils.privacy import contact_data_in

    assert contact_data_in(pd.Series([text, "PAPER CHAIN KIT 50'S CHRISTMAS"])) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Gift for Jean <jean.dupont1@example.com>", "e-mail addresses"),
        ("call 06 01 00 07 13 to book", "phone numbers"),
        ("ring +44 7700 900123", "phone numbers"),
    ],
)
def test_contact_data_in_product_text_is_found(text, kind):
    from marketing_utils.privacy import contact_data_in

    assert contact_data_in(pd.Series([text, "UNION JACK FLAG"]))[:2] == (kind, 1)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("5", "*"), ("05", "**"), ("1234", "****"), ("C000001", "C0***01"), ("a@b.fr", "*@*.fr"),
     ("anna.smith@example.com", "an**.*****@e******.com")],
)  # fmt: skip
def test_mask_value_shows_nothing_of_a_short_value(value, masked):
    from marketing_utils.privacy import mask_value

    assert mask_value(value) == masked
