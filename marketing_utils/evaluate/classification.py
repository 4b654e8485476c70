"""The score as a decision and as a probability: confusion matrix, precision/recall, calibration.

A targeting decision turns scores into contacted / not contacted, and its
quality reads like any binary classifier's. The economics assume the scores
are calibrated probabilities; :func:`calibration_by_group` shows where they
are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ..privacy import suppress_small_groups
from .metrics import check_scores

__all__ = ["calibration_by_group", "classification_metrics", "confusion_table"]


def confusion_table(y_true, selected) -> pd.DataFrame:
    """Confusion matrix of a targeting decision, labelled for readers.

    Rows: actual responders / non-responders; columns: contacted / not contacted.
    """
    y, chosen = check_scores(y_true, np.asarray(selected, dtype=float), "confusion_table")
    picked = chosen.astype(bool)
    counts = [
        [int(np.sum(picked & (y == 1))), int(np.sum(~picked & (y == 1)))],
        [int(np.sum(picked & (y == 0))), int(np.sum(~picked & (y == 0)))],
    ]
    return pd.DataFrame(
        counts,
        index=pd.Index(["responder", "non-responder"], name="actual"),
        columns=pd.Index(["contacted", "not contacted"], name="decision"),
    )


def classification_metrics(y_true, selected) -> dict[str, float | int]:
    """Accuracy, precision, recall and F1 of contacting the ``selected`` customers.

    .. math::
        \\text{precision} = \\frac{TP}{TP + FP},\\quad
        \\text{recall} = \\frac{TP}{TP + FN},\\quad
        F_1 = \\frac{2\\,\\text{precision}\\cdot\\text{recall}}{\\text{precision} + \\text{recall}},\\quad
        \\text{accuracy} = \\frac{TP + TN}{n}

    Precision is the response rate among the contacted; recall the share of
    all responders reached. Undefined ratios (nobody contacted) are 0.
    """
    table = confusion_table(y_true, selected)
    tp, fn = table.loc["responder"]
    fp, tn = table.loc["non-responder"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "tn": int(tn),
        "accuracy": float((tp + tn) / (tp + fp + fn + tn)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def calibration_by_group(
    y_true,
    y_score,
    groups,
    *,
    min_group_size: int = 1,
    group_name: str = "segment",
) -> pd.DataFrame:
    """Does the score's predicted rate match the observed rate in each group?

    For a group with customers :math:`i`, predicted responders are
    :math:`E = \\sum_i p_i` and observed :math:`O = \\sum_i y_i`; if the scores
    are calibrated, :math:`z = (O - E) / \\sqrt{\\sum_i p_i (1 - p_i)}` is
    roughly standard normal, so :math:`|z| > 2` flags a group where the model
    is off.

    Parameters
    ----------
    y_true, y_score : array-like
        Labels and calibrated probabilities.
    groups : array-like
        Group of each customer (missing values form the group ``"unknown"``).
    min_group_size : int
        Groups smaller than this are merged into one "other (small groups)"
        row before publishing (see :func:`marketing_utils.privacy.suppress_small_groups`);
        rates of the merged row are recomputed from its summed counts.
    group_name : str
        Name of the group column in the result.

    Returns
    -------
    DataFrame
        ``<group_name>``, ``customers``, ``responders``, ``predicted_rate_pct``,
        ``observed_rate_pct``, ``gap_pct_points`` (observed - predicted) and
        ``z``, largest groups first, then the merged row if any.
    """
    y, s = check_scores(y_true, y_score, "calibration_by_group")
    if np.any((s < 0) | (s > 1)):
        raise DataValidationError(
            "calibration_by_group",
            "expected calibrated probabilities between 0 and 1",
            column="score",
            examples=s[(s < 0) | (s > 1)][:5].tolist(),
        )
    labels = pd.Series(np.asarray(groups, dtype=object).ravel())
    if len(labels) != len(y):
        raise DataValidationError(
            "calibration_by_group",
            f"expected one group per customer ({len(y)}), found {len(labels)}",
            column=group_name,
        )
    frame = pd.DataFrame(
        {
            group_name: labels.where(labels.notna(), "unknown").astype(str),
            "label": y,
            "score": s,
            "variance": s * (1 - s),
        }
    )
    counts = (
        frame.groupby(group_name)
        .agg(
            customers=("label", "size"),
            responders=("label", "sum"),
            expected=("score", "sum"),
            variance=("variance", "sum"),
        )
        .reset_index()
        .sort_values(["customers", group_name], ascending=[False, True], kind="stable")
    )
    published = suppress_small_groups(
        counts,
        count_col="customers",
        min_size=min_group_size,
        label_col=group_name,
        sum_cols=["responders", "expected", "variance"],
    )
    customers = published["customers"]
    z = (published["responders"] - published["expected"]) / np.sqrt(
        published["variance"].where(published["variance"] > 0)
    )
    return pd.DataFrame(
        {
            group_name: published[group_name],
            "customers": customers,
            "responders": published["responders"],
            "predicted_rate_pct": 100 * published["expected"] / customers,
            "observed_rate_pct": 100 * published["responders"] / customers,
            "gap_pct_points": 100 * (published["responders"] - published["expected"]) / customers,
            "z": z,
        }
    ).reset_index(drop=True)
