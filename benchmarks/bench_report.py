"""Benchmark: full report runs (every notebook) of params/default.yaml and params/large.yaml.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--params params/default.yaml params/large.yaml]

Each params file is copied to a temporary directory with ``output_dir``
pointing there (the repository's ``reports/`` is not touched) and run with
``marketing-workbook run``, exactly as a user would. The time of each notebook
comes from the report's ``manifest.json`` (the runner writes it); "total" is
the wall time of the whole command, including rendering the HTML. Peak memory
is the largest resident size of any single process of the run (the notebook
kernels), from ``getrusage``. Prints a Markdown table and writes
``benchmarks/results/report.json``.
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

import yaml
from _data import describe_probe, load_average, machine_info, notebook_columns

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "report.json"
# Issue 23: the default report in a minute, the large one in three (quiet 2-core machine).
TARGET_SECONDS = {"default": 60.0, "large": 180.0}


def _run(params_file: Path, scratch: Path) -> dict:
    settings = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    settings["output_dir"] = str(scratch / "reports")
    copy = scratch / params_file.name
    copy.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "marketing_utils", "run", str(copy)]
    tic = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    total = time.perf_counter() - tic
    result = {
        "params": str(params_file.relative_to(ROOT)),
        "run_name": settings["run_name"],
        "customers": settings["data"].get("n_customers"),
        "total_seconds": round(total, 1),
        "peak_rss_gb_largest_process": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2
        ),
        "completed": done.returncode == 0,
    }
    if done.returncode != 0:
        return result | {"error": done.stderr[-3000:]}
    manifest = json.loads(
        (scratch / "reports" / settings["run_name"] / "manifest.json").read_text()
    )
    result["notebooks"] = {
        entry["stem"]: entry.get("seconds", entry.get("status")) for entry in manifest["notebooks"]
    }
    target = TARGET_SECONDS.get(settings["run_name"])
    if target is not None:
        result["target"] = f"<= {target:g} s"
        result["target_met"] = total <= target
    return result


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--params", "params/ci.yaml"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", nargs="+", default=["params/default.yaml", "params/large.yaml"])
    args = parser.parse_args(argv)
    report = {
        "machine": machine_info(),
        "runs": [],
    }
    for name in args.params:
        with tempfile.TemporaryDirectory(prefix="bench_report_") as scratch:
            measured = _run((ROOT / name).resolve(), Path(scratch))
        measured["load_average_after"] = load_average()
        report["runs"].append(measured)
        print(f"{name}: {measured['total_seconds']:.0f} s", flush=True)
    if RESULTS.exists():  # keep the other params files' runs of an earlier run
        done = {run["params"] for run in report["runs"]}
        earlier = json.loads(RESULTS.read_text())["runs"]
        report["runs"] = [r for r in earlier if r["params"] not in done] + report["runs"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")

    stems, columns = notebook_columns(report["runs"])
    lines = [
        "| params | customers | " + " | ".join(stems) + " | total (s) | target | met |",
        "| --- | ---: | " + " | ".join("---:" for _ in stems) + " | ---: | --- | --- |",
    ]
    for run, cells in zip(report["runs"], columns, strict=True):
        met = "yes" if run.get("target_met") else "no"
        lines.append(
            f"| {run['params']} | {run['customers']:,} | " + " | ".join(cells) + " | "
            f"{run['total_seconds']:.0f} | {run.get('target', '-')} | {met} |"
        )
        if not run["completed"]:
            lines.append(f"\nfailed: {run['params']}\n```\n{run['error'][-800:]}\n```")
    print()
    print("\n".join(lines))
    print("\n" + describe_probe(report["machine"]["speed_probe"]))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
