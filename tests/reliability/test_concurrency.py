"""Runs at the same time: different run names both succeed; the same run name is refused."""

from __future__ import annotations

import json
import re

import pytest

from tests.reliability.builders import base_tables
from tests.reliability.owndata import (
    RUN_NAME,
    copy_report,
    executing_notebook,
    own_params,
    snapshot,
    start_cli,
    wait_for,
    write_params,
    write_tables,
)

pytestmark = pytest.mark.notebooks


def _params(tmp_path, run_name: str):
    paths = write_tables(tmp_path / "data", base_tables())
    params = own_params(tmp_path, paths, run_name=run_name)
    return write_params(tmp_path / f"{run_name}.yaml", params)


def test_two_run_names_at_once_both_succeed(tmp_path):
    runs = {name: _params(tmp_path, name) for name in ("north", "south")}
    started = {
        name: start_cli("run", str(path), "--quiet", "--only", "01_preprocessing")
        for name, path in runs.items()
    }
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert stdout.strip() == str(tmp_path / "reports" / name / "index.html")
    reports = tmp_path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["north", "south"]  # no lock, no staging
    for name in runs:
        manifest = json.loads((reports / name / "manifest.json").read_text())
        assert manifest["run_name"] == name
        assert sorted(snapshot(reports / name / "notebooks")) == ["01_preprocessing.ipynb"]


def test_same_run_name_at_once_the_second_refuses(tmp_path, last_good):
    reports = tmp_path / "reports"
    copy_report(last_good, reports)
    path = _params(tmp_path, RUN_NAME)
    first = start_cli("run", str(path), "--quiet", "--only", "01_preprocessing")
    wait_for(lambda: executing_notebook(reports), what="the first run to execute 01")

    second = start_cli("run", str(path), "--quiet", "--only", "01_preprocessing")
    _, refused = second.communicate(timeout=120)
    stdout, stderr = first.communicate(timeout=300)

    assert second.returncode == 1
    message = re.sub(r"started [\d: -]+\)", "started <time>)", refused.strip())
    assert message == (
        f"error: another run named '{RUN_NAME}' is in progress (pid {first.pid}, started <time>); "
        f"wait for it to finish, or use another run_name. Lock file: {reports}/.{RUN_NAME}.lock"
    )
    assert first.returncode == 0, stderr
    # Only the first run's files: the second made no staging or failed directory.
    assert sorted(p.name for p in reports.iterdir()) == [RUN_NAME]
    manifest = json.loads((reports / RUN_NAME / "manifest.json").read_text())
    previous = json.loads((last_good / "manifest.json").read_text())
    assert manifest["started"] >= previous["finished"]
    assert json.loads((reports / RUN_NAME / "metrics.json").read_text()) == json.loads(
        (last_good / "metrics.json").read_text()
    )  # same params and data as the previous report: the same metrics
