"""Bad input, end to end through ``marketing-workbook run``: the exact message, the exit code,
and the previous report of the same run name left byte for byte as it was."""

from __future__ import annotations

import pytest

from tests.reliability.cases import CASES, write_case
from tests.reliability.conftest import normalized_stderr
from tests.reliability.owndata import RUN_NAME, cli, copy_report, snapshot

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_fails_clearly_and_keeps_the_previous_report(case, tmp_path, last_good):
    report = copy_report(last_good, tmp_path / "reports")
    before = snapshot(report)
    params, args = write_case(case, tmp_path)
    inputs = snapshot(tmp_path / "data")
    others = {p: snapshot(p) for p in tmp_path.iterdir() if p.is_dir() and p.name != "reports"}

    out = cli("run", str(params), "--quiet", *args)

    assert normalized_stderr(out.stderr, tmp_path) == case.expected_stderr()
    assert out.returncode == case.exit_code
    assert out.stdout == ""
    assert snapshot(report) == before
    # Input files are never written or removed, nor any folder of the user's (issue 15).
    assert snapshot(tmp_path / "data") == inputs
    assert {p: snapshot(p) for p in others} == others
    leftovers = sorted(p.name for p in (tmp_path / "reports").iterdir())
    expected = [".failed", RUN_NAME] if case.stage.startswith("0") else [RUN_NAME]
    assert leftovers == expected  # no lock, no staging directory left behind
