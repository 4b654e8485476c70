"""Loading your own CSV/Parquet files: mapping, type coercion and every validation error.

Every file is written by the test into ``tmp_path``; expected values are worked
out by hand from the rows written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.files import load_files, load_table_file, validate_raw_table
from marketing_utils.errors import DataValidationError

RETAIL_MAPPING = {
    "customer_id": "Customer ID",
    "timestamp": "InvoiceDate",
    "order_id": "Invoice",
    "product_id": "StockCode",
    "quantity": "Quantity",
    "unit_price": "Price",
}
# A typical retail export: cancellations prefixed "C", rows without a customer id,
# ids written as floats, and accented descriptions in Latin-1.
RETAIL_EXPORT = (
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\r\n"
    "489434,85048,CRÈME BRÛLÉE SET,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\r\n"
    "489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom\r\n"
    "489435,22350,CAFÉ MUG,4,2009-12-01 07:46:00,2.55,,United Kingdom\r\n"
    "C489449,22087,PAPER BUNTING WHITE LACE,-12,2009-12-01 10:33:00,2.95,16321.0,Australia\r\n"
    "489436,21755,LOVE BUILDING BLOCK WORD,18,2009-12-01 09:06:00,5.45,13078,France\r\n"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _raises(call, *, path: Path, column: str | None, problem: str) -> str:
    """Run ``call`` and check the message names the file, the column and the problem."""
    with pytest.raises(DataValidationError) as caught:
        call()
    message = str(caught.value)
    assert str(path) in message
    if column is not None:
        assert f"column '{column}'" in message
    assert problem in message
    return message


# --- The realistic retail export ----------------------------------------------------------------


def test_retail_export_loads_with_only_a_mapping(tmp_path):
    path = _write(tmp_path / "online_retail.csv", RETAIL_EXPORT, encoding="latin-1")
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    data = load_files(
        transactions={
            "path": path,
            "columns": RETAIL_MAPPING,
            "encoding": "latin-1",
            "cancelled_prefix": "C",
            "keep_columns": ["Description", "Country"],
        }
    )
    tx = data.transactions

    assert len(tx) == 5  # nothing dropped: cancellations and missing ids are kept
    assert list(tx.columns[:8]) == [
        "customer_id",
        "timestamp",
        "order_id",
        "product_id",
        "quantity",
        "unit_price",
        "amount",
        "is_cancelled",
    ]
    assert {"Description", "Country"} <= set(tx.columns)
    assert tx["customer_id"].tolist()[:2] == ["13085", "13085"]
    assert pd.isna(tx["customer_id"].iloc[2])
    assert tx["customer_id"].tolist()[3:] == ["16321", "13078"]
    assert tx["is_cancelled"].tolist() == [False, False, False, True, False]
    assert tx["Description"].tolist()[0] == "CRÈME BRÛLÉE SET"
    assert tx["Description"].tolist()[2] == "CAFÉ MUG"
    assert tx["product_id"].tolist()[1] == "79323P"
    # amount = quantity * unit_price: 12 * 6.95 = 83.4, 4 * 2.55 = 10.2, -12 * 2.95 = -35.4
    np.testing.assert_allclose(tx["amount"], [83.4, 81.0, 10.2, -35.4, 98.1])
    assert tx["timestamp"].iloc[3] == pd.Timestamp("2009-12-01 10:33:00")
    assert tx["timestamp"].dtype == "datetime64[ns]"
    assert tx["quantity"].dtype == "float64"
    assert data.info["observation_end"] == "2009-12-01"
    assert data.info["observation_end_inferred"] is True
    assert data.capabilities() == {"transactions", "transactions.product_id"}
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before  # never written


def test_retail_export_as_utf8_with_bom(tmp_path):
    path = _write(tmp_path / "retail.csv", "\ufeff" + RETAIL_EXPORT)
    tx = load_table_file(path, "transactions", columns=RETAIL_MAPPING, keep_columns=["Description"])
    assert tx["order_id"].iloc[0] == "489434"
    assert tx["Description"].iloc[0] == "CRÈME BRÛLÉE SET"


def test_bom_is_dropped_from_the_header_under_a_single_byte_encoding(tmp_path):
    # Read as latin-1, a UTF-8 byte-order mark would otherwise become "ï»¿customer_id".
    text = "\ufeffcustomer_id,timestamp,amount\na,2024-01-01,1\n"
    tx = load_table_file(_write(tmp_path / "tx.csv", text), "transactions", encoding="latin-1")
    assert tx["customer_id"].tolist() == ["a"]


def test_retail_export_as_parquet_with_float_ids(tmp_path):
    frame = pd.DataFrame(
        {
            "Invoice": ["1", "C2"],
            "InvoiceDate": pd.to_datetime(["2024-03-01 10:00", "2024-03-02 11:30"]),
            "Customer ID": [13085.0, np.nan],
            "Quantity": [2, -1],
            "Price": [1.5, 4.0],
        }
    )
    path = tmp_path / "retail.parquet"
    frame.to_parquet(path)
    mapping = {key: RETAIL_MAPPING[key] for key in RETAIL_MAPPING if key != "product_id"}
    tx = load_table_file(path, "transactions", columns=mapping, cancelled_prefix="C")
    assert tx["customer_id"].iloc[0] == "13085"
    assert pd.isna(tx["customer_id"].iloc[1])
    assert tx["amount"].tolist() == [3.0, -4.0]
    assert tx["is_cancelled"].tolist() == [False, True]
    assert tx["timestamp"].iloc[1] == pd.Timestamp("2024-03-02 11:30")


# --- Mapping, types and tables -----------------------------------------------------------------


def test_canonical_names_are_used_as_is_and_other_columns_kept_when_asked(tmp_path):
    text = "customer_id,timestamp,amount,note\n007,2024-01-05,10.5,first\n008,,3,second\n"
    path = _write(tmp_path / "tx.csv", text)
    assert "note" not in load_table_file(path, "transactions")  # not named: dropped
    tx = load_table_file(path, "transactions", keep_columns=["note"])
    assert tx["customer_id"].tolist() == ["007", "008"]  # leading zeros kept
    assert tx["amount"].tolist() == [10.5, 3.0]
    assert tx["note"].tolist() == ["first", "second"]
    # An empty date is left as NaT for cleaning, not an error.
    assert tx["timestamp"].iloc[0] == pd.Timestamp("2024-01-05")
    assert pd.isna(tx["timestamp"].iloc[1])


def test_customers_with_pii_dates_and_a_date_format(tmp_path):
    text = (
        "Id;Name;Phone;Born;Income\n"
        "a1;Ana Lopes;0612345678;31/12/1980;1.234,50\n"
        "a2;Bo Chen;0698765432;01/02/1995;980\n"
    )
    customers = load_table_file(
        _write(tmp_path / "customers.csv", text),
        "customers",
        columns={
            "customer_id": "Id",
            "name": "Name",
            "phone": "Phone",
            "birth_date": "Born",
            "income": "Income",
        },
        delimiter=";",
        date_format="%d/%m/%Y",
        decimal=",",
        thousands=".",
    )
    assert list(customers.columns) == ["customer_id", "birth_date", "income", "name", "phone"]
    assert customers["phone"].tolist() == ["0612345678", "0698765432"]  # kept raw, as text
    assert customers["birth_date"].tolist() == [
        pd.Timestamp("1980-12-31"),
        pd.Timestamp("1995-02-01"),
    ]
    assert customers["income"].tolist() == [1234.5, 980.0]


def test_utc_offsets_are_converted_to_utc(tmp_path):
    text = (
        "customer_id,timestamp,amount\n"
        "a,2024-01-01T10:00:00+01:00,1\n"
        "b,2024-01-01T10:00:00+02:00,2\n"
    )
    tx = load_table_file(_write(tmp_path / "tx.csv", text), "transactions")
    assert tx["timestamp"].tolist() == [
        pd.Timestamp("2024-01-01 09:00"),
        pd.Timestamp("2024-01-01 08:00"),
    ]
    one_offset = text.replace("+02:00", "+01:00")
    tx = load_table_file(_write(tmp_path / "tx1.csv", one_offset), "transactions")
    assert tx["timestamp"].tolist() == [pd.Timestamp("2024-01-01 09:00")] * 2


def test_load_files_with_several_tables_and_an_observation_end(tmp_path):
    customers = _write(tmp_path / "c.csv", "customer_id,region\n1,north\n2,south\n")
    campaign = _write(
        tmp_path / "k.csv", "customer_id,treatment,response,spend\n1,1,0,2.5\n2,0,1,0\n"
    )
    data = load_files(
        customers={"path": customers},
        campaign={"path": str(campaign)},
        observation_end="2024-06-30",
    )
    assert data.source == "files"
    assert data.info["observation_end"] == "2024-06-30"
    assert data.info["observation_end_inferred"] is False
    assert data.info["files"] == {"customers": str(customers), "campaign": str(campaign)}
    assert data.campaign["treatment"].dtype == "int64"
    assert data.campaign["treatment"].tolist() == [1, 0]
    assert data.customers["customer_id"].tolist() == ["1", "2"]
    assert data.capabilities() == {
        "customers",
        "campaign",
        "campaign.treatment",
        "campaign.response",
    }


def test_validate_raw_table_does_not_mutate_its_input():
    frame = pd.DataFrame({"customer_id": ["a"], "treatment": ["1"], "response": [0.0]})
    out = validate_raw_table(frame, "campaign", where="campaign table")
    assert out["treatment"].dtype == "int64"
    assert frame["treatment"].tolist() == ["1"]
    bad = pd.DataFrame({"customer_id": ["a"], "treatment": ["x"], "response": [0]})
    with pytest.raises(DataValidationError, match="campaign table, column 'treatment'"):
        validate_raw_table(bad, "campaign", where="campaign table")


# --- One test per bad input ----------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = _write(tmp_path / "tx.csv", "")
    _raises(
        lambda: load_table_file(path, "transactions"), path=path, column=None, problem="empty file"
    )


def test_header_only(tmp_path):
    path = _write(tmp_path / "tx.csv", "customer_id,timestamp,amount\n")
    message = _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column=None,
        problem="found only a header",
    )
    assert "'customer_id', 'timestamp', 'amount'" in message


def test_wrong_delimiter_names_the_one_to_set(tmp_path):
    path = _write(tmp_path / "tx.csv", "customer_id;timestamp;amount\na;2024-01-01;1\n")
    _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="customer_id;timestamp;amount",
        problem="set the option delimiter=';'",
    )
    assert len(load_table_file(path, "transactions", delimiter=";")) == 1


def test_wrong_encoding_suggests_latin1(tmp_path):
    path = _write(tmp_path / "retail.csv", RETAIL_EXPORT, encoding="latin-1")
    message = _raises(
        lambda: load_table_file(path, "transactions", columns=RETAIL_MAPPING),
        path=path,
        column="Description",
        problem="`encoding` option, e.g. encoding='latin-1'",
    )
    assert "line 2:" in message  # the first accented row


def test_missing_required_column_lists_columns_and_mapping(tmp_path):
    path = _write(tmp_path / "tx.csv", "Customer,Date,Total\na,2024-01-01,1\n")
    message = _raises(
        lambda: load_table_file(path, "transactions", columns={"customer_id": "Customer"}),
        path=path,
        column="timestamp",
        problem="['timestamp', 'amount']",
    )
    assert "['Customer', 'Date', 'Total']" in message
    assert "{'customer_id': 'Customer'}" in message


def test_amount_is_satisfied_by_quantity_and_unit_price_only(tmp_path):
    path = _write(tmp_path / "tx.csv", "customer_id,timestamp,quantity\na,2024-01-01,2\n")
    _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="amount",
        problem="required 'transactions' column(s) ['amount']",
    )


def test_mapped_source_column_absent(tmp_path):
    path = _write(tmp_path / "tx.csv", "CustomerID,timestamp,amount\na,2024-01-01,1\n")
    _raises(
        lambda: load_table_file(path, "transactions", columns={"customer_id": "Customer ID"}),
        path=path,
        column="Customer ID",
        problem="names a column the file does not have",
    )


def test_unknown_canonical_name_in_mapping(tmp_path):
    path = _write(tmp_path / "tx.csv", "customer_id,timestamp,amount,Cost\na,2024-01-01,1,2\n")
    message = _raises(
        lambda: load_table_file(path, "transactions", columns={"unit_prise": "Cost"}),
        path=path,
        column=None,
        problem="unknown canonical names",
    )
    assert "'unit_prise'" in message


def test_unparseable_dates_are_listed(tmp_path):
    text = "customer_id,timestamp,amount\na,2024-01-01,1\nb,12/31/2024,2\nc,,3\nd,yesterday,4\n"
    path = _write(tmp_path / "tx.csv", text)
    message = _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="timestamp",
        problem="found 2 value(s) that do not parse",
    )
    assert "'12/31/2024', 'yesterday'" in message
    assert "date_format" in message


@pytest.mark.parametrize("value", ['"1,234.50"', "12 EUR"])
def test_non_numeric_amount_suggests_thousands_and_decimal(tmp_path, value):
    path = _write(tmp_path / "tx.csv", f"customer_id,timestamp,amount\na,2024-01-01,{value}\n")
    message = _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="amount",
        problem="`thousands` option",
    )
    assert value.strip('"') in message
    assert "decimal" in message


@pytest.mark.parametrize(("value", "symbols"), [("$12", "$"), ('"£1,200"', "£"), ("12€", "€")])
def test_currency_symbols_are_refused_by_name(tmp_path, value, symbols):
    text = f"customer_id,timestamp,amount\na,2024-01-01,{value}\nb,2024-01-01,3\n"
    path = _write(tmp_path / "tx.csv", text)
    message = _raises(
        lambda: load_table_file(path, "transactions", thousands=","),
        path=path,
        column="amount",
        problem=f"found 1 value(s) with a currency symbol ({symbols})",
    )
    assert f"Examples: {value.strip(chr(34))!r}." in message


def test_thousands_option_loads_the_same_file(tmp_path):
    text = 'customer_id,timestamp,amount\na,2024-01-01,"1,234.50"\nb,2024-01-02,7\n'
    tx = load_table_file(_write(tmp_path / "tx.csv", text), "transactions", thousands=",")
    assert tx["amount"].tolist() == [1234.5, 7.0]


def test_non_numeric_quantity(tmp_path):
    text = "customer_id,timestamp,quantity,unit_price\na,2024-01-01,two,1.5\n"
    path = _write(tmp_path / "tx.csv", text)
    _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="quantity",
        problem="expected numbers",
    )


def test_duplicate_customer_ids(tmp_path):
    path = _write(tmp_path / "c.csv", "customer_id,region\n1,n\n2,s\n1,e\n3,w\n3,w\n")
    message = _raises(
        lambda: load_table_file(path, "customers"),
        path=path,
        column="customer_id",
        problem="found 2 customer ids on several rows",
    )
    assert "'1', '3'" in message


@pytest.mark.parametrize(("column", "bad"), [("treatment", "2"), ("response", "yes")])
def test_treatment_and_response_must_be_zero_or_one(tmp_path, column, bad):
    values = {"treatment": "1", "response": "0"} | {column: bad}
    text = f"customer_id,treatment,response\na,1,0\nb,{values['treatment']},{values['response']}\n"
    path = _write(tmp_path / "k.csv", text)
    message = _raises(
        lambda: load_table_file(path, "campaign"),
        path=path,
        column=column,
        problem="expected 0 or 1",
    )
    assert repr(bad) in message


def test_load_files_rejects_unknown_options_and_nothing_to_load(tmp_path):
    path = _write(tmp_path / "tx.csv", "customer_id,timestamp,amount\na,2024-01-01,1\n")
    with pytest.raises(DataValidationError, match="parameter 'transactions'.*'delimeter'"):
        load_files(transactions={"path": path, "delimeter": ";"})
    with pytest.raises(DataValidationError, match="at least one table"):
        load_files()


def test_a_semicolon_file_read_with_commas_names_the_delimiter_and_shows_no_row(tmp_path):
    # The decimal commas split each row into more fields than the one-column header.
    text = "contact;amount;customer_id;timestamp\njean.dupont@example.com;1,5;A;2024-01-01\n"
    path = _write(tmp_path / "tx.csv", text)
    message = _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column="contact;amount;customer_id;timestamp",
        problem="set the option delimiter=';'",
    )
    assert "jean.dupont" not in message and "example.com" not in message


def test_rows_longer_than_the_header_are_not_read_as_an_index(tmp_path):
    # pandas would silently use the surplus leading fields as the index and shift the values.
    path = _write(tmp_path / "tx.csv", "customer_id,timestamp,amount\na,2024-01-01,1,5,6\n")
    _raises(
        lambda: load_table_file(path, "transactions"),
        path=path,
        column=None,
        problem="expected at most 3 fields per row",
    )


def test_unmapped_columns_are_dropped_and_listed_unless_kept(tmp_path):
    path = tmp_path / "customers.csv"
    pd.DataFrame(
        {"customer_id": ["A1", "A2"], "region": ["north", "south"], "loyalty": ["gold", "none"]}
    ).to_csv(path, index=False)
    data = load_files(customers={"path": path})
    assert list(data.customers.columns) == ["customer_id", "region"]
    assert data.info["dropped_columns"] == {"customers": ["loyalty"]}
    kept = load_files(customers={"path": path, "keep_columns": ["loyalty"]})
    assert kept.customers["loyalty"].tolist() == ["gold", "none"]


@pytest.mark.parametrize(
    ("values", "kind", "example"),
    [
        (["anna.smith@example.com", "-"], "e-mail addresses", "an**.*****@e******.com"),
        (["+33 6 12 34 56 78", "-"], "phone numbers", "+3* * ** ** ** 78"),
        (["called Maria about the order", "-"], "personal names", "ca**** ***** ***** *** *****"),
        (["Mr Smith", "-"], "personal names", "Mr *****"),
        (["06.01.00.07.13", "-"], "phone numbers", "06.**.**.**.13"),
        (["DUPONT JEAN", "-"], "personal names", "DU**** ****"),
        (["jean dupont", "-"], "personal names", "je** ******"),
        (["anna.smith at example.com", "-"], "e-mail addresses", "an**.***** ** *******.***"),
    ],
)
def test_kept_columns_with_personal_data_are_refused_with_a_masked_example(
    tmp_path, values, kind, example
):
    path = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["A1", "A2"], "notes": values}).to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        load_files(customers={"path": path, "keep_columns": ["notes"]})
    assert info.value.column == "notes"
    assert f"found {kind} in 1 row(s) (example, masked: {example!r})" in str(info.value)
    assert values[0] not in str(info.value)


def test_a_kept_phone_column_read_as_numbers_is_refused(tmp_path):
    # Written without quotes, the leading zero goes and the reader sees integers.
    path = _write(tmp_path / "customers.csv", "customer_id,tel\nA1,0601000713\nA2,0612345678\n")
    with pytest.raises(DataValidationError) as info:
        load_files(customers={"path": path, "keep_columns": ["tel"]})
    assert info.value.column == "tel"
    assert "found phone numbers (stored as numbers) in 2 row(s)" in str(info.value)
    assert "601000713" not in str(info.value)


def test_product_text_with_e_mails_or_phones_is_refused_but_names_pass(tmp_path):
    text = "customer_id,timestamp,amount,Description\n"
    rows = ["A1,2024-01-01,1,UNION JACK FLAG", "A2,2024-01-02,2,Paul Smith shirt"]
    clean = _write(tmp_path / "clean.csv", text + "\n".join(rows) + "\n")
    tx = load_table_file(clean, "transactions", columns={"description": "Description"})
    assert tx["description"].tolist() == ["UNION JACK FLAG", "Paul Smith shirt"]
    rows.append("A3,2024-01-03,3,Gift for Jean <jean.dupont1@example.com>")
    leaky = _write(tmp_path / "leaky.csv", text + "\n".join(rows) + "\n")
    message = _raises(
        lambda: load_table_file(leaky, "transactions", columns={"description": "Description"}),
        path=leaky,
        column="description",
        problem="expected product text without personal data, found e-mail addresses in 1 row(s)",
    )
    assert "jean.dupont1" not in message


def test_kept_columns_without_personal_data_pass(tmp_path):
    path = tmp_path / "customers.csv"
    values = ["2024-05-01 10:00", "United Kingdom", "WHITE HANGING HEART", "12345"]
    pd.DataFrame({"customer_id": ["A1", "A2", "A3", "A4"], "notes": values}).to_csv(
        path, index=False
    )
    data = load_files(customers={"path": path, "keep_columns": ["notes"]})
    assert data.customers["notes"].tolist() == values


def test_an_outcome_table_keeps_timestamps_and_city_names_it_was_not_asked_to_check(tmp_path):
    # Every column of a customer table with an outcome is kept without being named: the
    # narrow rules apply (no integer phones, no short names in capitals).
    path = _write(
        tmp_path / "customers.csv",
        "customer_id,churned,signup_unix,city\nA1,yes,1700000000,SAN JOSE\n"
        "A2,no,1700003600,ST PAUL\n",
    )
    data = load_files(customers={"path": path, "outcome": {"column": "churned", "positive": "yes"}})
    assert data.customers["city"].tolist() == ["SAN JOSE", "ST PAUL"]
    with pytest.raises(DataValidationError, match="found personal names"):
        load_files(customers={"path": path, "keep_columns": ["city"]})  # named: broad rules
