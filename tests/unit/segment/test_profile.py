"""Profiles, names, crosstabs and the size floor (marketing_utils.segment.profile)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.profile import (
    cluster_profiles,
    describe_feature,
    name_clusters,
    publishable_profiles,
    segment_crosstab,
    standardized_differences,
)


def test_standardized_differences_by_hand():
    # x = [0, 0, 2, 2]: mean 1, population sd 1 -> cluster 0 at -1 SD, cluster 1 at +1 SD.
    # y = [1, 3, 1, 3]: the same mean (2) in both clusters -> 0.
    matrix = np.array([[0.0, 1.0], [0.0, 3.0], [2.0, 1.0], [2.0, 3.0]])
    differences = standardized_differences(matrix, np.array([0, 0, 1, 1]), ["x", "y"])
    assert differences.to_dict() == {"x": {0: -1.0, 1: 1.0}, "y": {0: 0.0, 1: 0.0}}


def test_a_constant_feature_has_no_difference_rather_than_nan():
    matrix = np.array([[0.0, 5.0], [2.0, 5.0]])
    differences = standardized_differences(matrix, np.array([0, 1]), ["x", "c"])
    assert differences["c"].tolist() == [0.0, 0.0]


def test_feature_words():
    assert describe_feature("days_since_last_purchase", 1.0) == "lapsed"
    assert describe_feature("days_since_last_purchase", -1.0) == "recent buyers"
    assert describe_feature("share_home", 0.9) == "home-heavy"
    assert describe_feature("share_home", -0.9) is None
    assert describe_feature("tenure_months", -2.0) == "low tenure_months"


def test_names_use_the_largest_differences_above_the_threshold():
    differences = pd.DataFrame(
        {
            "n_orders": [1.5, -1.0, 0.1],
            "avg_basket": [0.6, 0.2, -0.2],
            "share_books": [-0.7, 2.0, 0.3],
        },
        index=[1, 2, 3],
    )
    assert name_clusters(differences).tolist() == [
        # share_books -0.7 says nothing, so avg_basket (0.6) is the second phrase.
        "frequent buyers · big baskets",
        "books-heavy · rare buyers",
        "close to average",
    ]


def test_clashing_names_get_more_phrases_then_numbers():
    differences = pd.DataFrame(
        {
            "n_orders": [1.5, 1.4, 0.0, 0.1],
            "avg_basket": [1.0, 0.9, 0.0, 0.0],
            "income": [0.8, -0.7, 0.0, 0.0],
        },
        index=[1, 2, 3, 4],
    )
    names = name_clusters(differences)
    assert names[1] == "frequent buyers · big baskets · high income"
    assert names[2] == "frequent buyers · big baskets · low income"
    assert names[3] == "close to average (3)"
    assert names[4] == "close to average (4)"


def _five_customers() -> tuple[pd.DataFrame, np.ndarray]:
    table = pd.DataFrame(
        {
            "n_orders": [1.0, 2.0, 3.0, 10.0, 20.0],
            "total_spend": [10.0, 20.0, 30.0, 100.0, 200.0],
        }
    )
    return table, np.array([1, 1, 1, 2, 2])


def test_profiles_by_hand():
    table, labels = _five_customers()
    profiles = cluster_profiles(
        table,
        labels,
        ["n_orders"],
        names={1: "small", 2: "big"},
        revenue_col="total_spend",
        min_size=3,
    ).set_index("cluster")
    assert profiles.loc[1, "cluster_name"] == "small"
    assert profiles.loc[1, "customers"] == 3
    assert profiles.loc[2, "share_customers"] == pytest.approx(0.4)
    assert profiles.loc[1, "revenue"] == pytest.approx(60.0)
    assert profiles.loc[2, "share_revenue"] == pytest.approx(300 / 360)
    assert profiles.loc[1, "mean_n_orders"] == pytest.approx(2.0)
    assert profiles.loc[2, "median_n_orders"] == pytest.approx(15.0)
    assert profiles["below_min_size"].to_dict() == {1: False, 2: True}


def test_profiles_need_one_label_per_customer():
    table, _ = _five_customers()
    with pytest.raises(DataValidationError, match=r"one label per customer \(5\), found 2"):
        cluster_profiles(table, np.array([1, 2]), ["n_orders"])


def test_published_profiles_merge_small_clusters_and_keep_the_totals():
    table = pd.DataFrame({"n_orders": [1.0] * 5 + [2.0] * 2 + [3.0] * 2, "total_spend": 10.0})
    labels = np.array([1] * 5 + [2] * 2 + [3] * 2)
    profiles = cluster_profiles(
        table,
        labels,
        ["n_orders"],
        names={1: "a", 2: "b", 3: "c"},
        revenue_col="total_spend",
        min_size=3,
    )
    published = publishable_profiles(profiles, min_size=3)
    assert published["cluster_name"].tolist() == ["a", "other (small groups)"]
    merged = published.iloc[1]
    assert merged["customers"] == 4 and merged["revenue"] == pytest.approx(40.0)
    assert merged["share_customers"] == pytest.approx(4 / 9)
    assert merged["share_revenue"] == pytest.approx(40 / 90)
    assert np.isnan(merged["mean_n_orders"])  # a mean cannot be merged without weights
    assert "below_min_size" not in published


def test_crosstab_blanks_small_cells_but_not_zeros():
    rows = pd.Series(["x"] * 6 + ["y"] * 2, name="cluster")
    columns = pd.Series(["u"] * 5 + ["v"] * 3, name="segment")
    table = segment_crosstab(rows, columns, min_size=3)
    assert table.loc["x", "u"] == 5 and table.loc["y", "u"] == 0
    assert np.isnan(table.loc["x", "v"]) and np.isnan(table.loc["y", "v"])
