"""Loaders of the public datasets: real files (via ``datasets_dir``) and small hand-made ones.

The counts asserted on the real files come from /work/shared/datasets/README.md
(checked there with pandas) or are recounted here with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets.public import load_bank_marketing, load_cdnow, load_hillstrom
from marketing_utils.errors import DataValidationError

BANK_ADDITIONAL_HEADER = (
    '"age";"job";"marital";"education";"default";"housing";"loan";"contact";"month";'
    '"day_of_week";"duration";"campaign";"pdays";"previous";"poutcome";"emp.var.rate";'
    '"cons.price.idx";"cons.conf.idx";"euribor3m";"nr.employed";"y"'
)
BANK_ADDITIONAL_ROWS = [
    '56;"housemaid";"married";"basic.4y";"no";"no";"no";"telephone";"may";"mon";261;1;999;0;'
    '"nonexistent";1.1;93.994;-36.4;4.857;5191;"no"',
    '37;"services";"married";"high.school";"no";"yes";"no";"telephone";"may";"tue";226;2;6;1;'
    '"success";-1.8;92.893;-46.2;1.313;5099.1;"yes"',
    '41;"admin.";"single";"university.degree";"unknown";"no";"yes";"cellular";"jun";"fri";0;3;'
    '999;0;"nonexistent";1.4;94.465;-41.8;4.866;5228.1;"no"',
]

HILLSTROM_HEADER = (
    "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,"
    "conversion,spend"
)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- Bank Marketing ---------------------------------------------------------------------------


@pytest.mark.datasets
def test_bank_full_real_file_counts_and_leakage(datasets_dir):
    data = load_bank_marketing(datasets_dir / "bank-full.csv")
    assert len(data.customers) == 45_211
    assert len(data.campaign) == 45_211
    assert int(data.campaign["response"].sum()) == 5_289
    assert set(data.campaign["treatment"]) == {1}
    assert "duration" not in data.campaign.columns
    assert "duration" not in data.customers.columns
    assert data.customers["customer_id"].iloc[[0, -1]].tolist() == ["bank-000001", "bank-045211"]
    assert data.customers["customer_id"].is_unique
    assert data.campaign["customer_id"].equals(data.customers["customer_id"])
    assert pd.api.types.is_integer_dtype(data.customers["age"])
    # First data row of the file: 58;"management";...;2143;...;5;"may";261;1;-1;0;"unknown";"no"
    first = data.customers.iloc[0]
    assert (first["age"], first["job"], first["balance"]) == (58, "management", 2143)
    contact = data.campaign.iloc[0]
    assert (contact["day"], contact["month"], contact["pdays"], contact["response"]) == (
        5,
        "may",
        -1,
        0,
    )
    assert data.info["label"] == "response"
    assert data.info["leakage_excluded"] == ["duration"]
    assert data.info["variant"] == "bank-full"
    assert "duration" in data.info["note"]
    assert data.source == "bank_marketing"


@pytest.mark.datasets
def test_bank_full_include_duration_keeps_the_leaky_column(datasets_dir):
    data = load_bank_marketing(datasets_dir / "bank-full.csv", include_duration=True)
    assert data.campaign["duration"].iloc[0] == 261
    assert data.info["leakage_excluded"] == []


def test_bank_additional_variant_is_detected_from_the_header(tmp_path):
    path = tmp_path / "bank-additional-full.csv"
    path.write_text("\n".join([BANK_ADDITIONAL_HEADER, *BANK_ADDITIONAL_ROWS]) + "\n")
    data = load_bank_marketing(path)

    assert data.info["variant"] == "bank-additional"
    assert data.customers["customer_id"].tolist() == ["bank-000001", "bank-000002", "bank-000003"]
    assert data.campaign["response"].tolist() == [0, 1, 0]
    assert data.campaign["treatment"].tolist() == [1, 1, 1]
    assert "balance" not in data.customers.columns
    assert data.customers["age"].tolist() == [56, 37, 41]
    assert data.campaign["day_of_week"].tolist() == ["mon", "tue", "fri"]
    # Dotted names become underscores; the values are the file's.
    assert data.campaign["emp_var_rate"].tolist() == [1.1, -1.8, 1.4]
    assert data.campaign["nr_employed"].tolist() == [5191.0, 5099.1, 5228.1]
    assert not [name for name in data.campaign.columns if "." in name]
    assert "duration" not in data.campaign.columns
    assert "999" in data.info["note"]


def test_bank_marketing_rejects_a_label_other_than_yes_no(tmp_path):
    assert BANK_ADDITIONAL_ROWS[2].endswith(';"no"')
    rows = [*BANK_ADDITIONAL_ROWS[:2], BANK_ADDITIONAL_ROWS[2].removesuffix('"no"') + '"maybe"']
    path = tmp_path / "bank-additional.csv"
    path.write_text("\n".join([BANK_ADDITIONAL_HEADER, *rows]) + "\n")
    with pytest.raises(DataValidationError) as caught:
        load_bank_marketing(path)
    message = str(caught.value)
    assert str(path) in message
    assert "column 'y'" in message
    assert "'maybe'" in message


def test_bank_marketing_names_a_missing_column(tmp_path):
    header = BANK_ADDITIONAL_HEADER.replace('"euribor3m";', "")
    row = BANK_ADDITIONAL_ROWS[0].replace("4.857;", "")
    path = tmp_path / "bank-additional.csv"
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(DataValidationError, match="column 'euribor3m'"):
        load_bank_marketing(path)


# --- Hillstrom --------------------------------------------------------------------------------


def _count_hillstrom(path: Path) -> dict[str, int]:
    """Independent recount with the csv module (no pandas)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "rows": len(rows),
        "visits": sum(row["visit"] == "1" for row in rows),
        "conversions": sum(row["conversion"] == "1" for row in rows),
        "spend": sum(float(row["spend"]) for row in rows),
    }


