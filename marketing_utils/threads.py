"""Native threads: one BLAS thread around a small fit, and Python threads for large array work.

The workbook's small fits (a Holt-Winters series, a block of recommendation
scores, a factor model) call BLAS on arrays where a second OpenBLAS thread
only costs synchronisation (see :func:`marketing_utils.forecast.models.holt_winters`
and :mod:`marketing_utils.recommend.base`). ``threadpoolctl.threadpool_limits``
finds the loaded native libraries anew on each call by scanning the process's
shared objects: about 5.6 ms here, more than some of the fits it wraps
(notebook 07 makes 127 Holt-Winters fits). A ``ThreadpoolController`` finds
them once; it is built again when a module has been imported since, because
an extension module can load a BLAS of its own.

Large NumPy and Arrow operations release the GIL, so a computation split
into independent parts runs on Python threads in parallel:
:func:`worker_threads` says how many, and :func:`one_thread` keeps such code
on the calling thread where the caller is already one of several threads
(Dask's workers).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from threadpoolctl import ThreadpoolController

__all__ = ["blas_controller", "one_blas_thread", "one_thread", "usable_cores", "worker_threads"]

_lock = threading.Lock()
_cached: tuple[int, ThreadpoolController] | None = None


def blas_controller() -> ThreadpoolController:
    """The process's native thread pools, found again only after new imports."""
    global _cached
    with _lock:
        modules = len(sys.modules)
        if _cached is None or _cached[0] != modules:
            _cached = (modules, ThreadpoolController())
        return _cached[1]


def one_blas_thread():
    """Context manager: every BLAS library on one thread inside, as before after.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     product = np.ones((3, 3)) @ np.ones(3)
    >>> product.tolist()
    [3.0, 3.0, 3.0]
    """
    return blas_controller().limit(limits=1, user_api="blas")


_single_thread: ContextVar[bool] = ContextVar("single_thread", default=False)


@contextmanager
def one_thread() -> Iterator[None]:
    """Within the block, :func:`worker_threads` is 1: work stays on the calling thread."""
    token = _single_thread.set(True)
    try:
        yield
    finally:
        _single_thread.reset(token)


def worker_threads(n_items: int, min_items_per_thread: int) -> int:
    """Threads for ``n_items`` of work: one per usable core, each with ``min_items_per_thread``.

    Examples
    --------
    >>> worker_threads(10, 1_000)
    1
    >>> with one_thread():
    ...     worker_threads(10**9, 1_000)
    1
    """
    if _single_thread.get():
        return 1
    return max(1, min(usable_cores(), n_items // min_items_per_thread))


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one).

    ``os.cpu_count()`` counts the machine's cores, also those a container or
    ``taskset`` keeps the process off; the default ``--jobs`` must not start
    more kernels than the cores it can use.

    Examples
    --------
    >>> 1 <= usable_cores() <= (os.cpu_count() or 1)
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)
