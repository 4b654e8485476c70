"""Inputs the workbook handles when told how: the run succeeds and reads the same data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.reliability.builders import base_tables
from tests.reliability.owndata import RUN_NAME, cli, own_params, write_params, write_tables

pytestmark = pytest.mark.notebooks


def _metrics(report) -> dict:
    return json.loads((report / "metrics.json").read_text())["preprocessing"]


def test_encoding_bom_thousands_and_quoted_date_are_read_like_plain_files(tmp_path, last_good):
    tables = base_tables()
    customers = tables["customers"].copy()
    customers.loc[customers.index[:10], "region"] = "Île-de-France"
    transactions = tables["transactions"]
    written = transactions.assign(amount=transactions["amount"].map(lambda v: f"{v:,.2f}"))
    assert written["amount"].str.contains(",").sum() == 5  # five lines of 1,000 or more
    paths = write_tables(tmp_path / "data", {"transactions": written}, encoding="utf-8-sig")
    paths["customers"] = tmp_path / "data" / "customers.csv"
    customers.to_csv(paths["customers"], index=False, encoding="latin-1")
    options = {"customers": {"encoding": "latin-1"}, "transactions": {"thousands": ","}}
    params = own_params(tmp_path, paths, options=options)
    path = write_params(tmp_path / "params.yaml", params)
    assert "observation_end: '2025-12-31'" in path.read_text()  # quoted: a string in YAML

    out = cli("run", str(path), "--quiet", "--only", "01_preprocessing")

    assert out.returncode == 0, out.stderr
    report = tmp_path / "reports" / RUN_NAME
    # The same rows as the plain UTF-8 export: the ledger and the label agree exactly.
    mine, plain = _metrics(report), _metrics(last_good)
    assert mine["ledger"] == plain["ledger"]
    assert mine["label"] == plain["label"]
    clean = pd.read_parquet(report / "artifacts" / "customers_clean.parquet")
    assert (clean["region"] == "Île-de-France").sum() == 10
    amounts = pd.read_parquet(report / "artifacts" / "transactions_clean.parquet")["amount"]
    assert amounts.max() >= 1000


def test_campaign_without_control_group_skips_uplift_with_the_reason(tmp_path):
    tables = base_tables()
    ids = tables["customers"]["customer_id"]
    tables["campaign"] = pd.DataFrame(
        {"customer_id": ids, "treatment": 1, "response": (ids.str[-1] == "3").astype(int)}
    )
    paths = write_tables(tmp_path / "data", tables)
    path = write_params(tmp_path / "params.yaml", own_params(tmp_path, paths))

    out = cli("run", str(path), "--quiet", "--only", "01_preprocessing", "05_campaign_uplift")

    assert out.returncode == 0, out.stderr
    report = tmp_path / "reports" / RUN_NAME
    manifest = json.loads((report / "manifest.json").read_text())
    entries = {entry["stem"]: entry for entry in manifest["notebooks"]}
    assert entries["05_campaign_uplift"] == {
        "stem": "05_campaign_uplift",
        "title": entries["05_campaign_uplift"]["title"],
        "status": "skipped",
        "reason": "needs a campaign table with a treatment flag and a control group; the data "
        "provides: campaign, campaign.response, customers, transactions, transactions.product_id",
    }
    assert "treatment flag and a control group" in (report / "index.html").read_text()
    assert not (report / "html" / "05_campaign_uplift.html").exists()


def test_customers_without_an_outcome_are_removed_and_counted(tmp_path):
    from marketing_utils.datasets.synthetic_churn import make_churn_table

    table, _ = make_churn_table(300, seed=1)
    table.loc[table.index[[3, 7]], "churned"] = ""  # two customers without an outcome
    paths = write_tables(tmp_path / "data", {"customers": table})
    outcome = {"column": "churned", "positive": "Yes", "name": "churn"}
    params = own_params(tmp_path, paths, options={"customers": {"outcome": outcome}})
    path = write_params(tmp_path / "params.yaml", params)

    out = cli("run", str(path), "--quiet", "--only", "01_preprocessing")

    assert out.returncode == 0, out.stderr
    metrics = _metrics(tmp_path / "reports" / RUN_NAME)
    customers = metrics["ledger"]["customers"]
    assert customers["reasons"]["missing_outcome"] == 2
    assert customers["rows_kept"] == len(table) - 2 == metrics["n_customers"]
    kept = table.drop(index=table.index[[3, 7]])
    assert metrics["label"]["positives"] == int((kept["churned"] == "Yes").sum())
