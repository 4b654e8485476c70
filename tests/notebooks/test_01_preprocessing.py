"""01_preprocessing in the ci report: the ledger, the label and the capabilities it records."""

from __future__ import annotations


def test_preprocessing_metrics(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["preprocessing"]
    ledger = metrics["ledger"]
    for table, counts in ledger.items():
        assert counts["rows_in"] == counts["rows_kept"] + counts["removed"], table
    assert metrics["ledger_matches_injected"] is True
    assert ledger["transactions"]["removed"] > 0 and ledger["transactions"]["changed"] > 0
    assert metrics["n_customers"] > 1000  # most of the 2,000 customers buy before the cutoff
    assert 0.1 < metrics["label"]["rate"] < 0.9
    assert metrics["label"]["kind"] == "purchase_in_horizon"
    assert {"transactions", "transactions.product_id", "campaign.treatment"} <= set(
        metrics["capabilities"]
    )
