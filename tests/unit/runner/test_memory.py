"""The peak memory the runner records for each notebook: its kernel and the kernel's children."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from marketing_utils.runner._memory import PeakMemory, format_bytes, tree_rss

MB = 2**20

# Holds ``own`` MB, starts a child holding ``child`` MB, writes ``ready`` once both hold
# their memory, frees its own block when ``free`` appears, ends when ``done`` appears.
_HOLDER = """
import subprocess, sys, time
from pathlib import Path
own, child, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
block = b"x" * (own * 2**20)  # bytes filled in: every page resident
kid = None
if child:
    kid = subprocess.Popen([sys.executable, "-c",
        "import sys, time; from pathlib import Path; b = b'x' * (int(sys.argv[1]) * 2**20);"
        "Path(sys.argv[2], 'kid').write_text('');"
        "[time.sleep(0.05) for _ in iter(lambda: Path(sys.argv[2], 'done').exists(), True)]",
        str(child), str(folder)])
    while not (folder / "kid").exists():
        time.sleep(0.02)
(folder / "ready").write_text("")
while not (folder / "free").exists():
    time.sleep(0.02)
del block
(folder / "freed").write_text("")
while not (folder / "done").exists():
    time.sleep(0.02)
if kid is not None:
    kid.wait()
"""


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never appeared")
        time.sleep(0.02)


@pytest.fixture
def holder(tmp_path):
    """Start a holder process in a folder of its own (``name``); every holder ends at teardown."""
    started = []

    def start(own: int, child: int, name: str = "holder") -> subprocess.Popen:
        folder = tmp_path / name
        folder.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(own), str(child), str(folder)]
        )
        started.append((process, folder))
        _wait_for(folder / "ready")
        return process

    yield start
    for process, folder in started:
        (folder / "free").write_text("")
        (folder / "done").write_text("")
        process.wait(timeout=30)


def test_the_peak_adds_the_children_to_the_watched_process(tmp_path, holder):
    process = holder(own=100, child=200)
    parent_alone = psutil.Process(process.pid).memory_info().rss
    assert 100 * MB < parent_alone < 250 * MB  # the child's 200 MB are not the parent's
    with PeakMemory(interval=0.05) as memory:
        memory.watch(process.pid)
        time.sleep(0.3)
    assert memory.peak_bytes >= 300 * MB  # the sum of the two processes


def test_the_peak_outlives_the_memory_it_saw(tmp_path, holder):
    process = holder(own=300, child=0)
    with PeakMemory(interval=0.05) as memory:
        memory.watch(process.pid)
        time.sleep(0.3)
        (tmp_path / "holder" / "free").write_text("")
        _wait_for(tmp_path / "holder" / "freed")
        time.sleep(0.3)
        after = tree_rss(psutil.Process(process.pid))
    assert after < 150 * MB  # freed
    assert memory.peak_bytes >= 300 * MB  # but the peak remembers it


def test_nothing_watched_or_an_ended_process_gives_no_peak():
    with PeakMemory() as memory:
        memory.watch(None)
    assert memory.peak_bytes is None
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    with PeakMemory() as memory:
        memory.watch(ended.pid)
    assert memory.peak_bytes is None


def test_only_the_first_watched_process_counts(holder):
    first = holder(own=50, child=0, name="first")
    second = holder(own=300, child=0, name="second")
    with PeakMemory(interval=0.05) as memory:
        memory.watch(first.pid)
        memory.watch(second.pid)
        time.sleep(0.2)
    assert 50 * MB <= memory.peak_bytes < 150 * MB


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "peak-memory" and t.is_alive()]


def test_no_sampler_thread_outlives_its_context(holder):
    process = holder(own=10, child=0)
    with PeakMemory(interval=0.05) as memory:
        memory.watch(process.pid)
        assert len(_sampler_threads()) == 1
    assert _sampler_threads() == []
    memory.watch(process.pid)  # after the end: ignored, no thread started
    assert _sampler_threads() == []


def test_an_error_while_sampling_keeps_the_peak_and_never_reaches_the_run(monkeypatch, holder):
    from marketing_utils.runner import _memory

    process = holder(own=10, child=0)
    reads = iter([123 * MB, 456 * MB])

    def failing_reads(_process):
        value = next(reads, None)
        if value is None:
            raise RuntimeError("a read that fails")
        return value

    monkeypatch.setattr(_memory, "tree_rss", failing_reads)
    with PeakMemory(interval=0.02) as memory:
        memory.watch(process.pid)
        time.sleep(0.3)
        assert _sampler_threads() == []  # the failing read ended the sampling thread
    assert memory.peak_bytes == 456 * MB


def test_a_failing_start_leaves_the_run_unmeasured(monkeypatch, holder):
    from marketing_utils.runner import _memory

    process = holder(own=10, child=0)

    def no_threads(*args, **kwargs):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_memory.threading, "Thread", no_threads)
    with PeakMemory() as memory:
        memory.watch(process.pid)  # must not raise
    assert memory.peak_bytes is not None  # the first sample, read before the thread


@pytest.mark.parametrize(
    ("size", "text"),
    [(850 * MB, "850 MB"), (0.4 * MB, "0 MB"), (1024 * MB, "1.0 GB"), (1.3 * 2**30, "1.3 GB")],
)
def test_format_bytes(size, text):
    assert format_bytes(size) == text
