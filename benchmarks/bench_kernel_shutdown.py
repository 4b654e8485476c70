"""How long a runner kernel takes to stop after its notebook, with ipykernel's kernel class and the runner's.

A kernel that has run a parallel fit (loky workers, resource trackers) or left
an ended child used to wait 2.5 s at shutdown until jupyter_client terminated
it (exit -15); :class:`marketing_utils.runner._kernel.WorkbookKernel` stops in
a fraction of a second and exits by itself (docs/benchmarks.md). For each kind
of kernel and each class, start a forked kernel as the runner does, run the
code, time ``shutdown_kernel`` and record the exit code. Target: under 0.5 s
and exit 0 for every kernel with the runner's class. Linux only (forked
kernels). Usage::

    .venv/bin/python benchmarks/bench_kernel_shutdown.py [--repeat 5]

Prints a Markdown table and writes ``benchmarks/results/kernel_shutdown.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--repeat", "2"]

KINDS = {
    "no child": "x = 1",
    "an ended child": "import subprocess, time\nsubprocess.Popen(['true'])\ntime.sleep(0.3)",
    "a parallel fit": (
        "from joblib import Parallel, delayed\nParallel(n_jobs=2)(delayed(abs)(i) for i in range(10))"
    ),
}
CLASSES = {
    "ipykernel's IPythonKernel": "--IPKernelApp.kernel_class=ipykernel.ipkernel.IPythonKernel",
    "runner's WorkbookKernel": None,  # kernels.KERNEL_CLASS as it is
}


async def _run(manager_class, cwd: Path, code: str):
    manager = manager_class(kernel_name="python3")
    await manager.start_kernel(cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(code)
        while (await client.get_shell_msg(timeout=120))["parent_header"].get("msg_id") != msg_id:
            pass
    finally:
        client.stop_channels()
    return manager


def _shutdown(manager) -> tuple[float, int]:
    process = manager.provisioner.process
    tic = time.perf_counter()
    asyncio.run(manager.shutdown_kernel())
    return time.perf_counter() - tic, process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from marketing_utils.runner import kernels
    from marketing_utils.runner.run import _kernel_environment

    report = {"machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()}, "runs": []}
    runner_class = kernels.KERNEL_CLASS
    with tempfile.TemporaryDirectory(prefix="mwk-") as folder:
        folder = Path(folder)
        sockets = folder / "s"
        sockets.mkdir()
        notebook = folder / "n.ipynb"
        notebook.write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
        with _kernel_environment(), kernels.fork_server(folder, [notebook]) as server:
            while (status := server.status()) is not None and status["loading"]:
                time.sleep(0.1)
            for class_name, option in CLASSES.items():
                kernels.KERNEL_CLASS = option or runner_class
                manager_class = kernels.kernel_manager_class(sockets)
                for kind, code in KINDS.items():
                    seconds, codes = [], []
                    for _ in range(args.repeat):
                        manager = asyncio.run(_run(manager_class, folder, code))
                        elapsed, exit_code = _shutdown(manager)
                        seconds.append(elapsed)
                        codes.append(exit_code)
                    report["runs"].append(
                        {"class": class_name, "kernel with": kind, "seconds": seconds,
                         "median_s": statistics.median(seconds), "exit_codes": codes}
                    )  # fmt: skip
            kernels.KERNEL_CLASS = runner_class
    report["machine"]["load_at_end"] = os.getloadavg()
    print(f"load average at start {report['machine']['load_at_start'][0]:.2f}, "
          f"at end {report['machine']['load_at_end'][0]:.2f}")  # fmt: skip
    print("| kernel class | kernel with | shutdown, median (s) | max (s) | exit codes |")
    print("|---|---|---:|---:|---|")
    for run in report["runs"]:
        print(f"| {run['class']} | {run['kernel with']} | {run['median_s']:.2f} | "
              f"{max(run['seconds']):.2f} | {sorted(set(run['exit_codes']))} |")  # fmt: skip
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "kernel_shutdown.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
