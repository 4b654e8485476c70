"""One BLAS thread inside, the pool as before after; the library scan is cached."""

from __future__ import annotations

import sys
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
