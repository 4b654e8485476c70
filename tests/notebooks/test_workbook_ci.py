"""The whole workbook, executed through the runner with params/ci.yaml.

Each notebook's own metrics are asserted in tests/notebooks/test_NN_name.py;
this file checks what holds for all of them (files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from marketing_utils.params.notebooks import discover_notebooks


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


# The privacy scan of this report (and of every params file's) is in test_privacy_reports.py.
