"""Synthetic canonical transactions for the benchmarks, made quickly with NumPy and Arrow.

About 20 rows per customer, timestamps spread uniformly over three years,
8 categories, and orders of 1 to 3 lines that share customer and timestamp.
The table is written once to Parquet so that every engine (and lifetimes, in
its own virtualenv) reads exactly the same data.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROWS_PER_CUSTOMER = 20
CATEGORIES = [f"category_{i}" for i in range(8)]
START = np.datetime64("2021-01-01T00:00:00", "s")
SECONDS = 3 * 365 * 86_400


#: Customer id formats: ``padded`` ids have one width (``C00259933``), which the
#: features code reads as numbers; ``free`` ids (``C259933``) are hashed as strings.
ID_FORMATS = ("padded", "free")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def make_transactions(
    n_rows: int,
    seed: int = 0,
    *,
    n_customers: int | None = None,
    first_order: int = 0,
    ids: str = "padded",
) -> pa.Table:
    """A canonical transactions table with ``n_rows`` rows.

    Parameters
    ----------
    n_rows : int
        Number of rows (order lines).
    seed : int, default 0
        Seed of the random generator; the same seed gives the same table.
    n_customers : int, optional
        Customers the orders are drawn from; default ``n_rows // 20``. Chunks of a
        larger dataset share one customer base this way.
    first_order : int, default 0
        Number of the first order, so that chunks do not reuse order ids.
    ids : {"padded", "free"}, default "padded"
        Customer ids of one width or of varying width (see :data:`ID_FORMATS`).

    Returns
    -------
    pyarrow.Table
        customer_id, timestamp (ns), order_id, category, quantity, unit_price, amount.
    """
    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_rows // ROWS_PER_CUSTOMER)
    # Orders have 1, 2 or 3 lines; draw enough orders, then cut at n_rows lines.
    lines_per_order = rng.choice([1, 2, 3], size=n_rows, p=[0.4, 0.3, 0.3])
    n_orders = int(np.searchsorted(np.cumsum(lines_per_order), n_rows)) + 1
    order_of_line = np.repeat(np.arange(n_orders), lines_per_order[:n_orders])[:n_rows]

    order_customer = rng.integers(0, n_customers, n_orders)
    order_time = START + rng.integers(0, SECONDS, n_orders).astype("timedelta64[s]")
    quantity = rng.integers(1, 4, n_rows).astype(np.float64)
    unit_price = np.round(rng.gamma(2.0, 10.0, n_rows) + 0.5, 2)
    return pa.table(
        {
            "customer_id": _ids("C", order_customer[order_of_line], 8 if ids == "padded" else 0),
            "timestamp": pa.array(order_time[order_of_line].astype("datetime64[ns]")),
            "order_id": _ids("O", order_of_line + first_order, 9),
            "category": pa.array(np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n_rows)]),
            "quantity": quantity,
            "unit_price": unit_price,
            "amount": np.round(quantity * unit_price, 2),
        }
    )


def transactions_parquet(
    n_rows: int, seed: int = 0, directory: Path | None = None, ids: str = "padded"
) -> Path:
    """Path of a Parquet file holding :func:`make_transactions`, written on first use."""
    directory = directory or Path(tempfile.gettempdir()) / "marketing_workbook_bench"
    directory.mkdir(parents=True, exist_ok=True)
    suffix = "" if ids == "padded" else f"_{ids}_ids"
    path = directory / f"transactions_{n_rows}_{seed}{suffix}.parquet"
    if not path.exists():
        partial = path.with_suffix(".partial")
        pq.write_table(make_transactions(n_rows, seed, ids=ids), partial)
        partial.rename(path)
    return path


def transactions_dataset(
    n_rows: int, chunk_rows: int = 5_000_000, seed: int = 0, directory: Path | None = None
) -> Path:
    """A directory of Parquet files holding ``n_rows`` transactions, written chunk by chunk.

    Each chunk is generated and written on its own, so that memory stays that of
    one chunk; all chunks share ``n_rows // 20`` customers. Written on first use.
    """
    directory = directory or Path(tempfile.gettempdir()) / "marketing_workbook_bench"
    path = directory / f"transactions_{n_rows}_{seed}_dataset"
    if (path / "_complete").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    n_customers = max(1, n_rows // ROWS_PER_CUSTOMER)
    for number, start in enumerate(range(0, n_rows, chunk_rows)):
        rows = min(chunk_rows, n_rows - start)
        chunk = make_transactions(rows, seed + number, n_customers=n_customers, first_order=start)
        pq.write_table(chunk, path / f"part-{number:04d}.parquet", row_group_size=1_000_000)
    (path / "_complete").write_text("")
    return path


def speed_probe(repeat: int = 3) -> dict:
    """Seconds of two fixed single-thread workloads on this machine, best of ``repeat``.

    The load average says whether other processes compete, not how fast the
    cores are: on the same 2-core virtual machine, with the load near 1, one
    session ran ``rfm_summary`` at 10^7 rows in 1.29 s on Polars and a later
    one in 3.03 s. The probe times the same work every time, an interpreted
    loop (what pandas' Python-level overhead costs) and a NumPy sort (what
    compiled kernels cost), so that figures from different days can be put
    side by side: a run is comparable to another in proportion to its probe.
    """

    def python_loop() -> int:
        total = 0
        for number in range(2_000_000):
            total += number
        return total

    values = np.random.default_rng(0).random(2_000_000)

    def best(work) -> float:
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - started)
        return round(min(seconds), 4)

    return {
        "python_loop_2e6_seconds": best(python_loop),
        "numpy_sort_2e6_seconds": best(lambda: np.sort(values)),
    }


def describe_probe(probe: dict) -> str:
    """One line for a benchmark's printed output."""
    return (
        f"speed probe: Python loop {probe['python_loop_2e6_seconds']:.3f} s, "
        f"NumPy sort {probe['numpy_sort_2e6_seconds']:.3f} s (lower is faster)"
    )


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages, rounded to two decimals."""
    return [round(x, 2) for x in os.getloadavg()]


def machine_info(note: str | None = None) -> dict:
    """The facts every benchmark's JSON records about the machine it ran on."""
    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": load_average(),
        "speed_probe": speed_probe(),
    }
    if note:
        info["note"] = note
    return info


