"""Baselines every model is compared with: random targeting and a simple RFM rule.

A model is worth its complexity only if it beats what a marketing team would
do without it: contact at random (expected gain = depth, lift 1), or contact
the best RFM segments. The RFM rule here ranks segments by their response rate
on the **training** customers and scores each held-out customer with the rate
of their segment; segments come from 02 (``rfm_segment``) when it has run, or
from the classic RFM score below.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from ..errors import DataValidationError
from .economics import CampaignEconomics, best_depth, profit_curve
from .metrics import check_scores, gain_at, top_decile_lift

__all__ = ["compare_targeting", "rfm_columns", "rfm_scores", "segment_rule_scores"]

#: Candidate columns for R, F and M in the customer feature table, in order of
#: preference, and whether a larger value is better. Transaction data has
#: ``days_since_last_purchase``; campaign datasets (Hillstrom) name it ``recency``
#: (months since the last purchase). The lifetimes-style ``recency`` of
#: transaction data (age at the last purchase) is never used as R.
_RFM_CANDIDATES = {
    "recency": (("days_since_last_purchase", False), ("recency", False)),
    "frequency": (("n_orders", True),),
    "monetary": (("total_spend", True), ("history", True)),
}


def rfm_columns(features: pd.DataFrame) -> dict[str, tuple[str, bool]]:
    """The R, F and M columns available in ``features``: name -> (column, larger is better).

    Examples
    --------
    >>> rfm_columns(pd.DataFrame(columns=["customer_id", "recency", "history"]))
    {'recency': ('recency', False), 'monetary': ('history', True)}
    """
    if "days_since_last_purchase" in features.columns:
        candidates = {k: [c for c in v if c[0] != "recency"] for k, v in _RFM_CANDIDATES.items()}
    else:
        candidates = {k: list(v) for k, v in _RFM_CANDIDATES.items()}
    found = {}
    for part, options in candidates.items():
        for column, larger_is_better in options:
            if column in features.columns:
                found[part] = (column, larger_is_better)
                break
    return found


def rfm_scores(features: pd.DataFrame, n_groups: int = 5) -> pd.DataFrame:
    """The classic RFM score: each of R, F, M scored 1 (worst) to ``n_groups`` (best).

    A customer's part score is :math:`\\lceil n\\_groups \\cdot q \\rceil`, with
    :math:`q` the customer's percentile rank (ties share the mean rank) in the
    direction where larger is better. The RFM score is the sum of the parts.

    Parameters
    ----------
    features : DataFrame
        ``customer_id`` and the columns found by :func:`rfm_columns`.
    n_groups : int, default 5
        Quintiles by default.

    Returns
    -------
    DataFrame
        ``customer_id``, one ``<part>_score`` per available part, ``rfm_score``
        and ``rfm_segment`` (e.g. ``"RFM 12"``).

    Raises
    ------
    DataValidationError
        When none of R, F, M can be found, or a column has missing values.
    """
    columns = rfm_columns(features)
    if not columns:
        raise DataValidationError(
            "customer_features",
            "expected at least one RFM column (days_since_last_purchase or recency, "
            f"n_orders, total_spend or history), found {list(features.columns)[:8]}",
        )
    result = features[["customer_id"]].copy()
    for part, (column, larger_is_better) in columns.items():
        values = pd.to_numeric(features[column], errors="coerce")
        if values.isna().any():
            raise DataValidationError(
                "customer_features",
                f"expected numbers for the RFM score, found {int(values.isna().sum())} missing",
                column=column,
                examples=features.loc[values.isna(), column].head(5).tolist(),
            )
        direction = values if larger_is_better else -values
        quantile = direction.rank(method="average", pct=True)
        result[f"{part}_score"] = np.ceil(n_groups * quantile).clip(1, n_groups).astype(int)
    parts = [f"{part}_score" for part in columns]
    total = result[parts].sum(axis=1)
    return result.assign(rfm_score=total, rfm_segment="RFM " + total.astype(str))


def segment_rule_scores(train_segments, train_labels, segments) -> np.ndarray:
    """Score customers by the training response rate of their segment.

    Segments unseen in training (or missing) get the overall training rate.

    Examples
    --------
    >>> segment_rule_scores(["a", "a", "b", "b"], [1, 1, 0, 1], ["b", "a", "c"]).tolist()
    [0.5, 1.0, 0.75]
    """
    train = pd.DataFrame(
        {"segment": np.asarray(train_segments, dtype=object), "label": np.asarray(train_labels)}
    )
    y, _ = check_scores(train["label"], np.zeros(len(train)), "segment_rule_scores (training)")
    train = train.assign(label=y)
    rates = train.dropna(subset=["segment"]).groupby("segment")["label"].mean()
    overall = float(y.mean())
    return (
        pd.Series(np.asarray(segments, dtype=object))
        .map(rates)
        .fillna(overall)
        .to_numpy(dtype=float)
    )


def compare_targeting(
    y_true,
    scores: Mapping[str, np.ndarray],
    economics: CampaignEconomics,
    *,
    depths: tuple[float, ...] = (0.1, 0.2, 0.3),
    max_contacts: int | None = None,
) -> pd.DataFrame:
    """Compare ways of ranking the same held-out customers, random targeting included.

    Parameters
    ----------
    y_true : array-like
        Held-out outcomes.
    scores : mapping
        Name -> scores of the same customers (e.g. ``{"model": ..., "RFM rule": ...}``).
    economics : CampaignEconomics
    depths : tuple of float
        Depths at which the cumulative gain is reported.
    max_contacts : int, optional
        Contact limit on these customers for the best profit.

    Returns
    -------
    DataFrame
        One row per approach plus ``"random"``: ``auc``, ``pr_auc``,
        ``top_decile_lift``, ``gain_at_<d>_pct`` per depth, ``best_profit`` and
        ``best_depth``. Random targeting is exact, not simulated: its expected
        gain is the depth, its lift 1, and its expected profit is linear in the
        depth, so it is best at contacting nobody or everyone (within the limit).
    """
    y, _ = check_scores(y_true, np.zeros(len(np.asarray(y_true))), "compare_targeting")
    rows = []
    for name, values in scores.items():
        y, s = check_scores(y, values, f"compare_targeting ({name})")
        best = best_depth(profit_curve(y, s, economics), max_contacts)
        row = {
            "approach": name,
            "auc": float(roc_auc_score(y, s)),
            "pr_auc": float(average_precision_score(y, s)),
            "top_decile_lift": top_decile_lift(y, s),
        }
        for depth in depths:
            row[f"gain_at_{round(100 * depth)}_pct"] = 100 * float(gain_at(y, s, depth))
        rows.append({**row, "best_profit": best["profit"], "best_depth": best["depth"]})
    limit = len(y) if max_contacts is None else min(max_contacts, len(y))
    everyone = limit * (economics.value_per_conversion * y.mean() - economics.cost_per_contact)
    random = {"approach": "random", "auc": 0.5, "pr_auc": float(y.mean()), "top_decile_lift": 1.0}
    for depth in depths:
        random[f"gain_at_{round(100 * depth)}_pct"] = 100 * depth
    random["best_profit"] = max(0.0, float(everyone))
    random["best_depth"] = limit / len(y) if everyone > 0 else 0.0
    return pd.DataFrame([*rows, random])
