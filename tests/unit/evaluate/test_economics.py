"""Tests of marketing_utils.evaluate.economics: profit curves and the targeting decision, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate.economics import (
    CampaignEconomics,
    TargetingRule,
    best_depth,
    choose_targeting,
    expected_profit,
    oracle_profit,
    profit_curve,
    realized_profit,
    threshold_tuning_check,
)

Y = [1, 0, 1, 0, 1, 0]
S = [0.9, 0.8, 0.8, 0.8, 0.3, 0.1]
FOUR_FOR_ONE = CampaignEconomics(cost_per_contact=1.0, value_per_conversion=4.0)


def test_profit_curve_by_hand():
    curve = profit_curve(Y, S, FOUR_FOR_ONE)
    # Contacts 0, 1, 4, 5, 6 reach 0, 1, 2, 3, 3 responders: profit = 4 R - k.
    assert curve["revenue"].tolist() == [0, 4, 8, 12, 12]
    assert curve["cost"].tolist() == [0, 1, 4, 5, 6]
    assert curve["profit"].tolist() == [0, 3, 4, 7, 6]
    np.testing.assert_allclose(curve["roi"].iloc[1:], [3, 1, 1.4, 1])
    assert np.isnan(curve["roi"].iloc[0])


def test_best_depth_without_a_limit():
    best = best_depth(profit_curve(Y, S, FOUR_FOR_ONE))
    assert best == {"contacts": 5.0, "depth": 5 / 6, "threshold": 0.3, "profit": 7.0}


def test_best_depth_when_the_limit_cuts_a_tie():
    # Three contacts allowed: the 0.9 responder plus 2 of the three tied 0.8s
    # (one responder among them): expected profit 4 (1 + 2/3) - 3 = 11/3 > 3.
    best = best_depth(profit_curve(Y, S, FOUR_FOR_ONE), max_contacts=3)
    assert best["contacts"] == 3 and best["threshold"] == 0.8
    assert best["profit"] == pytest.approx(11 / 3)


def test_best_depth_prefers_fewer_contacts_on_equal_profit():
    economics = CampaignEconomics(1.0, 2.0)
    # Profit 0, 1, 0, 1, 0: the same best profit at 1 and at 3 contacts.
    best = best_depth(profit_curve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6], economics))
    assert best["contacts"] == 1 and best["threshold"] == 0.9


def test_best_depth_can_be_nobody():
    best = best_depth(profit_curve([0, 0, 1], [0.9, 0.8, 0.1], CampaignEconomics(1.0, 1.5)))
    assert best["contacts"] == 0 and best["profit"] == 0 and best["threshold"] == np.inf


def test_economics_limits_and_break_even():
    economics = CampaignEconomics(2.0, 8.0, budget=25.0, max_contacts=30)
    assert economics.break_even_probability == 0.25
    assert economics.contact_limit(100) == 12  # budget: floor(25 / 2)
    assert CampaignEconomics(2.0, 8.0, max_contacts=30).contact_limit(100) == 30
    assert CampaignEconomics(2.0, 8.0, max_contacts=30).contact_limit(10) == 10
    assert CampaignEconomics(0.0, 8.0, budget=5.0).contact_limit(10) == 10  # free contacts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"cost_per_contact": -1.0},
            r"evaluation.cost_per_contact: expected a number >= 0, found -1.0",
        ),
        (
            {"value_per_conversion": 0},
            r"evaluation.value_per_conversion: expected a number > 0, found 0",
        ),
        (
            {"value_per_conversion": "10"},
            r"evaluation.value_per_conversion: expected a number > 0, found '10'",
        ),
        ({"budget": -5.0}, r"evaluation.budget: expected None or a number >= 0, found -5.0"),
        (
            {"max_contacts": 2.5},
            r"evaluation.max_contacts: expected None or a whole number >= 0, found 2.5",
        ),
        (
            {"max_contacts": True},
            r"evaluation.max_contacts: expected None or a whole number >= 0, found True",
        ),
    ],
)
def test_economics_validation(kwargs, message):
    arguments = {"cost_per_contact": 1.0, "value_per_conversion": 10.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        CampaignEconomics(**arguments)


def test_rule_selects_by_threshold_and_breaks_ties_by_id_at_the_limit():
    rule = TargetingRule(threshold=0.3, max_share=0.5)
    # Cap 2 of 4: the 0.9 first, then of the tied 0.5s the smaller id ("b" before "d").
    chosen = rule.select([0.5, 0.9, 0.5, 0.2], ["d", "a", "b", "c"])
    assert chosen.tolist() == [False, True, True, False]
    assert TargetingRule(0.3).select([0.5, 0.9, 0.5, 0.2]).tolist() == [True, True, True, False]
    # A limit that does not bind changes nothing.
    assert TargetingRule(0.6, 0.75).select([0.5, 0.9, 0.5, 0.2]).tolist() == [
        False,
        True,
        False,
        False,
    ]


def test_choose_break_even_rule():
    economics = CampaignEconomics(1.0, 4.0, max_contacts=10)
    rule = choose_targeting(S, economics, n_customers=40)
    assert rule.threshold == 0.25 and rule.max_share == 0.25 and rule.rule == "break_even"
    assert choose_targeting(S, CampaignEconomics(1.0, 4.0)).max_share is None


def test_choose_max_realized_rule():
    rule = choose_targeting(S, FOUR_FOR_ONE, rule="max_realized", y_true=Y)
    assert rule.threshold == 0.3 and rule.rule == "max_realized"
    assert rule.select(S).sum() == 5


def test_choose_targeting_errors():
    with pytest.raises(
        ValueError,
        match=r"evaluation.threshold_rule: expected one of \('break_even', 'max_realized'\), found 'best'",
    ):
        choose_targeting(S, FOUR_FOR_ONE, rule="best")
    with pytest.raises(ValueError, match="needs the held-out outcomes y_true"):
        choose_targeting(S, FOUR_FOR_ONE, rule="max_realized")


def test_realized_profit_by_hand():
    result = realized_profit([1, 0, 1], [True, True, False], CampaignEconomics(2.0, 5.0))
    assert result == {
        "contacts": 2,
        "responders": 1,
        "cost": 4.0,
        "revenue": 5.0,
        "profit": 1.0,
        "roi": 0.25,
    }
    assert np.isnan(realized_profit([1, 0], [False, False], FOUR_FOR_ONE)["roi"])


def test_expected_and_oracle_profit_by_hand():
    economics = CampaignEconomics(2.0, 10.0)
    p = [0.5, 0.1, 0.3]
    # Margins 10 p - 2: 3, -1, 1.
    assert expected_profit(p, [True, False, True], economics) == pytest.approx(4.0)
    assert expected_profit(p, [True, True, True], economics) == pytest.approx(3.0)
    assert oracle_profit(p, economics) == pytest.approx(4.0)
    assert oracle_profit(p, economics, max_contacts=1) == pytest.approx(3.0)
    assert oracle_profit([0.1, 0.2], economics) == 0.0  # nobody is worth contacting


def test_probability_errors():
    with pytest.raises(
        DataValidationError,
        match="oracle_profit: expected probabilities between 0 and 1 Examples: 1.2",
    ):
        oracle_profit([0.5, 1.2], FOUR_FOR_ONE)
    with pytest.raises(DataValidationError, match=r"expected one flag per customer \(2\), found 3"):
        expected_profit([0.5, 0.2], [True, False, True], FOUR_FOR_ONE)


def test_sklearn_threshold_tuning_matches_the_hand_computed_best():
    check = threshold_tuning_check(Y, S, FOUR_FOR_ONE)
    assert check["sklearn_profit"] == pytest.approx(7.0) and check["sklearn_threshold"] == 0.3
    assert check["direct_profit"] == pytest.approx(7.0) and check["direct_threshold"] == 0.3
    assert check["agree"] is True


def test_sklearn_threshold_tuning_agrees_on_random_data():
    rng = np.random.default_rng(2)
    p = rng.beta(1, 4, 400)
    y = (rng.random(400) < p).astype(int)
    s = np.round(p, 3)  # ties too
    check = threshold_tuning_check(y, s, CampaignEconomics(1.0, 6.0))
    assert check["agree"] is True
    assert check["direct_profit"] == pytest.approx(check["sklearn_profit"])
