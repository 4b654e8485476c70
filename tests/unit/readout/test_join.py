"""Outcomes joined to the export: every customer accounted for, bad input refused or counted."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.readout.export import export_campaign
from marketing_utils.readout.io import campaign_table, check_outcomes
from marketing_utils.readout.join import join_outcomes


@pytest.fixture
def export(targeting_list):
    return export_campaign(targeting_list, holdout_share=0.2, seed=3, campaign_start="2025-10-02")


def _outcomes(export, converted_ids=(), **extra) -> pd.DataFrame:
    ids = export.customers["customer_id"]
    table = pd.DataFrame(
        {
            "customer_id": ids,
            "converted": ids.isin(converted_ids).astype(int),
            "revenue": ids.isin(converted_ids) * 25.0,
            "date": pd.Timestamp("2025-10-10"),
        }
    )
    return check_outcomes(table, "outcomes.csv")


def _ledger(ledger: pd.DataFrame) -> dict:
    return dict(zip(ledger["line"], ledger["count"], strict=True))


def test_round_trip_accounts_for_every_exported_customer(export):
    ids = export.customers["customer_id"]
    converted = ids[::3].tolist()
    joined, ledger = join_outcomes(export, _outcomes(export, converted))
    lines = _ledger(ledger)
    assert lines["exported"] == 30 == len(joined)
    assert lines["counted: treated (contacted)"] == 24 and lines["counted: holdout"] == 6
    assert joined["converted"].sum() == len(converted)
    assert joined["revenue"].sum() == 25.0 * len(converted)
    table = campaign_table(joined)
    assert table.columns.tolist() == ["customer_id", "treatment", "response", "spend"]
    assert set(table["customer_id"]) == set(ids)


def test_unknown_ids_and_early_dates_are_counted_exclusions(export):
    outcomes = _outcomes(export, export.customers["customer_id"][:4])
    stranger = pd.DataFrame(
        {"customer_id": ["cust_999", "cust_998"], "converted": [1, 0], "revenue": [5.0, 0.0],
         "date": pd.Timestamp("2025-10-05")}
    )  # fmt: skip
    outcomes = pd.concat([outcomes, stranger], ignore_index=True)
    outcomes.loc[[0, 1], "date"] = pd.Timestamp("2025-09-30")  # before the campaign start
    joined, ledger = join_outcomes(export, outcomes)
    lines = _ledger(ledger)
    assert lines["read"] == 32
    assert lines["excluded: customer never exported"] == 2
    assert lines["excluded: dated before the campaign start"] == 2
    assert lines["joined"] == 28
    assert lines["excluded: outcome dated before the campaign start"] == 2
    counted = lines["counted: treated (contacted)"] + lines["counted: holdout"]
    assert counted + 2 == lines["exported"] == 30
    assert len(joined) == 28
    assert not joined["customer_id"].isin(outcomes["customer_id"][:2]).any()


def test_missing_outcome_rows_count_as_not_converted_or_are_excluded(export):
    outcomes = _outcomes(export, export.customers["customer_id"][:5]).iloc[:20]
    holdout_in = (
        export.customers.set_index("customer_id")
        .loc[outcomes["customer_id"], "treatment"]
        .eq(0)
        .sum()
    )
    assert holdout_in > 0  # the fixture keeps some holdout customers in the file
    joined, ledger = join_outcomes(export, outcomes)
    assert (
        len(joined) == 30
        and _ledger(ledger)["of which without an outcome row, counted as not converted"] == 10
    )
    assert joined["converted"].sum() == 5
    joined, ledger = join_outcomes(export, outcomes, missing_outcomes="exclude")
    assert len(joined) == 20 and _ledger(ledger)["excluded: no outcome row"] == 10


def test_duplicated_ids_are_an_error(export):
    outcomes = _outcomes(export)
    outcomes = pd.concat([outcomes, outcomes.iloc[:3]], ignore_index=True)
    with pytest.raises(DataValidationError, match="3 ids on more than one row"):
        join_outcomes(export, outcomes)


def test_outcomes_without_holdout_customers_are_an_error(export):
    outcomes = _outcomes(export)
    contacted = export.customers.loc[export.customers["treatment"] == 1, "customer_id"]
    with pytest.raises(DataValidationError, match="none of the 6 holdout ids"):
        join_outcomes(export, outcomes[outcomes["customer_id"].isin(contacted)])


def test_dates_need_a_campaign_start(targeting_list):
    export = export_campaign(targeting_list, seed=3)  # no start in the record
    outcomes = _outcomes(export)
    with pytest.raises(DataValidationError, match="campaign_start"):
        join_outcomes(export, outcomes)
    joined, _ = join_outcomes(export, outcomes, campaign_start="2025-10-01")
    assert len(joined) == 30


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"customer_id": ["a"]}), "missing \\['converted'\\]"),
        (pd.DataFrame({"customer_id": ["a"], "converted": [2]}), "expected 0/1"),
        (pd.DataFrame({"customer_id": ["a"], "converted": [1], "revenue": [-3.0]}), "amounts >= 0"),
        (
            pd.DataFrame({"customer_id": ["a"], "converted": [1], "date": ["soon"]}),
            "expected dates",
        ),
        (pd.DataFrame({"customer_id": [None], "converted": [1]}), "missing"),
    ],
)
def test_check_outcomes_names_the_problem(table, message):
    with pytest.raises(DataValidationError, match=message) as error:
        check_outcomes(table, "outcomes.csv")
    assert "outcomes.csv" in str(error.value)


def test_check_outcomes_accepts_true_false_and_missing_revenue():
    table = pd.DataFrame(
        {"customer_id": ["a", "b"], "converted": ["true", "false"], "revenue": [12.5, None]}
    )
    out = check_outcomes(table)
    assert out["converted"].tolist() == [1, 0]
    assert out["revenue"].tolist() == [12.5, 0.0]
    assert out["date"].isna().all()
