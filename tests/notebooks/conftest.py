"""Run the whole workbook once per test session with small params, and share the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.xdist_loadgroup import TWO_REPORTS, apply_xdist_groups

ROOT = Path(__file__).resolve().parents[2]


def run_report(
    params_name: str, out_dir: Path, overrides: dict | None = None, only: list | None = None
):
    """Run ``params/<params_name>`` (``only`` these notebooks) into ``out_dir``: (result, metrics)."""
    from marketing_utils.runner.run import run_workbook

    raw = yaml.safe_load((ROOT / "params" / params_name).read_text())
    raw["output_dir"] = str(out_dir)
    for key, value in (overrides or {}).items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    path = out_dir.parent / f"{out_dir.name}-{params_name}"
    path.write_text(yaml.safe_dump(raw))
    result = run_workbook(path, quiet=True, only=only)
    metrics = json.loads((result.report_dir / "metrics.json").read_text())
    return result, metrics


# ``ci_report`` (params/ci.yaml) lives in tests/conftest.py: the browser tests read it too.


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Tests that share a session report run on one xdist worker, so each report is built once.
    grouping = config.pluginmanager.hasplugin("xdist")  # its mark is unknown without it
    for item in items:
        reports = sorted(
            name for name in getattr(item, "fixturenames", ()) if name.endswith("_report")
        )
        if len(reports) > 1:
            item.stash[TWO_REPORTS] = reports  # failed at setup (tests/conftest.py), not grouped
            continue
        if reports and grouping:
            item.add_marker(pytest.mark.xdist_group(reports[0]))
    apply_xdist_groups(config, items)


#: Lighter settings for the public-dataset reports in tests (tens of thousands of rows):
#: fewer model families, folds and resamples. The full settings are the params files'.
FAST = {
    "propensity_modeling": {
        "models": ["logistic", "hist_gradient_boosting"],
        "cv_folds": 3,
        "search_iter": 2,
        "importance_repeats": 2,
    },
    "evaluation": {"n_bootstrap": 100},
    # 09 on Hillstrom's 64,000 rows: 25 of the report's 39 s with the full settings, 18 with these.
    "campaign_planning": {"cv_folds": 2, "n_bootstrap": 100, "frontier_points": 6},
}


def _public_report(name: str, datasets_dir: Path, tmp_path_factory):
    import os

    os.environ.setdefault("WORKBOOK_DATASETS_DIR", str(datasets_dir))
    return run_report(f"{name}.yaml", tmp_path_factory.mktemp(f"reports-{name}"), FAST)


@pytest.fixture(scope="session")
def bank_report(datasets_dir, tmp_path_factory):
    """The report of ``params/bank_marketing.yaml`` (UCI Bank Marketing)."""
    return _public_report("bank_marketing", datasets_dir, tmp_path_factory)


@pytest.fixture(scope="session")
def hillstrom_report(datasets_dir, tmp_path_factory):
    """The report of ``params/hillstrom.yaml`` (MineThatData e-mail test)."""
    return _public_report("hillstrom", datasets_dir, tmp_path_factory)


@pytest.fixture(scope="session")
def cdnow_report(datasets_dir, tmp_path_factory):
    """The report of ``params/cdnow.yaml`` (CDNOW purchase log)."""
    return _public_report("cdnow", datasets_dir, tmp_path_factory)


@pytest.fixture(scope="session")
def own_data_report(tmp_path_factory):
    """The report of ``params/own_data_example.yaml`` on the sample retail export."""
    from marketing_utils.datasets.retail_export import write_retail_export

    folder = tmp_path_factory.mktemp("own-data")
    export = write_retail_export(folder / "data", 1500, seed=3)
    overrides = {"data": {"transactions": {**_own_transactions(), "path": str(export)}}}
    return run_report("own_data_example.yaml", folder / "reports", overrides)


def _own_transactions() -> dict:
    raw = yaml.safe_load((ROOT / "params" / "own_data_example.yaml").read_text())
    return raw["data"]["transactions"]


#: The key the churn report is made with, so the test can join the generator's truth.
CHURN_KEY = "churn-report-test-key"


@pytest.fixture(scope="session")
def churn_report(tmp_path_factory):
    """The report of ``params/churn.yaml`` on the synthetic churn table (5,000 customers, as README).

    Returns (result, metrics, truth) with the truth's ids pseudonymized with
    :data:`CHURN_KEY`, the key the report was made with.
    """
    import os

    import pandas as pd

    from marketing_utils.datasets.synthetic_churn import write_churn_table
    from marketing_utils.privacy import pseudonymize_ids

    folder = tmp_path_factory.mktemp("churn")
    table = write_churn_table(
        folder / "data" / "synthetic_churn.csv", 5000, seed=42, truth_path=folder / "truth.csv"
    )
    raw = yaml.safe_load((ROOT / "params" / "churn.yaml").read_text())
    customers = {**raw["data"]["customers"], "path": str(table)}
    overrides = {"data": {"customers": customers}, **FAST}
    previous = os.environ.get("WORKBOOK_PSEUDONYM_KEY")
    os.environ["WORKBOOK_PSEUDONYM_KEY"] = CHURN_KEY
    try:
        result, metrics = run_report("churn.yaml", folder / "reports", overrides)
    finally:
        if previous is None:
            os.environ.pop("WORKBOOK_PSEUDONYM_KEY", None)
        else:
            os.environ["WORKBOOK_PSEUDONYM_KEY"] = previous
    truth = pd.read_csv(folder / "truth.csv")
    truth["customer_id"] = pseudonymize_ids(
        truth["customer_id"].astype(str), key=CHURN_KEY.encode()
    )
    return result, metrics, truth
