"""The peak memory of a notebook: its kernel and every process the kernel starts.

A data team running the report on a large export needs to know which stage
needs the memory, not only how long it took. The runner samples, on a thread,
the resident memory (RSS) of each notebook's kernel plus all its descendants
(joblib and loky workers, a Dask cluster's workers) and keeps the largest sum
seen. Samples are :data:`SAMPLE_SECONDS` apart, so a spike shorter than that
can be missed; pages a forked kernel still shares with the runner's fork
server are counted in the kernel's RSS, so the figure errs high, never low,
by at most the server's size.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["SAMPLE_SECONDS", "PeakMemory", "format_bytes", "tree_rss"]

#: Seconds between two samples of a kernel's memory.
SAMPLE_SECONDS = 0.25


def format_bytes(size: float) -> str:
    """``size`` bytes for a reader: ``"850 MB"`` below a gibibyte, else ``"1.2 GB"`` (binary units)."""
    if size < 2**30:
        return f"{size / 2**20:.0f} MB"
    return f"{size / 2**30:.1f} GB"


def tree_rss(process) -> int:
    """Resident memory of a ``psutil.Process`` and all its descendants, in bytes.

    A process that ends while it is read counts as 0: the tree changes
    under the sampler (workers come and go).
    """
    import psutil

    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


class PeakMemory:
    """The largest resident memory of one process tree, sampled on a thread.

    Use as a context manager; :meth:`watch` names the tree's root once its
    process id is known (a kernel's, after its launch), and sampling runs
    from then until the context ends. :attr:`peak_bytes` is ``None`` when
    nothing was ever watched (a kernel that never started) or when psutil is
    not installed.

    Parameters
    ----------
    interval : float
        Seconds between samples.
    """

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.peak_bytes: int | None = None
        self._root = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def watch(self, pid: int | None) -> None:
        """Start sampling the tree rooted at process ``pid`` (once; later calls are ignored)."""
        if pid is None:
            return
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(pid)
        except psutil.Error:  # the kernel already ended
            return
        with self._lock:
            if self._root is not None or self._stop.is_set():
                return
            self._root = root
            self._sample()
            self._thread = threading.Thread(target=self._loop, name="peak-memory", daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        size = tree_rss(self._root)
        if size and (self.peak_bytes is None or size > self.peak_bytes):
            self.peak_bytes = size

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        return self

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join()
