"""Count the estimator fits, time and test metrics of stage 03 on a stage-01 model table.

Usage (one params file at a time, nice'd, on a report whose notebook 01 has run)::

    nice -n 10 .venv/bin/python benchmarks/propensity_fits.py params/default.yaml \
        --report reports/default --n-jobs 2 --out fits.jsonl

Fits are counted by wrapping ``Pipeline.fit`` (model pipelines) in this process;
with ``--n-jobs`` above 1 the folds run on joblib's threading backend so that the
count sees them (the notebook uses the default process backend: same fits, same
results). The same script runs on an older checkout for the "before" column.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from contextlib import nullcontext

from _data import load_average, propensity_decisions, propensity_inputs

COUNTS: Counter = Counter()
_LOCK = threading.Lock()


def _count_fits() -> None:
    """Count every fit of a model pipeline (not the calibrators' one-feature fits)."""
    from sklearn.base import is_classifier
    from sklearn.pipeline import Pipeline

    original = Pipeline.fit

    def fit(self, *args, **kwargs):
        if is_classifier(self):
            with _LOCK:
                COUNTS[type(self.steps[-1][1]).__name__] += 1
        return original(self, *args, **kwargs)

    Pipeline.fit = fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("params")
    parser.add_argument(
        "--report", required=True, help="report folder with notebook 01's artifacts"
    )
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", default=None, help="append one JSON line here")
    args = parser.parse_args()

    import joblib

    from marketing_utils import propensity

    _count_fits()
    inputs = propensity_inputs(args.params, args.report)
    table, info, seed, kwargs = (inputs[k] for k in ("table", "info", "seed", "settings"))
    load_before = os.getloadavg()
    tic = time.perf_counter()
    backend = joblib.parallel_config(backend="threading") if args.n_jobs > 1 else nullcontext()
    with backend:
        result = propensity.fit_propensity(
            table, info=info, seed=seed, n_jobs=args.n_jobs, **kwargs
        )
    seconds = time.perf_counter() - tic
    row = {
        "label": args.label,
        "params": args.params,
        "n_jobs": args.n_jobs,
        "customers": len(table),
        "fits": sum(COUNTS.values()),
        "fits_by_class": dict(COUNTS),
        "seconds": round(seconds, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": load_average(),
        **propensity_decisions(result),
    }
    line = json.dumps(row, default=str)
    print(line)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")


if __name__ == "__main__":
    main()
