"""The discounted CLV: telescoping without discounting, the monthly sum by hand, bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv import bgnbd, gamma_gamma, pareto_nbd
from marketing_utils.clv.mle import FitResult
from marketing_utils.clv.teach import (
    bgnbd_worked_example,
    clv_worked_example,
    gamma_gamma_worked_example,
)
from marketing_utils.clv.value import DAYS_PER_MONTH, clv_table, discounted_clv

BG = {"r": 0.25, "alpha": 4.8, "a": 0.72, "b": 2.16}
PN = {"r": 0.6, "alpha": 11.6, "s": 0.52, "beta": 8.8}
X, TX, T = np.array([0, 2, 5.0]), np.array([0, 20, 30.0]), np.array([35, 35, 35.0])


def test_without_discounting_the_sum_telescopes():
    spend = np.array([30.0, 40.0, 50.0])
    got = discounted_clv(
        "bgnbd",
        BG,
        X,
        TX,
        T,
        spend,
        months=12,
        margin=0.25,
        annual_discount_rate=0.0,
        time_unit="W",
    )
    horizon = 12 * DAYS_PER_MONTH / 7
    expected = 0.25 * spend * bgnbd.conditional_expected_purchases(BG, horizon, X, TX, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_two_months_by_hand():
    # month k's purchases E[Y(t_k)] - E[Y(t_{k-1})] discounted by 1.1^(k/12)
    e1 = pareto_nbd.conditional_expected_purchases(PN, DAYS_PER_MONTH / 7, 2, 20, 35)
    e2 = pareto_nbd.conditional_expected_purchases(PN, 2 * DAYS_PER_MONTH / 7, 2, 20, 35)
    expected = 0.3 * 100 * (e1 / 1.1 ** (1 / 12) + (e2 - e1) / 1.1 ** (2 / 12))
    got = discounted_clv(
        "pareto_nbd", PN, [2], [20], [35], [100.0], months=2, margin=0.3, annual_discount_rate=0.1
    )
    assert got[0] == pytest.approx(float(expected), rel=1e-12)


def test_days_and_weeks_give_the_same_value():
    weeks = discounted_clv(
        "bgnbd",
        BG,
        X,
        TX,
        T,
        [10.0] * 3,
        months=6,
        margin=1.0,
        annual_discount_rate=0.1,
        time_unit="W",
    )
    # the same rates per day: alpha scales with the unit
    daily = {**BG, "alpha": BG["alpha"] * 7}
    days = discounted_clv(
        "bgnbd",
        daily,
        X,
        TX * 7,
        T * 7,
        [10.0] * 3,
        months=6,
        margin=1.0,
        annual_discount_rate=0.1,
        time_unit="D",
    )
    np.testing.assert_allclose(days, weeks, rtol=1e-10)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"months": 0}, "months: expected a whole number >= 1, found 0"),
        ({"margin": 1.5}, "margin: expected a number between 0.0 and 1.0, found 1.5"),
        ({"annual_discount_rate": -0.1}, "annual_discount_rate: expected a number >= 0.0"),
    ],
)
def test_bad_parameters_are_named(changes, message):
    kwargs = {"months": 12, "margin": 0.3, "annual_discount_rate": 0.1} | changes
    with pytest.raises(ValueError, match=message):
        discounted_clv("bgnbd", BG, X, TX, T, [1.0] * 3, **kwargs)


def test_unknown_model_is_named():
    with pytest.raises(ValueError, match="purchase_model: expected one of"):
        discounted_clv("nbd", BG, X, TX, T, [1.0] * 3, months=1, margin=0.3, annual_discount_rate=0)


def _fit(model, params):
    return FitResult(
        model, params, dict.fromkeys(params, 0.0), 0.0, 1, 1, 0, 0.0, np.eye(len(params))
    )


def test_clv_table_columns_and_values():
    summary = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "frequency": X,
            "recency": TX,
            "T": T,
            "monetary_value": [0.0, 40.0, 55.0],
        }
    )
    gg = {"p": 6.0, "q": 4.0, "v": 15.0}
    table = clv_table(
        summary,
        _fit("BG/NBD", BG),
        _fit("GG", gg),
        prediction_periods=10,
        months=12,
        margin=0.3,
        annual_discount_rate=0.1,
    )
    assert list(table.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "expected_purchases",
        "p_alive",
        "expected_spend",
        "clv",
    ]
    np.testing.assert_allclose(table["p_alive"], bgnbd.p_alive(BG, X, TX, T))
    np.testing.assert_allclose(
        table["expected_spend"], gamma_gamma.conditional_expected_spend(gg, X, [0, 40, 55.0])
    )
    assert table.loc[0, "expected_spend"] == pytest.approx(30.0)  # population mean p v/(q-1)
    assert (table["clv"] > 0).all()


def test_worked_examples_equal_the_model_functions():
    steps = bgnbd_worked_example(BG, 2, 20, 35).set_index("step")["value"]
    assert steps.iloc[4] == pytest.approx(
        bgnbd.log_likelihood(tuple(BG.values()), [2], [20], [35])[0]
    )
    assert steps.iloc[-1] == pytest.approx(bgnbd.p_alive(BG, [2], [20], [35])[0])
    gg = {"p": 6.0, "q": 4.0, "v": 15.0}
    spend = gamma_gamma_worked_example(gg, 2, 60.0)["value"].iloc[-1]
    assert spend == pytest.approx(54.0)
    monthly = clv_worked_example(
        "bgnbd", BG, 2, 20, 35, 54.0, months=12, margin=0.3, annual_discount_rate=0.1
    )
    assert monthly["clv"].iloc[-1] == pytest.approx(
        discounted_clv(
            "bgnbd", BG, [2], [20], [35], [54.0], months=12, margin=0.3, annual_discount_rate=0.1
        )[0]
    )


@pytest.mark.parametrize(("model", "params"), [("bgnbd", BG), ("pareto_nbd", PN)])
@pytest.mark.parametrize("time_unit", ["W", "D"])
def test_the_discounted_clv_of_each_customer_is_its_month_by_month_sum(model, params, time_unit):
    # clv_worked_example adds one customer's months one call at a time (P(alive) each time);
    # discounted_clv computes P(alive) once for all customers and months.
    scale = 7.0 if time_unit == "D" else 1.0
    params = {**params, "alpha": params["alpha"] * scale}
    if model == "pareto_nbd":
        params["beta"] = PN["beta"] * scale
    spend = np.array([30.0, 40.0, 50.0])
    got = discounted_clv(
        model,
        params,
        X,
        TX * scale,
        T * scale,
        spend,
        months=18,
        margin=0.3,
        annual_discount_rate=0.1,
        time_unit=time_unit,
    )
    for i in range(len(X)):
        monthly = clv_worked_example(
            model,
            params,
            X[i],
            TX[i] * scale,
            T[i] * scale,
            spend[i],
            months=18,
            margin=0.3,
            annual_discount_rate=0.1,
            time_unit=time_unit,
        )
        assert got[i] == pytest.approx(monthly["clv"].iloc[-1], rel=1e-12)
