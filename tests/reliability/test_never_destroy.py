"""Issue 15 end to end: never destroy, never leak, never silently drop.

Each test runs ``marketing-workbook`` as a subprocess on a tiny export made
unlucky in one way, and checks what the user gets: the exit code, the message,
the files left behind. The refusals before anything runs (report paths, YAML,
bounds) are cases of tests/reliability/cases.py; these are the runs that
succeed or fail later and must still keep their promises.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketing_utils.runner.safety import REPORT_MARKER
from tests.privacy_scan import assert_no_contact_details, assert_report_is_private
from tests.reliability.builders import base_tables
from tests.reliability.owndata import (
    RUN_NAME,
    cli,
    kernel_noise_free,
    own_params,
    snapshot,
    write_params,
    write_tables,
)

pytestmark = pytest.mark.notebooks

ONLY_01 = ("--only", "01_preprocessing")


def _run(folder: Path, tables: dict, *args: str, **params_changes):
    paths = write_tables(folder / "data", tables)
    params = own_params(folder, paths)
    params.update(params_changes)
    path = write_params(folder / "params.yaml", params)
    return cli("run", str(path), "--quiet", *args)


def test_unmapped_personal_columns_never_reach_an_artifact_and_links_are_never_followed(tmp_path):
    # Defect 3: columns the mapping does not name, holding e-mails, phones and names.
    tables = base_tables()
    customers = tables["customers"]
    n = len(customers)
    contact = [f"client.{i}@example.org" for i in range(n)]
    phones = [f"+44 20 7946 {i:04d}" for i in range(n)]
    notes = [f"called {name} about the order" for name in np.resize(["Maria", "James"], n)]
    tables["customers"] = customers.assign(contact=contact, **{"Kontakt Telefon": phones})
    tables["customers"]["notes"] = notes
    buyers = [f"buyer{i}@example.net" for i in range(len(tables["transactions"]))]
    tables["transactions"] = tables["transactions"].assign(buyer_email=buyers)
    # Defect 7: a link where recover() looks for an interrupted run's previous report.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work\n", encoding="utf-8")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / f".previous-{RUN_NAME}").symlink_to(mine, target_is_directory=True)

    out = _run(tmp_path, tables, *ONLY_01)

    assert out.returncode == 0, kernel_noise_free(out.stderr)
    report = tmp_path / "reports" / RUN_NAME
    assert (report / REPORT_MARKER).is_file()
    assert snapshot(mine) == {"thesis.txt": b"years of work\n"}  # the link's target is intact
    assert not (tmp_path / "reports" / f".previous-{RUN_NAME}").is_symlink()
    pii = [*contact, *phones, *notes, *buyers]
    for table in ("customers", "transactions"):
        pii += tables[table].get("name", pd.Series(dtype=str)).dropna().tolist()
    scanned = assert_report_is_private(report, pii, customers["customer_id"])
    assert scanned["tables"] >= 5
    assert assert_no_contact_details(report) > 0
    clean = pd.read_parquet(report / "artifacts" / "customers_clean.parquet")
    assert not {"contact", "Kontakt Telefon", "notes"} & set(clean.columns)
    for name in ("transactions_clean", "returns"):
        assert "buyer_email" not in pd.read_parquet(report / "artifacts" / f"{name}.parquet")
    metrics = json.loads((report / "metrics.json").read_text())["preprocessing"]
    assert metrics["dropped_columns"] == {
        "customers": ["contact", "Kontakt Telefon", "notes"],
        "transactions": ["buyer_email"],
    }


def test_unknown_customers_warn_with_the_cause_and_a_capped_purchase_caps_its_cancellation(
    tmp_path,
):
    tables = base_tables()
    customers = tables["customers"]
    tx = tables["transactions"].copy()
    # Defect 9: 60 of the customers' ids written with a leading space in the transactions.
    spaced = set(customers["customer_id"].iloc[:60])
    tx["customer_id"] = [f" {c}" if c in spaced else c for c in tx["customer_id"]]
    removed = int(tx["customer_id"].str.startswith(" ").sum())
    spaced_ids = tx.loc[tx["customer_id"].str.startswith(" "), "customer_id"].nunique()
    assert removed / len(tx) > 0.05 and spaced_ids > 40
    # Defect 11: the well-known 74,215-unit order and its cancellation, by a kept customer.
    buyer = customers["customer_id"].iloc[-1]
    order = {"customer_id": buyer, "order_id": "X1", "product_id": "P00001", "category": "home"}
    huge = [
        {**order, "timestamp": "2025-01-18 10:01:00", "quantity": 74215.0, "unit_price": 1.04},
        {**order, "timestamp": "2025-01-18 10:17:00", "quantity": -74215.0, "unit_price": 1.04},
    ]
    huge = pd.DataFrame(huge).assign(amount=lambda f: f["quantity"] * f["unit_price"])
    tables["transactions"] = pd.concat([tx, huge.reindex(columns=tx.columns)], ignore_index=True)
    # Defect 9: a products table naming none of the products sold.
    tables["products"] = pd.DataFrame({"product_id": ["Z1", "Z2"], "category": ["x", "y"]})

    out = _run(tmp_path, tables, *ONLY_01)

    assert out.returncode == 0, kernel_noise_free(out.stderr)
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning: ")]
    rows = len(tables["transactions"])
    report = tmp_path / "reports" / RUN_NAME
    ledger = pd.read_parquet(report / "artifacts" / "cleaning_ledger.parquet")
    unknown = ledger.loc[ledger["reason"] == "unknown_customer", "rows"].item()
    # The spaced rows, less those removed before as duplicates or without an id.
    assert 0.95 * removed <= unknown <= removed
    assert warnings[0].startswith(
        f"warning: 01_preprocessing: transactions: {unknown} of {rows} rows "
        f"({unknown / rows:.0%}) were removed as unknown customers"
    )
    assert (
        f"{spaced_ids} of those ids match a customer once surrounding spaces are ignored"
        in warnings[0]
    )
    assert not any(c in out.stderr for c in spaced)  # examples are masked
    sold = tables["transactions"]["product_id"].nunique()
    assert warnings[1] == (
        f"warning: 01_preprocessing: products: 0 of the {sold} product ids in the transactions "
        "(0%) are in the products table; expected most of them: check that both files use the "
        "same product ids (e.g. the same column of the export)"
    )
    notebook = (report / "notebooks" / "01_preprocessing.ipynb").read_text()
    assert "were removed as unknown customers" in notebook
    sales = pd.read_parquet(report / "artifacts" / "transactions_clean.parquet")
    returns = pd.read_parquet(report / "artifacts" / "returns.parquet")
    cap = sales.loc[sales["order_id"] == "X1", "quantity"].item()
    assert cap < 1000
    assert returns.loc[returns["order_id"] == "X1", "quantity"].item() == -cap
    features = pd.read_parquet(report / "artifacts" / "customer_features.parquet")
    assert 0 < features["returns_rate"].max() <= 1.0


def test_failed_runs_are_kept_five_at_most_and_foreign_folders_never(tmp_path):
    failed = tmp_path / "reports" / ".failed"
    for day in range(1, 7):
        old = failed / f"{RUN_NAME}-2020010{day}-000000"
        old.mkdir(parents=True)
        (old / REPORT_MARKER).write_text("{}", encoding="utf-8")
    foreign = failed / f"{RUN_NAME}-20190101-000000"  # same shape of name, not made by a run
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n", encoding="utf-8")
    tables = base_tables()
    tables["transactions"] = tables["transactions"].head(0)

    out = _run(tmp_path, tables, *ONLY_01)

    assert out.returncode == 1
    kept = sorted(p.name for p in failed.iterdir())
    assert kept[0] == foreign.name and len(kept) == 6
    assert kept[1:5] == [f"{RUN_NAME}-2020010{day}-000000" for day in (3, 4, 5, 6)]
    assert kept[5].startswith(f"{RUN_NAME}-2") and not kept[5].startswith(f"{RUN_NAME}-2020")
    assert (foreign / "notes.txt").read_text() == "mine\n"


def test_a_damaged_model_file_is_refused_by_name(tmp_path):
    model = tmp_path / "propensity_model.skops"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("schema.json", json.dumps({"__class__": "x"}) * 200)
    model.write_bytes(model.read_bytes()[:-40])  # truncated: the central directory is cut
    data = tmp_path / "features.csv"
    data.write_text("customer_id,x\ncust_0000000000000001,1\n", encoding="utf-8")

    out = cli(
        "score", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "s.csv"),
        "--ids-pseudonymized",
    )  # fmt: skip

    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(
        f"error: {model}: expected a model file saved by the workbook (a skops zip archive), "
        "found a damaged or truncated file (BadZipFile: "
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: no permission to remove")
def test_an_unreadable_params_file_is_named(tmp_path):
    path = write_params(tmp_path / "params.yaml", own_params(tmp_path, {}))
    path.chmod(0)
    out = cli("validate", str(path))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"error: {path}: invalid params\n"
        "  - expected a params file this user can read, found no read permission"
    )
