"""Inputs of stage 04: the scores of 03 joined with segments, a rule baseline and the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ..errors import DataValidationError
from .baselines import rfm_columns, rfm_scores, segment_rule_scores
from .metrics import check_scores

__all__ = ["evaluation_frame"]

_SCORE_COLUMNS = ("customer_id", "split", "label", "score")


def _check_scores_table(scores: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise DataValidationError(
            "scores", f"expected columns {list(_SCORE_COLUMNS)}, missing {missing}"
        )
    splits = scores["split"].astype(str)
    unknown = ~splits.isin(["train", "test"])
    if unknown.any():
        raise DataValidationError(
            "scores",
            "expected split 'train' or 'test'",
            column="split",
            examples=splits[unknown].unique()[:5].tolist(),
        )
    if not (splits == "test").any():
        raise DataValidationError(
            "scores", "expected held-out rows (split 'test'), found none", column="split"
        )
    duplicated = scores["customer_id"].duplicated()
    if duplicated.any():
        raise DataValidationError(
            "scores",
            f"expected one row per customer, found {int(duplicated.sum())} repeated ids",
            column="customer_id",
        )
    labels, values = check_scores(scores["label"], scores["score"], "scores")
    return pd.DataFrame(
        {
            "customer_id": scores["customer_id"].astype(str).to_numpy(),
            "split": splits.to_numpy(),
            "label": labels,
            "score": values,
        }
    )


def _best_categorical_rule(
    table: pd.DataFrame, candidates: list[str], max_levels: int = 50
) -> str | None:
    """The categorical column whose training response rates rank the training customers best."""
    train = table[table["split"] == "train"]
    if train["label"].nunique() < 2:
        return None
    best, best_auc = None, 0.5
    for column in candidates:
        values = train[column].astype(object)
        if not 2 <= values.nunique() <= max_levels:
            continue
        auc = roc_auc_score(train["label"], segment_rule_scores(values, train["label"], values))
        if auc > best_auc:
            best, best_auc = column, auc
    return best


def _has_values(frame: pd.DataFrame | None, column: str) -> bool:
    return frame is not None and column in frame.columns and bool(frame[column].notna().any())


def evaluation_frame(
    scores: pd.DataFrame,
    *,
    features: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    truth: pd.DataFrame | None = None,
    segment_column: str = "auto",
) -> tuple[pd.DataFrame, str]:
    """Join the scores with a segment, the RFM-rule baseline score and the ground truth.

    Parameters
    ----------
    scores : DataFrame
        From 03: ``customer_id``, ``split`` ("train"/"test"), ``label``, ``score``.
    features : DataFrame, optional
        01's ``customer_features`` (for the RFM score when 02 has not run).
    segments : DataFrame, optional
        02's ``segments`` (``customer_id``, ``rfm_segment``, ``cluster_name``, ...).
    truth : DataFrame, optional
        Synthetic ground truth (``customer_id``, ``true_purchase_prob``).
    segment_column : str
        ``"auto"``: 02's ``rfm_segment``, else the RFM score from ``features``,
        else 02's ``cluster_name`` (data without a purchase history), else the
        categorical feature whose training response rates rank best. Or a
        column of ``segments`` or ``features``.

    Returns
    -------
    (DataFrame, str)
        The frame (``customer_id``, ``split``, ``label``, ``score``,
        ``segment``, ``rule_score`` and, with truth, ``true_probability``) and
        a description of where the segment came from.
    """
    table = _check_scores_table(scores)
    sources = [
        (name, frame)
        for name, frame in (("segments", segments), ("customer_features", features))
        if frame is not None
    ]
    column, origin, description = None, None, ""
    if segment_column == "auto":
        if _has_values(segments, "rfm_segment"):
            column, origin = "rfm_segment", segments
            description = "RFM segments from 02_segmentation"
        elif features is not None and rfm_columns(features):
            origin = rfm_scores(features)
            column = "rfm_segment"
            parts = ", ".join(c for c, _ in rfm_columns(features).values())
            description = f"RFM score (quintiles of {parts})"
        elif _has_values(segments, "cluster_name"):
            column, origin = "cluster_name", segments
            description = "clusters from 02_segmentation (no RFM for this data)"
    else:
        for name, frame in sources:
            if segment_column in frame.columns:
                column, origin, description = segment_column, frame, f"{segment_column} from {name}"
                break
        if column is None:
            available = sorted({c for _, f in sources for c in f.columns} - {"customer_id"})
            raise DataValidationError(
                "params evaluation.segment_column",
                f"expected a column of segments or customer_features, found {segment_column!r}",
                examples=available[:5],
            )
    if column is not None:
        mapping = origin.drop_duplicates("customer_id").set_index("customer_id")[column]
        table["segment"] = table["customer_id"].map(mapping).astype(object)
    elif features is not None:
        categorical = [
            c
            for c in features.columns
            if c != "customer_id"
            and not pd.api.types.is_numeric_dtype(features[c])
            and not pd.api.types.is_datetime64_any_dtype(features[c])
        ]
        joined = table.merge(features[["customer_id", *categorical]], on="customer_id", how="left")
        best = _best_categorical_rule(joined, categorical)
        if best is not None:
            table["segment"] = joined[best].astype(object).to_numpy()
            description = (
                f"{best} (the categorical feature whose training response rates rank best)"
            )
    if "segment" not in table:
        table["segment"] = "all customers"
        description = "none available (one group)"
    table["segment"] = table["segment"].where(table["segment"].notna(), "unknown").astype(str)
    train = table[table["split"] == "train"]
    if len(train):
        table["rule_score"] = segment_rule_scores(
            train["segment"], train["label"], table["segment"]
        )
    else:
        table["rule_score"] = np.nan
    if truth is not None and "true_purchase_prob" in truth.columns:
        probabilities = truth.drop_duplicates("customer_id").set_index("customer_id")[
            "true_purchase_prob"
        ]
        table["true_probability"] = table["customer_id"].map(probabilities).astype(float)
    return table, description
