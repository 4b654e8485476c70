"""Shared fixtures of the end-to-end reliability tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.reliability.builders import base_tables
from tests.reliability.owndata import RUN_NAME, cli, own_params, write_params, write_tables
from tests.xdist_loadgroup import apply_xdist_groups


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # The hostile-report tests share one report: one worker (see tests/xdist_loadgroup.py).
    apply_xdist_groups(config, items)


def normalized_stderr(stderr: str, folder: Path) -> str:
    """The user's stderr with the case folder, cell number, code excerpt and time as placeholders.

    The Jupyter kernel's own log lines are left out: they are not the workbook's messages.
    """
    lines = [line for line in stderr.splitlines() if not line.startswith("[IPKernelApp]")]
    text = "\n".join(lines).strip().replace(str(folder), "<dir>")
    text = re.sub(
        r"failed in cell \d+ \(starting (['\"]).*?\1\): ",
        "failed in cell <n> (starting <code>): ",
        text,
    )
    return re.sub(r"\.failed/([\w.-]+)-\d{8}-\d{6}/", r".failed/\1-<time>/", text)


@pytest.fixture(scope="session")
def last_good(tmp_path_factory) -> Path:
    """A good report of the tiny export under the run name every case uses (01 only: cheap).

    Built once per xdist worker (not grouped): the cases spread over both workers.
    """
    folder = tmp_path_factory.mktemp("previous")
    paths = write_tables(folder / "data", base_tables())
    params = write_params(folder / "params.yaml", own_params(folder, paths))
    out = cli("run", str(params), "--quiet", "--only", "01_preprocessing")
    assert out.returncode == 0, out.stderr
    report = folder / "reports" / RUN_NAME
    assert (report / "html" / "01_preprocessing.html").is_file()
    return report
