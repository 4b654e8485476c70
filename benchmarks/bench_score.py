"""Benchmark of ``marketing-workbook score``: 10^6 customers on pandas, Polars and Dask.

A model is trained through the real code path (notebook 01's preprocessing and
notebook 03's ``fit_propensity``, one family, on 2,000 synthetic customers)
and saved with its metadata. A feature table of ``--customers`` rows is made by
resampling the training customers' features under new raw ids and written to
Parquet in row groups of 100,000 (Dask reads one partition per row group).
Each engine then scores it with :func:`marketing_utils.scoring.stage.score_new_customers`
in its own process (so that the peak memory is its own): read, score, pseudonymize
the ids, exact global deciles, write Parquet. The outputs must be identical.

Run:  .venv/bin/python benchmarks/bench_score.py [--customers 1000000] [--family hist_gradient_boosting]
Writes benchmarks/results/score.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark-key"
ENGINES = ("pandas", "polars", "dask")


def _prepare(folder: Path, n_customers: int, family: str) -> tuple[Path, Path]:
    """Train and save a model; write a feature table of ``n_customers`` rows. Returns both paths."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from marketing_utils.artifacts import Artifacts
    from marketing_utils.datasets.synthetic import make_synthetic
    from marketing_utils.preprocess.stage import preprocess, save_preprocessing
    from marketing_utils.propensity.stage import fit_propensity, save_propensity

    store = Artifacts(folder / "run")
    save_preprocessing(preprocess(make_synthetic(2000, seed=5), key=KEY.encode()), store)
    info = store.load("preprocessing_info")
    result = fit_propensity(
        store.load("model_table"), info=info, models=(family,), cv_folds=3, search_iter=1, seed=0
    )
    save_propensity(result, store, preprocessing_info=info)
    features = store.load("customer_features")
    rows = np.random.default_rng(0).integers(0, len(features), n_customers)
    table = features.iloc[rows].reset_index(drop=True)
    table["customer_id"] = [f"C{i:09d}" for i in range(n_customers)]
    path = folder / "features.parquet"
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), path, row_group_size=100_000)
    return store.path("propensity_model", "model"), path


def _one(engine: str, model: str, data: str, out: str) -> None:
    """Score once with one engine and print seconds and peak memory as JSON."""
    warnings.simplefilter("ignore", FutureWarning)
    os.environ["WORKBOOK_PSEUDONYM_KEY"] = KEY
    from marketing_utils.scoring.stage import score_new_customers

    start = time.perf_counter()
    summary = score_new_customers(model, data, out, engine=engine, data_kind="features")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "n": summary.n_customers}))


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--customers", "50000"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--family", default="hist_gradient_boosting")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "score.json"
    )
    parser.add_argument("--one", nargs=4, metavar=("ENGINE", "MODEL", "DATA", "OUT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.one:
        _one(*args.one)
        return

    import pandas as pd

    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        start = time.perf_counter()
        model, data = _prepare(folder, args.customers, args.family)
        print(
            f"model and {args.customers:,}-row feature table: {time.perf_counter() - start:.1f} s"
        )
        outputs = {}
        for engine in ENGINES:
            out = folder / f"scores_{engine}.parquet"
            command = [sys.executable, __file__, "--one", engine, str(model), str(data), str(out)]
            done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"engine": engine, **measured})
            outputs[engine] = pd.read_parquet(out)
            print(f"{engine}: {measured['seconds']:.1f} s, peak {measured['peak_mb']:.0f} MB")
        identical = all(outputs[e].equals(outputs["pandas"]) for e in ENGINES)

    print(f"\n| engine | customers | wall s | customers/s | peak MB |  ({args.family})")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        rate = row["n"] / row["seconds"]
        print(f"| {row['engine']} | {row['n']:,} | {row['seconds']:.1f} | {rate:,.0f} | "
              f"{row['peak_mb']:.0f} |")  # fmt: skip
    print(f"\noutputs identical on every engine: {identical}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "score_new_customers on a feature table (Parquet in, Parquet out)",
                "customers": args.customers,
                "model_family": args.family,
                "results": rows,
                "identical_outputs": identical,
                "load_average_before": load_before,
                "load_average_after": os.getloadavg()[0],
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
