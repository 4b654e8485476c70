"""Benchmark: rfm_summary and customer_features on pandas, Polars and Dask, against lifetimes.

Usage::

    .venv/bin/python benchmarks/bench_features.py [--rows 100000 1000000 2000000 10000000]
        [--repeat 2] [--lifetimes-python /tmp/lifetimes-venv/bin/python]
        [--engines pandas polars dask] [--tasks rfm_summary customer_features]
        [--ids padded|free]

What is timed: the call ``rfm_summary(frame)`` (the lifetimes-equivalent
summary: frequency, recency, T, monetary value) and ``customer_features(frame,
cutoff=...)`` (every feature), with the transactions already in memory in the
engine's own frame type: a pandas DataFrame, a Polars DataFrame, or a Dask
DataFrame made from the pandas frame (one partition per million rows, the
default threaded scheduler). Reading the file is not timed.

Every measurement runs in a fresh subprocess that reads the same Parquet file
(see ``_data.py``) and times the call ``--repeat`` times; the best time is
reported and all times are kept. The child also reports its CPU time (all
threads, less sensitive than wall time to other load on the machine) and its
peak resident memory from ``getrusage``, which, unlike tracemalloc, sees
Polars' and Arrow's allocations too. "extra" memory is the peak minus the
memory held once the data is loaded: what the computation itself needed.

lifetimes is abandoned (last release 2020) and is not a dependency of the
workbook: it runs in its own virtualenv, given by ``--lifetimes-python``
(``pip install lifetimes "pandas<3"``), on the same file, and its summary is
compared with ours value by value. Without that virtualenv it is skipped.
Customer ids are ``C`` and eight zero-padded digits by default, the shape of
many exports, which pandas and Polars read as numbers without hashing;
``--ids free`` (``C259933``, varying width) times the hashed route.

Prints a Markdown table and writes ``benchmarks/results/features.json``
(``features_free_ids.json`` with ``--ids free``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "features.json"
CUTOFF = "2024-01-01"  # the day after the synthetic data ends: features use every row
TARGETS = {  # (rows, task, engine): what the issue asks for
    (2_000_000, "rfm_summary", "pandas"): ("speedup", 3.0),
    (2_000_000, "rfm_summary", "polars"): ("speedup", 10.0),
    (10_000_000, "rfm_summary", "pandas"): ("seconds", 3.0),
    (10_000_000, "rfm_summary", "polars"): ("seconds", 1.0),
}
MAX_EXPONENT = 1.1  # "no worse than linear": slope of log(time) against log(rows)


# --- child: one measurement in a fresh process ----------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child(engine: str, task: str, path: str, repeat: int, output: str) -> None:
    if engine == "lifetimes":
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data

        frame = pd.read_parquet(path, columns=["customer_id", "timestamp", "amount"])

        def run():
            return summary_data_from_transaction_data(
                frame, "customer_id", "timestamp", monetary_value_col="amount", freq="D"
            ).reset_index()

    else:
        sys.path.insert(0, str(HERE.parent))
        import warnings

        warnings.filterwarnings("ignore", category=FutureWarning)
        from marketing_utils.preprocess.features import customer_features, rfm_summary

        if engine == "pandas":
            import pandas as pd

            frame = pd.read_parquet(path)
        elif engine == "dask":
            import dask
            import dask.dataframe as dd
            import pandas as pd

            loaded = pd.read_parquet(path)
            frame = dd.from_pandas(loaded, npartitions=max(2, len(loaded) // 1_000_000))
            frame = dask.persist(frame)[0]  # in memory, like the other engines' frames
        else:
            import polars as pl

            frame = pl.read_parquet(path)

        def run():
            if task == "rfm_summary":
                return rfm_summary(frame)
            return customer_features(frame, cutoff=CUTOFF)

    from importlib.metadata import version

    libraries = ["lifetimes", "pandas"] if engine == "lifetimes" else [engine, "narwhals"]
    libraries += ["pandas"] if engine == "dask" else []
    loaded = _rss_mb()
    seconds, cpu_seconds = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = run()
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if task == "rfm_summary":
        result = result if engine != "polars" else result.to_pandas()
        result.to_parquet(output)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": round(peak, 1),
                "loaded_rss_mb": round(loaded, 1),
                "customers": len(result),
                "versions": {name: version(name) for name in libraries},
            }
        )
    )


# --- parent: run the children, compare, report ------------------------------------------


def _measure(python: str, engine: str, task: str, path: Path, repeat: int, output: Path) -> dict:
    command = [python, str(Path(__file__).resolve()), "--child", engine, task, str(path)]
    command += ["--repeat", str(repeat), "--output", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {task} failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["best_seconds"] = min(measured["seconds"])
    measured["best_cpu_seconds"] = min(measured["cpu_seconds"])
    measured["extra_rss_mb"] = round(measured["peak_rss_mb"] - measured["loaded_rss_mb"], 1)
    return measured


def _same_summary(ours: Path, theirs: Path) -> dict:
    """Compare our summary with lifetimes': exact day counts, money to 1e-9."""
    import numpy as np
    import pandas as pd

    left = pd.read_parquet(ours).sort_values("customer_id").reset_index(drop=True)
    right = pd.read_parquet(theirs).sort_values("customer_id").reset_index(drop=True)
    same_ids = len(left) == len(right) and bool(
        (
            left["customer_id"].astype(str).to_numpy()
            == right["customer_id"].astype(str).to_numpy()
        ).all()
    )
    if not same_ids:
        return {"same_customers": False}
    exact = {
        c: bool((left[c].to_numpy() == right[c].to_numpy()).all())
        for c in ("frequency", "recency", "T")
    }
    money = np.isclose(left["monetary_value"], right["monetary_value"], rtol=1e-9, atol=0)
    return {"same_customers": True, "exact": exact, "monetary_within_1e-9": bool(money.all())}


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--rows", "100000", "1000000", "--repeat", "1"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[100_000, 1_000_000, 2_000_000, 10_000_000]
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--engines", nargs="+", default=["pandas", "polars", "dask"], help="engines to time"
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["rfm_summary", "customer_features"],
        help="tasks to time (lifetimes runs with rfm_summary)",
    )
    parser.add_argument(
        "--ids",
        choices=["padded", "free"],
        default="padded",
        help="customer ids of one width (C00259933, read as numbers) or of varying width "
        "(C259933, hashed as strings)",
    )
    parser.add_argument("--lifetimes-python", default="/tmp/lifetimes-venv/bin/python")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "TASK", "PATH"))
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child, repeat=args.repeat, output=args.output)
        return

    sys.path.insert(0, str(HERE))
    from _data import describe_probe, load_average, machine_info, transactions_parquet

    has_lifetimes = Path(args.lifetimes_python).exists()
    report: dict = {
        "machine": machine_info(),
        "repeat": args.repeat,
        "ids": args.ids,
        "lifetimes": args.lifetimes_python if has_lifetimes else "not available",
        "runs": [],
    }
    results = (
        RESULTS if args.ids == "padded" else RESULTS.with_name(f"features_{args.ids}_ids.json")
    )
    with tempfile.TemporaryDirectory() as scratch:
        for rows in args.rows:
            path = transactions_parquet(rows, ids=args.ids)
            jobs = []
            if "rfm_summary" in args.tasks:
                jobs += [(engine, "rfm_summary") for engine in args.engines]
                jobs += [("lifetimes", "rfm_summary")] if has_lifetimes else []
            if "customer_features" in args.tasks:
                jobs += [(engine, "customer_features") for engine in args.engines]
            outputs = {}
            for engine, task in jobs:
                python = args.lifetimes_python if engine == "lifetimes" else sys.executable
                outputs[engine, task] = Path(scratch) / f"{engine}_{task}_{rows}.parquet"
                measured = _measure(python, engine, task, path, args.repeat, outputs[engine, task])
                measured |= {"rows": rows, "engine": engine, "task": task}
                measured["load_average_after"] = load_average()
                report["runs"].append(measured)
                print(
                    f"{rows:>11,} {engine:<9} {task:<17} {measured['best_seconds']:7.2f} s",
                    flush=True,
                )
            if has_lifetimes and "rfm_summary" in args.tasks:
                reference = outputs["lifetimes", "rfm_summary"]
                for engine in args.engines:
                    run = _find(report, rows, engine, "rfm_summary")
                    run["matches_lifetimes"] = _same_summary(
                        outputs[engine, "rfm_summary"], reference
                    )
    _add_ratios_and_targets(report)
    report["growth"] = _growth(report)
    report["machine"]["load_average_at_end"] = load_average()
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n")
    print()
    if not has_lifetimes:
        print(
            f"**lifetimes reference unavailable** (no interpreter at {args.lifetimes_python}): "
            "no speed ratios and no value-by-value check in this run.\n"
        )
    print(_markdown(report))
    print("\n" + describe_probe(report["machine"]["speed_probe"]))
    print()
    print(_growth_markdown(report["growth"]))
    print(f"\nwritten to {results.relative_to(HERE.parent)}")


