"""Benchmark of stage 02: segment_customers at growing sizes (target: 1,000,000 in <= 90 s).

The customer table is the synthetic default (20,000 customers, seed 42) run
through stage 01; larger sizes resample its customers with replacement and
jitter the money, count and day columns by a few percent (lognormal, sigma
0.05), so the big tables keep the personas' structure without being exact
copies. Each timing is one full ``segment_customers`` call with the defaults
of the notebook: RFM scores and segments, k-selection over k = 2..10 with
silhouette, Calinski-Harabasz, Davies-Bouldin and 5 bootstrap resamples per
k, the final (MiniBatch)KMeans fit on every customer, the Gaussian-mixture
comparison, profiles and names. One thread (``n_threads=1``).

Run:  .venv/bin/python benchmarks/bench_segment.py [--sizes 20000 100000 1000000]
Writes benchmarks/results/segment.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _data import machine_info

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.preprocess.stage import preprocess
from marketing_utils.segment.stage import segment_customers

TARGET = {"n_customers": 1_000_000, "seconds": 90.0}
JITTERED = (
    "days_since_last_purchase",
    "n_orders",
    "avg_basket",
    "total_spend",
)


def base_features(seed: int = 42) -> pd.DataFrame:
    """Customer features of the default synthetic data (stage 01, default params)."""
    result = preprocess(make_synthetic(20_000, seed=seed), horizon_days=90)
    return result.features


def resample(features: pd.DataFrame, n_rows: int, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` customers drawn with replacement, jittered, with fresh ids."""
    rng = np.random.default_rng(seed)
    table = features.iloc[rng.integers(0, len(features), n_rows)].reset_index(drop=True)
    noise = {
        column: table[column].to_numpy(dtype=float) * rng.lognormal(0.0, 0.05, n_rows)
        for column in JITTERED
        if column in table
    }
    ids = pd.Series([f"c{i:08d}" for i in range(n_rows)], dtype="str")
    return table.assign(**noise, customer_id=ids)


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--sizes", "20000", "100000"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "segment.json"
    )
    args = parser.parse_args()

    features = base_features()
    rows = []
    for size in args.sizes:
        table = resample(features, size)
        tic = time.perf_counter()
        result = segment_customers(table, seed=42, n_threads=1)
        result.published_profiles()
        seconds = time.perf_counter() - tic
        rows.append(
            {
                "n_customers": size,
                "seconds": round(seconds, 1),
                "chosen_k": result.selection.chosen_k,
                "silhouette": round(float(result.metrics()["silhouette"]), 3),
                "final_fit": "MiniBatchKMeans" if size > 100_000 else "KMeans",
            }
        )
        print(
            f"{size:>10,} customers: {seconds:6.1f} s (k = {result.selection.chosen_k})", flush=True
        )

    print("\n| customers | seconds | chosen k | silhouette | final fit |")
    print("|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['n_customers']:,} | {row['seconds']} | {row['chosen_k']} | "
            f"{row['silhouette']} | {row['final_fit']} |"
        )
    largest = max(rows, key=lambda r: r["n_customers"])
    met = (
        largest["n_customers"] >= TARGET["n_customers"] and largest["seconds"] <= TARGET["seconds"]
    )
    print(
        f"\ntarget: {TARGET['n_customers']:,} customers in <= {TARGET['seconds']:.0f} s: "
        f"{'met' if met else 'NOT met'}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "segment_customers (stage 02)",
                "target": TARGET,
                "target_met": met,
                "machine": machine_info("shared with other jobs: timings are noisy"),
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