def tree_rss(process) -> int:
    """Resident memory of a ``psutil.Process`` and all its children, in bytes.

    The runner's own measure of a notebook's memory, so that a benchmark's
    peak and the report's per-notebook peaks add up the same way.
    """
    from marketing_utils.runner._memory import tree_rss as runner_tree_rss

    return runner_tree_rss(process)


def notebook_columns(runs: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The notebook stems of every run, and each run's cell per stem ("-" if absent).

    A cell is the notebook's seconds, followed by its peak memory in GB (kernel
    and children, from the report's manifest) where the run recorded one:
    ``31.8 s, 2.10 GB``.
    """
    stems = sorted({stem for run in runs for stem in run.get("notebooks", {})})
    cells = []
    for run in runs:
        row = []
        for stem in stems:
            seconds = run.get("notebooks", {}).get(stem, "-")
            if not isinstance(seconds, float | int):
                row.append(str(seconds))
                continue
            peak = run.get("notebook_peak_gb", {}).get(stem)
            row.append(f"{seconds:.1f} s" + ("" if peak is None else f", {peak:.2f} GB"))
        cells.append(row)
    return stems, cells


#: The ``propensity_modeling`` params that ``fit_propensity`` takes as they are.
PROPENSITY_SETTINGS = (
    "test_size", "cv_folds", "class_weight", "search_iter", "search_method", "calibration",
    "models",
)  # fmt: skip


def propensity_inputs(params_file: str | Path, report: str | Path) -> dict:
    """What notebook 03 fits on: a params file's settings and its report's artifacts.

    Parameters
    ----------
    params_file : str or Path
        The params file (its ``seed`` and ``propensity_modeling`` section).
    report : str or Path
        A report folder where notebook 01 (and 02) ran.

    Returns
    -------
    dict
        ``store`` (the report's artifacts), ``section`` (the params section), ``seed``,
        ``table`` (the model table, sampled to ``max_customers`` as 03 does), ``info``
        and ``settings`` (the keyword arguments of ``fit_propensity`` that the section sets).
    """
    import yaml

    import marketing_utils as mu

    raw = yaml.safe_load(Path(params_file).read_text())
    section = raw.get("propensity_modeling", {}) or {}
    seed = raw.get("seed", 42)
    store = mu.Artifacts(report)
    table = mu.sample_customers(
        store.load("model_table"), section.get("max_customers", 0), seed=seed
    )
    return {
        "store": store,
        "section": section,
        "seed": seed,
        "table": table,
        "info": store.load("preprocessing_info"),
        "settings": {k: section[k] for k in PROPENSITY_SETTINGS if k in section},
    }


def propensity_decisions(result) -> dict:
    """What 03 decided and how well it did: the columns of a before/after table."""
    metrics = result.metrics()
    return {
        "family": result.family,
        **{k: metrics[k] for k in ("class_weight", "calibration", "tuned", "best_params")},
        **{k: metrics[k] for k in ("test_roc_auc", "test_pr_auc", "test_brier", "cv_roc_auc")},
        "comparison_roc_auc": metrics["cv_roc_auc_by_family"],
    }
