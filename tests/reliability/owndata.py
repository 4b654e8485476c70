"""Tiny "own data" exports and params files for the end-to-end reliability tests.

The data is the built-in synthetic data written as CSV files (customers,
transactions and, when asked, products and a campaign), so every stage has
something to do, yet a whole report of it runs in well under a minute. The
params use the lightest settings each stage accepts: the tests are about the
runner's behaviour, not about the models.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from marketing_utils.datasets.synthetic import make_synthetic

RUN_NAME = "tiny"

#: The lightest settings of every stage that still exercise it.
LIGHT = {
    "segmentation": {"k_max": 4, "n_bootstrap": 2, "compare_gmm": False},
    "propensity_modeling": {
        "models": ["logistic"],
        "cv_folds": 2,
        "search_iter": 1,
        "importance_repeats": 1,
        "calibration": "sigmoid",
    },
    "evaluation": {"n_bootstrap": 20},
    "campaign_uplift": {"models": ["s_learner", "t_learner"], "n_bootstrap": 20, "cv_folds": 2},
    "demand_forecasting": {"n_origins": 1, "by_category": False, "measures": ["revenue"]},
}

#: Markup that must never become an element of a rendered report.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def own_tables(n_customers: int = 150, *, seed: int = 1) -> dict[str, pd.DataFrame]:
    """The synthetic tables as an export would hold them (with PII columns and defects)."""
    data = make_synthetic(n_customers, seed=seed, dirty=True)
    return data.tables()


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], **to_csv) -> dict[str, Path]:
    """Write each table to ``folder/<table>.csv``; returns table → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False, **to_csv)
    return paths


def own_params(
    folder: Path,
    paths: dict[str, Path],
    *,
    run_name: str = RUN_NAME,
    options: dict[str, dict] | None = None,
    sections: dict | None = None,
) -> dict:
    """A params mapping for the ``files`` source over ``paths``, with the light settings."""
    data: dict = {"source": "files", "observation_end": "2025-12-31"}
    for table, path in paths.items():
        data[table] = {"path": str(path), **(options or {}).get(table, {})}
    params = {
        "run_name": run_name,
        "output_dir": str(folder / "reports"),
        "seed": 3,
        "data": data,
    }
    for name, values in {**LIGHT, **(sections or {})}.items():
        params[name] = {**LIGHT.get(name, {}), **values}
    return params


def write_params(path: Path, params: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cli(*args: str, timeout: float = 600, **popen) -> subprocess.CompletedProcess:
    """``marketing-workbook <args>`` as the user runs it, in a fresh process."""
    command = [sys.executable, "-m", "marketing_utils", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **popen)


def start_cli(*args: str, **popen) -> subprocess.Popen:
    """Start ``marketing-workbook <args>`` without waiting for it."""
    command = [sys.executable, "-m", "marketing_utils", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def copy_report(report: Path, output_dir: Path) -> Path:
    """Copy a finished report into ``output_dir`` under its own run name."""
    target = output_dir / report.name
    shutil.copytree(report, target)
    return target


def kernel_noise_free(stderr: str) -> str:
    """Stderr without the Jupyter kernel's own log lines (not the workbook's messages)."""
    lines = [line for line in stderr.splitlines() if not line.startswith("[IPKernelApp]")]
    return "\n".join(lines).strip()


def wait_for(condition, timeout: float = 120.0, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def executing_notebook(reports: Path):
    """The notebook being written in a run's staging directory, once papermill has started it."""
    return next(iter(reports.glob(f".tmp-{RUN_NAME}-*/notebooks/01_preprocessing.ipynb")), None)
