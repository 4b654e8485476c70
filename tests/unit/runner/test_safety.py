"""RunLock across processes: one holder at a time, released when the holder dies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from marketing_utils.errors import RunError
from marketing_utils.runner.safety import RunInterrupted, RunLock, terminate_as_exception

HOLD = """
import sys, time
from pathlib import Path
from marketing_utils.errors import RunError
from marketing_utils.runner.safety import RunLock
try:
    with RunLock(Path(sys.argv[1]), "demo"):
        print("locked", flush=True)
        sys.stdin.read()  # hold the lock until the test closes our stdin
except RunError:
    print("refused", flush=True)
"""


def _holder(folder) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_lock_held_by_another_process_refuses_then_is_taken_over_after_sigkill(tmp_path):
    holder = _holder(tmp_path)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(RunError) as caught, RunLock(tmp_path, "demo"):
        pass
    assert f"another run named 'demo' is in progress (pid {holder.pid}, started " in str(
        caught.value
    )
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock = tmp_path / ".demo.lock"
    assert json.loads(lock.read_text())["pid"] == holder.pid  # the file stays behind
    with RunLock(tmp_path, "demo"):
        assert json.loads(lock.read_text())["pid"] != holder.pid
    assert not lock.exists()


def test_runs_starting_at_the_same_instant_have_exactly_one_winner(tmp_path):
    holders = [_holder(tmp_path) for _ in range(6)]
    # Each prints one line; the winner keeps holding until every other one has answered.
    outcomes = sorted(h.stdout.readline().strip() for h in holders)
    for h in holders:
        h.communicate(timeout=60)
    assert outcomes == ["locked"] + ["refused"] * 5


def test_sigterm_becomes_run_interrupted_with_its_number():
    with pytest.raises(RunInterrupted) as caught, terminate_as_exception():
        signal.raise_signal(signal.SIGTERM)
        time.sleep(1)
    assert str(caught.value) == "run interrupted by signal 15 (SIGTERM)"
    assert caught.value.signum == 15
