"""Save and load stage 02's segmentation: JSON for the rules, skops for the k-means.

Notebook 02 writes two artifacts:

- ``segmentation_model.json``: the RFM score rules (cut values and scores),
  the RF segment map, the clustering features with their transform, median,
  centre and scale, the cluster numbers and names, and the name and a
  checksum of the k-means file;
- ``segmentation_kmeans.skops``: the fitted k-means, loaded only through the
  allow-list of :func:`marketing_utils.model_io.load_model`.

The checksum is the SHA-256 of the k-means' cluster centres (not of the file,
whose bytes change from one save to the next), so a k-means from another run
is never paired with these rules.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import DataValidationError
from ..model_io import TRUSTED_TYPES, load_model, save_model
from .model import TRANSFORMS, ClusterRule, RFMRule, ScoreRule, SegmentationModel

__all__ = [
    "SEGMENTATION_FORMAT",
    "load_segmentation_model",
    "save_segmentation_model",
    "segmentation_from_dict",
    "segmentation_to_dict",
]

#: Version of ``segmentation_model.json``; raised when its meaning changes.
SEGMENTATION_FORMAT = 1
RULES_NAME = "segmentation_model"
KMEANS_NAME = "segmentation_kmeans"


def centres_sha256(kmeans) -> str:
    """SHA-256 of a fitted k-means' cluster centres (float64, row-major bytes)."""
    centres = np.ascontiguousarray(np.asarray(kmeans.cluster_centers_, dtype="<f8"))
    return hashlib.sha256(centres.tobytes()).hexdigest()


def _rule_dict(rule: ScoreRule) -> dict:
    return {
        "column": rule.column,
        "higher_is_better": rule.higher_is_better,
        "cuts": list(rule.cuts),
        "scores": list(rule.scores),
    }


def segmentation_to_dict(model: SegmentationModel, *, kmeans_file: str) -> dict:
    """JSON-ready description of a segmentation (everything but the k-means itself)."""
    rfm = model.rfm
    clusters = model.clusters
    return {
        "format": SEGMENTATION_FORMAT,
        "rfm": None
        if rfm is None
        else {
            "recency": _rule_dict(rfm.recency),
            "frequency": _rule_dict(rfm.frequency),
            "monetary": _rule_dict(rfm.monetary),
            "segment_map": dict(rfm.segment_map),
        },
        "clusters": {
            "features": list(clusters.columns),
            "transforms": list(clusters.transforms),
            "medians": list(clusters.medians),
            "centres": list(clusters.centres),
            "scales": list(clusters.scales),
            "cluster_of_label": list(clusters.numbers),
            "names": list(clusters.names),
        },
        "kmeans": {
            "file": kmeans_file,
            "type": type(model.kmeans).__name__,
            "n_clusters": len(clusters.numbers),
            "centres_sha256": centres_sha256(model.kmeans),
        },
    }


def _score_rule(part: dict) -> ScoreRule:
    rule = ScoreRule(
        str(part["column"]),
        bool(part["higher_is_better"]),
        tuple(float(c) for c in part["cuts"]),
        tuple(int(s) for s in part["scores"]),
    )
    if len(rule.scores) != len(rule.cuts) + 1 or list(rule.cuts) != sorted(rule.cuts):
        raise ValueError(f"score rule of {rule.column}: expected ascending cuts and one more score")
    return rule