@pytest.mark.datasets
def test_hillstrom_real_file_arms_and_responses(datasets_dir):
    path = datasets_dir / "hillstrom.csv"
    data = load_hillstrom(path)
    counted = _count_hillstrom(path)

    assert len(data.customers) == len(data.campaign) == 64_000 == counted["rows"]
    assert data.campaign["arm"].value_counts().to_dict() == {
        "mens": 21_307,
        "womens": 21_387,
        "control": 21_306,
    }
    assert int(data.campaign["treatment"].sum()) == 21_307 + 21_387
    assert (data.campaign.loc[data.campaign["arm"] == "control", "treatment"] == 0).all()
    assert int(data.campaign["response"].sum()) == counted["visits"]
    assert data.campaign["spend"].sum() == pytest.approx(counted["spend"])
    assert data.info == {
        "arms": ["mens", "womens", "control"],
        "control": "control",
        "response": "visit",
        "note": data.info["note"],
    }
    # CRLF line ends must not leak into values, and the last line (no final newline) is read.
    assert set(data.customers["channel"]) == {"Phone", "Web", "Multichannel"}
    last_customer = data.customers.iloc[-1]
    assert last_customer["customer_id"] == "hill-064000"
    assert last_customer["history"] == pytest.approx(472.82)
    assert (last_customer["zip_code"], last_customer["channel"]) == ("Surburban", "Web")
    assert data.campaign.iloc[-1][["arm", "treatment", "spend"]].tolist() == ["mens", 1, 0.0]


@pytest.mark.datasets
def test_hillstrom_conversion_as_response(datasets_dir):
    path = datasets_dir / "hillstrom.csv"
    data = load_hillstrom(path, response="conversion")
    assert int(data.campaign["response"].sum()) == _count_hillstrom(path)["conversions"]
    assert data.info["response"] == "conversion"


def test_hillstrom_small_crlf_file_without_final_newline(tmp_path):
    lines = [
        HILLSTROM_HEADER,
        "10,2) $100 - $200,142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0",
        "6,3) $200 - $350,329.08,1,1,Rural,1,Web,No E-Mail,1,1,29.99",
        "7,2) $100 - $200,180.65,0,1,Surburban,1,Web,Mens E-Mail,1,0,0",
    ]
    path = _write_bytes(tmp_path / "hill.csv", "\r\n".join(lines).encode())
    data = load_hillstrom(path)
    assert data.campaign["arm"].tolist() == ["womens", "control", "mens"]
    assert data.campaign["treatment"].tolist() == [1, 0, 1]
    assert data.campaign["response"].tolist() == [0, 1, 1]
    assert data.campaign["spend"].tolist() == [0.0, 29.99, 0.0]
    assert data.customers["channel"].tolist() == ["Phone", "Web", "Web"]
    assert data.capabilities() >= {"campaign.treatment", "campaign.response", "customers"}

    conversion = load_hillstrom(path, response="conversion")
    assert conversion.campaign["response"].tolist() == [0, 1, 0]


