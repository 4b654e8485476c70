"""Tests of marketing_utils.uplift.policy, pinned by a six-customer example.

customer     A  B  C  D  E  F
uplift       6  5  4  3  2  1   (uplift model ranks A first)
propensity   1  2  3  4  5  6   (response model ranks F first)
treated      1  0  1  0  1  0
response     1  0  1  1  0  1
true uplift .5 .4 .3 .2 .1  0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.uplift.policy import policy_comparison, top_group_composition, truth_agreement

UPLIFT = np.array([6, 5, 4, 3, 2, 1], dtype=float)
PROPENSITY = np.array([1, 2, 3, 4, 5, 6], dtype=float)
TREATMENT = np.array([1, 0, 1, 0, 1, 0])
RESPONSE = np.array([1, 0, 1, 1, 0, 1])
TRUE_UPLIFT = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.0])


def test_policy_comparison_hand_worked():
    table = policy_comparison(
        RESPONSE,
        TREATMENT,
        UPLIFT,
        PROPENSITY,
        shares=(0.5,),
        value_per_response=10.0,
        cost_per_contact=1.0,
        true_uplift=TRUE_UPLIFT,
    ).set_index("policy")
    assert list(table.index) == ["uplift model", "response model", "everyone", "no one"]
    # Uplift top 3 = A, B, C: treated A, C both respond, control B does not -> +1 each.
    assert table.loc["uplift model", "observed_uplift"] == pytest.approx(1.0)
    assert table.loc["uplift model", "incremental_responses"] == pytest.approx(3.0)
    assert table.loc["uplift model", "profit"] == pytest.approx(10 * 3 - 3)
    assert table.loc["uplift model", "true_incremental_responses"] == pytest.approx(1.2)
    assert table.loc["uplift model", "true_profit"] == pytest.approx(12 - 3)
    # Response top 3 = F, E, D: treated E does not respond, control D and F do -> -1 each.
    assert table.loc["response model", "incremental_responses"] == pytest.approx(-3.0)
    assert table.loc["response model", "profit"] == pytest.approx(-33.0)
    assert table.loc["response model", "true_incremental_responses"] == pytest.approx(0.3)
    # Everyone: 2/3 respond in both groups.
    assert table.loc["everyone", "incremental_responses"] == pytest.approx(0.0)
    assert table.loc["everyone", "profit"] == pytest.approx(-6.0)
    assert table.loc["everyone", "true_incremental_responses"] == pytest.approx(1.5)
    assert table.loc["no one", ["n_contacted", "incremental_responses", "profit"]].tolist() == [
        0.0,
        0.0,
        0.0,
    ]
    assert np.isnan(table.loc["no one", "observed_uplift"])


def test_policy_comparison_without_truth_and_with_ties():
    table = policy_comparison(RESPONSE, TREATMENT, np.zeros(6), PROPENSITY, shares=(0.5, 1.0))
    assert "true_incremental_responses" not in table
    # All tied: the top half is half of everyone, so half the incremental responses (0).
    tied = table[(table["policy"] == "uplift model") & (table["share_contacted"] == 0.5)]
    assert tied["n_contacted"].iloc[0] == pytest.approx(3.0)
    everyone = table.set_index("policy").loc["everyone"]
    at_one = table[(table["policy"] == "uplift model") & (table["share_contacted"] == 1.0)]
    assert at_one["incremental_responses"].iloc[0] == pytest.approx(
        everyone["incremental_responses"]
    )


def test_policy_comparison_errors():
    with pytest.raises(DataValidationError, match="'propensity': expected 6 finite numbers"):
        policy_comparison(RESPONSE, TREATMENT, UPLIFT, PROPENSITY[:5])
    with pytest.raises(DataValidationError, match="'true_uplift'"):
        policy_comparison(RESPONSE, TREATMENT, UPLIFT, PROPENSITY, true_uplift=[np.nan] * 6)
    with pytest.raises(DataValidationError, match="'k': expected a share"):
        policy_comparison(RESPONSE, TREATMENT, UPLIFT, PROPENSITY, shares=(1.5,))


def test_truth_agreement():
    perfect = truth_agreement(TRUE_UPLIFT * 2 + 1, TRUE_UPLIFT)
    assert perfect == {"spearman": pytest.approx(1.0), "pearson": pytest.approx(1.0)}
    # Ranks (1, 2, 3, 4) against (1, 2.5, 4, 2.5): Spearman = Pearson of the ranks.
    ranks_a, ranks_b = np.array([1, 2, 3, 4.0]), np.array([1, 2.5, 4, 2.5])
    expected = np.corrcoef(ranks_a, ranks_b)[0, 1]
    result = truth_agreement([0.1, 0.2, 0.3, 0.5], [0.0, 0.1, 0.2, 0.1])
    assert result["spearman"] == pytest.approx(expected)
    with pytest.raises(DataValidationError, match="equal length"):
        truth_agreement([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(DataValidationError, match="finite"):
        truth_agreement([0.1, 0.2, np.nan], [0.1, 0.2, 0.3])


def test_top_group_composition_suppresses_small_groups_but_shows_empty_ones():
    groups = ["persuadable", "persuadable", "sure", "sure", "dog", "lost"]
    table = top_group_composition(groups, {"uplift model": UPLIFT}, top=0.5, min_group_size=2)
    everyone = table[table["ranking"] == "all customers"].set_index("group")
    assert everyone.loc["persuadable", "customers"] == 2
    # dog and lost (1 each) are merged into one published row of 2.
    assert everyone.loc["other (small groups)", "customers"] == 2
    assert everyone["share"].sum() == pytest.approx(1.0)
    top = table[table["ranking"] == "uplift model"].set_index("group")
    # Top 3 by uplift: two persuadables and one sure thing (merged alone: blanked).
    assert top.loc["persuadable", "customers"] == 2
    assert top.loc["persuadable", "share"] == pytest.approx(2 / 3)
    assert np.isnan(top.loc["other (small groups)", "customers"])
    assert top.loc["dog", "customers"] == 0 and top.loc["lost", "customers"] == 0
    assert list(table.columns) == ["ranking", "group", "customers", "share"]


def test_top_group_composition_errors():
    with pytest.raises(DataValidationError, match="ranking 'r': expected 6 scores, found 2"):
        top_group_composition(["a"] * 6, {"r": [1.0, 2.0]})


def test_top_group_composition_accepts_series_with_missing_groups():
    groups = pd.Series(["a", None, "a", "a"], index=[7, 8, 9, 10])
    table = top_group_composition(groups, {"r": [4.0, 3.0, 2.0, 1.0]}, top=0.5, min_group_size=1)
    top = table[table["ranking"] == "r"].set_index("group")
    assert top.loc["a", "customers"] == 1 and top.loc["(missing)", "customers"] == 1


def test_policy_comparison_spend_hand_worked():
    # spend        A=30 B=10 C=50 D=20 E=0 F=40
    spend = np.array([30, 10, 50, 20, 0, 40], dtype=float)
    table = policy_comparison(
        RESPONSE, TREATMENT, UPLIFT, PROPENSITY, shares=(0.5,), spend=spend
    ).set_index("policy")
    # Uplift top 3 = A, B, C: treated A, C spend (30 + 50) / 2 = 40, control B 10 -> +30 each.
    assert table.loc["uplift model", "observed_spend_uplift"] == pytest.approx(30.0)
    assert table.loc["uplift model", "incremental_spend"] == pytest.approx(90.0)
    # Response top 3 = F, E, D: treated E 0, control D and F (20 + 40) / 2 = 30 -> -30 each.
    assert table.loc["response model", "incremental_spend"] == pytest.approx(-90.0)
    # Everyone: treated (30 + 50 + 0) / 3, control (10 + 20 + 40) / 3 -> +10 / 3 each, 6 customers.
    assert table.loc["everyone", "incremental_spend"] == pytest.approx(20.0)
    assert table.loc["no one", "incremental_spend"] == 0.0
    assert "incremental_spend" not in policy_comparison(
        RESPONSE, TREATMENT, UPLIFT, PROPENSITY, shares=(0.5,)
    )


def test_policy_comparison_rejects_missing_spend():
    with pytest.raises(DataValidationError, match="'spend'.*6 finite numbers"):
        policy_comparison(RESPONSE, TREATMENT, UPLIFT, PROPENSITY, spend=[1, 2, np.nan, 4, 5, 6])
