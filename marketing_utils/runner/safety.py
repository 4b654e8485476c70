"""Keep report runs safe: one run per name at a time, and an atomic swap at the end.

A run writes into a temporary directory beside the report and swaps it in only
when every notebook succeeded, so a failed, interrupted or killed run never
destroys the last good report.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import RunError

__all__ = [
    "REPORT_MARKER",
    "RunLock",
    "is_report",
    "mark_report",
    "prune_failed",
    "publish",
    "recover",
    "report_path_problems",
    "terminate_as_exception",
]

#: The file a report directory holds to show the workbook created it. Only a directory
#: holding it (and not a symbolic link) is ever replaced or removed by the workbook.
REPORT_MARKER = ".marketing-workbook-report"
#: Failed runs kept per run name under ``<output_dir>/.failed/`` (the oldest are removed).
KEEP_FAILED = 5


def mark_report(folder: Path, run_name: str) -> None:
    """Write the marker that makes ``folder`` a directory the workbook created."""
    marker = {"created_by": "marketing-workbook", "run_name": run_name}
    (Path(folder) / REPORT_MARKER).write_text(json.dumps(marker), encoding="utf-8")


#: What a report holds at its top (reports written before the marker existed hold only these).
_REPORT_ENTRIES = {"artifacts", "html", "notebooks", "metrics.json", "manifest.json", "index.html"}


def _legacy_report(folder: Path) -> bool:
    """A report written before the marker: the report layout only, and its own manifest."""
    try:
        names = {entry.name for entry in folder.iterdir()}
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return names <= _REPORT_ENTRIES and isinstance(manifest, dict) and "run_name" in manifest


def is_report(folder: Path) -> bool:
    """True when ``folder`` is a real directory (no link) that the workbook created.

    That is, it holds :data:`REPORT_MARKER`, or (a report written by an earlier
    version) holds nothing but the report layout and a ``manifest.json``.
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    return (folder / REPORT_MARKER).is_file() or _legacy_report(folder)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def report_path_problems(output_dir: Path, run_name: str, inputs: list[Path]) -> list[str]:
    """Why ``<output_dir>/<run_name>`` must not be written, or an empty list.

    The report path must not be a symbolic link, must not contain, equal or
    lie inside an input path, and when it exists it must be a report the
    workbook created (it holds :data:`REPORT_MARKER`): a run replaces it.
    ``output_dir`` must be a directory or not exist yet.
    """
    output_dir = Path(output_dir)
    final = output_dir / run_name
    fix = "choose another run_name or output_dir"
    for parent in (output_dir, *output_dir.parents):
        if parent.exists() and not parent.is_dir():
            return [
                f"output_dir: expected a directory (or a path to create), found a regular file "
                f"at {parent}"
            ]
    if final.is_symlink():
        return [
            f"run_name: the report path {final} is a symbolic link (to {os.readlink(final)}); "
            f"expected a directory the workbook created or nothing; {fix}"
        ]
    real = final.resolve()
    for given in inputs:
        path = Path(given)
        while glob.has_magic(str(path)):  # a glob: its fixed leading folders
            path = path.parent
        path = path.resolve()
        if _inside(path, real) or _inside(real, path):
            if path == real and not glob.has_magic(str(given)):
                relation = "is"
            else:
                relation = "contains" if _inside(path, real) else "is inside"
            return [
                f"run_name: the report path {final} {relation} the input {given}; expected a "
                f"report path apart from every input (a run replaces its report); {fix}"
            ]
    if final.exists() and not is_report(final) and not _empty_dir(final):
        found = "a directory" if final.is_dir() else "a file"
        return [
            f"run_name: the report path {final} exists and is not a report of the workbook "
            f"(found {found} without the {REPORT_MARKER} marker); a run replaces its report, "
            f"so it never writes over a folder it did not create; {fix}, or move that folder"
        ]
    return []


def prune_failed(output_dir: Path, run_name: str, keep: int = KEEP_FAILED) -> None:
    """Keep only the ``keep`` newest failed runs of ``run_name`` under ``.failed/``."""
    folder = Path(output_dir) / ".failed"
    if not folder.is_dir():
        return
    pattern = re.compile(rf"^{re.escape(run_name)}-\d{{8}}-\d{{6}}(-\d+)?$")
    runs = sorted(
        (p for p in folder.iterdir() if pattern.match(p.name) and is_report(p)),
        key=lambda p: p.name,
    )
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def _empty_dir(path: Path) -> bool:
    return not path.is_symlink() and path.is_dir() and not any(path.iterdir())


def _remove(path: Path) -> None:
    """Remove a directory the workbook created; a link is unlinked (its target is kept).

    Anything else (a folder without the marker, a file) is left where it is.
    """
    if path.is_symlink():
        path.unlink()
    elif _empty_dir(path):
        path.rmdir()
    elif is_report(path):
        shutil.rmtree(path)


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
    runs whose process is gone are removed. Only directories holding the
    report marker are removed; a symbolic link is unlinked, never followed.
    """
    output_dir = Path(output_dir)
    final, previous = output_dir / run_name, output_dir / f".previous-{run_name}"
    if previous.is_symlink():
        previous.unlink()
    elif previous.is_dir():
        if final.exists() or final.is_symlink():
            _remove(previous)
        elif is_report(previous):
            os.rename(previous, final)
    for leftover in output_dir.glob(f".tmp-{run_name}-*"):
        pid = leftover.name.rsplit("-", 2)[-2]
        if pid.isdigit() and not _process_alive(int(pid)):
            _remove(leftover)


def publish(staging: Path, output_dir: Path, run_name: str) -> Path:
    """Swap a finished staging directory in as the report of ``run_name``.

    Raises
    ------
    RunError
        When ``<output_dir>/<run_name>`` exists and is not a report the
        workbook created (a link, a file or a folder without the marker):
        it is left alone.
    """
    final, previous = output_dir / run_name, output_dir / f".previous-{run_name}"
    if (final.exists() or final.is_symlink()) and not (is_report(final) or _empty_dir(final)):
        raise RunError(
            f"run_name: the report path {final} is not a report of the workbook (a link, a file "
            f"or a folder without the {REPORT_MARKER} marker); it was left alone, and the new "
            f"report is in {staging}"
        )
    mark_report(staging, run_name)
    if previous.exists() or previous.is_symlink():
        _remove(previous)
    if final.exists():
        os.rename(final, previous)
    os.rename(staging, final)
    if previous.exists() or previous.is_symlink():
        _remove(previous)
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
