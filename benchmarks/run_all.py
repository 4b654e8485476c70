"""Run the benchmarks in this folder, all of them or a selection (``make bench``).

Each ``bench_*.py`` prints a Markdown table and writes JSON to
``benchmarks/results/``. Timings are wall-clock, so the load average of the
machine is printed before and after each benchmark (and each benchmark's JSON
records it too): a figure measured under load is visibly noisy.

Examples
--------
::

    python benchmarks/run_all.py --list            # what there is
    python benchmarks/run_all.py --quick           # every benchmark at sizes that take minutes
    python benchmarks/run_all.py features score    # a selection by name, at full size
    python benchmarks/run_all.py --quick recommend -- --products 500   # extra arguments

A benchmark declares its quick sizes as a module-level literal ``QUICK_ARGS``
(a list of command-line arguments); it is read without importing the script.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

__all__ = ["available_benchmarks", "main", "quick_args"]


def available_benchmarks(folder: Path = HERE) -> dict[str, Path]:
    """Name (``features`` for ``bench_features.py``) → script, sorted by name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(folder.glob("bench_*.py"))}


def quick_args(script: Path) -> list[str] | None:
    """The script's ``QUICK_ARGS`` literal, or None when it declares none."""
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "QUICK_ARGS" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"{script.name}: QUICK_ARGS must be a list of strings")
            return value
    return None


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _parser(names: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="benchmarks: " + ", ".join(names),
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="benchmarks to run (default: all); see --list",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run each benchmark at the small sizes it declares (QUICK_ARGS); "
        "benchmarks that declare none are skipped and named",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; return 1 if any failed, 2 on a bad selection."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    benchmarks = available_benchmarks(HERE)
    args = _parser(list(benchmarks)).parse_args(argv)
    if args.list:
        for name, script in benchmarks.items():
            quick = quick_args(script)
            shown = " ".join(quick) if quick is not None else "(no quick sizes)"
            print(f"{name:<12} {script.name:<22} --quick: {shown}")
        return 0
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        print(
            f"run_all: unknown benchmark(s) {', '.join(unknown)}; "
            f"expected one of {', '.join(benchmarks)}",
            file=sys.stderr,
        )
        return 2
    selected = {n: benchmarks[n] for n in (args.names or benchmarks)}

    # The load says whether the cores are shared; the probe says how fast they are today.
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # _data sits beside this file
    from _data import describe_probe, speed_probe

    print(describe_probe(speed_probe()), flush=True)
    failed, skipped = [], []
    for name, script in selected.items():
        command = [sys.executable, str(script)]
        if args.quick:
            quick = quick_args(script)
            if quick is None:
                skipped.append(name)
                continue
            command += quick
        command += extra
        print(f"\n## {script.name}  ({_load()})\n", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        print(f"\n{script.name}: {time.perf_counter() - started:.1f} s, then {_load()}", flush=True)
        if code != 0:
            failed.append(name)
    if skipped:
        print(f"\nno quick sizes, skipped: {', '.join(skipped)}", file=sys.stderr)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
