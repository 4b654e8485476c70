"""The privacy scan over the report of every params file (shared session reports).

Each test uses one report fixture, so it runs on the xdist worker that builds
that report anyway. ``params/default.yaml`` and ``params/large.yaml`` are the synthetic source of
``params/ci.yaml`` at 20,000 and 100,000 customers; the ci report stands for them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from tests.notebooks.conftest import ROOT
from tests.privacy_scan import assert_report_is_private, assert_segment_tables_respect_min_size

#: The report fixture that scans each params file's report.
SCANNED = {
    "ci.yaml": "ci_report",
    "default.yaml": "ci_report",
    "large.yaml": "ci_report",
    "synthetic_offers.yaml": "ci_report",  # synthetic, like the ci report (two offers)
    "bank_marketing.yaml": "bank_report",
    "hillstrom.yaml": "hillstrom_report",
    "cdnow.yaml": "cdnow_report",
    "own_data_example.yaml": "own_data_report",
    "churn.yaml": "churn_report",
}


def test_every_params_file_has_a_scanned_report():
    assert sorted(p.name for p in (ROOT / "params").glob("*.yaml")) == sorted(SCANNED)
    for name in ("default.yaml", "large.yaml", "synthetic_offers.yaml"):
        params = yaml.safe_load((ROOT / "params" / name).read_text())
        assert params["data"]["source"] == "synthetic", name


def _scan(report, pii, raw_ids) -> dict:
    result, _ = report
    scanned = assert_report_is_private(result.report_dir, pii, raw_ids)
    assert scanned["id_columns"] >= 3  # pseudonyms checked in several artifacts
    assert assert_segment_tables_respect_min_size(result.report_dir) > 0
    return scanned


def test_ci_report_is_private(ci_report):
    from marketing_utils.datasets.synthetic import make_synthetic
    from marketing_utils.params.file import load_params

    params = load_params(ROOT / "params" / "ci.yaml")
    data = params.data
    raw = make_synthetic(
        data["n_customers"],
        seed=params.seed,
        start=data["start"],
        end=data["end"],
        n_products=data["n_products"],
        dirty=data["dirty"],
    )
    customers = raw.customers
    pii = pd.concat([customers[c] for c in ("name", "email", "phone", "address")]).dropna()
    _scan(ci_report, pii, customers["customer_id"])


def _row_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{number:06d}" for number in range(1, count + 1)]


def test_bank_report_is_private(bank_report):
    _scan(bank_report, [], _row_ids("bank", 45_211))


def test_hillstrom_report_is_private(hillstrom_report):
    _scan(hillstrom_report, [], _row_ids("hill", 64_000))


def test_cdnow_report_is_private(cdnow_report, datasets_dir: Path):
    raw = pd.read_csv(datasets_dir / "CDNOW_master.txt", sep=r"\s+", dtype="str")
    _scan(cdnow_report, [], raw["customer_id"].unique())


def test_own_data_report_is_private(own_data_report):
    from marketing_utils.datasets.retail_export import make_retail_export

    export = make_retail_export(1500, seed=3)  # as the fixture writes it
    ids = export["Customer ID"].str.removesuffix(".0")
    _scan(own_data_report, [], ids)


def test_churn_report_is_private(churn_report):
    from marketing_utils.datasets.synthetic_churn import make_churn_table

    result, _, _ = churn_report
    table, _ = make_churn_table(5000, seed=42, leak=True)  # as the fixture writes it
    # Raw customer ids and the account numbers (an identifier-like column) appear nowhere.
    _scan((result, None), table["account_number"], table["customer_id"])
