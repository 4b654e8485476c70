"""RFM scores (1 to 5 by quantiles) and the standard named RF segments.

Scores
------
Each of recency (days since the last purchase), frequency (number of orders)
and monetary value (total spend) is scored 1 to 5 by quantiles, recency
reversed so that the most recent customers score 5. Customers with the same
value always get the same score: ties are never broken arbitrarily. Quantile
cut points are moved to the nearest boundary between distinct values, keeping
at least one distinct value per score, so every score is used whenever the
column has at least five distinct values; with fewer, a
:class:`RFMScoreWarning` says which scores are used.

Segments
--------
The segment of a customer is read from the two-digit RF code (recency score,
then frequency score) with a map from segment name to a regular expression on
that code. The map is data: :data:`DEFAULT_SEGMENT_MAP` holds the widely used
ten-segment grid and a params file can replace it; :func:`validate_segment_map`
checks that every one of the 25 codes falls in exactly one segment.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.profile import publishable_profiles

__all__ = [
    "DEFAULT_SEGMENT_ACTIONS",
    "DEFAULT_SEGMENT_MAP",
    "N_SCORES",
    "RFMScoreWarning",
    "assign_rfm_segments",
    "quantile_scores",
    "rfm_scores",
    "rfm_segment_summary",
    "validate_segment_map",
]

N_SCORES = 5

#: Segment name -> regular expression on the RF code (recency score, frequency score).
DEFAULT_SEGMENT_MAP: dict[str, str] = {
    "champions": "5[4-5]",
    "loyal": "[3-4][4-5]",
    "potential loyalists": "[4-5][2-3]",
    "new": "51",
    "promising": "41",
    "need attention": "33",
    "about to sleep": "3[1-2]",
    "at risk": "[1-2][3-4]",
    "can't lose": "[1-2]5",
    "hibernating": "[1-2][1-2]",
}

#: What each default segment means for a campaign.
DEFAULT_SEGMENT_ACTIONS: dict[str, str] = {
    "champions": "reward them; early access and referral asks, no discounts needed",
    "loyal": "upsell higher-value products; loyalty programme, ask for reviews",
    "potential loyalists": "membership or loyalty offer; recommend the next purchase",
    "new": "onboarding series; make the second purchase easy",
    "promising": "build the habit: brand content and a small first-repeat incentive",
    "need attention": "limited-time offer based on past purchases, before they slip",
    "about to sleep": "reconnect with popular products and a modest discount",
    "at risk": "personalised win-back with a strong offer",
    "can't lose": "win them back at almost any cost; talk to them, find out what went wrong",
    "hibernating": "low-cost reactivation only; exclude from expensive channels",
}

_ROLES = ("recency", "frequency", "monetary")


class RFMScoreWarning(UserWarning):
    """A column has too few distinct values for all five scores to be used."""


def _group_scores(counts: np.ndarray, n_scores: int) -> np.ndarray:
    """Score of each group of equal values (sorted ascending), from their counts."""
    n_groups, total = len(counts), counts.sum()
    cumulative = np.cumsum(counts)
    if n_groups < n_scores:
        # Too few distinct values: place each group at the score of its mid-rank percentile.
        mid = (cumulative - counts / 2) / total
        return np.clip(1 + np.floor(n_scores * mid), 1, n_scores).astype(int)
    ends, previous = [], -1
    for score in range(1, n_scores):
        target = score * total / n_scores
        lowest, highest = previous + 1, n_groups - 1 - (n_scores - score)
        above = int(np.searchsorted(cumulative, target))
        candidates = [int(np.clip(i, lowest, highest)) for i in (above - 1, above)]
        # The boundary nearest the exact quantile; ties go to the lower boundary.
        end = min(candidates, key=lambda i: (abs(cumulative[i] - target), i))
        ends.append(end)
        previous = end
    group_scores = np.empty(n_groups, dtype=int)
    start = 0
    for score, end in enumerate([*ends, n_groups - 1], start=1):
        group_scores[start : end + 1] = score
        start = end + 1
    return group_scores


def quantile_scores(
    values: pd.Series, *, reverse: bool = False, n_scores: int = N_SCORES
) -> pd.Series:
    """Score values 1 to ``n_scores`` by quantiles, keeping equal values together.

    Parameters
    ----------
    values : pandas.Series
        Numeric values without missing entries.
    reverse : bool, default False
        Give the highest score to the smallest values (recency: fewest days).
    n_scores : int, default 5

    Returns
    -------
    pandas.Series
        Integer scores, same index and name as ``values``.

    Warns
    -----
    RFMScoreWarning
        When ``values`` has fewer distinct values than scores: the groups then
        get the score of their mid-rank percentile (a constant column scores 3
        out of 5 throughout), and not every score is used.

    Examples
    --------
    Four tied lowest values stay together in score 1:

    >>> quantile_scores(pd.Series([1, 1, 1, 1, 2, 3, 4, 5, 6, 7])).tolist()
    [1, 1, 1, 1, 2, 3, 4, 4, 5, 5]
    """
    numbers = values.to_numpy(dtype=float)
    keys = -numbers if reverse else numbers
    distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    group_scores = _group_scores(counts, n_scores)
    if len(distinct) < n_scores:
        used = sorted(set(group_scores.tolist()))
        warnings.warn(
            f"column '{values.name}' has {len(distinct)} distinct value(s), fewer than the "
            f"{n_scores} scores: only scores {used} are used",
            RFMScoreWarning,
            stacklevel=2,
        )
    return pd.Series(group_scores[inverse], index=values.index, name=values.name)


def _check_rfm_columns(features: pd.DataFrame, columns: dict[str, str], where: str) -> None:
    missing = [f"{role}: '{name}'" for role, name in columns.items() if name not in features]
    if missing:
        raise DataValidationError(
            where,
            f"expected the RFM columns ({', '.join(missing)}) in the table, found columns "
            f"{list(features.columns)[:12]}",
        )
    if len(features) < 2:
        raise DataValidationError(
            where,
            f"expected at least 2 customers to rank into RFM scores, found {len(features)}",
        )
    for role, name in columns.items():
        column = features[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise DataValidationError(
                where,
                f"expected numbers for {role}, found dtype {column.dtype}",
                column=name,
                examples=column.head(3).tolist(),
            )
        bad = column.isna() | (column < 0)
        if bad.any():
            raise DataValidationError(
                where,
                f"expected non-negative {role} values with none missing, found "
                f"{int(bad.sum())} missing or negative",
                column=name,
                examples=column[bad].head().tolist(),
            )


def rfm_scores(
    features: pd.DataFrame,
    *,
    recency_col: str = "days_since_last_purchase",
    frequency_col: str = "n_orders",
    monetary_col: str = "total_spend",
    where: str = "customer_features",
) -> pd.DataFrame:
    """Recency, frequency and monetary scores 1 to 5 for each customer.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer with ``customer_id`` and the three RFM columns.
    recency_col : str, default "days_since_last_purchase"
        Days since the last purchase (fewer is better: scored in reverse).
    frequency_col : str, default "n_orders"
        Number of orders.
    monetary_col : str, default "total_spend"
        Money spent.
    where : str
        Name of the table, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``recency_days``, ``frequency``, ``monetary``,
        ``r_score``, ``f_score``, ``m_score`` (1 to 5), ``rf_code`` (e.g. "54")
        and ``rfm_code`` (e.g. "543"), in the input's row order.

    Raises
    ------
    DataValidationError
        When a column is missing or not numeric, a value is missing or
        negative, or there are fewer than 2 customers (a single customer has
        no rank).
    """
    columns = dict(zip(_ROLES, (recency_col, frequency_col, monetary_col), strict=True))
    _check_rfm_columns(features, columns, where)
    table = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy()
            if "customer_id" in features
            else np.arange(len(features)),
            "recency_days": features[recency_col].to_numpy(dtype=float),
            "frequency": features[frequency_col].to_numpy(dtype=float),
            "monetary": features[monetary_col].to_numpy(dtype=float),
        },
        index=features.index,
    )
    scores = {
        "r_score": quantile_scores(table["recency_days"], reverse=True),
        "f_score": quantile_scores(table["frequency"]),
        "m_score": quantile_scores(table["monetary"]),
    }
    table = table.assign(**scores)
    rf_code = table["r_score"].astype(str) + table["f_score"].astype(str)
    return table.assign(rf_code=rf_code, rfm_code=rf_code + table["m_score"].astype(str))


def validate_segment_map(
    segment_map: Mapping[str, str], *, where: str = "params segmentation.segment_map"
) -> dict[str, re.Pattern]:
    """Check a segment map and compile its patterns.

    Every RF code from "11" to "55" must be matched (in full) by exactly one
    segment's pattern.

    Parameters
    ----------
    segment_map : mapping of str to str
        Segment name -> regular expression on the two-digit RF code.
    where : str
        Where the map comes from, for error messages.

    Returns
    -------
    dict of str to re.Pattern

    Raises
    ------
    DataValidationError
        Naming the invalid patterns, the codes no segment covers and the codes
        more than one segment covers.

    Examples
    --------
    >>> sorted(validate_segment_map({"low": "[1-2][1-5]", "high": "[3-5][1-5]"}))
    ['high', 'low']
    """
    if not isinstance(segment_map, Mapping) or not segment_map:
        raise DataValidationError(
            where, f"expected a non-empty mapping of segment name to pattern, found {segment_map!r}"
        )
    compiled: dict[str, re.Pattern] = {}
    for name, pattern in segment_map.items():
        try:
            compiled[str(name)] = re.compile(str(pattern))
        except re.error as exc:
            raise DataValidationError(
                where, f"segment {name!r}: invalid regular expression {pattern!r} ({exc})"
            ) from exc
    codes = [f"{r}{f}" for r in range(1, N_SCORES + 1) for f in range(1, N_SCORES + 1)]
    owners = {code: [n for n, p in compiled.items() if p.fullmatch(code)] for code in codes}
    uncovered = [code for code, names in owners.items() if not names]
    overlapping = {code: names for code, names in owners.items() if len(names) > 1}
    if uncovered or overlapping:
        problems = []
        if uncovered:
            problems.append(f"RF codes in no segment: {uncovered}")
        if overlapping:
            problems.append(f"RF codes in several segments: {overlapping}")
        raise DataValidationError(
            where,
            "expected every RF code 11..55 (recency score, frequency score) in exactly one "
            f"segment; found {'; '.join(problems)}",
        )
    return compiled


def assign_rfm_segments(
    scores: pd.DataFrame, segment_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Name each customer's RF segment.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores` (needs ``rf_code``).
    segment_map : mapping, optional
        Segment name -> pattern on the RF code; :data:`DEFAULT_SEGMENT_MAP` by default.

    Returns
    -------
    pandas.DataFrame
        ``scores`` with a ``rfm_segment`` column added.

    Examples
    --------
    >>> s = pd.DataFrame({"rf_code": ["55", "51", "11", "25"]})
    >>> assign_rfm_segments(s)["rfm_segment"].tolist()
    ['champions', 'new', 'hibernating', "can't lose"]
    """
    compiled = validate_segment_map(segment_map or DEFAULT_SEGMENT_MAP)
    code_to_segment = {
        f"{r}{f}": next(n for n, p in compiled.items() if p.fullmatch(f"{r}{f}"))
        for r in range(1, N_SCORES + 1)
        for f in range(1, N_SCORES + 1)
    }
    segment = scores["rf_code"].map(code_to_segment)
    unknown = segment.isna()
    if unknown.any():
        raise DataValidationError(
            "rfm scores",
            "expected RF codes made of two scores from 1 to 5",
            column="rf_code",
            examples=scores.loc[unknown, "rf_code"].head().tolist(),
        )
    return scores.assign(rfm_segment=segment.astype("str"))


def rfm_segment_summary(rfm: pd.DataFrame, *, min_size: int = 1) -> pd.DataFrame:
    """Customers, revenue and mean R, F, M per RF segment, with its campaign action.

    Segments below ``min_size`` are merged (see
    :func:`marketing_utils.privacy.suppress_small_groups`). Rows follow the
    order of :data:`~marketing_utils.segment.rfm.DEFAULT_SEGMENT_MAP`, then any
    custom segment.
    """
    groups = rfm.groupby("rfm_segment")
    table = pd.DataFrame(
        {
            "customers": groups.size(),
            "revenue": groups["monetary"].sum(),
            "mean_recency_days": groups["recency_days"].mean(),
            "mean_orders": groups["frequency"].mean(),
            "mean_spend": groups["monetary"].mean(),
        }
    )
    order = [s for s in DEFAULT_SEGMENT_MAP if s in table.index]
    table = table.reindex(order + sorted(set(table.index) - set(order)))
    table.index.name = "rfm_segment"
    table = table.reset_index()
    table["action"] = table["rfm_segment"].map(DEFAULT_SEGMENT_ACTIONS)
    table["share_customers"] = table["customers"] / table["customers"].sum()
    return publishable_profiles(table, min_size=min_size, label_col="rfm_segment")
