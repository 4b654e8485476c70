"""A saved propensity model together with what it needs to rebuild its features.

Notebook 03 saves the fitted model with skops (``propensity_model.skops``) and
its metadata next to it (``propensity_model_info.json``). The metadata's
``scoring`` section, written by :func:`scoring_metadata`, holds the settings
of notebook 01's feature building that the model was trained with, so that the
same features can be rebuilt from a new transaction file:

- ``feature_source``: ``"transactions"`` (features built from a transaction
  log at a cutoff) or ``"customer_table"`` (campaign data: the features are
  columns of the customer table itself);
- ``horizon_days``: the label window; a score is the probability of a
  purchase in the ``horizon_days`` days from the as-of day on;
- ``windows``, ``categories``, ``uses_order_id``, ``uses_returns`` and
  ``customer_columns``: the arguments of
  :func:`marketing_utils.preprocess.features.customer_features`;
- ``segment_features``: features taken from notebook 02's segments
  (``rfm_segment``, ``cluster_name``), and ``segmentation``: the file name
  (next to the model) and SHA-256 of notebook 02's saved segmentation, with
  which the segments of new customers are assigned (see
  :mod:`~marketing_utils.segment.model`), or None;
- ``model_sha256``: the model file it describes, so that a stale metadata
  file is never paired with another model.

The as-of convention is the cutoff's: features use the events strictly before
the as-of day.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataValidationError
from ..model_io import TRUSTED_TYPES, load_model

__all__ = [
    "SCORING_FORMAT",
    "ScoringModel",
    "file_sha256",
    "load_scoring_model",
    "scoring_metadata",
]

#: Version of the ``scoring`` section; raised when its meaning changes.
SCORING_FORMAT = 1

_SEGMENT_FEATURES = ("rfm_segment", "cluster_name")
# Feature made by customer_features -> column of the customers table it comes from.
_CUSTOMER_FEATURES = {
    "tenure_days": "signup_date",
    "age_years": "birth_date",
    "gender": "gender",
    "region": "region",
    "channel": "channel",
    "income": "income",
}
_WINDOW = re.compile(r"^spend_(\d+)d$")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scoring_metadata(
    features: Sequence[str],
    preprocessing_info: dict | None,
    *,
    transaction_columns: Iterable[str] = (),
    model_path: str | os.PathLike | None = None,
    segmentation_path: str | os.PathLike | None = None,
) -> dict:
    """The ``scoring`` section of a model's metadata: how to rebuild its features.

    Parameters
    ----------
    features : sequence of str
        The model's feature columns, in the order it was fitted with.
    preprocessing_info : dict or None
        Notebook 01's ``preprocessing_info`` (its ``label`` and full feature
        lists, from which the windows and categories are read back: they are
        encoded in the names ``spend_{w}d`` and ``share_{category}`` that
        :func:`~marketing_utils.preprocess.features.customer_features` gives its columns).
    transaction_columns : iterable of str
        Columns of the clean training transactions (says whether ``order_id``
        counted the orders).
    model_path : path, optional
        The saved model file; its SHA-256 is recorded.
    segmentation_path : path, optional
        Notebook 02's ``segmentation_model.json``, in the model's folder;
        recorded (name and SHA-256) when the model uses segment features.

    Returns
    -------
    dict
        JSON-ready; see the module docstring for the keys.
    """
    info = preprocessing_info or {}
    label = info.get("label", {}) or {}
    built = [*info.get("numeric_features", []), *info.get("categorical_features", [])]
    kind = label.get("kind")
    from_transactions = kind == "purchase_in_horizon"
    windows = sorted(int(m.group(1)) for m in map(_WINDOW.match, built) if m)
    categories = [name.removeprefix("share_") for name in built if name.startswith("share_")]
    segment_features = [f for f in features if f in _SEGMENT_FEATURES]
    return {
        "format": SCORING_FORMAT,
        "feature_source": "transactions" if from_transactions else "customer_table",
        "label_kind": kind,
        "horizon_days": label.get("horizon_days"),
        "training_cutoff": label.get("cutoff"),
        "as_of_convention": (
            "features use the events strictly before the as-of day; the score is the "
            "probability of the label in the horizon_days from the as-of day on"
        ),
        "windows": windows if from_transactions else [],
        "categories": categories if from_transactions else [],
        "uses_order_id": from_transactions and "order_id" in set(transaction_columns),
        "uses_returns": from_transactions and "returns_rate" in built,
        "customer_columns": sorted(
            {_CUSTOMER_FEATURES[f] for f in features if f in _CUSTOMER_FEATURES}
        ),
        "segment_features": segment_features,
        "segmentation": (
            {"file": Path(segmentation_path).name, "sha256": file_sha256(segmentation_path)}
            if segment_features and segmentation_path is not None
            else None
        ),
        "model_sha256": file_sha256(model_path) if model_path is not None else None,
    }


@dataclass(frozen=True)
class ScoringModel:
    """A loaded model and its metadata.

    Attributes
    ----------
    model : estimator
        The fitted, calibrated classifier (``predict_proba`` on the feature frame).
    info : dict
        The model's metadata (``propensity_model_info``).
    path : Path
        The model file.
    trusted : tuple of str
        Types allowed in skops files beyond skops' defaults (for the segmentation's k-means too).
    """

    model: object
    info: dict
    path: Path
    trusted: tuple[str, ...] = TRUSTED_TYPES

    @property
    def features(self) -> list[str]:
        """Feature columns in the order the model expects them."""
        return list(self.info["features"])

    @property
    def categorical(self) -> list[str]:
        """Categorical (text) feature columns."""
        return list(self.info.get("categorical_features", []))

    @property
    def numeric(self) -> list[str]:
        """Numeric feature columns."""
        return [f for f in self.features if f not in set(self.categorical)]

    @property
    def scoring(self) -> dict | None:
        """The feature-building settings, or None for metadata written before they existed."""
        return self.info.get("scoring")

    @property
    def horizon_days(self) -> int | None:
        """Days of the label window the scores refer to, when known."""
        return (self.scoring or {}).get("horizon_days") or self.info.get("label", {}).get(
            "horizon_days"
        )


def _info_path(model_path: Path) -> Path:
    return model_path.with_name(f"{model_path.stem}_info.json")


def load_scoring_model(
    path: str | os.PathLike,
    *,
    info_path: str | os.PathLike | None = None,
    trusted: Iterable[str] = TRUSTED_TYPES,
) -> ScoringModel:
    """Load a skops model (allow-list checked) and the metadata saved next to it.

    Parameters
    ----------
    path : str or Path
        The model file, e.g. ``reports/default/artifacts/propensity_model.skops``.
    info_path : str or Path, optional
        Its metadata; default ``<model stem>_info.json`` in the same folder
        (``propensity_model_info.json``), as notebook 03 writes it.
    trusted : iterable of str
        Types allowed beyond skops' defaults (see :func:`~marketing_utils.model_io.load_model`).

    Raises
    ------
    FileNotFoundError
        When the model or its metadata does not exist.
    UntrustedModelError
        When the model file holds a type off the allow-list (nothing is loaded).
    DataValidationError
        When the metadata is not readable JSON, lacks the feature list, does
        not match the model's own feature names, or describes another model file.
    """
    path = Path(path)
    if path.is_file() and path.suffix != ".skops":
        raise DataValidationError(
            f"model file {path}",
            f"expected a skops model file (.skops, as notebook 03 saves it), found {path.suffix!r}",
        )
    info_path = Path(info_path) if info_path is not None else _info_path(path)
    model = load_model(path, trusted=trusted)
    if not info_path.is_file():
        raise FileNotFoundError(
            f"model metadata {info_path} not found: notebook 03 writes it next to the model "
            "(propensity_model_info.json); copy it along with the model or pass its path "
            "(--model-info)"
        )
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataValidationError(
            f"model metadata {info_path}",
            f"expected a JSON document, found unreadable text ({exc})",
        ) from None
    if not isinstance(info, dict) or not isinstance(info.get("features"), list):
        raise DataValidationError(
            f"model metadata {info_path}",
            "expected a JSON object with the model's 'features' list (propensity_model_info), "
            f"found keys {sorted(info) if isinstance(info, dict) else type(info).__name__}",
        )
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None and list(fitted) != list(info["features"]):
        raise DataValidationError(
            f"model metadata {info_path}",
            f"expected the features of model {path.name} ({list(fitted)[:5]}...), found "
            f"{info['features'][:5]}...: the metadata belongs to another model",
        )
    recorded = (info.get("scoring") or {}).get("model_sha256")
    if recorded and recorded != file_sha256(path):
        raise DataValidationError(
            f"model metadata {info_path}",
            f"expected it to describe {path.name} (sha256 {recorded[:12]}...), found a model "
            "file with another checksum: the model and its metadata come from different runs",
        )
    return ScoringModel(model=model, info=info, path=path, trusted=tuple(trusted))
