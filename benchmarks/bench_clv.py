"""Benchmark of stage 08's BG/NBD fit: against lifetimes, and at 10^6 customers (target < 10 s).

Two measurements:

1. **Against lifetimes' ``BetaGeoFitter``** on the same CDNOW calibration summary
   (23,570 customers, weeks, calibration to 1997-09-30). lifetimes is abandoned
   and needs an old pandas/numpy, so it runs in a separate environment given by
   ``--lifetimes-python`` (see ``clv_lifetimes_reference.py`` for how to make
   one); without it that row is left out. Target: ours at least 10x faster.
2. **At growing sizes**: customers simulated from BG/NBD with the CDNOW
   parameters, first purchases spread over a year and everything in whole days
   (as a real export is), fitted from scratch. Target: 10^6 customers < 10 s.

Each time is the best of ``--repeat`` fits of the whole ``fit_bgnbd`` call
(input checks, collapse into distinct rows, optimizer and Hessian).

Run:  .venv/bin/python benchmarks/bench_clv.py [--sizes 100000 1000000]
          [--lifetimes-python /tmp/lifetimes-venv/bin/python]
Writes benchmarks/results/clv.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _data import machine_info

from marketing_utils.clv import bgnbd
from marketing_utils.clv.validation import calibration_holdout
from marketing_utils.datasets.public import load_cdnow

TARGET = {"n_customers": 1_000_000, "seconds": 10.0, "speedup_vs_lifetimes": 10.0}
CDNOW_PARAMS = {"r": 0.2516, "alpha": 4.789, "a": 0.7234, "b": 2.161}

_LIFETIMES_TIMER = """
import sys, time, pandas as pd
from lifetimes import BetaGeoFitter
d = pd.read_csv(sys.argv[1])
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    f = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    best = min(best, time.perf_counter() - t)
print(best, *[f.params_[k] for k in ("r", "alpha", "a", "b")])
"""


def simulate(n: int, seed: int = 0, params: dict = CDNOW_PARAMS) -> pd.DataFrame:
    """BG/NBD customers in whole days, vectorized.

    A customer drops out after purchase G ~ Geometric(p); purchases are Poisson(lambda)
    times, so x = min(N(T), G) with N(T) ~ Poisson(lambda T), and given N(T) = n the
    x-th purchase time is T times a Beta(x, n - x + 1) order statistic.
    """
    rng = np.random.default_rng(seed)
    T_days = rng.integers(0, 365, n) + 273  # first purchases over a year, observed 39+ weeks
    T = T_days / 7
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    count = rng.poisson(lam * T)
    x = np.minimum(count, rng.geometric(p))
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(count - x + 1, 1)), 0.0)
    tx_days = np.minimum(np.floor(tx * 7), T_days)
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx_days / 7, "T": T})


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--sizes", "100000", "--repeat", "1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lifetimes-python", default=os.environ.get("LIFETIMES_PYTHON"))
    args = parser.parse_args()
    datasets = Path(os.environ.get("WORKBOOK_DATASETS_DIR", "../shared/datasets"))
    rows = []

    cdnow = calibration_holdout(
        load_cdnow(datasets / "CDNOW_master.txt").transactions, "1997-09-30", "1998-06-30"
    )[["frequency", "recency", "T"]]
    ours, fit = best_of(args.repeat, lambda: bgnbd.fit_bgnbd(cdnow))
    row = {
        "data": "CDNOW calibration",
        "n_customers": len(cdnow),
        "n_rows": fit.n_rows,
        "seconds": ours,
        "params": fit.params,
    }
    if args.lifetimes_python:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "cdnow.csv"
            cdnow.to_csv(path, index=False)
            out = subprocess.run(
                [args.lifetimes_python, "-c", _LIFETIMES_TIMER, str(path), str(args.repeat)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
        row["lifetimes_seconds"] = float(out[0])
        row["lifetimes_params"] = dict(
            zip(("r", "alpha", "a", "b"), map(float, out[1:]), strict=True)
        )
        row["speedup"] = row["lifetimes_seconds"] / ours
    rows.append(row)

    for size in args.sizes:
        data = simulate(size)
        seconds, fit = best_of(
            args.repeat if size < 1_000_000 else 1, lambda d=data: bgnbd.fit_bgnbd(d)
        )
        rows.append(
            {
                "data": "simulated BG/NBD",
                "n_customers": size,
                "n_rows": fit.n_rows,
                "seconds": seconds,
                "params": fit.params,
            }
        )

    result = {"target": TARGET, "machine": machine_info(), "results": rows}
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "clv.json").write_text(json.dumps(result, indent=2))
    print("| data | customers | distinct rows | ours (s) | lifetimes (s) | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        life = f"{r['lifetimes_seconds']:.3f}" if "lifetimes_seconds" in r else "–"
        speed = f"{r['speedup']:.1f}x" if "speedup" in r else "–"
        print(
            f"| {r['data']} | {r['n_customers']:,} | {r['n_rows']:,} | {r['seconds']:.3f} | {life} | {speed} |"
        )
    for r in rows:
        print(r["data"], r["n_customers"], {k: round(v, 4) for k, v in r["params"].items()})
    sys.stdout.flush()


if __name__ == "__main__":
    main()
