"""Tests of marketing_utils.preprocess.clean: every rule, first-rule-wins, the ledger identity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess.clean import clean_data, normalize_category
from marketing_utils.preprocess.ledger import TableLedger, ledger_summary, ledger_waterfall_data
from marketing_utils.schema import MarketingData, clean_schema

END = "2024-01-31"
T = pd.Timestamp


def _customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "region": ["north", "south", "east"]})


def _transactions() -> pd.DataFrame:
    # One row per rule, plus two rows with two defects each. Observation end 2024-01-31.
    rows = [
        # customer, timestamp, category, quantity, unit_price, amount, is_cancelled
        ("c1", T("2024-01-05"), "Toys", 1.0, 10.0, 10.0, False),  # 0 kept, label changed
        ("c1", T("2024-01-05"), "Toys", 1.0, 10.0, 10.0, False),  # 1 duplicate of 0
        (None, T("2024-01-06"), "toys", 1.0, 10.0, 10.0, False),  # 2 missing id
        ("  ", T("2024-01-06"), "toys", 1.0, 10.0, 10.0, False),  # 3 blank id
        ("c9", T("2024-01-06"), "toys", 1.0, 10.0, 10.0, False),  # 4 unknown customer
        ("c2", pd.NaT, "toys", 1.0, 10.0, 10.0, False),  # 5 missing timestamp
        ("c2", T("2024-02-01"), "toys", 1.0, 10.0, 10.0, False),  # 6 future
        ("c2", T("2024-01-31 23:59"), "toys", 1.0, 10.0, 10.0, False),  # 7 kept: end day included
        ("c3", T("2024-01-07"), "toys", -1.0, 10.0, -10.0, False),  # 8 return
        ("c3", T("2024-01-08"), "toys", 1.0, 10.0, 10.0, True),  # 9 cancelled
        ("c3", T("2024-01-09"), "toys", 1.0, 0.0, 0.0, False),  # 10 zero price
        ("c3", T("2024-01-10"), "toys", 1.0, 5.0, np.nan, False),  # 11 missing amount
        ("c1", T("2024-03-01"), "toys", -2.0, 10.0, -20.0, False),  # 12 future AND return
        (None, pd.NaT, "toys", 1.0, 10.0, 10.0, False),  # 13 missing id AND timestamp
        ("c1", T("2024-01-11"), "  Home   Garden", 2.0, 3.0, 6.0, False),  # 14 kept, changed
        ("c2", T("2024-01-12"), None, 1.0, 4.0, 4.0, False),  # 15 kept, no label
        ("c3", T("2024-01-13"), "toys", -1.0, 10.0, -np.inf, False),  # 16 invalid AND return
    ]
    columns = ["customer_id", "timestamp", "category", "quantity", "unit_price", "amount"]
    frame = pd.DataFrame(rows, columns=[*columns, "is_cancelled"])
    return frame.astype({"timestamp": "datetime64[ns]"})


def _reasons(result, table: str) -> dict[str, int]:
    return ledger_summary(result.ledger)[table]["reasons"]


def test_each_transaction_rule_counts_rows_first_rule_wins():
    data = MarketingData(customers=_customers(), transactions=_transactions())
    result = clean_data(data, observation_end=END)
    # Worked out by hand from the row comments: rows 2, 3, 13 lack an id (13 also
    # lacks a timestamp but the id rule comes first); 6 and 12 are future (12 is
    # also a return, but future comes first); 8 and 9 are returns (16 too, but its
    # infinite amount comes first).
    assert _reasons(result, "transactions") == {
        "duplicate_rows": 1,
        "missing_customer_id": 3,
        "unknown_customer": 1,
        "missing_timestamp": 1,
        "future_dated": 2,
        "invalid_amount": 1,
        "return_or_cancellation": 2,
        "nonpositive_price": 1,
        "missing_amount": 1,
        "category_label_normalized": 2,
        "extreme_quantity_capped": 0,
    }
    summary = ledger_summary(result.ledger)["transactions"]
    # 17 in, 13 removed, 4 kept (rows 0, 7, 14, 15); rows 0 and 14 relabelled.
    assert (summary["rows_in"], summary["removed"], summary["rows_kept"]) == (17, 13, 4)
    assert summary["changed"] == 2
    clean = result.data.transactions
    assert clean["amount"].tolist() == [10.0, 10.0, 6.0, 4.0]
    assert clean["category"].tolist()[:3] == ["toys", "toys", "home garden"]
    assert pd.isna(clean["category"].iloc[3])
    clean_schema("transactions").validate(clean)


def test_returns_table_holds_exactly_the_return_rows():
    raw = _transactions()
    result = clean_data(
        MarketingData(customers=_customers(), transactions=raw), observation_end=END
    )
    # Rows 8 and 9 only: row 12 is a return too but was removed earlier as future-dated.
    expected = raw.iloc[[8, 9]].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.returns, expected)
    assert result.data.transactions["amount"].ge(0).all()


def test_without_customers_table_no_unknown_customer_rule():
    result = clean_data(MarketingData(transactions=_transactions()), observation_end=END)
    reasons = _reasons(result, "transactions")
    assert reasons["unknown_customer"] == 0
    # "c9" (row 4) is now a valid sale: 5 rows kept instead of 4.
    assert ledger_summary(result.ledger)["transactions"]["rows_kept"] == 5


def test_observation_end_from_info_then_argument():
    raw = _transactions()
    from_info = clean_data(MarketingData(transactions=raw, info={"observation_end": END}))
    assert _reasons(from_info, "transactions")["future_dated"] == 2
    assert from_info.data.info["observation_end"] == END
    # A later end by argument overrides info: rows 6 (Feb 1) and 12 (Mar 1) are in range.
    # Row 12 is then a return, row 6 a sale.
    later = clean_data(
        MarketingData(transactions=raw, info={"observation_end": END}), observation_end="2024-03-01"
    )
    reasons = _reasons(later, "transactions")
    assert (reasons["future_dated"], reasons["return_or_cancellation"]) == (0, 3)


def test_amount_zero_without_unit_price_is_nonpositive_price():
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "timestamp": pd.to_datetime(["2024-01-01"] * 3),
            "amount": [0.0, 5.0, np.nan],
        }
    )
    reasons = _reasons(
        clean_data(MarketingData(transactions=raw), observation_end=END), "transactions"
    )
    assert (reasons["nonpositive_price"], reasons["missing_amount"]) == (1, 1)


def test_negative_price_is_a_price_error_not_a_return():
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "timestamp": pd.to_datetime(["2024-01-01"] * 4),
            "quantity": [2.0, -1.0, 1.0, 1.0],
            "unit_price": [-5.0, 5.0, np.nan, 5.0],
            "amount": [-10.0, -5.0, -3.0, 5.0],
        }
    )
    result = clean_data(MarketingData(transactions=raw), observation_end=END)
    reasons = _reasons(result, "transactions")
    # a: 2 units at -5 -> nothing came back, the price is wrong: nonpositive_price.
    # b: a returned unit; c: negative amount with no price to blame: both returns.
    assert (reasons["return_or_cancellation"], reasons["nonpositive_price"]) == (2, 1)
    assert result.returns["customer_id"].tolist() == ["b", "c"]
    assert result.data.transactions["customer_id"].tolist() == ["d"]


def _sales(quantities, amounts=None, *, unit_price=4.0, future=()):
    n = len(quantities)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "timestamp": pd.to_datetime(["2024-01-02"] * n),
            "quantity": [float(q) for q in quantities],
            "amount": amounts if amounts is not None else [q * unit_price for q in quantities],
        }
    )
    if unit_price is not None:
        frame["unit_price"] = unit_price
    frame.loc[list(future), "timestamp"] = T("2025-01-01")
    return frame


def test_extreme_quantity_capped_at_quantile_with_amount_recomputed():
    # Sale quantities 1, 2, 3, 100; the future row (1000) is removed before the
    # quantile. Median (quantile 0.5) = (2 + 3) / 2 = 2.5, threshold 10 * 2.5 = 25:
    # only 100 is capped, to 2.5, and its amount becomes 2.5 * 4 = 10.
    raw = _sales([1, 2, 3, 100, 1000], future=[4])
    result = clean_data(MarketingData(transactions=raw), observation_end=END, outlier_quantile=0.5)
    clean = result.data.transactions
    assert clean["quantity"].tolist() == [1.0, 2.0, 3.0, 2.5]
    assert clean["amount"].tolist() == [4.0, 8.0, 12.0, 10.0]
    assert _reasons(result, "transactions")["extreme_quantity_capped"] == 1


def test_capping_without_unit_price_uses_the_line_price():
    # Same quantities, no unit_price column: the line's price is amount / quantity
    # = 400 / 100 = 4, so the capped amount is again 2.5 * 4 = 10.
    raw = _sales([1, 2, 3, 100], unit_price=None, amounts=[4.0, 8.0, 12.0, 400.0])
    clean = clean_data(
        MarketingData(transactions=raw), observation_end=END, outlier_quantile=0.5
    ).data.transactions
    assert clean["amount"].tolist() == [4.0, 8.0, 12.0, 10.0]


def test_default_capping_at_099_quantile():
    # 98 ones, one 2 and one 50: the 0.99 quantile (linear) sits at position
    # 0.99 * 99 = 98.01, i.e. 2 + 0.01 * (50 - 2) = 2.48; 50 > 24.8 is capped.
    raw = _sales([1] * 98 + [2, 50])
    clean = clean_data(MarketingData(transactions=raw), observation_end=END).data.transactions
    assert clean["quantity"].iloc[-1] == pytest.approx(2.48)
    assert clean["amount"].iloc[-1] == pytest.approx(2.48 * 4)
    assert clean["quantity"].iloc[-2] == 2.0


def test_customers_imputation_and_removal():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", None, "d", "e"],
            "income": [100.0, np.nan, 999.0, 300.0, 200.0],
            "region": ["north", None, "west", "", "south"],
            "gender": ["f", "m", "f", "m", "f"],
            "birth_date": pd.to_datetime(["1980-01-01", None, "1990-01-01", None, "1970-05-05"]),
        }
    )
    result = clean_data(MarketingData(customers=customers), observation_end=END)
    # The row without id goes first, so the income median is over 100, 300, 200 = 200
    # (not 999); regions None and "" become "unknown"; two birth dates stay missing.
    assert _reasons(result, "customers") == {
        "missing_customer_id": 1,
        "missing_income": 1,
        "missing_region": 2,
        "missing_gender": 0,
        "missing_birth_date": 2,
    }
    clean = result.data.customers
    assert clean["income"].tolist() == [100.0, 200.0, 300.0, 200.0]
    assert clean["region"].tolist() == ["north", "unknown", "unknown", "south"]
    assert clean["birth_date"].isna().sum() == 2
    actions = result.ledger.set_index("reason").loc[["missing_income", "missing_birth_date"]]
    assert actions["action"].tolist() == ["changed", "kept"]
    summary = ledger_summary(result.ledger)["customers"]
    assert (summary["rows_in"], summary["rows_kept"], summary["changed"]) == (5, 4, 3)


def test_customers_mode_and_no_imputation():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["x", "x", None]})
    mode = clean_data(MarketingData(customers=customers), impute="median_mode")
    assert mode.data.customers["region"].tolist() == ["x", "x", "x"]
    untouched = clean_data(MarketingData(customers=customers), impute="none")
    assert untouched.data.customers["region"].isna().sum() == 1
    assert _reasons(untouched, "customers")["missing_region"] == 1


def test_duplicate_customer_ids_are_a_load_error():
    customers = pd.DataFrame({"customer_id": ["a", "b", "a"]})
    with pytest.raises(DataValidationError, match="customers, column 'customer_id'.*'a'"):
        clean_data(MarketingData(customers=customers))


def test_campaign_rows_without_id_removed_and_flags_checked():
    campaign = pd.DataFrame(
        {"customer_id": ["a", None, "c"], "treatment": [1, 0, 0], "response": [0.0, 1.0, 1.0]}
    )
    result = clean_data(MarketingData(campaign=campaign))
    assert _reasons(result, "campaign") == {"missing_customer_id": 1}
    assert result.data.campaign["response"].dtype == "int64"
    assert result.data.campaign["response"].tolist() == [0, 1]
    # The 2 sits on a row with an id (a row without id is removed before the check).
    bad = campaign.assign(treatment=[1, 0, 2])
    with pytest.raises(DataValidationError, match="campaign, column 'treatment'.*Examples: 2"):
        clean_data(MarketingData(campaign=bad))


def test_bad_input_raises_named_errors():
    no_amount = _transactions().drop(columns="amount")
    with pytest.raises(DataValidationError, match="transactions.*missing \\['amount'\\]"):
        clean_data(MarketingData(transactions=no_amount))
    text_dates = _transactions().assign(timestamp="2024-01-01")
    with pytest.raises(DataValidationError, match="column 'timestamp': expected datetime64"):
        clean_data(MarketingData(transactions=text_dates))
    with pytest.raises(DataValidationError, match="outlier_quantile"):
        clean_data(MarketingData(transactions=_transactions()), outlier_quantile=1.5)


def test_input_not_mutated():
    data = MarketingData(
        customers=_customers(), transactions=_transactions(), info={"observation_end": END}
    )
    before = {name: table.copy(deep=True) for name, table in data.tables().items()}
    clean_data(data, outlier_quantile=0.5, outlier_multiplier=1.0)
    for name, table in data.tables().items():
        pd.testing.assert_frame_equal(table, before[name])
    assert data.info == {"observation_end": END}


def test_ledger_identity_violation_is_a_runtime_error():
    ledger = TableLedger("transactions", 10)
    ledger.add("duplicate_rows", "removed", 3)
    with pytest.raises(RuntimeError, match="rows_in=10, rows_kept=6, removed=3"):
        ledger.finish(6)


def test_ledger_waterfall_steps():
    result = clean_data(
        MarketingData(customers=_customers(), transactions=_transactions()), observation_end=END
    )
    steps = ledger_waterfall_data(result.ledger, "transactions")
    # 17 - 1 - 3 - 1 - 1 - 2 - 1 - 2 - 1 - 1 = 4; every removal reason is non-zero here.
    assert steps["delta"].tolist() == [17, -1, -3, -1, -1, -2, -1, -2, -1, -1, 4]
    assert steps["running_total"].tolist() == [17, 16, 13, 12, 11, 9, 8, 6, 5, 4, 4]
    assert steps["label"].iloc[0] == "rows_in" and steps["label"].iloc[-1] == "rows_kept"
    only_dupes = clean_data(
        MarketingData(transactions=_transactions().iloc[[0, 1]]), observation_end=END
    )
    short = ledger_waterfall_data(only_dupes.ledger, "transactions")
    assert short["label"].tolist() == ["rows_in", "duplicate_rows", "rows_kept"]
    assert len(ledger_waterfall_data(only_dupes.ledger, "transactions", include_zero=True)) == 11
    with pytest.raises(DataValidationError, match="'campaign'"):
        ledger_waterfall_data(result.ledger, "campaign")


def test_normalize_category():
    labels = pd.Series(["  Home \t Garden ", "TOYS", None, "toys"], name="category")
    out = normalize_category(labels)
    assert out.tolist()[:2] == ["home garden", "toys"]
    assert pd.isna(out.iloc[2]) and out.iloc[3] == "toys"
    assert out.name == "category"


# A row-by-row reference implementation of the removal rules, written
# independently of the vectorized one, for the property test.
CUSTOMERS = {"c1", "c2", "c3"}
CUTOFF = T(END) + pd.Timedelta(days=1)


def _reference_reason(row, seen: set) -> str:
    key = tuple("<na>" if pd.isna(value) else value for value in row)
    if key in seen:
        return "duplicate_rows"
    seen.add(key)
    customer, timestamp, quantity, unit_price, amount, cancelled = row
    if pd.isna(customer) or customer.strip() == "":
        return "missing_customer_id"
    if customer not in CUSTOMERS:
        return "unknown_customer"
    if pd.isna(timestamp):
        return "missing_timestamp"
    if timestamp >= CUTOFF:
        return "future_dated"
    if abs(amount) >= 1e15 or abs(unit_price) >= 1e15:  # inf included; NaN compares False
        return "invalid_amount"
    # NaN compares False; a negative amount from a negative price is a price error.
    if quantity < 0 or cancelled or (amount < 0 and not unit_price < 0):
        return "return_or_cancellation"
    if unit_price <= 0:
        return "nonpositive_price"
    if math.isnan(amount):
        return "missing_amount"
    return "kept"


transaction_rows = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "zz", None, "", " "]),
        st.sampled_from([T("2024-01-10"), T("2024-01-31 12:00"), T("2024-02-01"), pd.NaT]),
        st.sampled_from([1.0, 2.0, -0.5, np.nan]),
        st.sampled_from([5.0, 0.0, -1.0, np.nan, np.inf]),
        st.sampled_from([10.0, 0.0, -0.5, np.nan, np.inf, -np.inf, 2e15, 0.99e15]),
        st.booleans(),
    ),
    max_size=40,
)


# The explicit example pins the boundaries: price 0 or negative with a negative
# amount, a duplicate holding NaN values, and a timestamp exactly at the cutoff.
BOUNDARY_ROWS = [
    ("c1", T("2024-01-10"), 1.0, 0.0, -0.5, False),
    ("c1", T("2024-01-10"), 1.0, -1.0, -0.5, False),
    ("c2", T("2024-01-10"), np.nan, 5.0, np.nan, False),
    ("c2", T("2024-01-10"), np.nan, 5.0, np.nan, False),
    ("c3", T("2024-02-01"), 1.0, 5.0, 10.0, False),
    ("c3", T("2024-01-31 12:00"), 1.0, 5.0, 10.0, False),
    ("c1", T("2024-01-10"), -0.5, 5.0, -np.inf, False),  # invalid before it is a return
    ("c2", T("2024-01-10"), 1.0, 5.0, 1e15, False),  # exactly the bound: invalid
    ("c3", T("2024-01-10"), 1.0, np.inf, 10.0, False),  # an infinite unit price: invalid
]


@settings(max_examples=100, deadline=None)
@given(rows=transaction_rows)
@example(rows=BOUNDARY_ROWS)
def test_property_ledger_adds_up_and_matches_reference(rows):
    columns = ["customer_id", "timestamp", "quantity", "unit_price", "amount", "is_cancelled"]
    raw = pd.DataFrame(rows, columns=columns).astype(
        {
            "customer_id": "str",
            "timestamp": "datetime64[ns]",
            "quantity": "float64",
            "unit_price": "float64",
            "amount": "float64",
            "is_cancelled": "bool",
        }
    )
    customers = pd.DataFrame({"customer_id": sorted(CUSTOMERS)})
    result = clean_data(MarketingData(customers=customers, transactions=raw), observation_end=END)
    summary = ledger_summary(result.ledger)["transactions"]
    assert summary["rows_in"] == summary["rows_kept"] + summary["removed"] == len(rows)
    assert summary["rows_kept"] == len(result.data.transactions)
    seen: set = set()
    expected = pd.Series([_reference_reason(row, seen) for row in rows]).value_counts()
    for reason, count in summary["reasons"].items():
        if reason not in ("category_label_normalized", "extreme_quantity_capped"):
            assert count == expected.get(reason, 0), reason
    assert summary["rows_kept"] == expected.get("kept", 0)
    assert len(result.returns) == expected.get("return_or_cancellation", 0)


TRANSACTION_KEYS = (
    "duplicate_rows",
    "missing_customer_id",
    "unknown_customer",
    "future_dated",
    "return_or_cancellation",
    "nonpositive_price",
    "category_label_normalized",
    "extreme_quantity_capped",
)
CUSTOMER_KEYS = ("missing_income", "missing_region", "missing_gender", "missing_birth_date")


@pytest.mark.parametrize("seed", [0, 7])
def test_ledger_equals_synthetic_defects(seed):
    synthetic = pytest.importorskip("marketing_utils.datasets.synthetic")
    data = synthetic.make_synthetic(3000, seed=seed)
    summary = ledger_summary(clean_data(data).ledger)
    found = {key: summary["transactions"]["reasons"][key] for key in TRANSACTION_KEYS}
    found |= {key: summary["customers"]["reasons"][key] for key in CUSTOMER_KEYS}
    expected = {key: int(data.defects.get(key, 0)) for key in (*TRANSACTION_KEYS, *CUSTOMER_KEYS)}
    assert found == expected


def test_clean_synthetic_data_is_untouched():
    synthetic = pytest.importorskip("marketing_utils.datasets.synthetic")
    data = synthetic.make_synthetic(3000, seed=1, dirty=False)
    for table, counts in ledger_summary(clean_data(data).ledger).items():
        assert (counts["removed"], counts["changed"]) == (0, 0), (table, counts)


@pytest.mark.datasets
def test_clean_cdnow_real_log(datasets_dir):
    from marketing_utils.datasets.public import load_cdnow

    result = clean_data(load_cdnow(datasets_dir / "CDNOW_master.txt"))
    summary = ledger_summary(result.ledger)["transactions"]
    # The dataset README: 69,659 rows, 80 with dollar_value = 0 (no unit price
    # above zero, so "nonpositive_price"); nothing else is wrong with the log.
    # Quantities: the 0.99 quantile is 11 CDs and the maximum 99 < 10 * 11, so
    # nothing is capped.
    assert summary["rows_in"] == 69_659
    assert summary["reasons"]["nonpositive_price"] == 80
    assert summary["removed"] == 80 and summary["changed"] == 0
    assert summary["rows_kept"] == 69_659 - 80 == len(result.data.transactions)
    assert result.data.info["observation_end"] == "1998-06-30"


@pytest.mark.parametrize(
    ("ids", "cause", "customers"),
    [
        (["000005 ", "000005", "c1"], "surrounding spaces", 1),
        (["000005", "5", "007", "7", "c1"], "leading zeros", 2),
        (["ab1234", "AB1234", "c1"], "Unicode forms or letter case", 1),
    ],
)
def test_ids_that_differ_only_in_writing_are_kept_apart_with_a_warning(ids, cause, customers):
    raw = pd.DataFrame(
        {"customer_id": ids, "timestamp": T("2024-01-05"), "amount": range(1, len(ids) + 1)}
    ).astype({"timestamp": "datetime64[ns]", "amount": "float64"})
    result = clean_data(MarketingData(transactions=raw), observation_end=END)
    assert result.data.transactions["customer_id"].nunique() == len(ids)  # never merged
    (warning,) = result.warnings
    assert warning.startswith(
        f"transactions: {customers} customer(s) appear under ids that differ only by {cause}"
    )
    assert ids[0].strip() not in warning  # masked


def test_distinct_ids_give_no_split_warning():
    raw = pd.DataFrame({"customer_id": ["100", "200", "c1"], "timestamp": T("2024-01-05"),
                        "amount": [1.0, 2.0, 3.0]}).astype({"timestamp": "datetime64[ns]"})  # fmt: skip
    assert clean_data(MarketingData(transactions=raw), observation_end=END).warnings == []
