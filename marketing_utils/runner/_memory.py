"""The peak memory of a notebook: its kernel and every process the kernel starts.

A data team running the report on a large export needs to know which stage
needs the memory, not only how long it took. The runner samples, on a thread,
the resident memory (RSS) of each notebook's kernel plus all its descendants
(joblib and loky workers, a Dask cluster's workers) and keeps the largest sum
seen. The figure is an estimate, off in both directions: a spike shorter than
:data:`SAMPLE_SECONDS` can be missed (low), and pages shared between processes
count once in each, among them the libraries a forked kernel shares with the
runner's fork server (high, by up to the server's size: about 0.37 GB, the
figure of the smallest notebooks). Unique memory (USS) would not double-count,
but reading it walks every page map of every process, far too slow to do four
times a second. A diagnostic never fails a run: an error while sampling ends
the sampling and keeps the peak seen so far.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["SAMPLE_SECONDS", "PeakMemory", "format_bytes", "tree_rss"]

#: Seconds between two samples of a kernel's memory.
SAMPLE_SECONDS = 0.25

#: Seconds the end of a notebook waits for the sampler's last read before it goes on.
_JOIN_SECONDS = 5.0


def format_bytes(size: float) -> str:
    """``size`` bytes for a reader, in binary units: ``"850 MB"`` below 1 GiB, else ``"1.2 GB"``."""
    if size < 2**30:
        return f"{size / 2**20:.0f} MB"
    return f"{size / 2**30:.1f} GB"


def tree_rss(process) -> int:
    """Resident memory of a ``psutil.Process`` and all its descendants, in bytes.

    A process that ends or cannot be read while it is read counts as 0: the
    tree changes under the sampler (workers come and go).
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
    nothing was ever watched (a kernel that never started), when psutil is
    not installed or when no sample could be read.

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
        """Start sampling the tree rooted at process ``pid``.

        Only the first call with a live process counts; a call after the
        context ended is ignored. Never raises: the run goes on unmeasured.
        """
        if pid is None:
            return
        try:
            import psutil

            root = psutil.Process(pid)
            with self._lock:
                if self._root is not None or self._stop.is_set():
                    return
                self._root = root
                self._sample()
                thread = threading.Thread(target=self._loop, name="peak-memory", daemon=True)
                thread.start()
                self._thread = thread
        except Exception:  # a missing psutil, an ended process, no thread left
            return

    def _sample(self) -> None:
        size = tree_rss(self._root)
        if size and (self.peak_bytes is None or size > self.peak_bytes):
            self.peak_bytes = size

    def _loop(self) -> None:
        with contextlib.suppress(Exception):  # an unreadable tree ends the sampling, not the run
            while not self._stop.wait(self.interval):
                self._sample()

    def __enter__(self) -> PeakMemory:
        return self

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            # A read stuck on a hung process must not hold up the run: the thread is a daemon.
            thread.join(_JOIN_SECONDS)
