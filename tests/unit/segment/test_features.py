"""Feature preparation for clustering (marketing_utils.segment.features)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.features import default_cluster_columns, prepare_cluster_features


def test_transaction_data_clusters_on_rfm_and_the_category_shares():
    table = pd.DataFrame(
        columns=[
            "customer_id",
            "frequency",
            "days_since_last_purchase",
            "n_orders",
            "avg_basket",
            "total_spend",
            "share_books",
            "share_toys",
            "income",
        ]
    )
    assert default_cluster_columns(table) == [
        "days_since_last_purchase",
        "n_orders",
        "avg_basket",
        "share_books",
        "share_toys",
    ]


def test_campaign_data_clusters_on_numeric_attributes_without_outcomes_or_calendar():
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "age": [30, 40],
            "balance": [10.0, -5.0],
            "day": [5, 6],
            "job": ["x", "y"],
            "newbie": [True, False],
            "treatment": [1, 0],
            "response": [0, 1],
        }
    )
    assert default_cluster_columns(table) == ["age", "balance", "newbie"]


def test_a_skewed_column_is_log_transformed_then_standardized():
    # log1p([0, 0, 0, 0, e^3 - 1]) = [0, 0, 0, 0, 3]: mean 0.6, population sd 1.2,
    # so z = [-0.5, -0.5, -0.5, -0.5, 2.0].
    table = pd.DataFrame({"spend": [0.0, 0.0, 0.0, 0.0, np.e**3 - 1]})
    prepared = prepare_cluster_features(table, ["spend"])
    np.testing.assert_allclose(prepared.matrix[:, 0], [-0.5, -0.5, -0.5, -0.5, 2.0])
    row = prepared.transforms.iloc[0]
    assert row["transform"] == "log1p"
    assert row["centre"] == pytest.approx(0.6)
    assert row["scale"] == pytest.approx(1.2)


def test_skewed_values_with_negatives_get_a_signed_log():
    values = [-(np.e - 1), 0.0, 0.0, 0.0, 0.0, 0.0, np.e**4 - 1]
    prepared = prepare_cluster_features(pd.DataFrame({"balance": values}), ["balance"])
    assert prepared.transforms.iloc[0]["transform"] == "signed_log1p"
    logged = np.array([-1.0, 0, 0, 0, 0, 0, 4.0])
    np.testing.assert_allclose(prepared.matrix[:, 0], (logged - logged.mean()) / logged.std())


def test_binary_and_mildly_skewed_columns_are_only_standardized():
    table = pd.DataFrame({"newbie": [0, 1, 1, 0], "age": [20.0, 30.0, 40.0, 50.0]})
    prepared = prepare_cluster_features(table, ["newbie", "age"])
    assert prepared.transforms["transform"].tolist() == ["none", "none"]
    np.testing.assert_allclose(prepared.matrix[:, 0], [-1, 1, 1, -1])
    sd = np.std([20, 30, 40, 50])
    np.testing.assert_allclose(prepared.matrix[:, 1], (np.array([20, 30, 40, 50]) - 35) / sd)


def test_category_shares_are_scaled_together_by_one_factor():
    # Population variances 0.25 and 0.1875: common scale sqrt((0.25 + 0.1875) / 2).
    table = pd.DataFrame({"share_a": [1.0, 1.0, 0.0, 0.0], "share_b": [0.0, 0.0, 1.0, 0.0]})
    prepared = prepare_cluster_features(table, ["share_a", "share_b"])
    scale = np.sqrt((0.25 + 0.1875) / 2)
    assert prepared.transforms["scale"].tolist() == pytest.approx([scale, scale])
    np.testing.assert_allclose(prepared.matrix[:, 0], (table["share_a"] - 0.5) / scale)
    np.testing.assert_allclose(prepared.matrix[:, 1], (table["share_b"] - 0.25) / scale)


def test_missing_cells_get_the_median_and_are_counted():
    table = pd.DataFrame({"age": [20.0, np.nan, 40.0, 60.0]})
    before = table.copy()
    prepared = prepare_cluster_features(table, ["age"])
    filled = np.array([20.0, 40.0, 40.0, 60.0])
    np.testing.assert_allclose(prepared.matrix[:, 0], (filled - 40) / filled.std())
    assert prepared.transforms.iloc[0]["imputed"] == 1
    pd.testing.assert_frame_equal(table, before)


def test_a_constant_column_is_dropped_with_a_warning_and_recorded():
    table = pd.DataFrame({"age": [20.0, 30.0, 40.0], "flag": [1.0, 1.0, 1.0]})
    with pytest.warns(UserWarning, match="'flag' is constant: dropped"):
        prepared = prepare_cluster_features(table, ["age", "flag"])
    assert prepared.columns == ["age"]
    assert prepared.matrix.shape == (3, 1)
    dropped = prepared.transforms.set_index("feature").loc["flag"]
    assert (dropped["transform"], dropped["reason"]) == ("dropped", "constant")


def test_no_informative_column_left_is_an_error():
    table = pd.DataFrame({"flag": [1.0, 1.0], "empty": [np.nan, np.nan]})
    with (
        pytest.warns(UserWarning),
        pytest.raises(DataValidationError, match="at least one informative feature"),
    ):
        prepare_cluster_features(table, ["flag", "empty"])


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2.0]}), ["b"], r"expected feature columns \['b'\]"),
        (pd.DataFrame({"a": ["x", "y"]}), ["a"], "column 'a': expected a numeric feature"),
        (pd.DataFrame({"a": [1.0, np.inf]}), ["a"], "column 'a': expected finite values"),
        (pd.DataFrame({"a": [1.0]}), ["a"], "at least 2 customers to cluster, found 1"),
        (pd.DataFrame({"a": [1.0, 2.0]}), [], "at least one feature"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(table, columns, message):
    with pytest.raises(DataValidationError, match=message):
        prepare_cluster_features(table, columns)
