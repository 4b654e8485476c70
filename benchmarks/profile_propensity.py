"""Where notebook 03's time goes: each phase of ``fit_propensity`` and of the notebook, timed.

Reads notebook 01's (and 02's, when present) artifacts of a report that has
run, applies the params file's ``propensity_modeling`` section like the
notebook does (sample, segments, every parameter), and times:

- inside ``fit_propensity``: data checks and split, the family comparison
  folds, the class-weight folds, the search folds, the search's refit,
  the calibration choice, the final calibrator, the logistic fit for the
  odds ratios and the scoring of every customer;
- then the notebook's other work: permutation importance, partial
  dependence, the gradient-descent lesson and saving the model.

Phases are timed by wrapping the stage's own functions (nothing is
re-implemented), so the same script runs on an older checkout for a
"before" column. ``--kernel`` also times a papermill run of a one-cell
notebook: the kernel start and papermill overhead every notebook pays.

Usage (nice'd, on a shared machine)::

    nice -n 10 .venv/bin/python benchmarks/profile_propensity.py params/default.yaml \
        --report reports/default --n-jobs 2 [--kernel] [--out profile.jsonl]

Wall seconds with ``--n-jobs 2`` are what the notebook pays; CPU seconds
count this process only (fold workers are other processes), so run with
``--n-jobs 1`` for the work per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _data import load_average, propensity_decisions, propensity_inputs

TIMES: dict = defaultdict(float)


def _wrap(module, name: str, phase: str) -> None:
    """Replace ``module.name`` by a wrapper adding its wall time to ``TIMES[phase]``."""
    original = getattr(module, name)
    if getattr(original, "_profiled", False):
        return

    def wrapper(*args, **kwargs):
        tic = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[phase] += time.perf_counter() - tic

    wrapper._profiled = True

    setattr(module, name, wrapper)


def _instrument() -> None:
    from marketing_utils.propensity import search, stage

    _wrap(stage, "prepare_model_data", "data checks and split")
    _wrap(stage, "_compare_models", "comparison folds")
    _wrap(stage, "_compare_class_weights", "class-weight folds")
    # The search's folds: one call to cross_fit, or two to fit_folds when racing (newer checkouts).
    _wrap(search, "fit_folds" if hasattr(search, "fit_folds") else "cross_fit", "search folds")
    _wrap(stage, "tune_model", "search (folds + refit)")
    _wrap(stage, "choose_calibration", "calibration choice")
    _wrap(stage, "calibrate_fitted", "final calibrator")
    _wrap(stage, "fit_calibrated", "final calibrator")
    _wrap(stage, "score_customers", "scoring every customer")
    for optional in ("fit_logistic",):  # newer checkouts
        if hasattr(stage, optional):
            _wrap(stage, optional, "logistic for odds ratios")


def kernel_overhead() -> float:
    """Seconds of a papermill run of a one-cell notebook (kernel start, execution, shutdown)."""
    import nbformat
    import papermill

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.ipynb", Path(folder) / "out.ipynb"
        nbformat.write(notebook, source)
        tic = time.perf_counter()
        papermill.execute_notebook(str(source), str(target), progress_bar=False, log_output=False)
        return time.perf_counter() - tic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("params")
    parser.add_argument("--report", required=True, help="report folder where 01 (and 02) ran")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--label", default="")
    parser.add_argument("--kernel", action="store_true", help="also time an empty notebook")
    parser.add_argument("--out", default=None, help="append one JSON line here")
    args = parser.parse_args()

    import marketing_utils as mu
    from marketing_utils import propensity
    from marketing_utils.propensity import stage

    _instrument()
    inputs = propensity_inputs(args.params, args.report)
    store, section, seed = inputs["store"], inputs["section"], inputs["seed"]
    table, info, kwargs = inputs["table"], inputs["info"], inputs["settings"]
    use_segments = section.get("use_segments", True)
    segments = store.load("segments") if use_segments and store.exists("segments") else None
    load_before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    # Like the notebook: the data checks it shows, then the fit (which checks again on
    # checkouts without fit_prepared).
    prepared = stage.prepare_model_data(
        table, info=info, segments=segments, exclude=section.get("exclude_features", []),
        **{k: kwargs[k] for k in ("test_size", "cv_folds") if k in kwargs}, seed=seed,
    )  # fmt: skip
    if hasattr(propensity, "fit_prepared"):
        fit_kwargs = {k: v for k, v in kwargs.items() if k != "test_size"}
        result = propensity.fit_prepared(prepared, seed=seed, n_jobs=args.n_jobs, **fit_kwargs)
    else:
        result = propensity.fit_propensity(
            table, info=info, segments=segments, exclude=section.get("exclude_features", []),
            seed=seed, n_jobs=args.n_jobs, **kwargs,
        )  # fmt: skip
    TIMES["fit_propensity total"] = time.perf_counter() - wall
    fit_cpu = time.process_time() - cpu
    X_test, y_test = result.test_part()

    def timed(phase, function):
        tic = time.perf_counter()
        value = function()
        TIMES[phase] += time.perf_counter() - tic
        return value

    importance = timed(
        "permutation importance",
        lambda: propensity.permutation_importance_table(
            result.model, X_test, y_test, n_repeats=section.get("importance_repeats", 5),
            seed=seed, n_jobs=args.n_jobs,
        ),
    )  # fmt: skip
    top = importance["feature"].head(section.get("top_features", 3)).tolist()
    timed(
        "partial dependence",
        lambda: propensity.partial_dependence_table(
            result.model, X_test, top, categorical=result.prepared.spec.categorical, seed=seed
        ),
    )
    X_train, y_train = result.prepared.part("train")

    def lesson():
        numeric = X_train[list(result.prepared.spec.numeric)]
        features = propensity.choose_teaching_features(numeric, y_train)
        standardized = propensity.standardized_matrix(X_train, features)
        return propensity.compare_with_sklearn(standardized, y_train, features, C=1.0)

    timed("gradient-descent lesson", lesson)
    with tempfile.TemporaryDirectory() as folder:
        timed(
            "save model",
            lambda: propensity.save_propensity(
                result, mu.Artifacts(folder), preprocessing_info=info
            ),
        )
    times = {k: round(v, 2) for k, v in TIMES.items()}
    # The search's refit is what the search took beyond its folds.
    if "search (folds + refit)" in times:
        times["search refit (and untuned refit)"] = round(
            TIMES["search (folds + refit)"] - TIMES.get("search folds", 0.0), 2
        )
    if args.kernel:
        times["kernel start + papermill (empty notebook)"] = round(kernel_overhead(), 2)
    row = {
        "label": args.label,
        "params": args.params,
        "n_jobs": args.n_jobs,
        "customers": len(table),
        "segments_used": segments is not None,
        "seconds": times,
        "fit_propensity_cpu_this_process": round(fit_cpu, 2),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": load_average(),
        **propensity_decisions(result),
    }
    print(json.dumps(row, indent=1, default=str))
    if args.out:
        with open(args.out, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(row, default=str) + "\n")


if __name__ == "__main__":
    main()
