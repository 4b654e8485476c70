"""Hostile content through a whole own-data report: markup in product names, categories and
column names stays text; a params string cannot inject code; the report leaks no PII; the
same params give the same metrics."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.params.notebooks import discover_notebooks
from tests.privacy_scan import assert_report_is_private, assert_segment_tables_respect_min_size
from tests.reliability.owndata import (
    IMG,
    RUN_NAME,
    SCRIPT,
    cli,
    own_params,
    write_params,
    write_tables,
)

pytestmark = [pytest.mark.notebooks, pytest.mark.xdist_group("hostile_report")]

HOSTILE_COLUMN = f"segment {SCRIPT}"


def hostile_tables() -> dict[str, pd.DataFrame]:
    """The tiny export with markup in product names, categories, a column name and values."""
    data = make_synthetic(150, seed=5, dirty=True)
    products = data.products.assign(
        name=lambda t: t["name"] + " " + SCRIPT,
        category=lambda t: t["category"].where(t["category"] != "toys", f"toys {IMG}"),
    )
    transactions = data.transactions.assign(
        category=lambda t: t["category"].where(t["category"] != "toys", f"toys {IMG}")
    )
    customers = data.customers.assign(
        **{HOSTILE_COLUMN: lambda t: t["channel"].map({"web": IMG}).fillna("plain")}
    )
    return {
        "customers": customers,
        "transactions": transactions,
        "products": products,
        "campaign": data.campaign,
    }


def _run(folder: Path, tables: dict, jobs: int = 2) -> Path:
    paths = write_tables(folder / "data", tables)
    params = own_params(folder, paths)
    # Columns the mapping does not name are dropped unless kept (issue 15): keep the hostile one.
    params["data"]["customers"]["keep_columns"] = [HOSTILE_COLUMN]
    params["report"] = {"title": f"Weekly {SCRIPT} report"}
    path = write_params(folder / "params.yaml", params)
    out = cli("run", str(path), "--quiet", "--jobs", str(jobs))
    assert out.returncode == 0, out.stderr
    return folder / "reports" / RUN_NAME


# Session scope: a module fixture is rebuilt whenever the worker interleaves another module.
@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    tables = hostile_tables()
    return tables, _run(tmp_path_factory.mktemp("hostile"), tables)


class Elements(HTMLParser):
    """Every element, attribute and text node of a page, as the browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.script_text if self._in_script else self.text).append(data)


def test_every_stage_ran(hostile):
    _, report = hostile
    manifest = json.loads((report / "manifest.json").read_text())
    statuses = {e["stem"]: e["status"] for e in manifest["notebooks"]}
    # 10 reads a campaign's outcomes: own data without an outcomes file has none to read.
    expected = {spec.stem: "ran" for spec in discover_notebooks()}
    expected["10_campaign_readout"] = "skipped"
    assert statuses == expected
    assert len(statuses) >= 10


def test_markup_from_the_data_is_text_in_every_page(hostile):
    _, report = hostile
    pages = sorted(report.rglob("*.html"))
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    ran = [entry for entry in manifest["notebooks"] if entry["status"] == "ran"]
    assert len(ran) >= 6
    assert len(pages) == 1 + len(ran)  # the index and every notebook that ran
    shown = 0
    for page in pages:
        parsed = Elements()
        parsed.feed(page.read_text(encoding="utf-8"))
        injected = [
            (tag, attrs)
            for tag, attrs in parsed.elements
            if any(name.startswith("on") for name in attrs) or attrs.get("src") == "x"
        ]
        assert not injected, (page.name, injected[:3])
        assert not [s for s in parsed.script_text if "alert(1)" in s], page.name
        text = "".join(parsed.text)
        shown += text.count(IMG) + text.count(SCRIPT)
    # The hostile labels reached the pages (and were shown as text, not dropped).
    assert shown > 0
    index = Elements()
    index.feed((report / "index.html").read_text(encoding="utf-8"))
    assert f"Weekly {SCRIPT} report" in "".join(index.text)


def test_hostile_labels_survive_as_data(hostile):
    _, report = hostile
    # Product names are dropped with the other "name" columns; categories are kept as given.
    products = pd.read_parquet(report / "artifacts" / "products_clean.parquet")
    assert f"toys {IMG}" in set(products["category"])
    transactions = pd.read_parquet(report / "artifacts" / "transactions_clean.parquet")
    assert f"toys {IMG}" in set(transactions["category"])
    customers = pd.read_parquet(report / "artifacts" / "customers_clean.parquet")
    assert HOSTILE_COLUMN in customers.columns


def test_no_pii_or_raw_id_in_the_report(hostile):
    tables, report = hostile
    customers = tables["customers"]
    pii = pd.concat([customers[c] for c in ("name", "email", "phone", "address")]).dropna()
    scanned = assert_report_is_private(report, pii, customers["customer_id"])
    assert scanned["id_columns"] >= 5 and scanned["tables"] >= 20
    assert assert_segment_tables_respect_min_size(report) > 0


def test_same_params_twice_give_identical_metrics(hostile, tmp_path):
    """Parallel (``--jobs 2``, the first run) and serial (``--jobs 1``) give the same bytes."""
    tables, report = hostile
    again = _run(tmp_path, tables, jobs=1)
    assert (again / "metrics.json").read_bytes() == (report / "metrics.json").read_bytes()
    first = json.loads((report / "manifest.json").read_text())
    second = json.loads((again / "manifest.json").read_text())
    timings = {"started", "finished", "notebooks", "params_file", "params", "inputs"}
    assert {k: v for k, v in first.items() if k not in timings} == {
        k: v for k, v in second.items() if k not in timings
    }
    # The timings live in the manifest only (a skipped notebook has none).
    ran = [e for e in second["notebooks"] if e["status"] == "ran"]
    assert len(ran) >= 9
    assert all(e["seconds"] > 0 for e in ran)
    assert {e["status"] for e in second["notebooks"]} <= {"ran", "skipped"}
    assert "seconds" not in (again / "metrics.json").read_text()


def test_a_params_string_cannot_inject_code(tmp_path):
    marker = tmp_path / "INJECTED"
    payload = f'2025-10-01"); __import__("pathlib").Path({str(marker)!r}).touch(); ("'
    tables = hostile_tables()
    paths = write_tables(tmp_path / "data", {"transactions": tables["transactions"]})
    params = own_params(tmp_path, paths, sections={"preprocessing": {"cutoff": payload}})
    path = write_params(tmp_path / "params.yaml", params)

    out = cli("run", str(path), "--quiet", "--only", "01_preprocessing")

    assert out.returncode == 1
    # The whole string reached the notebook as one literal, and was refused as a date.
    assert f"expected an ISO date or 'auto', found {payload!r}" in out.stderr
    assert not marker.exists()
