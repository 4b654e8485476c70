"""Inputs of the propensity models: features by type, label checks, segments, split, folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.propensity.data import (
    add_segments,
    check_folds,
    check_label,
    prepare_model_data,
    select_features,
    split_train_test,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "frequency": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "n_orders": [1, 2, 3, 4, 5, 6],
            "is_new": [True, False, True, False, True, False],
            "region": pd.Series(["n", "s", None, "n", "s", "n"], dtype="str"),
            "signup": pd.to_datetime(["2024-01-01"] * 6),
            "empty": [np.nan] * 6,
            "constant": ["x"] * 6,
            "response": [0, 1, 0, 1, 0, 1],
            "label": [0, 1, 0, 1, 0, 1],
        }
    )


def test_select_features_by_type_with_reasons_for_every_left_out_column():
    spec = select_features(_table(), exclude=("n_orders",))
    assert spec.numeric == ("frequency", "is_new")
    assert spec.categorical == ("region",)
    assert spec.excluded == {
        "customer_id": "customer id",
        "n_orders": "excluded by parameter",
        "signup": "a date (use derived day counts instead)",
        "empty": "every value is missing",
        "constant": "a single value: carries no information",
        "response": "known only after the outcome",
        "label": "known only after the outcome",
    }
    assert spec.columns == ["frequency", "is_new", "region"]
    assert spec.to_dict()["features"] == spec.columns


def test_select_features_follows_the_recorded_lists():
    # n_orders is listed as categorical on purpose: the recorded list wins over the dtype.
    spec = select_features(_table(), numeric=["frequency"], categorical=["n_orders", "region"])
    assert spec.numeric == ("frequency",)
    assert spec.categorical == ("n_orders", "region")
    assert spec.excluded == {}


def test_select_features_names_listed_columns_that_are_missing():
    with pytest.raises(DataValidationError, match=r"missing \['age'\]"):
        select_features(_table(), numeric=["frequency", "age"])


def test_a_table_without_usable_features_is_refused():
    table = _table()[["customer_id", "empty", "constant", "label"]]
    with pytest.raises(DataValidationError) as error:
        select_features(table)
    message = str(error.value)
    assert message.startswith("model_table: expected at least one usable feature column")
    assert "'constant': 'a single value: carries no information'" in message


def test_check_label_returns_ints():
    labels = check_label(pd.DataFrame({"label": [1.0, 0.0, 1.0]}))
    assert labels.tolist() == [1, 0, 1] and labels.dtype.kind == "i"


def test_label_with_missing_values_is_refused_with_the_rows():
    table = pd.DataFrame({"label": [0, np.nan, 1, np.nan]})
    with pytest.raises(DataValidationError) as error:
        check_label(table)
    assert str(error.value) == (
        "model_table, column 'label': expected a label for every customer, found 2 missing "
        "values (row positions shown) Examples: 1, 3."
    )


def test_label_with_one_class_is_refused():
    with pytest.raises(DataValidationError, match="found only 0 in all 3 rows"):
        check_label(pd.DataFrame({"label": [0, 0, 0]}))


def test_label_that_is_not_binary_is_refused():
    with pytest.raises(DataValidationError, match=r"expected a binary label.*Examples: 2, 'yes'"):
        check_label(pd.DataFrame({"label": [0, 1, 2, "yes"]}))


def test_missing_label_column_is_refused():
    with pytest.raises(DataValidationError, match="expected a label column 'label'"):
        check_label(pd.DataFrame({"y": [0, 1]}))


def test_add_segments_joins_by_customer_and_leaves_the_input_alone():
    table = _table()
    before = table.copy()
    segments = pd.DataFrame(
        {
            "customer_id": ["c", "a", "b"],
            "rfm_segment": ["loyal", "new", "at risk"],
            "cluster": [0, 1, 0],
            "cluster_name": ["big", "small", "big"],
        }
    )
    joined, added = add_segments(table, segments)
    assert added == ["rfm_segment", "cluster_name"]
    assert joined["rfm_segment"].tolist()[:3] == ["new", "at risk", "loyal"]
    assert joined["rfm_segment"].iloc[3:].isna().all()  # customers without a segment
    pd.testing.assert_frame_equal(table, before)
    assert add_segments(table, None) == (table, [])


def test_segments_with_repeated_customers_are_refused():
    segments = pd.DataFrame({"customer_id": ["a", "a"], "rfm_segment": ["x", "y"]})
    with pytest.raises(DataValidationError, match="found 1 repeated ids"):
        add_segments(_table(), segments)
    with pytest.raises(DataValidationError, match="expected a 'customer_id' column"):
        add_segments(_table(), pd.DataFrame({"rfm_segment": ["x"]}))


def test_split_is_stratified_and_seeded():
    labels = np.array([1] * 20 + [0] * 60)
    split = split_train_test(labels, test_size=0.25, seed=3)
    test = split == "test"
    assert test.sum() == 20
    assert labels[test].sum() == 5  # a quarter of each class
    assert (split_train_test(labels, test_size=0.25, seed=3) == split).all()
    assert not (split_train_test(labels, test_size=0.25, seed=4) == split).all()


@pytest.mark.parametrize("size", [0, 1, 1.5, -0.1])
def test_split_size_must_be_a_share(size):
    with pytest.raises(ValueError, match="test_size: expected a share strictly between 0 and 1"):
        split_train_test(np.array([0, 1] * 10), test_size=size)


def test_split_needs_two_rows_per_class():
    with pytest.raises(DataValidationError, match=r"class counts \{0: 9, 1: 1\}"):
        split_train_test(np.array([0] * 9 + [1]))


def test_train_split_too_small_for_the_folds_is_refused():
    with pytest.raises(DataValidationError) as error:
        check_folds(np.array([0] * 10 + [1] * 3), 5)
    assert "too small for 5-fold cross-validation" in str(error.value)
    assert "found {0: 10, 1: 3}" in str(error.value)
    with pytest.raises(ValueError, match="cv_folds: expected an integer >= 2, found 1"):
        check_folds(np.array([0, 1] * 5), 1)
    check_folds(np.array([0] * 5 + [1] * 5), 5)  # exactly enough


def test_prepare_model_data_uses_recorded_lists_plus_segments():
    rng = np.random.default_rng(0)
    n = 40
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "balance": rng.normal(size=n),
            "region": pd.Series(rng.choice(["n", "s"], n), dtype="str"),
            "label": [0, 1] * (n // 2),
        }
    )
    segments = pd.DataFrame({"customer_id": table["customer_id"], "rfm_segment": ["a", "b"] * 20})
    info = {"numeric_features": ["balance"], "categorical_features": ["region"]}
    prepared = prepare_model_data(table, info=info, segments=segments, cv_folds=3, seed=1)
    assert prepared.spec.numeric == ("balance",)
    assert prepared.spec.categorical == ("region", "rfm_segment")
    X_train, y_train = prepared.part("train")
    X_test, y_test = prepared.part("test")
    assert (len(y_train), len(y_test)) == (30, 10)
    assert list(X_train.columns) == ["balance", "region", "rfm_segment"]
    assert prepared.X.shape == (40, 3)


def test_prepare_model_data_refuses_a_train_split_too_small_for_the_folds():
    table = pd.DataFrame({"customer_id": list("abcdefgh"), "x": range(8), "label": [0, 1] * 4})
    with pytest.raises(DataValidationError, match="train split.*too small for 5-fold"):
        prepare_model_data(table, cv_folds=5)