def _find(report: dict, rows: int, engine: str, task: str) -> dict | None:
    for run in report["runs"]:
        if (run["rows"], run["engine"], run["task"]) == (rows, engine, task):
            return run
    return None


def _add_ratios_and_targets(report: dict) -> None:
    for run in report["runs"]:
        reference = _find(report, run["rows"], "lifetimes", "rfm_summary")
        if reference and run["engine"] != "lifetimes" and run["task"] == "rfm_summary":
            run["speedup_vs_lifetimes"] = round(reference["best_seconds"] / run["best_seconds"], 2)
            run["cpu_time_ratio_vs_lifetimes"] = round(
                reference["best_cpu_seconds"] / run["best_cpu_seconds"], 2
            )
        target = TARGETS.get((run["rows"], run["task"], run["engine"]))
        if target:
            kind, value = target
            if kind == "seconds":
                run["target"] = f"<= {value:g} s"
                run["target_met"] = run["best_seconds"] <= value
            elif "speedup_vs_lifetimes" in run:
                run["target"] = f">= {value:g}x lifetimes"
                run["target_met"] = run["speedup_vs_lifetimes"] >= value


def _growth(report: dict) -> list[dict]:
    """Exponent b of time = a * rows^b, fitted by least squares on log-log, per engine and task."""
    import numpy as np

    fits = []
    pairs = sorted({(run["engine"], run["task"]) for run in report["runs"]})
    for engine, task in pairs:
        runs = sorted(
            (r for r in report["runs"] if (r["engine"], r["task"]) == (engine, task)),
            key=lambda r: r["rows"],
        )
        if len(runs) < 2:
            continue
        rows = np.log([r["rows"] for r in runs])
        seconds = np.log([r["best_seconds"] for r in runs])
        exponent = float(np.polyfit(rows, seconds, 1)[0])
        fits.append(
            {
                "engine": engine,
                "task": task,
                "rows": [r["rows"] for r in runs],
                "exponent": round(exponent, 2),
                "target": f"<= {MAX_EXPONENT} (linear)",
                "target_met": exponent <= MAX_EXPONENT,
            }
        )
    return fits


