"""Benchmark of stage 03: the propensity notebook's work on the default data (target: <= 20 s).

Two measurements on the default synthetic data (20,000 customers, seed 42):

1. ``in-process``: stage 01 once, then each step of notebook 03 with its
   default parameters, timed one by one (wall clock and CPU time of this
   process; one thread, so CPU time is what an idle machine would take):
   ``fit_propensity`` (CV comparison of 3 families, class weights, a 6-candidate
   search, calibration choice and final fit), permutation importance, partial
   dependence and the gradient-descent lesson. ``fit_propensity`` is broken
   down into its phases (comparison folds, class-weight folds, search folds,
   search refit, calibration, scoring) by ``profile_propensity.py``'s wrappers.
2. ``report run`` (``--report``): ``marketing-workbook run`` of
   ``params/default.yaml`` into a temporary folder with notebooks 01, 02 (when
   present, so segments are used as features) and 03; the notebook's own
   duration is read from the manifest.

Run:  .venv/bin/python benchmarks/bench_propensity.py [--report]
Writes benchmarks/results/propensity.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml
from profile_propensity import TIMES, _instrument

from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.preprocess.stage import preprocess
from marketing_utils.propensity.explain import (
    partial_dependence_table,
    permutation_importance_table,
)
from marketing_utils.propensity.stage import fit_propensity, true_propensity_auc
from marketing_utils.propensity.teach import (
    choose_teaching_features,
    compare_with_sklearn,
    standardized_matrix,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20.0


def _timed(rows: list[dict], step: str, function):
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    rows.append(
        {
            "step": step,
            "wall_seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
        }
    )
    print(f"{step}: {rows[-1]['wall_seconds']} s wall, {rows[-1]['cpu_seconds']} s CPU", flush=True)
    return value


def in_process() -> tuple[list[dict], dict]:
    """Time each step of the notebook's work in this process."""
    stage01 = preprocess(make_synthetic(20_000, seed=42), horizon_days=90)
    info = {**stage01.info, "label": stage01.label}
    rows: list[dict] = []
    _instrument()
    TIMES.clear()
    result = _timed(
        rows, "fit_propensity", lambda: fit_propensity(stage01.model_table, info=info, seed=42)
    )
    phases = dict(TIMES)
    phases["search refit"] = phases.pop("search (folds + refit)", 0.0) - phases.get(
        "search folds", 0.0
    )
    for phase, seconds in phases.items():
        rows.append({"step": f"  {phase}", "wall_seconds": round(seconds, 1), "cpu_seconds": None})
    X_test, y_test = result.test_part()
    importance = _timed(
        rows,
        "permutation importance",
        lambda: permutation_importance_table(result.model, X_test, y_test, seed=42),
    )
    top = importance["feature"].head(3).tolist()
    categorical = result.prepared.spec.categorical
    _timed(
        rows,
        "partial dependence",
        lambda: partial_dependence_table(result.model, X_test, top, categorical=categorical),
    )
    X_train, y_train = result.prepared.part("train")

    def lesson():
        numeric = X_train[list(result.prepared.spec.numeric)]
        features = choose_teaching_features(numeric, y_train)
        return compare_with_sklearn(standardized_matrix(X_train, features), y_train, features)

    _timed(rows, "gradient-descent lesson", lesson)
    metrics = {**result.metrics(), **true_propensity_auc(result.scores, stage01.truth)}
    return rows, metrics


def report_run() -> dict:
    """Run the default params through the runner (01, 02 if present, 03) and read the manifest."""
    from marketing_utils.runner.run import run_workbook

    wanted = ("01_preprocessing", "02_segmentation", "03_propensity_modeling")
    notebooks = [stem for stem in wanted if (ROOT / "notebooks" / f"{stem}.ipynb").exists()]
    with tempfile.TemporaryDirectory() as folder:
        params = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
        params.update(output_dir=str(Path(folder) / "reports"), run_name="bench_propensity")
        path = Path(folder) / "params.yaml"
        path.write_text(yaml.safe_dump(params))
        result = run_workbook(path, only=notebooks, quiet=True)
        entries = {e["stem"]: e for e in result.notebooks}
        metrics = result.metrics.get("propensity_modeling", {})
    return {
        "notebooks": notebooks,
        "seconds": {stem: entry.get("seconds") for stem, entry in entries.items()},
        "test_roc_auc": metrics.get("test_roc_auc"),
        "auc_gap": metrics.get("auc_gap"),
        "segments_used": metrics.get("segments_used"),
    }


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="also time a report run")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "propensity.json"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    rows, metrics = in_process()
    total = {
        "step": "total",
        "wall_seconds": round(
            sum(r["wall_seconds"] for r in rows if r["cpu_seconds"] is not None), 1
        ),
        "cpu_seconds": round(
            sum(r["cpu_seconds"] for r in rows if r["cpu_seconds"] is not None), 1
        ),
    }
    print("\n| step (default data, 20,000 customers) | wall s | CPU s |")
    print("|---|---:|---:|")
    for row in [*rows, total]:
        cpu = "" if row["cpu_seconds"] is None else row["cpu_seconds"]
        print(f"| {row['step']} | {row['wall_seconds']} | {cpu} |")
    print(
        f"\ntest ROC AUC {metrics['test_roc_auc']:.4f}, true-propensity AUC "
        f"{metrics['true_propensity_auc']:.4f}, gap {metrics['auc_gap']:.4f}"
    )
    report = report_run() if args.report else None
    if report:
        seconds = report["seconds"].get("03_propensity_modeling")
        print(f"report run: notebook 03 took {seconds} s (target <= {TARGET_SECONDS:.0f} s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "notebook 03_propensity_modeling, default params",
                "target_seconds": TARGET_SECONDS,
                "in_process": [*rows, total],
                "metrics": {
                    k: metrics[k]
                    for k in ("test_roc_auc", "true_propensity_auc", "auc_gap", "best_model")
                },
                "report_run": report,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_1min_before": round(load_before, 2),
                    "load_average_1min_after": round(os.getloadavg()[0], 2),
                    "note": "shared with other jobs: wall-clock timings are noisy; "
                    "CPU seconds (one thread) approximate an idle machine",
                },
            },
            indent=2,
        )
    )
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
