"""Calibration/holdout split, baselines, tracking and the truth, on a log worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv import bgnbd
from marketing_utils.clv.mle import FitResult
from marketing_utils.clv.validation import (
    calibration_holdout,
    conditional_expectations,
    holdout_errors,
    naive_baselines,
    resolve_calibration_end,
    tracking_data,
    truth_comparison,
)
from marketing_utils.errors import DataValidationError


def small_log() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-01 09:00", 10.0), ("a", "2024-01-01 17:00", 5.0), ("a", "2024-01-15", 20.0),
        ("a", "2024-02-12", 30.0), ("a", "2024-03-05", 40.0),
        ("b", "2024-01-08", 50.0),
        ("c", "2024-02-26", 15.0), ("c", "2024-03-04", 25.0), ("c", "2024-03-11", 35.0),
        ("d", "2024-03-02", 12.0),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])
    return frame.assign(timestamp=pd.to_datetime(frame["timestamp"], format="ISO8601"))


def test_calibration_holdout_by_hand():
    log = small_log()
    before = log.copy()
    out = calibration_holdout(log, "2024-02-29", "2024-03-28", time_unit="W").set_index(
        "customer_id"
    )
    pd.testing.assert_frame_equal(log, before)  # input untouched
    assert list(out.index) == ["a", "b", "c"]  # d first bought in the holdout
    # a: purchase days 01-01, 01-15, 02-12; T = 59 days from 01-01 to 02-29
    assert out.loc["a", ["frequency", "recency", "T"]].tolist() == pytest.approx([2, 6, 59 / 7])
    assert out.loc["a", "monetary_value"] == 25.0  # mean of the repeat days 20 and 30
    assert out.loc["a", "calibration_spend"] == 65.0
    assert out.loc["b", ["frequency", "recency", "T"]].tolist() == pytest.approx([0, 0, 52 / 7])
    assert out.loc["c", "T"] == pytest.approx(3 / 7)
    assert out["frequency_holdout"].tolist() == [1.0, 0.0, 2.0]
    assert out["spend_holdout"].tolist() == [40.0, 0.0, 60.0]
    assert (out["duration_holdout"] == 4.0).all()  # 28 days


def test_days_as_the_time_unit():
    out = calibration_holdout(small_log(), "2024-02-29", "2024-03-28", time_unit="D")
    assert out["T"].tolist() == [59.0, 52.0, 3.0] and out["duration_holdout"].iloc[0] == 28.0


def test_naive_baselines_by_hand():
    out = calibration_holdout(small_log(), "2024-02-29", "2024-03-28")
    base = naive_baselines(out)
    # a: rate 2 / (59/7) per week over 4 weeks = 56/59; silent 17/7 weeks < usual gap 3 weeks
    np.testing.assert_allclose(base["rate_forward"], [56 / 59, 0, 0])
    np.testing.assert_allclose(base["gap_rule"], [56 / 59, 0, 0])
    late = out.assign(T=out["T"] + 1)  # a silent 24/7 weeks ... + 1 = 3.43 > 3: zero
    assert naive_baselines(late)["gap_rule"].tolist() == [0.0, 0.0, 0.0]


def test_holdout_errors_and_conditional_expectations():
    out = calibration_holdout(small_log(), "2024-02-29", "2024-03-28")
    errors = holdout_errors(out, {"zero": np.zeros(3), "perfect": np.array([1.0, 0.0, 2.0])})
    assert errors["mae"].tolist() == [1.0, 0.0]
    assert errors["relative_error"].tolist() == [-1.0, 0.0]
    cond = conditional_expectations(out, {"zero": np.zeros(3)}, max_frequency=2)
    assert cond["label"].tolist() == ["0", "2+"]
    assert cond["customers"].tolist() == [2, 1] and cond["actual"].tolist() == [1.0, 1.0]


def test_auto_split_and_bad_dates_are_named():
    log = small_log()
    # 70 days from 01-01 to 03-11: calibration is the first 46 (two thirds)
    cal, end = resolve_calibration_end(log)
    assert (str(cal.date()), str(end.date())) == ("2024-02-16", "2024-03-11")
    with pytest.raises(
        ValueError, match=r"calibration_end: expected a day inside the data.*2023-12-01"
    ):
        resolve_calibration_end(log, "2023-12-01")
    with pytest.raises(ValueError, match=r"calibration_end: .*found 2024-03-11"):
        resolve_calibration_end(log, "2024-03-11")
    with pytest.raises(ValueError, match="calibration_end: expected an ISO date"):
        resolve_calibration_end(log, "end of Q3")
    with pytest.raises(ValueError, match="holdout_end: expected a day on or before"):
        resolve_calibration_end(log, "2024-02-01", "2025-01-01")


def test_holdout_shorter_than_a_period_is_an_error():
    with pytest.raises(
        ValueError, match=r"holdout_end: expected a holdout of at least one period.*found 3 days"
    ):
        calibration_holdout(small_log(), "2024-02-29", "2024-03-03", time_unit="W")
    # one day is a whole period in days
    assert len(calibration_holdout(small_log(), "2024-02-29", "2024-03-01", time_unit="D")) == 3


def test_missing_column_and_bad_unit():
    with pytest.raises(DataValidationError, match="expected a column 'amount'"):
        calibration_holdout(small_log().drop(columns="amount"), "2024-02-29", "2024-03-28")
    with pytest.raises(ValueError, match="time_unit: expected one of"):
        calibration_holdout(small_log(), "2024-02-29", "2024-03-28", time_unit="M")


def _fit(params):
    return FitResult("BG/NBD", params, dict.fromkeys(params, 0.0), 0.0, 1, 1, 0, 0.0, np.eye(4))


def test_tracking_by_hand():
    log = small_log()
    out = calibration_holdout(log, "2024-02-29", "2024-03-28")
    params = {"r": 0.5, "alpha": 3.0, "a": 0.8, "b": 2.0}
    track = tracking_data(
        log, out, _fit(params), calibration_end="2024-02-29", holdout_end="2024-03-28"
    )
    # 88 days from 01-01 to 03-28: 13 weeks; repeat days of a (weeks 2, 6, 9) and c (9, 10)
    assert len(track) == 13
    expected = np.zeros(13)
    expected[[2, 6, 10]] = 1
    expected[9] = 2
    np.testing.assert_array_equal(track["actual"], expected)
    # cumulative expectation at the end: E[X] of each customer's age on 03-28 (87, 80, 31 days)
    ages = np.array([87, 80, 31]) / 7
    assert track["expected_cumulative"].iloc[-1] == pytest.approx(
        bgnbd.expected_purchases(params, ages).sum()
    )
    assert track["holdout"].tolist() == [False] * 9 + [True] * 4  # weeks from 03-04 on


def test_truth_comparison_by_hand():
    out = calibration_holdout(small_log(), "2024-02-29", "2024-03-28")
    truth = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "purchase_rate": [12.0, 5.0, 24.0, 1.0],
        "dropout_date": pd.to_datetime([None, "2024-01-08", "2024-03-11", None]),
    })  # fmt: skip
    result = truth_comparison(
        out,
        truth,
        {"zero": np.zeros(3)},
        np.array([0.9, 0.2, 0.6]),
        calibration_end="2024-02-29",
        holdout_end="2024-03-28",
    )
    assert result["p_alive_auc"] == 1.0 and result["share_alive"] == pytest.approx(2 / 3)
    informed = np.array([12, 0, 24]) / 365.25 * 28
    assert result["mae"]["truth_informed"] == pytest.approx(np.mean(np.abs(informed - [1, 0, 2])))
    assert result["mae"]["zero"] == 1.0
    with pytest.raises(DataValidationError, match="expected a truth row for every customer"):
        truth_comparison(
            out,
            truth.iloc[:2],
            {},
            np.ones(3),
            calibration_end="2024-02-29",
            holdout_end="2024-03-28",
        )
