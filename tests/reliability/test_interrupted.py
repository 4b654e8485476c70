"""A run killed mid-notebook (SIGTERM or SIGKILL) leaves the previous report intact; a rerun
takes over the stale lock and succeeds."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.reliability.builders import base_tables
from tests.reliability.owndata import (
    RUN_NAME,
    cli,
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


def children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (the notebook kernels of a run), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_full_run(tmp_path: Path, last_good: Path):
    report = copy_report(last_good, tmp_path / "reports")
    paths = write_tables(tmp_path / "data", base_tables())
    params = write_params(tmp_path / "params.yaml", own_params(tmp_path, paths))
    process = start_cli("run", str(params), "--quiet")
    return report, params, process


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"]
)
def test_killed_run_keeps_the_previous_report_and_rerun_succeeds(tmp_path, last_good, sig):
    reports = tmp_path / "reports"
    report, params, process = _start_full_run(tmp_path, last_good)
    before = snapshot(report)
    lock = reports / f".{RUN_NAME}.lock"
    wait_for(lambda: executing_notebook(reports), what="01_preprocessing to start")
    assert json.loads(lock.read_text())["pid"] == process.pid
    kernels = wait_for(lambda: children(process.pid), what="the notebook kernel")

    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    # No kernel is left running: SIGTERM and SIGINT shut it down, SIGKILL orphans it and it exits.
    wait_for(lambda: not any(alive(pid) for pid in kernels), 60, "the kernel to exit")

    assert snapshot(report) == before  # untouched: no file added, removed or half-written
    if sig != signal.SIGKILL:
        assert process.returncode == 128 + sig
        assert f"error: run interrupted by signal {int(sig)} ({sig.name})" in stderr
        assert "Traceback" not in stderr
        assert f"The previous report (if any) is unchanged: {report}" in stderr
        assert not lock.exists()  # released on the way out
        assert not list(reports.glob(".tmp-*"))  # moved to .failed for debugging
        kept = list(reports.glob(f".failed/{RUN_NAME}-*/notebooks/01_preprocessing.ipynb"))
        assert len(kept) == 1
    else:
        assert process.returncode == -signal.SIGKILL
        assert json.loads(lock.read_text())["pid"] == process.pid  # left behind: stale
        assert len(list(reports.glob(f".tmp-{RUN_NAME}-{process.pid}-*"))) == 1

    rerun = cli("run", str(params), "--quiet", "--only", "01_preprocessing")

    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip() == str(report / "index.html")
    assert not lock.exists()
    assert not list(reports.glob(".tmp-*"))  # the dead run's staging directory is cleaned up
    assert snapshot(report) != before  # the rerun published a new report
    manifest = json.loads((report / "manifest.json").read_text())
    assert [e["status"] for e in manifest["notebooks"]] == ["ran"]
