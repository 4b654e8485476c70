"""Benchmark of stage 06: item-based recommendations for every customer (target: <= 60 s, <= 4 GB).

The data is the synthetic generator's (clean, seed 42) with 100,000 customers
and 2,000 products: about 2 million order lines over three years. The timed
work is what the notebook does for the export, from the clean transactions:
build the sparse customer x product matrix from the purchases before the
cutoff, fit item-based CF (cosine, 50 neighbours per product) and recommend
10 products to every customer with a purchase history (already-bought
products excluded). Customers without one get the segment baseline's list,
which costs nothing in comparison.

The timed part runs in a fresh Python process that reads the transactions
from Parquet, so its peak resident memory (``ru_maxrss``) is the stage's, not
the generator's; the process's memory after reading the input is reported
too.

Run:  .venv/bin/python benchmarks/bench_recommend.py [--customers 100000] [--products 2000]
Writes benchmarks/results/recommend.json and prints a Markdown table.
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

from _data import machine_info

TARGET = {"n_customers": 100_000, "n_products": 2_000, "seconds": 60.0, "peak_gb": 4.0}


def _rss_gb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def worker(path: Path, cutoff: str) -> dict:
    """The timed part: matrix, item-item similarities, top-10 lists for everyone."""
    import pandas as pd

    from marketing_utils.recommend import ItemKNNRecommender, interaction_matrix

    transactions = pd.read_parquet(path)
    after_read = _rss_gb()
    tic = time.perf_counter()
    interactions = interaction_matrix(transactions, cutoff=cutoff, min_customers_per_product=2)
    matrix_seconds = time.perf_counter() - tic
    model = ItemKNNRecommender("cosine", n_neighbours=50).fit(interactions)
    fit_seconds = time.perf_counter() - tic - matrix_seconds
    recommendations = model.recommend(interactions.customer_ids, n=10)
    total = time.perf_counter() - tic
    return {
        "lines": len(transactions),
        "customers_with_history": int(interactions.shape[0]),
        "products": int(interactions.shape[1]),
        "interactions": int(interactions.matrix.nnz),
        "similarities_kept": int(model.similarity_.nnz),
        "recommendations": len(recommendations),
        "matrix_seconds": round(matrix_seconds, 2),
        "fit_seconds": round(fit_seconds, 2),
        "recommend_seconds": round(total - matrix_seconds - fit_seconds, 2),
        "seconds": round(total, 2),
        "rss_after_reading_gb": round(after_read, 2),
        "peak_rss_gb": round(_rss_gb(), 2),
    }


def make_input(n_customers: int, n_products: int, folder: Path) -> tuple[Path, str]:
    """Clean synthetic transactions written to Parquet; returns the path and the cutoff."""
    from marketing_utils.datasets.synthetic import make_synthetic

    data = make_synthetic(n_customers, n_products=n_products, seed=42, dirty=False)
    path = folder / f"transactions_{n_customers}_{n_products}.parquet"
    data.transactions[["customer_id", "product_id", "timestamp"]].to_parquet(path)
    return path, str(data.info["cutoff"])


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--customers", "10000", "--products", "500"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=TARGET["n_customers"])
    parser.add_argument("--products", type=int, default=TARGET["n_products"])
    parser.add_argument("--worker", nargs=2, metavar=("PARQUET", "CUTOFF"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "recommend.json"
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1])))
        return

    with tempfile.TemporaryDirectory() as folder:
        tic = time.perf_counter()
        path, cutoff = make_input(args.customers, args.products, Path(folder))
        print(f"input: {time.perf_counter() - tic:.1f} s to generate", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--worker", str(path), cutoff],
            check=True,
            capture_output=True,
            text=True,
        )
    row = {"n_customers": args.customers, "n_products": args.products, **json.loads(done.stdout)}
    met = (
        row["n_customers"] >= TARGET["n_customers"]
        and row["n_products"] >= TARGET["n_products"]
        and row["seconds"] <= TARGET["seconds"]
        and row["peak_rss_gb"] <= TARGET["peak_gb"]
    )
    print(
        "\n| customers | products | lines | with history | matrix s | fit s | recommend s "
        "| total s | peak RSS GB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {row['n_customers']:,} | {row['n_products']:,} | {row['lines']:,} | "
        f"{row['customers_with_history']:,} | {row['matrix_seconds']} | {row['fit_seconds']} | "
        f"{row['recommend_seconds']} | {row['seconds']} | {row['peak_rss_gb']} |"
    )
    print(
        f"\ntarget: {TARGET['n_customers']:,} customers x {TARGET['n_products']:,} products in "
        f"<= {TARGET['seconds']:.0f} s and <= {TARGET['peak_gb']:.0f} GB: "
        f"{'met' if met else 'NOT met'}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "item-based recommendations for all customers (stage 06)",
                "target": TARGET,
                "target_met": met,
                "machine": machine_info("shared with other jobs: timings are noisy"),
                "results": [row],
            },
            indent=2,
        )
    )
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
