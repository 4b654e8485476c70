"""Scoring with the model a report run saved: its own customers give back its scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.scoring import score_new_customers

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
    with pytest.raises(DataValidationError, match=r"uses \['rfm_segment', 'cluster_name'\]"):
        score_new_customers(
            folder / "propensity_model.skops", folder / "transactions_clean.parquet",
            tmp_path / "again.csv", ids_pseudonymized=True,
        )  # fmt: skip
