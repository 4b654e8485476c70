"""Benchmark: customer features from 10^8 transactions in a Parquet dataset on disk.

Usage::

    .venv/bin/python benchmarks/bench_parquet.py [--rows 100000000]
        [--jobs polars:rfm_summary polars:customer_features dask:rfm_summary
                dask:customer_features] [--limit-gb 14]

Results of jobs not run keep their earlier values in the JSON (same ``--rows``).
A job ``polars:customer_features/8`` computes the customers in 8 hash
partitions, one after the other (``customer_features(..., partitions=8)``).

The dataset (a directory of Parquet files, about 2 GB per 10^8 rows) is
written chunk by chunk to the temporary directory on first use, never into the
repository. Each measurement runs in a fresh subprocess that reads the
dataset lazily with :func:`marketing_utils.datasets.scan.scan_transactions`
(nothing is loaded before the computation asks for it) and computes the
features; Dask runs on a local cluster of 2 worker processes with 5 GB each.
The parent samples the resident memory of the subprocess *and all its
children* (the Dask workers) every 0.2 s: "peak RSS" is the largest sum seen.
A measurement whose memory passes ``--limit-gb`` is stopped and reported as
such, so that the benchmark cannot exhaust a shared machine.
Prints a Markdown table and writes ``benchmarks/results/parquet.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from _data import load_average, machine_info, tree_rss

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "parquet.json"
CUTOFF = "2024-01-01"  # the day after the synthetic data ends: every row is used
TARGET_PEAK_GB = 12.0


def _child(engine: str, task: str, path: str) -> None:
    sys.path.insert(0, str(HERE.parent))
    import warnings

    warnings.filterwarnings("ignore")
    from marketing_utils.compute import dask_client
    from marketing_utils.datasets.scan import scan_transactions
    from marketing_utils.preprocess.features import customer_features, rfm_summary

    client = None
    if engine == "dask":
        client = dask_client(n_workers=2, threads_per_worker=1, memory_limit="5GB")
    start = time.perf_counter()
    log = scan_transactions(path, engine=engine)
    if task == "rfm_summary":
        result = rfm_summary(log)
    else:  # "customer_features" or "customer_features/N": N hash partitions in turn
        partitions = int(task.partition("/")[2] or 1)
        result = customer_features(log, cutoff=CUTOFF, partitions=partitions)
    seconds = time.perf_counter() - start
    if client is not None:
        client.close()
    print(json.dumps({"seconds": round(seconds, 2), "customers": len(result)}))


def _measure(engine: str, task: str, path: Path, limit_gb: float) -> dict:
    import psutil

    command = [sys.executable, str(Path(__file__).resolve()), "--child", engine, task, str(path)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak, stopped = 0, False

    def watch() -> None:
        nonlocal peak, stopped
        while child.poll() is None:
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.Error:
                break
            if peak > limit_gb * 2**30:
                stopped = True
                for member in [*watched.children(recursive=True), watched]:
                    with contextlib.suppress(psutil.Error):
                        member.kill()
                break
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = child.communicate()
    watcher.join()
    measured = {"engine": engine, "task": task, "peak_rss_gb": round(peak / 2**30, 2)}
    if stopped:
        return measured | {"completed": False, "error": f"stopped above {limit_gb} GB"}
    if child.returncode != 0:
        return measured | {"completed": False, "error": err[-2000:]}
    measured |= json.loads(out.strip().splitlines()[-1]) | {"completed": True}
    measured["target"] = f"completes, peak < {TARGET_PEAK_GB:g} GB"
    measured["target_met"] = measured["peak_rss_gb"] < TARGET_PEAK_GB
    return measured


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--rows", "2000000"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument(
        "--jobs",
        nargs="+",
        default=[
            "polars:rfm_summary",
            "polars:customer_features",
            "dask:rfm_summary",
            "dask:customer_features",
        ],
    )
    parser.add_argument("--limit-gb", type=float, default=14.0)
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "TASK", "PATH"))
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return

    sys.path.insert(0, str(HERE))
    from _data import transactions_dataset

    tic = time.perf_counter()
    path = transactions_dataset(args.rows)
    written = time.perf_counter() - tic
    size_gb = sum(f.stat().st_size for f in path.glob("*.parquet")) / 2**30
    report = {
        "machine": machine_info(),
        "rows": args.rows,
        "dataset": {"path": str(path), "gb_on_disk": round(size_gb, 2)},
        "runs": [],
    }
    print(f"dataset: {path} ({size_gb:.1f} GB, ready in {written:.0f} s)", flush=True)
    for job in args.jobs:
        engine, task = job.split(":")
        measured = _measure(engine, task, path, args.limit_gb)
        measured["load_average_after"] = load_average()
        report["runs"].append(measured)
        print(f"{engine:<7} {task:<17} {measured}", flush=True)
    if RESULTS.exists():  # keep the other jobs of an earlier run at the same size
        earlier = json.loads(RESULTS.read_text())
        done = {(run["engine"], run["task"]) for run in report["runs"]}
        if earlier.get("rows") == args.rows:
            kept = [r for r in earlier["runs"] if (r["engine"], r["task"]) not in done]
            report["runs"] = kept + report["runs"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "| rows | engine | task | time (s) | peak RSS, all processes (GB) | customers | target | met |",
        "| ---: | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for run in report["runs"]:
        seconds = f"{run['seconds']:.1f}" if run["completed"] else run["error"][-60:]
        customers = f"{run['customers']:,}" if run["completed"] else "-"
        met = "yes" if run.get("target_met") else "no"
        lines.append(
            f"| {args.rows:,} | {run['engine']} | {run['task']} | {seconds} | "
            f"{run['peak_rss_gb']:.2f} | {customers} | {run.get('target', '-')} | {met} |"
        )
    print()
    print("\n".join(lines))
    print(f"\nwritten to {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
