"""Column roles of a customer table, pinned on hand-made columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketing_utils.preprocess.roles import column_roles, parse_numeric_text


def test_numbers_exported_as_text_are_numbers_with_counted_missing_values():
    # 23 non-blank cells of which 22 are numbers (95.7 % >= 95 %): numeric.
    cells = ["29.85", " ", "1889.5", "n/a"] + ["10"] * 20
    values, blank, non_numeric = parse_numeric_text(pd.Series(cells, dtype="str"))
    assert (blank, non_numeric) == (1, 1)
    assert values.iloc[:4].tolist()[0] == 29.85 and values.iloc[2] == 1889.5
    assert values.iloc[[1, 3]].isna().all()
    assert values.dtype == "float64" and values.sum() == 29.85 + 1889.5 + 200


def test_text_that_is_mostly_not_numbers_stays_text():
    assert parse_numeric_text(pd.Series(["1", "2", "x"])) is None  # 2 of 3: below 95 %
    assert parse_numeric_text(pd.Series([" ", None])) is None  # nothing to parse
    assert parse_numeric_text(pd.Series([1.0, 2.0])) is None  # already numbers


def test_column_roles_by_hand():
    n = 60
    table = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "account": [f"AC-{1000 + i}" for i in range(n)],
            "row_number": np.arange(n),
            "balance": np.linspace(0.5, 30.0, n),  # unique per row, but a measurement
            "signup": [f"2024-01-{1 + i % 28:02d}" for i in range(n)],
            "note": [f"called about the bill {i}" for i in range(n)],
            "country": ["PT"] * n,
            "empty": [None] * n,
            "plan": ["basic", "premium", "basic"] * 20,
            "month": ["may", "jun", "jul"] * 20,  # no digit: not a date
            "paid": [True, False] * 30,
        }
    )
    roles = column_roles(table, skip=("customer_id",)).set_index("column")
    assert roles["role"].to_dict() == {
        "account": "identifier",
        "row_number": "identifier",
        "balance": "numeric",
        "signup": "date",
        "note": "free_text",
        "country": "constant",
        "empty": "empty",
        "plan": "categorical",
        "month": "categorical",
        "paid": "numeric",
    }
    assert (
        roles.loc["account", "reason"]
        == "identifier-like: a different value in each of the 60 rows"
    )
    assert roles.loc["note", "reason"] == (
        "free text: 60 distinct values in 60 rows (5.0 words on average), too many to one-hot encode"
    )
    assert roles.loc["signup", "reason"] == "a date (use derived day counts instead)"
    assert roles["excluded"].to_dict() == {
        c: c in ("account", "row_number", "signup", "note", "country", "empty") for c in roles.index
    }


def test_a_high_cardinality_code_is_free_text_and_a_small_table_keeps_its_text():
    codes = pd.DataFrame({"code": [f"Z{i % 70}" for i in range(100)]})
    role = column_roles(codes).iloc[0]
    assert role["role"] == "free_text" and role["reason"].startswith("free text: 70 distinct")
    few = pd.DataFrame({"city": ["Lisbon", "Porto", "Faro"]})  # 3 rows: too few to call it an id
    assert column_roles(few).iloc[0]["role"] == "categorical"


def test_column_roles_do_not_mutate_the_table():
    table = pd.DataFrame({"x": ["1", "2"], "y": [1, 2]})
    before = table.copy()
    column_roles(table)
    pd.testing.assert_frame_equal(table, before)
