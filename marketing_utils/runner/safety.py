"""Keep report runs safe: one run per name at a time, and an atomic swap at the end.

A run writes into a temporary directory beside the report and swaps it in only
when every notebook succeeded, so a failed, interrupted or killed run never
destroys the last good report.
"""

from __future__ import annotations

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

    The lock is a file created with ``O_EXCL``; it records the owner's pid so
    that the lock of a killed run (SIGKILL leaves it behind) is recognized as
    stale and taken over instead of blocking the next run forever.
    """

    def __init__(self, output_dir: Path, run_name: str) -> None:
        self.path = Path(output_dir) / f".{run_name}.lock"
        self.run_name = run_name

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner and _process_alive(owner.get("pid", -1)):
                    raise RunError(
                        f"another run named '{self.run_name}' is in progress (pid {owner['pid']}, "
                        f"started {owner.get('started', '?')}); wait for it to finish, or use "
                        f"another run_name. Lock file: {self.path}"
                    ) from None
                self.path.unlink(missing_ok=True)  # stale: its owner is gone
                continue
            with os.fdopen(handle, "w") as stream:
                json.dump(
                    {"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}, stream
                )
            return self
        raise RunError(f"could not take the lock {self.path}")

    def _owner(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


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
