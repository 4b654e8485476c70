"""A customers table with its own outcome column: the label, the ledger, the exclusions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import marketing_utils as mu
from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess import preprocess
from marketing_utils.preprocess.outcome import is_churn, outcome_label

KEY = b"0123456789abcdef"


def test_outcome_label_matches_text_numbers_and_booleans():
    assert outcome_label(pd.Series(["Yes", "No", " Yes "], name="Churn"), "Yes").tolist() == [
        1,
        0,
        1,
    ]
    assert outcome_label(pd.Series(["1.0", "0.0", "1"], name="y"), 1).tolist() == [1, 0, 1]
    assert outcome_label(pd.Series(["True", "false"], name="c"), True).tolist() == [1, 0]
    several = outcome_label(pd.Series(["closed", "moved", "active"], name="s"), ["closed", "moved"])
    assert several.tolist() == [1, 1, 0]


def test_outcome_label_errors_name_the_column_and_the_values_found():
    with pytest.raises(DataValidationError) as error:
        outcome_label(pd.Series(["Yes", "No"], name="Churn"), "yes")
    assert str(error.value) == (
        "customers, column 'Churn': outcome.positive 'yes' matches no value of the outcome "
        "column; values found: ['No', 'Yes']"
    )
    with pytest.raises(
        DataValidationError, match=r"found only the positive value\(s\) 'Yes' in all 2"
    ):
        outcome_label(pd.Series(["Yes", "Yes"], name="Churn"), "Yes")
    with pytest.raises(DataValidationError, match="found 1 missing values"):
        outcome_label(pd.Series(["Yes", " "], name="Churn"), "Yes")


def test_is_churn():
    assert is_churn({"name": "churn"}) and is_churn({"name": " Churn"})
    assert not is_churn({"name": "response"}) and not is_churn(None)


def _telco(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    churn = rng.random(n) < 1 / (1 + np.exp((tenure - 20) / 8))
    charges = (tenure * 30.5).round(2).astype(str).astype(object)
    charges[:3] = " "  # new customers: blank total charges, as in the telco table
    charges[3] = "unknown"  # not a number: set to missing and counted
    table = pd.DataFrame(
        {
            "customerID": [f"{i:04d}-XYZ" for i in range(n)],
            "Contract": rng.choice(["Month-to-month", "One year", "Two year"], n),
            "tenure": tenure,
            "TotalCharges": charges,
            "Churn": np.where(churn, "Yes", "No").astype(object),
            "ChurnReason": np.where(churn, "Competitor", ""),
            "closed_flag": churn.astype(int),
        }
    )
    table.loc[[10, 11], "Churn"] = ""  # two customers without an outcome
    return table


def _load(tmp_path, table, **outcome):
    path = tmp_path / "telco.csv"
    table.to_csv(path, index=False)
    spec = {"column": "Churn", "positive": "Yes", "name": "churn", **outcome}
    return mu.load_data(
        {
            "source": "files",
            "customers": {
                "path": str(path),
                "columns": {"customer_id": "customerID"},
                "outcome": spec,
            },
        }
    )


def test_customer_table_with_outcome_end_to_end(tmp_path):
    table = _telco()
    raw = _load(tmp_path, table)
    result = preprocess(raw, key=KEY)
    ledger = result.ledger.set_index("reason")["rows"].to_dict()
    assert ledger["rows_in"] == 200
    assert ledger["missing_outcome"] == 2  # removed and counted
    assert ledger["missing_TotalCharges"] == 3 and ledger["non_numeric_TotalCharges"] == 1
    assert ledger["rows_kept"] == 198
    kept = table.drop(index=[10, 11])
    assert result.label == {
        "kind": "customer_outcome",
        "column": "Churn",
        "positive": "Yes",
        "name": "churn",
        "rate": float((kept["Churn"] == "Yes").mean()),
        "positives": int((kept["Churn"] == "Yes").sum()),
    }
    info = result.info
    # A number with a few blank cells is numeric with missing values, never a category.
    assert "TotalCharges" in info["numeric_features"]
    assert result.features["TotalCharges"].isna().sum() == 4
    assert info["categorical_features"] == ["Contract"]
    excluded = info["excluded_features"]
    assert excluded["ChurnReason"] == "named after the outcome (never a feature)"
    assert excluded["closed_flag"] == "holds the outcome's values (never a feature)"
    assert "Churn" not in result.model_table.columns
    for column in excluded:
        assert column not in result.features.columns and column not in result.model_table.columns
    assert result.model_table["customer_id"].str.startswith("cust_").all()
    assert result.metrics()["excluded_features"] == excluded


def test_exclude_and_keep_features(tmp_path):
    table = _telco().drop(columns=["ChurnReason", "closed_flag"])
    labels = table["Churn"].eq("Yes")
    table["cancel_days"] = np.where(labels, 30.0, 0.0) + np.arange(len(table)) % 7 / 10
    raw = _load(tmp_path, table)
    guarded = preprocess(raw, key=KEY)
    assert guarded.info["excluded_features"]["cancel_days"].startswith(
        "leakage guard: single-feature AUC 1.000 >= 0.98"
    )
    assert guarded.metrics()["leakage_excluded"] == ["cancel_days"]
    kept = preprocess(raw, key=KEY, keep_features=["cancel_days"], exclude_features=["tenure"])
    assert "cancel_days" in kept.features.columns
    assert kept.info["excluded_features"] == {"tenure": "excluded by parameter exclude_features"}
    with pytest.raises(DataValidationError, match=r"exclude_features.*found \['tenur'\]"):
        preprocess(raw, key=KEY, exclude_features=["tenur"])


def test_the_outcome_column_must_be_in_the_file(tmp_path):
    with pytest.raises(DataValidationError, match="expected the outcome column 'Exited'"):
        _load(tmp_path, _telco(), column="Exited")


def test_bank_marketing_as_a_customer_table_gives_the_built_in_model_table(datasets_dir, tmp_path):
    """Issue 17: the same file through the customer-outcome route and through the built-in
    loader yields the same model table (features, types, labels, row for row), so 03 learns
    the same model from either (measured: test ROC AUC 0.8027 both on the full file)."""
    bank = pd.read_csv(datasets_dir / "bank-full.csv", sep=";").iloc[:6000]
    builtin_file = tmp_path / "bank.csv"
    bank.to_csv(builtin_file, sep=";", index=False)
    own = bank.copy()
    own.insert(0, "client", [f"{i:07d}" for i in range(len(own))])  # leading zeros, as exports do
    own_file = tmp_path / "clients.csv"
    own.to_csv(own_file, index=False)
    common = {"cutoff": "auto", "horizon_days": 90, "windows": (30, 90, 365), "seed": 42}
    builtin = preprocess(
        mu.load_data(
            {"source": "bank_marketing", "path": str(builtin_file), "include_duration": False},
            seed=42,
            horizon_days=90,
        ),
        **common,
    ).model_table
    mapped = preprocess(
        mu.load_data(
            {
                "source": "files",
                "customers": {
                    "path": str(own_file),
                    "columns": {"customer_id": "client"},
                    "outcome": {"column": "y", "positive": "yes"},
                },
            },
            seed=42,
            horizon_days=90,
        ),
        exclude_features=["duration"],
        **common,
    ).model_table
    assert len(builtin) == len(mapped) == 6000
    assert int(mapped["label"].sum()) == int((bank["y"] == "yes").sum())
    pd.testing.assert_frame_equal(
        mapped.drop(columns="customer_id").reset_index(drop=True),
        builtin.drop(columns="customer_id")[
            [c for c in mapped.columns if c != "customer_id"]
        ].reset_index(drop=True),
    )
    assert not set(mapped["customer_id"]) & set(own["client"])  # ids are pseudonymized
    assert mapped["customer_id"].is_unique
