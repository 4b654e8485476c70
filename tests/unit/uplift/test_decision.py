"""Tests of marketing_utils.uplift.decision: the decision follows the numbers it is given."""

from __future__ import annotations

import pandas as pd

from marketing_utils.uplift.decision import recommended_share, significance, uplift_decision


def _effect(ate, low, high, treated=0.1, control=0.1):
    return {"ate": ate, "ci_low": low, "ci_high": high, "mean_treated": treated,
            "mean_control": control}  # fmt: skip


def _metrics(*, qini_low=0.05, ate=(0.007, -0.002, 0.016), spend=None, top_share=0.3):
    metrics = {
        "top_share": top_share,
        "ate": _effect(*ate),
        "n_test": 1000,
        "profit_uplift_policy": 280.0,
        "profit_response_policy": -50.0,
        "qini": 0.2,
        "qini_ci_low": qini_low,
        "qini_ci_high": 0.3,
    }
    if spend is not None:
        metrics["ate_spend"] = _effect(*spend, treated=35.0, control=44.0)
    return metrics


def _policies(profits, spend_changes=None):
    """Uplift and response rows for shares 0.1, 0.2, 0.3; ``profits`` of the uplift rows."""
    rows = []
    for i, share in enumerate((0.1, 0.2, 0.3)):
        n = 100 * (i + 1)
        uplift = {"policy": "uplift model", "share_contacted": share, "n_contacted": n,
                  "profit": profits[i]}  # fmt: skip
        response = {"policy": "response model", "share_contacted": share, "n_contacted": n,
                    "profit": -10.0 * (i + 1)}  # fmt: skip
        if spend_changes is not None:
            uplift |= {"incremental_spend": spend_changes[i],
                       "observed_spend_uplift": spend_changes[i] / n}  # fmt: skip
            response |= {"incremental_spend": 0.0, "observed_spend_uplift": 0.0}
        rows += [uplift, response]
    return pd.DataFrame(rows)


def test_significance():
    assert significance({"ci_low": 0.1, "ci_high": 0.2}) == "significantly above zero"
    assert significance({"ci_low": -0.2, "ci_high": -0.1}) == "significantly below zero"
    assert significance({"ci_low": -0.1, "ci_high": 0.0}) == "not significantly different from zero"


def test_the_recommended_share_is_the_most_profitable_and_the_smaller_on_a_tie():
    assert recommended_share(_policies([100.0, 300.0, 280.0]))["share_contacted"] == 0.2
    assert recommended_share(_policies([300.0, 300.0, 280.0]))["share_contacted"] == 0.1


def test_a_ranking_no_better_than_random_targets_nobody():
    _, decision = uplift_decision(_metrics(qini_low=-0.01), _policies([1, 2, 3]), "x_learner")
    assert "not distinguishable from random" in decision and "Send it only" not in decision


def test_the_decision_names_the_best_share_and_the_parameter_share():
    headline, decision = uplift_decision(_metrics(), _policies([100.0, 300.0, 280.0]), "t_learner")
    assert "Send it only to the top 20% by predicted uplift (t_learner)" in decision
    assert "earned 300 against -20 for the top 20% by response propensity" in decision
    assert "the top 30% of the parameter `top_share`: 280" in decision
    assert [row["label"] for row in headline] == [
        "average effect on response", "profit, top 30% by uplift"
    ]  # fmt: skip
    _, same = uplift_decision(_metrics(), _policies([100.0, 200.0, 280.0]), "t_learner")
    assert "top 30% by predicted uplift" in same and "`top_share`" not in same


def test_a_spend_loss_larger_than_the_profit_stops_the_send():
    metrics = _metrics(spend=(-9.5, -13.0, -5.9))
    _, decision = uplift_decision(metrics, _policies([100.0, 300.0, 280.0], [0, -301.0, 0]), "m")
    assert decision.count("Do not send this campaign as it is") == 1
    assert "spent about 301 less in all" in decision and "Send it only" not in decision
    # A loss smaller than the profit: send, and say what it costs.
    _, smaller = uplift_decision(metrics, _policies([100.0, 300.0, 280.0], [0, -299.0, 0]), "m")
    assert "Send it only to the top 20%" in smaller
    assert "lowers spend among them (-1.50 per contacted customer, about 299 in all" in smaller


def test_a_targeted_spend_gain_is_reported_against_the_average_loss():
    metrics = _metrics(spend=(-9.5, -13.0, -5.9))
    _, decision = uplift_decision(metrics, _policies([100.0, 300.0, 280.0], [0, 500.0, 0]), "m")
    assert "the contact raised spend (+2.50 per contacted customer, about 500 in all" in decision
    assert "though it lowered it on average: target, do not broadcast" in decision
    # A spend effect not significant on average: no 'though'.
    _, plain = uplift_decision(
        _metrics(spend=(1.0, -2.0, 4.0)), _policies([100.0, 300.0, 280.0], [0, 500.0, 0]), "m"
    )
    assert "raised spend" in plain and "though" not in plain


def test_the_decision_does_not_change_its_inputs():
    metrics = _metrics(spend=(-9.5, -13.0, -5.9))
    policies = _policies([100.0, 300.0, 280.0], [0, -1.0, 0])
    before = policies.copy()
    uplift_decision(metrics, policies, "m")
    pd.testing.assert_frame_equal(policies, before)


def test_a_spend_loss_larger_than_the_profit_stops_the_send_even_when_not_significant_overall():
    metrics = _metrics(spend=(-1.0, -3.0, 1.0))  # the average effect on spend crosses zero
    _, decision = uplift_decision(metrics, _policies([100.0, 300.0, 280.0], [0, -500.0, 0]), "m")
    assert "Do not send this campaign as it is" in decision and "still exceeds" not in decision


def test_when_every_share_loses_money_nobody_is_contacted():
    _, decision = uplift_decision(_metrics(), _policies([-100.0, -200.0, -300.0]), "m")
    assert decision.count("Do not send this campaign at these economics") == 1
    assert "the top 10% by predicted uplift (m), earned -100" in decision
    assert "Send it only" not in decision
