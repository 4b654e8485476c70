"""Keep report runs safe: one run per name at a time, and an atomic swap at the end.

A run writes into a temporary directory beside the report and swaps it in only
when every notebook succeeded, so a failed, interrupted or killed run never
destroys the last good report.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import RunError

__all__ = ["RunLock", "publish", "recover", "terminate_as_exception"]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """An exclusive lock on a run name, held for the whole run.

    The lock is an ``flock`` on ``<output_dir>/.<run_name>.lock``, which also
    records the owner's pid for the message a second run shows. The kernel
    releases an ``flock`` when its owner dies, however it dies, so the lock of
    a killed run (SIGKILL leaves the file behind) is taken over by the next
    run, and two runs starting at the same instant cannot both win: there is
    no window between "is it stale?" and "take it" as with a pid check.
    POSIX only (``fcntl``); the output folder must be on a local file system.
    """

    def __init__(self, output_dir: Path, run_name: str) -> None:
        self.path = Path(output_dir) / f".{run_name}.lock"
        self.run_name = run_name
        self._handle: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                owner = self._owner() or {}
                raise RunError(
                    f"another run named '{self.run_name}' is in progress (pid "
                    f"{owner.get('pid', '?')}, started {owner.get('started', '?')}); wait for it "
                    f"to finish, or use another run_name. Lock file: {self.path}"
                ) from None
            # The previous holder unlinks the file on exit; a lock taken on the unlinked
            # file between our open and flock would lock nothing, so try again.
            try:
                current = os.stat(self.path).st_ino == os.fstat(handle).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(handle)
        owner = {"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(handle, 0)
        os.write(handle, json.dumps(owner).encode())
        self._handle = handle
        return self

    def _owner(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc) -> None:
        # Unlink while still holding the lock, so nobody can lock the file being removed.
        self.path.unlink(missing_ok=True)
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def recover(output_dir: Path, run_name: str) -> None:
    """Repair what an interrupted run may have left behind.

    A run killed between the two renames of :func:`publish` leaves the old
    report under ``.previous-<run>``; it is put back. Temporary directories of
    runs whose process is gone are removed.
    """
    output_dir = Path(output_dir)
    final, previous = output_dir / run_name, output_dir / f".previous-{run_name}"
    if previous.is_dir():
        if final.exists():
            shutil.rmtree(previous)
        else:
            os.rename(previous, final)
    for leftover in output_dir.glob(f".tmp-{run_name}-*"):
        pid = leftover.name.rsplit("-", 2)[-2]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def publish(staging: Path, output_dir: Path, run_name: str) -> Path:
    """Swap a finished staging directory in as the report of ``run_name``."""
    final, previous = output_dir / run_name, output_dir / f".previous-{run_name}"
    if previous.exists():
        shutil.rmtree(previous)
    if final.exists():
        os.rename(final, previous)
    os.rename(staging, final)
    if previous.exists():
        shutil.rmtree(previous)
    return final


class RunInterrupted(BaseException):
    """Raised in the runner when the process receives SIGTERM.

    A ``BaseException``, so that no ``except Exception`` on the way up swallows
    it; ``signum`` gives the command its exit code (128 + signal number).
    """

    def __init__(self, message: str, signum: int = signal.SIGTERM) -> None:
        super().__init__(message)
        self.signum = int(signum)


@contextmanager
def terminate_as_exception():
    """Turn SIGTERM into :class:`RunInterrupted`, so cleanup code runs before exit."""

    def handler(signum, frame):
        name = signal.Signals(signum).name
        raise RunInterrupted(f"run interrupted by signal {signum} ({name})", signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
