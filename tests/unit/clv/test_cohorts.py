"""Cohort matrix by hand, identical on pandas, Polars and Dask; the true survival."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv.cohorts import cohort_matrix, retention_matrix, true_survival
from marketing_utils.errors import DataValidationError

from .test_validation import small_log


def test_cohort_matrix_by_hand():
    log = small_log()
    before = log.copy()
    matrix = cohort_matrix(log)
    pd.testing.assert_frame_equal(log, before)
    # a, b first bought in January; c in February; d in March
    expected = pd.DataFrame({
        "cohort": ["2024-01", "2024-01", "2024-01", "2024-02", "2024-02", "2024-03"],
        "age": [0, 1, 2, 0, 1, 0],
        "cohort_size": [2, 2, 2, 1, 1, 1],
        "customers": [2, 1, 1, 1, 1, 1],
        "revenue": [85.0, 30.0, 40.0, 15.0, 60.0, 12.0],
        "retention": [1.0, 0.5, 0.5, 1.0, 1.0, 1.0],
    })  # fmt: skip
    pd.testing.assert_frame_equal(matrix, expected, check_dtype=False)
    wide = retention_matrix(matrix)
    assert wide.loc["2024-01"].tolist() == [1.0, 0.5, 0.5]
    assert wide.loc["2024-02", 1] == 1.0 and np.isnan(wide.loc["2024-02", 2])  # not reached yet


def _random_log(n=3000, seed=5):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": rng.integers(0, 400, n).astype(str),
        "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
        + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
        "amount": rng.gamma(2.0, 20.0, n).round(2),
    })  # fmt: skip


def test_identical_on_pandas_polars_and_dask():
    pl = pytest.importorskip("polars")
    dd = pytest.importorskip("dask.dataframe")
    log = _random_log()
    reference = cohort_matrix(log)
    assert reference["revenue"].sum() == pytest.approx(log["amount"].sum())
    assert reference.loc[reference["age"] == 0, "customers"].sum() == log["customer_id"].nunique()
    pd.testing.assert_frame_equal(cohort_matrix(pl.from_pandas(log)), reference)
    pd.testing.assert_frame_equal(cohort_matrix(pl.from_pandas(log).lazy()), reference)
    pd.testing.assert_frame_equal(cohort_matrix(dd.from_pandas(log, npartitions=4)), reference)


def test_bad_input_is_named():
    with pytest.raises(DataValidationError, match="amount"):
        cohort_matrix(small_log().drop(columns="amount"))
    bad = small_log()
    bad.loc[0, "amount"] = -3.0
    with pytest.raises(DataValidationError, match="amount"):
        cohort_matrix(bad)


def test_true_survival_by_hand():
    truth = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "dropout_date": pd.to_datetime(["2024-02-12", "2024-01-08", None, None]),
    })  # fmt: skip
    survival = true_survival(small_log(), truth).set_index(["cohort", "age"])["alive_share"]
    # January cohort (a, b): b left in January, a in February
    assert survival[("2024-01", 0)] == 0.5 and survival[("2024-01", 1)] == 0.0
    assert survival[("2024-02", 0)] == 1.0 and survival[("2024-03", 0)] == 1.0
