"""One BLAS thread inside, the pool as before after; the library scan is cached; worker threads."""

from __future__ import annotations

import os
import sys
import threading
import types

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from marketing_utils import threads


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_blas_thread_limits_inside_and_restores_after():
    with threadpool_limits(2, "blas"):
        assert set(_blas_threads()) == {2}
        with threads.one_blas_thread():
            assert _blas_threads() and set(_blas_threads()) == {1}
            product = np.arange(9.0).reshape(3, 3) @ np.ones(3)
        assert set(_blas_threads()) == {2}
    assert product.tolist() == [3.0, 12.0, 21.0]


def test_the_controller_is_reused_until_a_module_is_imported(monkeypatch):
    first = threads.blas_controller()
    assert threads.blas_controller() is first
    # A new module may have loaded a BLAS of its own: the libraries are found again.
    monkeypatch.setitem(sys.modules, "marketing_utils_test_fake_module", types.ModuleType("x"))
    second = threads.blas_controller()
    assert second is not first
    assert threads.blas_controller() is second


def test_worker_threads_follow_the_work_and_the_cores():
    cores = len(os.sched_getaffinity(0))
    assert threads.worker_threads(10, 100) == 1
    assert threads.worker_threads(250, 100) == min(2, cores)
    assert threads.worker_threads(10**9, 100) == cores


def test_one_thread_holds_in_its_block_only_and_per_thread():
    seen = []
    with threads.one_thread():
        assert threads.worker_threads(10**9, 1) == 1
        # A thread started inside the block has a context of its own.
        other = threading.Thread(target=lambda: seen.append(threads.worker_threads(10**9, 1)))
        other.start()
        other.join()
    assert threads.worker_threads(10**9, 1) == len(os.sched_getaffinity(0))
    assert seen == [len(os.sched_getaffinity(0))]
