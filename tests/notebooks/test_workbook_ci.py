"""The whole workbook, executed through the runner with params/ci.yaml.

Each notebook's own metrics are asserted in tests/notebooks/test_NN_name.py;
this file checks what holds for all of them (files, privacy).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from marketing_utils.runner.notebooks import discover_notebooks


def test_every_notebook_has_its_test_file():
    """Each notebook NN_name has tests/notebooks/test_NN_name.py asserting its recorded metrics."""
    here = Path(__file__).parent
    missing = [s.stem for s in discover_notebooks() if not (here / f"test_{s.stem}.py").is_file()]
    assert not missing


def test_every_notebook_ran(ci_report):
    result, metrics = ci_report
    for entry in result.notebooks:
        assert entry["status"] in ("ran", "skipped"), entry
        if entry["status"] == "ran":
            assert re.sub(r"^\d{2}_", "", entry["stem"]) in metrics, entry["stem"]


def test_report_files(ci_report):
    result, _ = ci_report
    manifest = json.loads((result.report_dir / "manifest.json").read_text())
    assert manifest["data_source"] == "synthetic"
    assert (result.report_dir / "index.html").is_file()
    for entry in result.notebooks:
        assert (result.report_dir / entry["html"]).is_file()


def test_no_pii_or_raw_ids_in_any_output(ci_report):
    """Search every rendered HTML and written artifact for injected PII values and raw ids."""
    import pandas as pd

    from marketing_utils.datasets.synthetic import make_synthetic
    from marketing_utils.params import load_params
    from tests.notebooks.conftest import ROOT

    result, _ = ci_report
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
    needles = set()
    for column in ("name", "email", "phone", "address"):
        needles |= set(customers[column].dropna().astype(str).sample(200, random_state=0))
    raw_ids = set(customers["customer_id"].sample(200, random_state=1))

    texts = []
    for path in result.report_dir.rglob("*"):
        if path.suffix in (".html", ".json", ".ipynb", ".csv"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".parquet":
            texts.append(pd.read_parquet(path).to_csv(index=False))
    blob = "\n".join(texts)
    leaked = [value for value in needles if value in blob]
    assert not leaked, leaked[:5]
    leaked_ids = [value for value in raw_ids if re.search(rf"\b{re.escape(value)}\b", blob)]
    assert not leaked_ids, leaked_ids[:5]