def test_hillstrom_rejects_an_unknown_response_parameter(tmp_path):
    with pytest.raises(DataValidationError) as caught:
        load_hillstrom(tmp_path / "never-read.csv", response="spend")
    message = str(caught.value)
    assert "parameter 'response'" in message
    assert "'spend'" in message and "'visit'" in message and "'conversion'" in message


def test_hillstrom_rejects_an_unknown_arm(tmp_path):
    lines = [HILLSTROM_HEADER, "10,2) $100 - $200,142.44,1,0,Urban,0,Phone,Kids E-Mail,0,0,0"]
    path = _write_bytes(tmp_path / "hill.csv", "\r\n".join(lines).encode())
    with pytest.raises(DataValidationError) as caught:
        load_hillstrom(path)
    assert "column 'segment'" in str(caught.value)
    assert "'Kids E-Mail'" in str(caught.value)


# --- CDNOW ------------------------------------------------------------------------------------


@pytest.mark.datasets
def test_cdnow_real_file(datasets_dir):
    data = load_cdnow(datasets_dir / "CDNOW_master.txt")
    tx = data.transactions
    assert data.customers is None and data.campaign is None
    assert len(tx) == 69_659
    assert tx["customer_id"].nunique() == 23_570
    assert int((tx["amount"] == 0).sum()) == 80
    assert tx["timestamp"].min() == pd.Timestamp("1997-01-01")
    assert tx["timestamp"].max() == pd.Timestamp("1998-06-30")
    assert tx["timestamp"].dtype == "datetime64[ns]"
    assert tx["order_id"].is_unique
    assert data.info["observation_end"] == "1998-06-30"
    # Leading zeros kept: the first customer is 00001 and all ids have five digits.
    assert tx["customer_id"].iloc[0] == "00001"
    assert tx["customer_id"].str.fullmatch(r"\d{5}").all()
    # Third data row of the file: "00002 19970112 5 77.00" → 77.00 / 5 CDs.
    assert tx.iloc[2][["quantity", "amount", "unit_price"]].tolist() == [5.0, 77.0, 15.4]
    assert "transactions" in data.capabilities()


def test_cdnow_small_file_unit_price_and_zero_quantity(tmp_path):
    # A row with 0 CDs and a positive amount must give a missing unit price, not infinity.
    text = (
        "customer_id date number_of_cds dollar_value\r\n"
        "  00001   19970101   2   30.00\r\n"
        "  00042   19970215   0    5.00\r\n"
        "  00042   19980630   3   10.50"
    )
    path = _write_bytes(tmp_path / "cdnow.txt", text.encode())
    tx = load_cdnow(path).transactions
    assert tx["customer_id"].tolist() == ["00001", "00042", "00042"]
    assert tx["timestamp"].dt.strftime("%Y-%m-%d").tolist() == [
        "1997-01-01",
        "1997-02-15",
        "1998-06-30",
    ]
    np.testing.assert_allclose(tx["unit_price"], [15.0, np.nan, 3.5])
    assert tx["amount"].tolist() == [30.0, 5.0, 10.5]
    assert tx["quantity"].tolist() == [2.0, 0.0, 3.0]
    assert tx["order_id"].tolist() == ["cdnow-000001", "cdnow-000002", "cdnow-000003"]


def test_cdnow_rejects_a_bad_date(tmp_path):
    text = "customer_id date number_of_cds dollar_value\n 00001 19971301 1 11.77\n"
    path = _write_bytes(tmp_path / "cdnow.txt", text.encode())
    with pytest.raises(DataValidationError) as caught:
        load_cdnow(path)
    message = str(caught.value)
    assert str(path) in message and "column 'date'" in message and "'19971301'" in message


def test_loaders_name_a_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    for loader in (load_bank_marketing, load_hillstrom, load_cdnow):
        with pytest.raises(DataValidationError, match="nope.csv"):
            loader(missing)
