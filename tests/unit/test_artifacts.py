"""Artifacts by name: round trips, metrics merging, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketing_utils.artifacts import Artifacts, to_jsonable


def test_table_and_json_round_trip(tmp_path):
    store = Artifacts(tmp_path)
    frame = pd.DataFrame({"customer_id": ["a", "b"], "score": [0.25, 0.75]})
    path = store.save("scores", frame)
    assert path == tmp_path / "artifacts" / "scores.parquet"
    pd.testing.assert_frame_equal(store.load("scores"), frame)
    store.save("info", {"k": np.int64(3), "xs": np.array([1.5, 2.5])})
    assert store.load("info") == {"k": 3, "xs": [1.5, 2.5]}
    assert store.names() == ["info", "scores"]
    assert store.exists("scores") and not store.exists("nothing")


def test_missing_artifact_names_what_exists(tmp_path):
    store = Artifacts(tmp_path)
    store.save("model_table", pd.DataFrame({"a": [1]}))
    with pytest.raises(
        FileNotFoundError,
        match=r"artifact 'segments' not found .*\(artifacts present: model_table\)",
    ):
        store.load("segments")


@pytest.mark.parametrize("name", ["Bad", "1st", "a-b", "../x", ""])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="lowercase letters"):
        Artifacts(tmp_path).path(name)


def test_unsupported_object(tmp_path):
    with pytest.raises(
        TypeError, match="artifact 'x': expected a pandas DataFrame, dict or list, found set"
    ):
        Artifacts(tmp_path).save("x", {1, 2})


def test_record_metrics_merges_and_is_standard_json(tmp_path):
    store = Artifacts(tmp_path)
    store.record_metrics("stage", {"auc": np.float64(0.8), "bad": float("nan")})
    store.record_metrics("stage", {"lift": 2})
    assert store.metrics() == {"stage": {"auc": 0.8, "bad": None, "lift": 2}}
    json.loads((tmp_path / "metrics" / "stage.json").read_text())  # no NaN tokens


def test_to_jsonable_types():
    assert to_jsonable({"t": pd.Timestamp("2024-01-02"), "b": np.bool_(True), "n": None}) == {
        "t": "2024-01-02T00:00:00",
        "b": True,
        "n": None,
    }
    assert to_jsonable((1, np.inf)) == [1, None]
