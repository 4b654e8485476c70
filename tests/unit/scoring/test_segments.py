"""Scoring raw transactions with a model that uses stage 02's segments as features.

A small model is trained through the real code path with stage 02 in between
(preprocess, segment_customers + save_segmentation_model, fit_propensity with
the segments, save_propensity). Scoring the raw export as of the training
cutoff must assign every customer stage 02's own segments and give back the
report's scores.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.privacy import pseudonymize_ids
from marketing_utils.propensity.bundle import file_sha256, load_scoring_model
from marketing_utils.scoring.features import features_from_transactions
from marketing_utils.scoring.stage import score_new_customers
from tests.unit.scoring_helpers import KEY, train_small_model

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")

SEGMENTATION_FILES = ("segmentation_model.json", "segmentation_kmeans.skops")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("scoring-segments"), use_segments=True)


def _score(trained, out, *, model=None, **options):
    return score_new_customers(
        model or trained["model"], trained["raw"] / "transactions.parquet", out,
        customers=trained["raw"] / "customers.parquet", as_of=trained["cutoff"], key=KEY,
        **options,
    )  # fmt: skip


def _copy(trained, folder, *, files=SEGMENTATION_FILES, change_scoring=None):
    """The model, its metadata and the given segmentation files copied to ``folder``."""
    artifacts = trained["model"].parent
    for name in ("propensity_model.skops", *files):
        shutil.copy(artifacts / name, folder / name)
    info = json.loads((artifacts / "propensity_model_info.json").read_text())
    if change_scoring is not None:
        change_scoring(info["scoring"])
    (folder / "propensity_model_info.json").write_text(json.dumps(info))
    return folder / "propensity_model.skops"


def test_metadata_records_the_segmentation_it_needs(trained):
    info = json.loads(trained["store"].path("propensity_model_info", "json").read_text())
    assert info["scoring"]["segment_features"] == ["rfm_segment", "cluster_name"]
    rules = trained["store"].path("segmentation_model", "json")
    assert info["scoring"]["segmentation"] == {
        "file": "segmentation_model.json",
        "sha256": file_sha256(rules),
    }


def test_new_customers_get_stage_02s_segments_and_the_reports_scores(trained, tmp_path):
    bundle = load_scoring_model(trained["model"])
    features, _ = features_from_transactions(
        bundle, trained["raw"] / "transactions.parquet", "pandas",
        customers=trained["raw"] / "customers.parquet", as_of=trained["cutoff"],
    )  # fmt: skip
    rebuilt = features.assign(customer_id=pseudonymize_ids(features["customer_id"], key=KEY))
    stage_02 = trained["store"].load("segments")
    merged = rebuilt.merge(stage_02, on="customer_id", validate="one_to_one")
    assert len(merged) == len(stage_02) == len(features)
    assert (merged["rfm_segment_x"] == merged["rfm_segment_y"]).all()
    assert (merged["cluster_name_x"] == merged["cluster_name_y"]).all()
    summary = _score(trained, tmp_path / "scores.parquet")
    out = pd.read_parquet(summary.out)
    report = trained["store"].load("scores")
    both = out.merge(report, on="customer_id", validate="one_to_one")
    assert len(both) == len(report) == summary.n_customers
    np.testing.assert_allclose(both["score_x"], both["score_y"], rtol=0, atol=1e-12)


def test_missing_segmentation_files_are_a_clear_error(trained, tmp_path):
    model = _copy(trained, tmp_path, files=())
    with pytest.raises(FileNotFoundError, match="segmentation_model.json not found.*copy them"):
        _score(trained, tmp_path / "o.parquet", model=model)
    assert not (tmp_path / "o.parquet").exists()
    (tmp_path / "segmentation_model.json").write_bytes(
        trained["store"].path("segmentation_model", "json").read_bytes()
    )
    with pytest.raises(FileNotFoundError, match="segmentation_kmeans.skops named by"):
        _score(trained, tmp_path / "o.parquet", model=model)


def test_a_segmentation_rewritten_after_training_is_refused(trained, tmp_path):
    model = _copy(trained, tmp_path)
    rules = tmp_path / "segmentation_model.json"
    document = json.loads(rules.read_text())
    document["rfm"]["frequency"]["cuts"][0] += 1  # notebook 02 rerun on other data
    rules.write_text(json.dumps(document))
    with pytest.raises(DataValidationError, match="notebook 02 was rerun after notebook 03"):
        _score(trained, tmp_path / "o.parquet", model=model)


def test_a_model_trained_before_the_segmentation_was_saved(trained, tmp_path):
    model = _copy(trained, tmp_path, change_scoring=lambda s: s.pop("segmentation"))
    with pytest.raises(
        DataValidationError, match="records no saved segmentation.*Rerun notebooks 02 and 03"
    ):
        _score(trained, tmp_path / "o.parquet", model=model)
