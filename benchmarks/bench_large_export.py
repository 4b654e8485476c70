"""Benchmark: the whole report on a large own-data export (a Parquet folder), Polars and Dask.

Usage::

    .venv/bin/python benchmarks/bench_large_export.py [--rows 10000000]
        [--engines polars dask] [--limit-gb 14]

The export is about ``--rows`` canonical transactions (about 22 per customer,
so 10^7 rows are about 450,000 customers) simulated by
:func:`marketing_utils.datasets.make_synthetic` (clean, so that every stage has
realistic behaviour to find: churn, seasonality, categories, products) in
chunks of 50,000 customers with their own seeds, ids prefixed by the chunk so
that they stay unique, and written as a folder of Parquet files, one per chunk,
into the temporary directory (never into the repository), on first use. For each engine a params file with
``source: files``, the folder as transactions and ``compute.engine: <engine>``
is written next to it and the whole report is run with
``marketing-workbook run``, exactly as a user would. The time of each notebook
and its peak memory (its kernel and the kernel's children, as the runner
samples them) come from the report's ``manifest.json``; "total" is the wall time of the
command, including rendering. The parent samples the resident memory of the
run *and all its children* (the notebook kernels, Dask workers) every 0.2 s:
"peak RSS" is the largest sum seen. A run whose memory passes ``--limit-gb``
is stopped and reported as such, so that the benchmark cannot exhaust a
shared machine. A failed run records the notebook that failed and the end of
its error. Prints a Markdown table and writes ``benchmarks/results/large_export.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from _data import describe_probe, load_average, machine_info, notebook_columns, tree_rss

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "large_export.json"
TARGETS = {(10_000_000, "polars"): (600.0, 8.0)}  # (rows, engine): (seconds, peak GB)

#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--rows", "200000", "--engines", "polars"]


ROWS_PER_CUSTOMER = 22  # make_synthetic's average
CHUNK_CUSTOMERS = 50_000
START, END = "2023-01-01", "2025-12-31"


def export_folder(rows: int, seed: int = 0) -> Path:
    """A folder of Parquet files holding about ``rows`` synthetic transactions (written once)."""
    sys.path.insert(0, str(ROOT))
    import pyarrow as pa
    import pyarrow.parquet as pq

    from marketing_utils.datasets.synthetic import make_synthetic

    folder = Path(tempfile.gettempdir()) / "marketing_workbook_bench" / f"export_{rows}_{seed}"
    if (folder / "_complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    customers = max(1, rows // ROWS_PER_CUSTOMER)
    for number, first in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        data = make_synthetic(
            min(CHUNK_CUSTOMERS, customers - first),
            seed=seed + number,
            start=START,
            end=END,
            dirty=False,
        )
        tx = data.transactions.copy()
        for column in ("customer_id", "order_id"):
            tx[column] = f"X{number:03d}" + tx[column].astype(str)
        table = pa.Table.from_pandas(tx, preserve_index=False)
        pq.write_table(table, folder / f"part-{number:04d}.parquet")
    (folder / "_complete").write_text("")
    return folder


def params_for(folder: Path, engine: str, output_dir: Path) -> dict:
    """The params of a report on the export ``folder`` with ``compute.engine: engine``."""
    return {
        "run_name": f"large_export_{engine}",
        "output_dir": str(output_dir),
        "seed": 42,
        "compute": {"engine": engine},
        "data": {
            "source": "files",
            "observation_end": "2025-12-30",  # the last simulated day
            "transactions": {"path": str(folder)},
        },
        "preprocessing": {"horizon_days": 90},
        # The stage settings of params/large.yaml: 03 fits and tests on a stratified
        # 60,000-customer sample, fewer folds, search points and bootstrap repeats;
        "segmentation": {"n_bootstrap": 3},
        "propensity_modeling": {
            "cv_folds": 3,
            "search_iter": 4,
            "importance_repeats": 3,
            "max_customers": 60_000,
        },
        "evaluation": {"n_bootstrap": 100},
        "campaign_uplift": {"n_bootstrap": 100},
        # 06 compares its methods on a seeded 50,000-customer sample (user-based neighbours
        # from a 20,000-customer pool) and scores a 10,000-customer sample of the evaluated
        # customers; the chosen method is refitted on everyone for the lists.
        "recommendations": {
            "n_search_configs": 3,
            "max_customers": 50_000,
            "user_neighbour_pool": 20_000,
            "max_evaluated_customers": 10_000,
        },
    }


def _run(params_file: Path, run_dir: Path, limit_gb: float) -> dict:
    import psutil

    command = [sys.executable, "-m", "marketing_utils", "run", "--quiet", str(params_file)]
    tic = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watched = psutil.Process(child.pid)
    peak, stopped = 0, False

    def sample() -> None:
        nonlocal peak, stopped
        while child.poll() is None:
            peak = max(peak, tree_rss(watched))
            if peak > limit_gb * 2**30 and not stopped:
                stopped = True
                for member in [*watched.children(recursive=True), watched]:
                    with contextlib.suppress(psutil.Error):
                        member.kill()
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    sampler.join()
    result = {
        "total_seconds": round(time.perf_counter() - tic, 1),
        "peak_rss_gb": round(peak / 2**30, 2),
        "completed": child.returncode == 0 and not stopped,
    }
    if stopped:
        result["error"] = f"stopped: memory passed {limit_gb:g} GB"
    elif child.returncode != 0:
        result["error"] = stderr[-3000:]
    manifest_path = run_dir / "manifest.json"
    if manifest_path.exists() and child.returncode == 0:
        manifest = json.loads(manifest_path.read_text())
        result["notebooks"] = {
            entry["stem"]: entry.get("seconds", entry.get("status"))
            for entry in manifest["notebooks"]
        }
        result["notebook_peak_gb"] = {
            entry["stem"]: round(entry["peak_memory_mb"] / 2**10, 2)
            for entry in manifest["notebooks"]
            if "peak_memory_mb" in entry
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", nargs="+", default=["polars", "dask"])
    parser.add_argument("--limit-gb", type=float, default=14.0)
    args = parser.parse_args(argv)
    report = {"machine": machine_info(), "rows": args.rows, "runs": []}
    tic = time.perf_counter()
    folder = export_folder(args.rows)
    report["export_seconds"] = round(time.perf_counter() - tic, 1)
    report["export"] = str(folder)
    for engine in args.engines:
        with tempfile.TemporaryDirectory(prefix="bench_large_export_") as scratch:
            settings = params_for(folder, engine, Path(scratch) / "reports")
            params_file = Path(scratch) / f"{settings['run_name']}.yaml"
            params_file.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
            measured = _run(
                params_file, Path(scratch) / "reports" / settings["run_name"], args.limit_gb
            )
        measured |= {"engine": engine, "rows": args.rows}
        measured["load_average_after"] = load_average()
        target = TARGETS.get((args.rows, engine))
        if target is not None:
            seconds, gb = target
            measured["target"] = f"<= {seconds:g} s and <= {gb:g} GB"
            measured["target_met"] = bool(
                measured["completed"]
                and measured["total_seconds"] <= seconds
                and measured["peak_rss_gb"] <= gb
            )
        report["runs"].append(measured)
        print(
            f"{args.rows:,} rows, {engine}: {measured['total_seconds']:.0f} s, "
            f"peak {measured['peak_rss_gb']:.1f} GB, completed={measured['completed']}",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(_markdown(report))
    print("\n" + describe_probe(report["machine"]["speed_probe"]))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def _markdown(report: dict) -> str:
    stems, columns = notebook_columns(report["runs"])
    lines = [
        "| rows | engine | " + " | ".join(stems) + " | total (s) | peak RSS (GB) | target | met |",
        "| ---: | --- | " + " | ".join("---:" for _ in stems) + " | ---: | ---: | --- | --- |",
    ]
    for run, cells in zip(report["runs"], columns, strict=True):
        met = "yes" if run.get("target_met") else ("no" if "target_met" in run else "-")
        lines.append(
            f"| {run['rows']:,} | {run['engine']} | " + " | ".join(cells) + " | "
            f"{run['total_seconds']:.0f} | {run['peak_rss_gb']:.2f} | "
            f"{run.get('target', '-')} | {met} |"
        )
    for run in report["runs"]:
        if not run["completed"]:
            lines.append(f"\nfailed: {run['engine']}\n```\n{run['error'][-1500:]}\n```")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
