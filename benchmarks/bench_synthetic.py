"""Speed and memory of the synthetic data generator, plus a profile of what it makes.

Usage::

    .venv/bin/python benchmarks/bench_synthetic.py [--customers 100000] [--repeat 3]

Prints a Markdown table (customers, transaction rows, best and median seconds,
peak RSS) and a profile of the last generated data set (rows per customer,
persona shares, response rates by uplift type and arm, the label base rate,
spread, top-decile lift and ROC AUC of the true purchase probability, and
yearly revenue growth), and merges the results into
``benchmarks/results/synthetic.json`` under the number of customers.

Each repetition runs in a fresh child process, so its peak resident memory
(``ru_maxrss``) is its own and includes the interpreter and imports.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results" / "synthetic.json"


def _profile(data) -> dict:
    """What a data set looks like: sizes, personas, campaign responses, the truth."""
    from sklearn.metrics import roc_auc_score

    truth = data.truth
    scored = truth[truth["true_purchase_prob"].notna()]
    probability = scored["true_purchase_prob"].to_numpy()
    bought = scored["purchased_in_horizon"].to_numpy()
    top_decile = np.argsort(-probability, kind="stable")[: int(np.ceil(len(scored) / 10))]
    observed = data.campaign.merge(truth[["customer_id", "uplift_type"]], on="customer_id")
    rates = observed.groupby(["uplift_type", "treatment"])["response"].mean().unstack()
    sales = data.transactions[data.transactions["quantity"] > 0]
    end = pd.Timestamp(data.info["observation_end"])
    sales = sales[sales["timestamp"] < end]
    revenue = sales.groupby(sales["timestamp"].dt.year)["amount"].sum()
    return {
        "rows_per_customer": round(len(data.transactions) / len(data.customers), 2),
        "orders": int(data.transactions["order_id"].nunique()),
        "persona_share": {
            name: round(float(share), 4)
            for name, share in truth["persona"].value_counts(normalize=True).items()
        },
        "response_rate_by_uplift_type": {
            uplift_type: {"control": round(float(row[0]), 4), "treated": round(float(row[1]), 4)}
            for uplift_type, row in rates.iterrows()
        },
        "true_purchase_prob_auc": round(float(roc_auc_score(bought, probability)), 4),
        "label_base_rate": round(float(bought.mean()), 4),
        "true_purchase_prob_share_0.2_to_0.8": round(
            float(((probability >= 0.2) & (probability <= 0.8)).mean()), 4
        ),
        "true_purchase_prob_top_decile_lift": round(
            float(bought[top_decile].mean() / bought.mean()), 3
        ),
        "revenue_growth_by_year": {
            str(year): round(float(growth), 4)
            for year, growth in revenue.pct_change().dropna().items()
        },
        "defects": dict(data.defects),
    }


def _run_once(customers: int, seed: int, with_profile: bool, queue) -> None:
    from marketing_utils.datasets.synthetic import make_synthetic

    started = time.perf_counter()
    data = make_synthetic(customers, seed=seed)
    seconds = time.perf_counter() - started
    # ru_maxrss is in kibibytes on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "peak_rss_mb": peak_mb, "rows": len(data.transactions)}
    if with_profile:
        result["profile"] = _profile(data)
    queue.put(result)


def _measure(customers: int, seed: int, with_profile: bool) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_once, args=(customers, seed, with_profile, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--customers", "20000", "--repeat", "1"]


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and return the result written to the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    runs = [
        _measure(args.customers, args.seed, with_profile=index == args.repeat - 1)
        for index in range(args.repeat)
    ]
    seconds = [run["seconds"] for run in runs]
    result = {
        "customers": args.customers,
        "transaction_rows": runs[-1]["rows"],
        "repeat": args.repeat,
        "best_seconds": round(min(seconds), 3),
        "median_seconds": round(statistics.median(seconds), 3),
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in runs), 1),
        "profile": runs[-1]["profile"],
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }

    print("| customers | transaction rows | best s | median s | peak RSS MB |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {args.customers:,} | {result['transaction_rows']:,} | {result['best_seconds']:.2f} "
        f"| {result['median_seconds']:.2f} | {result['peak_rss_mb']:.0f} |"
    )
    profile = result["profile"]
    print(f"\nrows per customer: {profile['rows_per_customer']}")
    print(
        f"ROC AUC of true_purchase_prob vs purchased_in_horizon: {profile['true_purchase_prob_auc']}"
    )
    print(
        f"label base rate {profile['label_base_rate']}, true_purchase_prob in [0.2, 0.8]: "
        f"{profile['true_purchase_prob_share_0.2_to_0.8']}, its top-decile lift: "
        f"{profile['true_purchase_prob_top_decile_lift']}"
    )
    print(f"revenue growth by year: {profile['revenue_growth_by_year']}")
    print("\n| persona | share |\n| --- | ---: |")
    for name, share in profile["persona_share"].items():
        print(f"| {name} | {share:.3f} |")
    print("\n| uplift type | response control | response treated |\n| --- | ---: | ---: |")
    for name, rates in profile["response_rate_by_uplift_type"].items():
        print(f"| {name} | {rates['control']:.3f} | {rates['treated']:.3f} |")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[str(args.customers)] = result
    RESULTS.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten to {RESULTS}")
    return result


if __name__ == "__main__":
    main()
