"""The synthetic shop's true expected demand: hand-worked customers and a priced order.

The statistical check against simulated orders is in tests/unit/forecast/test_truth.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets._synthetic_config import CATEGORIES, daily_intensity
from marketing_utils.datasets.synthetic_demand import (
    REMOVED_LINE_SHARE,
    expected_daily_demand,
    expected_order_value,
)
from marketing_utils.errors import DataValidationError

INFO = {"observation_start": "2024-01-01", "observation_end": "2024-01-08"}  # 7 days
DAYS = pd.date_range("2024-01-01", "2024-01-07")
M = daily_intensity(DAYS)  # (persona, day); persona 0 is loyal_regular (q = 0.01)


def _truth(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["signup_date"] = pd.to_datetime(frame["signup_date"])
    frame["dropout_date"] = pd.to_datetime(frame["dropout_date"])
    return frame


def test_a_one_timer_orders_once_on_its_signup_day():
    truth = _truth(
        [
            {
                "persona": "loyal_regular",
                "signup_date": "2024-01-03",
                "dropout_date": "2024-01-03 14:00",
                "purchase_rate": 365.25,
            }
        ]
    )
    out = expected_daily_demand(truth, INFO)
    assert out["orders"].tolist() == [0, 0, 1, 0, 0, 0, 0]
    assert out["orders_variance"].tolist() == [0] * 7  # a sure order has no variance


def test_an_established_customer_who_left_orders_at_the_thinned_rate_then_once_more():
    # One order a day at the baseline; after each order it leaves with q = 0.01, so given
    # when it left, the orders before come at 0.99 a day (times the season), plus the last.
    truth = _truth(
        [
            {
                "persona": "loyal_regular",
                "signup_date": "2020-05-01",
                "dropout_date": "2024-01-05 09:00",
                "purchase_rate": 365.25,
            }
        ]
    )
    out = expected_daily_demand(truth, INFO)
    m = M[0]
    expected = [0.99 * m[0], 0.99 * m[1], 0.99 * m[2], 0.99 * m[3], 0.5 * 0.99 * m[4] + 1, 0, 0]
    np.testing.assert_allclose(out["orders"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["orders_variance"], np.array(expected) - [0, 0, 0, 0, 1, 0, 0])


def test_an_established_customer_still_active_is_seen_only_because_it_ordered():
    # Seen in the data means at least one order in the window: E[N_t | N >= 1] = E[N_t] / P(N >= 1).
    truth = _truth(
        [
            {
                "persona": "loyal_regular",
                "signup_date": "2023-06-01",
                "dropout_date": None,
                "purchase_rate": 36.525,  # 0.1 a day
            }
        ]
    )
    out = expected_daily_demand(truth, INFO)
    rate = 0.99 * 0.1 * M[0]
    np.testing.assert_allclose(out["orders"], rate / (1 - np.exp(-rate.sum())), rtol=1e-12)
    assert out["orders"].sum() > 1  # at least the one order that made it visible


def test_cleaning_removes_the_known_share_of_lines():
    truth = _truth(
        [
            {
                "persona": "loyal_regular",
                "signup_date": "2024-01-02",
                "dropout_date": "2024-01-02 10:00",
                "purchase_rate": 5.0,
            }
        ]
    )
    raw = expected_daily_demand(truth, INFO, cleaned=False)
    clean = expected_daily_demand(truth, {**INFO, "dirty": True})
    assert abs(REMOVED_LINE_SHARE - 0.013) < 1e-12  # 0.5% + 0.3% + 0.2% + 0.3% of the lines
    # A loyal regular's order has 1 + Poisson(3) lines: it is lost only when every line is,
    # with probability sum over n of P(1 + Poisson(3) = n) * 0.013 ** n.
    lost = sum(np.exp(-3) * 3**k / math.factorial(k) * 0.013 ** (k + 1) for k in range(9))
    assert 1 - clean["orders"].sum() / raw["orders"].sum() == pytest.approx(lost, rel=1e-6)
    assert lost == pytest.approx(0.013 * np.exp(-3), rel=0.05)


def test_expected_order_value_by_hand():
    # One product per category, all priced 10.00; a loyal regular (discount share 0.10,
    # 1 + Poisson(3) lines, 1 + Poisson(0.35) units of electronics) buying electronics only.
    # Discounted prices 9.00 8.50 8.00 7.50 7.00 6.00 5.00 with weights .25 .20 .20 .12 .12
    # .07 .04 average 7.91, so a unit costs 0.9 * 10 + 0.1 * 7.91 = 9.791 on average.
    n = len(CATEGORIES)
    shares = np.zeros((1, n))
    shares[0, 0] = 1.0
    value = expected_order_value(
        shares, np.array([0]), np.ones((5, n)), np.arange(n), np.full(n, 10.0)
    )
    # The caps (10 lines, 6 units) take less than 0.1% off 4 * 1.35 * 9.791 = 52.87.
    assert value[0] == pytest.approx(4 * 1.35 * 9.791, rel=1e-3)
    assert value[0] < 4 * 1.35 * 9.791


def test_missing_columns_and_unknown_personas_are_named():
    with pytest.raises(DataValidationError, match="purchase_rate"):
        expected_daily_demand(pd.DataFrame({"persona": ["loyal_regular"]}), INFO)
    truth = _truth(
        [
            {
                "persona": "vip",
                "signup_date": "2024-01-02",
                "dropout_date": None,
                "purchase_rate": 1.0,
            }
        ]
    )
    with pytest.raises(DataValidationError, match="vip"):
        expected_daily_demand(truth, INFO)
    with pytest.raises(DataValidationError, match="true_product_choice"):
        expected_daily_demand(
            truth.assign(persona="loyal_regular"),
            INFO,
            pd.DataFrame({"product_id": ["P00001"], "price": [1.0]}),
        )
