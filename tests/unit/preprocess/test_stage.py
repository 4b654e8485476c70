"""Stage 01 orchestration: labels aligned with features, cutoffs checked, ids pseudonymized."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess.ledger import ledger_against_injected
from marketing_utils.preprocess.stage import preprocess, resolve_cutoff, save_preprocessing
from marketing_utils.privacy import pseudonymize_ids
from marketing_utils.schema import MarketingData

KEY = b"k" * 32


def _transactions() -> pd.DataFrame:
    rows = [
        # customer, timestamp, amount
        ("a", "2024-01-05 10:00", 10.0),
        ("a", "2024-02-10 10:00", 20.0),
        ("a", "2024-03-03 09:00", 5.0),  # in the label window -> label 1
        ("b", "2024-01-20 12:00", 40.0),  # no purchase after the cutoff -> label 0
        ("c", "2024-02-25 08:00", 15.0),
        ("c", "2024-03-30 23:59", 15.0),  # last day of the window -> label 1
        ("d", "2024-03-10 10:00", 99.0),  # first purchase after the cutoff: not a feature row
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    frame["quantity"] = 1.0
    frame["unit_price"] = frame["amount"]
    return frame


def _data() -> MarketingData:
    return MarketingData(
        transactions=_transactions(), source="test", info={"observation_end": "2024-03-30"}
    )


def test_labels_follow_their_customers():
    result = preprocess(_data(), cutoff="2024-03-01", horizon_days=30, key=KEY)
    ids = dict(
        zip(pseudonymize_ids(pd.Series(["a", "b", "c"]), key=KEY), ["a", "b", "c"], strict=True)
    )
    labels = {
        ids[c]: y
        for c, y in zip(result.model_table["customer_id"], result.model_table["label"], strict=True)
    }
    assert labels == {"a": 1, "b": 0, "c": 1}
    assert result.label == {
        "kind": "purchase_in_horizon",
        "cutoff": "2024-03-01",
        "horizon_days": 30,
        "rate": 2 / 3,
        "positives": 2,
    }
    # Features see only the history: a's spend before the cutoff is 10 + 20.
    row = result.features.set_index("customer_id").loc[
        pseudonymize_ids(pd.Series(["a"]), key=KEY)[0]
    ]
    assert row["total_spend"] == 30.0 and row["frequency"] == 1


def test_rows_do_not_depend_on_the_key():
    first = preprocess(_data(), cutoff="2024-03-01", horizon_days=30, key=b"1" * 32).model_table
    second = preprocess(_data(), cutoff="2024-03-01", horizon_days=30, key=b"2" * 32).model_table
    assert not set(first["customer_id"]) & set(second["customer_id"])
    pd.testing.assert_frame_equal(
        first.drop(columns="customer_id"), second.drop(columns="customer_id")
    )


def test_auto_cutoff_ends_with_the_data():
    assert resolve_cutoff("auto", _data(), 30) == pd.Timestamp("2024-03-01")
    with_cutoff = _data().replace(info={"observation_end": "2024-03-30", "cutoff": "2024-02-15"})
    assert resolve_cutoff("auto", with_cutoff, 30) == pd.Timestamp("2024-02-15")


@pytest.mark.parametrize(
    ("cutoff", "horizon", "message"),
    [
        ("2023-12-01", 30, "expected a date after the first transaction \\(2024-01-05\\)"),
        (
            "2024-03-15",
            30,
            "the label window 2024-03-15 \\+ 30 days ends after the data \\(2024-03-30\\)",
        ),
        ("next week", 30, "expected an ISO date or 'auto', found 'next week'"),
    ],
)
def test_bad_cutoffs(cutoff, horizon, message):
    with pytest.raises(DataValidationError, match=message):
        preprocess(_data(), cutoff=cutoff, horizon_days=horizon, key=KEY)


def test_bad_engine_and_horizon():
    with pytest.raises(
        DataValidationError,
        match="preprocessing.engine: expected one of pandas, polars, dask, found 'spark'",
    ):
        preprocess(_data(), engine="spark", key=KEY)
    with pytest.raises(
        DataValidationError, match="horizon_days: expected a positive number of days, found 0"
    ):
        preprocess(_data(), horizon_days=0, key=KEY)


def test_campaign_label_excludes_outcomes():
    customers = pd.DataFrame(
        {"customer_id": ["x", "y", "z"], "age": [30, 40, 50], "name": ["A", "B", "C"]}
    )
    campaign = pd.DataFrame(
        {
            "customer_id": ["x", "y", "z"],
            "treatment": [1, 0, 1],
            "response": [1, 0, 0],
            "spend": [9.0, 0.0, 0.0],
            "visit": [1, 1, 0],
            "arm": ["m", "c", "w"],
        }
    )
    result = preprocess(MarketingData(customers=customers, campaign=campaign, source="t"), key=KEY)
    assert list(result.model_table.columns) == ["customer_id", "age", "arm", "label"]
    assert result.model_table["label"].tolist() == [1, 0, 0]  # ordered by the raw id x, y, z
    assert result.label["kind"] == "campaign_response"
    assert "name" not in result.clean.customers


def test_no_label_source_is_refused():
    customers = pd.DataFrame({"customer_id": ["x"], "age": [30]})
    with pytest.raises(
        DataValidationError, match="expected dated transactions or a campaign table"
    ):
        preprocess(MarketingData(customers=customers, source="t"), key=KEY)


def test_all_rows_cleaned_away_is_an_error_not_an_empty_table():
    # Every line has a non-positive price: 7 rows in, 7 removed for that reason.
    data = _data().replace(transactions=_transactions().assign(unit_price=0.0, amount=0.0))
    with pytest.raises(DataValidationError) as caught:
        preprocess(data, cutoff="2024-03-01", horizon_days=30, key=KEY)
    assert str(caught.value) == (
        "transactions: cleaning removed all 7 rows (by reason: {'nonpositive_price': 7}); "
        "expected some rows to survive: check the file against the cleaning rules in the ledger"
    )


def test_one_class_label_names_the_label_settings():
    # With the cutoff 2024-02-01 and 7 days, nobody of a, b, c buys in [Feb 1, Feb 8).
    with pytest.raises(DataValidationError) as caught:
        preprocess(_data(), cutoff="2024-02-01", horizon_days=7, key=KEY)
    assert str(caught.value) == (
        "label: expected both values 0 and 1 in the label (purchase within horizon_days=7 of "
        "the cutoff 2024-02-01), found only 0 for all 2 customers; choose another cutoff or "
        "horizon_days"
    )
    campaign = pd.DataFrame({"customer_id": ["x", "y"], "treatment": [1, 0], "response": [0, 0]})
    with pytest.raises(DataValidationError, match="found only 0 for all 2 customers"):
        preprocess(MarketingData(campaign=campaign, source="t"), key=KEY)


def test_a_single_customer_is_too_few():
    one = _transactions().query("customer_id == 'a'")
    data = _data().replace(transactions=one)
    with pytest.raises(
        DataValidationError, match="expected at least 2 customers to learn from, found 1"
    ):
        preprocess(data, cutoff="2024-03-01", horizon_days=30, key=KEY)


def test_ledger_against_injected():
    ledger = pd.DataFrame(
        {
            "table": ["t"] * 4,
            "reason": ["rows_in", "dup", "label", "rows_kept"],
            "action": ["in", "removed", "changed", "kept"],
            "rows": [10, 2, 3, 8],
        }
    )
    check = ledger_against_injected(ledger, {"dup": 2, "label": 4})
    assert check.to_dict("list") == {
        "defect": ["dup", "label"],
        "injected": [2, 4],
        "ledger": [2, 3],
        "match": [True, False],
    }


def test_save_writes_only_pseudonymized_tables(tmp_path):
    from marketing_utils.artifacts import Artifacts

    result = preprocess(_data(), cutoff="2024-03-01", horizon_days=30, key=KEY)
    store = Artifacts(tmp_path)
    names = save_preprocessing(result, store)
    assert {
        "transactions_clean",
        "customer_features",
        "model_table",
        "cleaning_ledger",
        "capabilities",
    } <= set(names)
    for name in ("transactions_clean", "customer_features", "model_table"):
        assert store.load(name)["customer_id"].str.startswith("cust_").all()
    assert store.load("capabilities") == ["transactions"]
