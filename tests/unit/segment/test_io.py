"""Saving stage 02's segmentation (marketing_utils.segment.io): JSON rules + skops k-means."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.cluster import KMeans

from marketing_utils.artifacts import Artifacts
from marketing_utils.errors import DataValidationError
from marketing_utils.model_io import UntrustedModelError
from marketing_utils.segment.io import load_segmentation_model, save_segmentation_model
from marketing_utils.segment.model import assign_segments
from marketing_utils.segment.stage import segment_customers
from tests.unit.segment.test_stage import FAST, three_groups


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    features, _ = three_groups()
    result = segment_customers(features, seed=3, **FAST)
    store = Artifacts(tmp_path_factory.mktemp("segmentation"))
    names = save_segmentation_model(result.model, store)
    return features, result, store, names


def test_round_trip_gives_the_same_segments(saved):
    features, result, store, names = saved
    assert names == ["segmentation_kmeans", "segmentation_model"]
    loaded = load_segmentation_model(store.path("segmentation_model", "json"))
    pd.testing.assert_frame_equal(assign_segments(loaded, features), result.segments)
    assert loaded.rfm == result.model.rfm and loaded.clusters == result.model.clusters


def test_the_json_holds_the_rules_in_plain_words(saved):
    _, result, store, _ = saved
    document = json.loads(store.path("segmentation_model", "json").read_text())
    assert document["format"] == 1
    assert document["rfm"]["recency"]["higher_is_better"] is False
    assert document["rfm"]["frequency"]["cuts"] == list(result.model.rfm.frequency.cuts)
    assert document["rfm"]["segment_map"]["champions"] == "5[4-5]"
    assert document["clusters"]["features"] == result.features.columns
    assert document["clusters"]["names"] == [
        result.profiles.set_index("cluster").loc[k, "cluster_name"]
        for k in range(1, result.selection.chosen_k + 1)
    ]
    assert document["kmeans"] == {
        "file": "segmentation_kmeans.skops",
        "type": "KMeans",
        "n_clusters": result.selection.chosen_k,
        "centres_sha256": document["kmeans"]["centres_sha256"],
    }


def _copy(store, folder, *, rules=None, kmeans=None):
    """The two files copied to ``folder``, the JSON or the k-means replaced when given."""
    folder.mkdir()
    text = store.path("segmentation_model", "json").read_text()
    (folder / "segmentation_model.json").write_text(rules if rules is not None else text)
    target = folder / "segmentation_kmeans.skops"
    if kmeans is None:
        target.write_bytes(store.path("segmentation_kmeans", "model").read_bytes())
    else:
        sio.dump(kmeans, target)
    return folder / "segmentation_model.json"


def test_missing_files_are_named(saved, tmp_path):
    _, _, store, _ = saved
    with pytest.raises(FileNotFoundError, match="notebook 02_segmentation writes it"):
        load_segmentation_model(tmp_path / "segmentation_model.json")
    path = _copy(store, tmp_path / "copy")
    (tmp_path / "copy" / "segmentation_kmeans.skops").unlink()
    with pytest.raises(FileNotFoundError, match="segmentation_kmeans.skops named by"):
        load_segmentation_model(path)


def test_a_k_means_from_another_run_is_refused(saved, tmp_path):
    _, result, store, _ = saved
    k, width = np.shape(result.model.kmeans.cluster_centers_)
    other = KMeans(k, n_init=1, random_state=0).fit(
        np.random.default_rng(0).normal(size=(50, width))
    )
    path = _copy(store, tmp_path / "copy", kmeans=other)
    with pytest.raises(DataValidationError, match="come from different runs of notebook 02"):
        load_segmentation_model(path)


def test_malformed_json_is_refused(saved, tmp_path):
    _, _, store, _ = saved
    with pytest.raises(DataValidationError, match="unreadable content"):
        load_segmentation_model(_copy(store, tmp_path / "a", rules="{not json"))
    document = json.loads(store.path("segmentation_model", "json").read_text())
    document["clusters"]["medians"] = document["clusters"]["medians"][:-1]
    with pytest.raises(DataValidationError, match="one transform, median, centre and scale"):
        load_segmentation_model(_copy(store, tmp_path / "b", rules=json.dumps(document)))


def test_a_k_means_file_with_types_off_the_allow_list_is_not_loaded(saved, tmp_path):
    _, _, store, _ = saved
    path = _copy(store, tmp_path / "copy", kmeans={"model": pd.Timestamp("2025-01-01")})
    with pytest.raises(UntrustedModelError, match="allow-list"):
        load_segmentation_model(path)
