"""Report runs on the public datasets and on a user's own retail export.

Each notebook's own checks for these runs live here too, keyed by report, so a
stage that must run (or be skipped) on a dataset says so in one place.
"""

from __future__ import annotations


def _statuses(result) -> dict[str, str]:
    return {entry["stem"]: entry["status"] for entry in result.notebooks}


#: The stages that need dated transactions: Bank and Hillstrom have none.
DATED_STAGES = ("07_demand_forecasting", "08_customer_lifetime_value")


def _assert_dated_stages_skipped(report) -> None:
    result, metrics = report
    entries = {entry["stem"]: entry for entry in result.notebooks}
    for stem in DATED_STAGES:
        assert entries[stem]["status"] == "skipped", stem
        assert "needs dated transactions" in entries[stem]["reason"], stem
    assert not {"demand_forecasting", "customer_lifetime_value"} & set(metrics)


# One report per test: a test needing two would build the second on both xdist workers.
def test_bank_skips_the_stages_that_need_dated_transactions(bank_report):
    _assert_dated_stages_skipped(bank_report)


def test_hillstrom_skips_the_stages_that_need_dated_transactions(hillstrom_report):
    _assert_dated_stages_skipped(hillstrom_report)


def test_bank_marketing_report(bank_report):
    result, metrics = bank_report
    pre = metrics["preprocessing"]
    assert pre["n_customers"] == 45_211
    assert pre["label"] == {
        "kind": "campaign_response",
        "column": "response",
        "positives": 5_289,
        "rate": 5_289 / 45_211,
    }
    assert "campaign.treatment" not in pre["capabilities"]  # everyone was called: no control group
    assert _statuses(result)["01_preprocessing"] == "ran"


def test_hillstrom_report(hillstrom_report):
    result, metrics = hillstrom_report
    pre = metrics["preprocessing"]
    assert pre["n_customers"] == 64_000
    assert pre["label"]["kind"] == "campaign_response" and pre["label"]["column"] == "visit"
    assert "campaign.treatment" in pre["capabilities"]
    assert _statuses(result)["01_preprocessing"] == "ran"


def test_cdnow_report(cdnow_report):
    result, metrics = cdnow_report
    pre = metrics["preprocessing"]
    ledger = pre["ledger"]["transactions"]
    assert ledger["rows_in"] == 69_659
    assert ledger["reasons"]["nonpositive_price"] == 80  # the 80 zero-dollar rows
    assert ledger["rows_kept"] == 69_659 - 80
    assert pre["label"]["cutoff"] == "1998-01-01" and pre["label"]["horizon_days"] == 181
    assert pre["capabilities"] == ["transactions"]
    assert _statuses(result)["01_preprocessing"] == "ran"


def test_own_data_report(own_data_report):
    result, metrics = own_data_report
    pre = metrics["preprocessing"]
    ledger = pre["ledger"]["transactions"]
    assert ledger["rows_in"] == ledger["rows_kept"] + ledger["removed"]
    assert ledger["reasons"]["return_or_cancellation"] > 0  # "C" invoices
    assert ledger["reasons"]["missing_customer_id"] > 0  # rows without a customer id
    assert pre["label"]["kind"] == "purchase_in_horizon"
    assert "transactions.product_id" in pre["capabilities"]
    assert _statuses(result)["01_preprocessing"] == "ran"


def _segmentation(report) -> dict:
    result, metrics = report
    assert _statuses(result)["02_segmentation"] == "ran"
    seg = metrics["segmentation"]
    assert seg["min_cluster_stability"] >= 0.85  # every cluster highly stable (Hennig)
    assert 2 <= seg["chosen_k"] <= 10
    return seg


def test_segmentation_on_bank(bank_report):
    assert _segmentation(bank_report)["rfm_available"] is False  # no transactions


def test_segmentation_on_hillstrom(hillstrom_report):
    assert _segmentation(hillstrom_report)["rfm_available"] is False


def test_segmentation_on_cdnow(cdnow_report):
    assert _segmentation(cdnow_report)["rfm_available"] is True