def segmentation_from_dict(document: dict, kmeans) -> SegmentationModel:
    """Rebuild a :class:`SegmentationModel` from its JSON description and the loaded k-means.

    Raises
    ------
    ValueError, KeyError, TypeError
        When the description is malformed (:func:`load_segmentation_model`
        turns them into a :class:`DataValidationError` naming the file).
    """
    rfm = document["rfm"]
    rule = None
    if rfm is not None:
        rule = RFMRule(
            _score_rule(rfm["recency"]),
            _score_rule(rfm["frequency"]),
            _score_rule(rfm["monetary"]),
            {str(k): str(v) for k, v in rfm["segment_map"].items()},
        )
    part = document["clusters"]
    clusters = ClusterRule(
        columns=tuple(str(c) for c in part["features"]),
        transforms=tuple(str(t) for t in part["transforms"]),
        medians=tuple(float(v) for v in part["medians"]),
        centres=tuple(float(v) for v in part["centres"]),
        scales=tuple(float(v) for v in part["scales"]),
        numbers=tuple(int(n) for n in part["cluster_of_label"]),
        names=tuple(str(n) for n in part["names"]),
    )
    width = len(clusters.columns)
    lengths = {len(clusters.transforms), len(clusters.medians), len(clusters.centres)}
    if lengths | {len(clusters.scales)} != {width} or not width:
        raise ValueError("expected one transform, median, centre and scale per feature")
    if sorted(clusters.numbers) != list(range(1, len(clusters.names) + 1)):
        raise ValueError("expected cluster_of_label to number the clusters 1..k, one name each")
    unknown = set(clusters.transforms) - set(TRANSFORMS)
    if unknown:
        raise ValueError(f"unknown transforms {sorted(unknown)}")
    return SegmentationModel(rfm=rule, clusters=clusters, kmeans=kmeans)


def save_segmentation_model(model: SegmentationModel, store) -> list[str]:
    """Write the segmentation to a run's artifacts; return the names written.

    Parameters
    ----------
    model : SegmentationModel
        ``SegmentationResult.model``.
    store : marketing_utils.Artifacts
        The run's artifacts: ``segmentation_kmeans`` (skops) and
        ``segmentation_model`` (JSON) are written.
    """
    kmeans_path = store.path(KMEANS_NAME, "model")
    save_model(model.kmeans, kmeans_path)
    store.save(RULES_NAME, segmentation_to_dict(model, kmeans_file=kmeans_path.name))
    return [KMEANS_NAME, RULES_NAME]


def load_segmentation_model(
    path: str | os.PathLike, *, trusted: Iterable[str] = TRUSTED_TYPES
) -> SegmentationModel:
    """Load ``segmentation_model.json`` and the k-means file it names (allow-list checked).

    Parameters
    ----------
    path : str or Path
        The JSON file; the k-means file is looked for in the same folder.
    trusted : iterable of str
        Types allowed in the skops file beyond skops' defaults.

    Raises
    ------
    FileNotFoundError
        When either file is missing (notebook 02 writes both).
    UntrustedModelError
        When the k-means file holds types off the allow-list (nothing is loaded).
    DataValidationError
        When the JSON is unreadable or malformed, or the k-means file does not
        match it (another run's, or another number of clusters or features).
    """
    path = Path(path)
    where = f"segmentation model {path}"
    if not path.is_file():
        raise FileNotFoundError(
            f"{where} not found: notebook 02_segmentation writes it (with "
            f"{KMEANS_NAME}.skops) in the report's artifacts folder"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        kmeans_file = path.with_name(Path(document["kmeans"]["file"]).name)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataValidationError(
            where, f"expected the JSON written by notebook 02, found unreadable content ({exc})"
        ) from None
    if not kmeans_file.is_file():
        raise FileNotFoundError(
            f"k-means file {kmeans_file} named by {path.name} not found: copy both files "
            "of notebook 02's segmentation together"
        )
    kmeans = load_model(kmeans_file, trusted=trusted)
    try:
        model = segmentation_from_dict(document, kmeans)
        expected = document["kmeans"]["centres_sha256"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataValidationError(
            where, f"expected the JSON written by notebook 02, found a malformed one ({exc})"
        ) from None
    found = centres_sha256(kmeans) if hasattr(kmeans, "cluster_centers_") else "no centres"
    if found != expected:
        raise DataValidationError(
            where,
            f"expected {kmeans_file.name} to hold the k-means these rules were saved with "
            f"(centres sha256 {str(expected)[:12]}...), found {found[:12]}...: the two files "
            "come from different runs of notebook 02",
        )
    shape = np.shape(kmeans.cluster_centers_)
    if shape != (len(model.clusters.numbers), len(model.clusters.columns)):
        raise DataValidationError(
            where, f"expected k-means centres of shape k x features, found {shape}"
        )
    return model