def _growth_markdown(fits: list[dict]) -> str:
    lines = [
        "| engine | task | sizes (rows) | exponent of time vs rows | target | met |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for fit in fits:
        sizes = ", ".join(f"{n:,}" for n in fit["rows"])
        met = "yes" if fit["target_met"] else "no"
        lines.append(
            f"| {fit['engine']} | {fit['task']} | {sizes} | {fit['exponent']:.2f} | "
            f"{fit['target']} | {met} |"
        )
    return "\n".join(lines)


def _markdown(report: dict) -> str:
    lines = [
        "| rows | engine | task | best time (s) | vs lifetimes | CPU time (s) | peak RSS (MB) "
        "| extra RSS (MB) | target | met |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for run in report["runs"]:
        speedup = run.get("speedup_vs_lifetimes")
        lines.append(
            f"| {run['rows']:,} | {run['engine']} | {run['task']} | {run['best_seconds']:.2f} | "
            f"{f'{speedup:.1f}x' if speedup else '-'} | {run['best_cpu_seconds']:.2f} | "
            f"{run['peak_rss_mb']:,.0f} | "
            f"{run['extra_rss_mb']:,.0f} | {run.get('target', '-')} | "
            f"{'yes' if run.get('target_met') else ('no' if 'target_met' in run else '-')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
