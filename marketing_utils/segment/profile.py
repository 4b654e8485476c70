"""Describing segments: profiles, distinguishing features, names, crosstabs, size floor.

A cluster is only useful if a marketer can say what it is. Each cluster gets
its size, its share of customers and of revenue, the mean and median of every
feature, and its *standardized differences*: for feature j and cluster c,

    d_cj = (mean of feature j in c - mean of feature j overall) / sd of feature j,

computed on the clustering scale (after the log transform), so a difference
of 1 is one standard deviation whatever the unit. The features with the
largest differences name the cluster ("grocery-heavy · frequent buyers").

Tables meant for a report go through :func:`publishable_profiles` or
:func:`segment_crosstab`, which merge or blank groups smaller than the
minimum size so that no published number describes a handful of people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.privacy import suppress_small_groups

__all__ = [
    "FEATURE_WORDS",
    "cluster_profiles",
    "describe_feature",
    "name_clusters",
    "publishable_profiles",
    "segment_crosstab",
    "standardized_differences",
]

#: Words for a feature that is high / low in a cluster (None: not worth saying).
FEATURE_WORDS: dict[str, tuple[str, str | None]] = {
    "days_since_last_purchase": ("lapsed", "recent buyers"),
    "n_orders": ("frequent buyers", "rare buyers"),
    "frequency": ("frequent buyers", "rare buyers"),
    "orders_365d": ("many orders this year", "few orders this year"),
    "avg_basket": ("big baskets", "small baskets"),
    "total_spend": ("high spenders", "low spenders"),
    "monetary_value": ("high repeat spend", "low repeat spend"),
    "tenure_days": ("long-standing", "recently acquired"),
    "returns_rate": ("frequent returners", None),
    "age_years": ("older", "younger"),
    "age": ("older", "younger"),
    "income": ("high income", "low income"),
    "balance": ("high balance", "low balance"),
    "previous": ("contacted in earlier campaigns", "not contacted before"),
    "pdays": ("contacted in earlier campaigns", "not contacted before"),
    "campaign": ("called often", "called rarely"),
    "history": ("high past spend", "low past spend"),
    "recency": ("long since last purchase", "recent purchase"),
    "newbie": ("new customers", "established customers"),
    "mens": ("menswear buyers", "no menswear"),
    "womens": ("womenswear buyers", "no womenswear"),
}


def describe_feature(feature: str, difference: float) -> str | None:
    """Words for ``feature`` being above (difference > 0) or below average in a cluster.

    Category shares only speak when high ("grocery-heavy"); a feature without
    an entry in :data:`FEATURE_WORDS` reads "high <feature>" / "low <feature>".

    Examples
    --------
    >>> describe_feature("share_grocery", 1.2), describe_feature("share_grocery", -0.8)
    ('grocery-heavy', None)
    >>> describe_feature("n_orders", -0.9), describe_feature("loan_count", 0.7)
    ('rare buyers', 'high loan_count')
    """
    if feature.startswith("share_"):
        return f"{feature.removeprefix('share_')}-heavy" if difference > 0 else None
    high, low = FEATURE_WORDS.get(feature, (f"high {feature}", f"low {feature}"))
    return high if difference > 0 else low


def standardized_differences(
    matrix: np.ndarray, labels: np.ndarray, columns: Sequence[str]
) -> pd.DataFrame:
    """Per cluster and feature: (cluster mean - overall mean) / overall standard deviation.

    Parameters
    ----------
    matrix : numpy.ndarray
        Customers x features, on the clustering scale.
    labels : numpy.ndarray
        Cluster of each customer.
    columns : sequence of str
        Feature names, in matrix order.

    Returns
    -------
    pandas.DataFrame
        Index: cluster (sorted); columns: features.
    """
    frame = pd.DataFrame(matrix, columns=list(columns))
    spread = frame.std(ddof=0).replace(0.0, np.nan)
    means = frame.groupby(np.asarray(labels)).mean()
    differences = (means - frame.mean()) / spread
    differences.index.name = "cluster"
    return differences.fillna(0.0)


def name_clusters(
    differences: pd.DataFrame, *, n_words: int = 2, threshold: float = 0.5
) -> pd.Series:
    """A short descriptive name per cluster from its most distinguishing features.

    The features whose standardized difference is at least ``threshold`` in
    absolute value, largest first, give up to ``n_words`` phrases joined by
    " · ". A cluster with none is "close to average". Clusters that would
    share a name get more phrases, then their number.

    Returns
    -------
    pandas.Series
        Name per cluster (same index as ``differences``).

    Examples
    --------
    >>> d = pd.DataFrame({"n_orders": [1.5, -1.0], "share_books": [0.1, 2.0]}, index=[1, 2])
    >>> name_clusters(d).tolist()
    ['frequent buyers', 'books-heavy · rare buyers']
    """
    phrases = {}
    for cluster, row in differences.iterrows():
        ordered = row.reindex(row.abs().sort_values(ascending=False, kind="stable").index)
        words = [describe_feature(f, d) for f, d in ordered.items() if abs(d) >= threshold]
        phrases[cluster] = [w for w in dict.fromkeys(words) if w]
    used = {cluster: min(n_words, len(words)) for cluster, words in phrases.items()}

    def current(cluster) -> str:
        return " · ".join(phrases[cluster][: used[cluster]]) or "close to average"

    while True:
        names = {cluster: current(cluster) for cluster in phrases}
        counts = pd.Series(names).value_counts()
        clashing = [c for c, n in names.items() if counts[n] > 1 and used[c] < len(phrases[c])]
        if not clashing:
            break
        for cluster in clashing:
            used[cluster] += 1
    counts = pd.Series(names).value_counts()
    final = {c: (n if counts[n] == 1 else f"{n} ({c})") for c, n in names.items()}
    return pd.Series(final, name="cluster_name").reindex(differences.index)


def cluster_profiles(
    features: pd.DataFrame,
    labels: np.ndarray,
    columns: Sequence[str],
    *,
    names: Mapping | pd.Series | None = None,
    revenue_col: str | None = None,
    min_size: int = 1,
) -> pd.DataFrame:
    """Size, share of customers and revenue, mean and median of each feature, per cluster.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer (raw feature values, not transformed).
    labels : numpy.ndarray
        Cluster (or segment) of each row.
    columns : sequence of str
        Features to describe.
    names : mapping or Series, optional
        Cluster -> name, added as ``cluster_name``.
    revenue_col : str, optional
        Column of money spent; adds ``revenue`` and ``share_revenue``.
    min_size : int, default 1
        Clusters with fewer customers get ``below_min_size = True``.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, largest first: ``cluster``, [``cluster_name``],
        ``customers``, ``share_customers``, [``revenue``, ``share_revenue``],
        ``below_min_size``, then ``mean_<feature>`` and ``median_<feature>``.
    """
    if len(labels) != len(features):
        raise DataValidationError(
            "cluster_profiles",
            f"expected one label per customer ({len(features)}), found {len(labels)}",
        )
    columns = list(columns)
    groups = features[columns].astype(float).groupby(np.asarray(labels))
    table = pd.DataFrame({"customers": groups.size()})
    table["share_customers"] = table["customers"] / len(features)
    if revenue_col is not None:
        revenue = features[revenue_col].astype(float).groupby(np.asarray(labels)).sum()
        table["revenue"] = revenue
        total = float(revenue.sum())
        table["share_revenue"] = revenue / total if total else np.nan
    table["below_min_size"] = table["customers"] < min_size
    means, medians = groups.mean().add_prefix("mean_"), groups.median().add_prefix("median_")
    table = table.join(means).join(medians)
    table.index.name = "cluster"
    table = table.reset_index().sort_values(["customers", "cluster"], ascending=[False, True])
    if names is not None:
        table.insert(1, "cluster_name", table["cluster"].map(dict(pd.Series(names))))
    return table.reset_index(drop=True)


def publishable_profiles(
    profiles: pd.DataFrame, *, min_size: int, label_col: str = "cluster_name"
) -> pd.DataFrame:
    """Profiles safe to publish: clusters below ``min_size`` merged into one row.

    Uses :func:`marketing_utils.privacy.suppress_small_groups`; the merged row
    keeps the summed customers and revenue (blanked too if still below the
    floor) and no means or medians. Shares are recomputed over all customers.
    """
    revenue = ["revenue"] if "revenue" in profiles else []
    published = suppress_small_groups(
        profiles.drop(columns=["below_min_size"], errors="ignore"),
        count_col="customers",
        min_size=min_size,
        label_col=label_col,
        sum_cols=revenue,
        share_col="share_customers",
    )
    if revenue:
        total = float(profiles["revenue"].sum())
        published["share_revenue"] = published["revenue"] / total if total else np.nan
    return published


def segment_crosstab(rows: pd.Series, columns: pd.Series, *, min_size: int) -> pd.DataFrame:
    """Customers in each (row, column) pair; cells between 1 and ``min_size - 1`` are blanked.

    Examples
    --------
    >>> a = pd.Series(["x"] * 6 + ["y"] * 2, name="cluster")
    >>> b = pd.Series(["u"] * 5 + ["v"] * 3, name="segment")
    >>> segment_crosstab(a, b, min_size=3).to_dict()
    {'u': {'x': 5.0, 'y': 0.0}, 'v': {'x': nan, 'y': nan}}
    """
    counts = pd.crosstab(rows, columns).astype(float)
    return counts.mask((counts > 0) & (counts < min_size))
