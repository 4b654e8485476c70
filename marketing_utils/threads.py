"""One BLAS thread around a small fit, cheap enough to wrap every call.

The workbook's small fits (a Holt-Winters series, a block of recommendation
scores, a factor model) call BLAS on arrays where a second OpenBLAS thread
only costs synchronisation (see :func:`marketing_utils.forecast.models.holt_winters`
and :mod:`marketing_utils.recommend.base`). ``threadpoolctl.threadpool_limits``
finds the loaded native libraries anew on each call by scanning the process's
shared objects: about 5.6 ms here, more than some of the fits it wraps
(notebook 07 makes 127 Holt-Winters fits). A ``ThreadpoolController`` finds
them once; it is built again when a module has been imported since, because
an extension module can load a BLAS of its own.
"""

from __future__ import annotations

import sys
import threading

from threadpoolctl import ThreadpoolController

__all__ = ["blas_controller", "one_blas_thread"]

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
