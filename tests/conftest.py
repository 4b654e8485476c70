"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATASETS_ENV = "WORKBOOK_DATASETS_DIR"


def pytest_configure(config):
    """Under ``pytest -n N``: one OpenMP and BLAS thread per worker (and the kernels it starts).

    N workers already fill the cores; a second native thread per worker only waits at the
    barriers of a thread whose core the other worker holds (tests/unit with ``-n 2`` on 2
    cores: 184 s wall, 290 CPU s with the libraries' default threads; 144 s, 214 CPU s with
    one). A value the caller set is kept. Tests of thread limits set their own pools first.
    """
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) < 2 or "OMP_NUM_THREADS" in os.environ:
        return
    blas_chosen = "OPENBLAS_NUM_THREADS" in os.environ
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    # The environment reaches libraries loaded from now on; those already loaded are set here.
    threadpool_limits(1, user_api="openmp" if blas_chosen else None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    from tests.xdist_loadgroup import TWO_REPORTS

    reports = item.stash.get(TWO_REPORTS, None)
    if reports:
        # Grouped under one name, the other report would be built again on the other worker.
        pytest.fail(f"uses the session reports {reports}: one report per test", pytrace=False)


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """Directory of the real public datasets (see ../shared/datasets/README.md)."""
    value = os.environ.get(DATASETS_ENV)
    if not value:
        pytest.skip(f"{DATASETS_ENV} is not set; the real public datasets are not available")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{DATASETS_ENV}={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def ci_report(tmp_path_factory):
    """The report of ``params/ci.yaml`` (synthetic data, 2,000 customers), built once a session.

    Shared by the notebook tests and the browser tests. ``WORKBOOK_CI_REPORT`` names an
    existing ci report folder to use instead (never set in CI).
    """
    reuse = os.environ.get("WORKBOOK_CI_REPORT")
    if reuse:  # a report already built from params/ci.yaml, to look at it again quickly
        return _existing_report(Path(reuse))
    from tests.notebooks.conftest import run_report

    return run_report("ci.yaml", tmp_path_factory.mktemp("reports"))


def _existing_report(folder: Path):
    import json

    from marketing_utils.runner.run import RunResult

    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest.get("run_name") != "ci":
        pytest.fail(f"WORKBOOK_CI_REPORT={folder} is not a report of params/ci.yaml")
    metrics = json.loads((folder / "metrics.json").read_text())
    return RunResult(report_dir=folder, notebooks=manifest["notebooks"], metrics=metrics), metrics
