"""Scoring with the model a report run saved: its own customers give back its scores.

The ci model uses notebook 02's segments (the default ``use_segments``): they
are joined from the ``segments`` artifact for a feature table, and assigned
with notebook 02's saved segmentation when the features are rebuilt from the
transactions.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.scoring.stage import score_new_customers
from marketing_utils.segment.io import load_segmentation_model
from marketing_utils.segment.model import assign_segments

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")


def test_report_model_rescores_the_report_customers_on_dask(ci_report, tmp_path):
    result, _ = ci_report
    folder = result.report_dir / "artifacts"
    info = json.loads((folder / "propensity_model_info.json").read_text())
    scoring = info["scoring"]
    assert scoring["feature_source"] == "transactions"
    assert scoring["windows"] == [30, 90, 365] and scoring["uses_order_id"] is True
    # The ci model uses notebook 02's segments: join them, as the error message says.
    features = pd.read_parquet(folder / "customer_features.parquet")
    segments = pd.read_parquet(folder / "segments.parquet")
    used = scoring["segment_features"]
    assert used == ["rfm_segment", "cluster_name"]
    with pytest.raises(DataValidationError, match="come from notebook 02's 'segments' artifact"):
        score_new_customers(
            folder / "propensity_model.skops", folder / "customer_features.parquet",
            tmp_path / "no_segments.csv", ids_pseudonymized=True,
        )  # fmt: skip
    table = features.merge(segments[["customer_id", *used]], on="customer_id", how="left")
    table.to_parquet(tmp_path / "features.parquet")
    summary = score_new_customers(
        folder / "propensity_model.skops", tmp_path / "features.parquet",
        tmp_path / "scores.csv", engine="dask", ids_pseudonymized=True, partition_rows=300,
    )  # fmt: skip
    scored = pd.read_csv(summary.out).set_index("customer_id")
    report = pd.read_parquet(folder / "scores.parquet").set_index("customer_id")
    assert summary.n_customers == len(report) == len(scored)
    np.testing.assert_allclose(
        scored["score"], report["score"].reindex(scored.index), rtol=0, atol=1e-12
    )
    # Notebook 04's decile table uses the same deciles: the top one holds a tenth.
    assert scored["decile"].min() == 1 and abs((scored["decile"] == 1).mean() - 0.1) < 0.02


def test_report_segmentation_gives_back_notebook_02s_segments(ci_report):
    result, _ = ci_report
    folder = result.report_dir / "artifacts"
    segmentation = load_segmentation_model(folder / "segmentation_model.json")
    features = pd.read_parquet(folder / "customer_features.parquet")
    segments = pd.read_parquet(folder / "segments.parquet")
    pd.testing.assert_frame_equal(assign_segments(segmentation, features), segments)
    assert segmentation.rfm is not None and segments["rfm_segment"].notna().all()
    assert segments["cluster"].nunique() == len(segmentation.clusters.names)


def test_report_model_rescores_the_report_customers_from_transactions(ci_report, tmp_path):
    result, _ = ci_report
    folder = result.report_dir / "artifacts"
    info = json.loads((folder / "propensity_model_info.json").read_text())
    assert info["scoring"]["segmentation"]["file"] == "segmentation_model.json"
    # Notebook 01 keeps returns apart from the sales: the log holds both, as a raw export does.
    log = pd.concat(
        [pd.read_parquet(folder / f"{name}.parquet") for name in ("transactions_clean", "returns")],
        ignore_index=True,
    )
    log.to_parquet(tmp_path / "log.parquet")
    options = {"customers": folder / "customers_clean.parquet", "ids_pseudonymized": True,
               "as_of": info["scoring"]["training_cutoff"]}  # fmt: skip
    summary = score_new_customers(
        folder / "propensity_model.skops", tmp_path / "log.parquet", tmp_path / "scores.csv",
        **options,
    )  # fmt: skip
    scored = pd.read_csv(summary.out).set_index("customer_id")
    report = pd.read_parquet(folder / "scores.parquet").set_index("customer_id")
    assert summary.n_customers == len(report) and set(scored.index) == set(report.index)
    np.testing.assert_allclose(
        scored["score"], report["score"].reindex(scored.index), rtol=0, atol=1e-12
    )
    # Without notebook 02's segmentation next to the model, a clear error and no output.
    for name in ("propensity_model.skops", "propensity_model_info.json"):
        shutil.copy(folder / name, tmp_path / name)
    with pytest.raises(FileNotFoundError, match="segmentation_model.json not found"):
        score_new_customers(tmp_path / "propensity_model.skops", tmp_path / "log.parquet",
                            tmp_path / "again.csv", **options)  # fmt: skip
    assert not (tmp_path / "again.csv").exists()
