"""Tests of marketing_utils.uplift.experiment: arms, sizes, balance, average effects, the join."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.uplift.experiment import (
    arm_effects,
    average_treatment_effect,
    covariate_balance,
    group_sizes,
    select_arm,
    uplift_table,
)

Z95 = 1.959963984540054


@pytest.fixture
def hillstrom_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(9)],
            "arm": ["mens", "womens", "control"] * 3,
            "treatment": [1, 1, 0] * 3,
            "response": [1, 1, 0, 0, 1, 1, 0, 0, 0],
        }
    )


def test_select_arm_keeps_one_arm_and_the_control_group(hillstrom_like):
    women = select_arm(hillstrom_like, "womens")
    assert sorted(women["arm"].unique()) == ["control", "womens"]
    assert len(women) == 6
    assert (women["treatment"] == (women["arm"] == "womens")).all()
    assert "mens" in set(hillstrom_like["arm"])  # input unchanged
    assert len(select_arm(hillstrom_like, "any")) == 9


def test_select_arm_leaves_single_arm_campaigns_alone():
    campaign = pd.DataFrame({"customer_id": ["a", "b"], "treatment": [1, 0], "response": [0, 1]})
    result = select_arm(campaign, "womens")
    pd.testing.assert_frame_equal(result, campaign)
    assert result is not campaign


def test_select_arm_errors(hillstrom_like):
    with pytest.raises(DataValidationError, match=r"'arm': expected one of the campaign's arms"):
        select_arm(hillstrom_like, "kids")
    with pytest.raises(DataValidationError, match="'control'"):
        select_arm(hillstrom_like, "womens", control="none")
    with pytest.raises(DataValidationError, match="different from the control arm"):
        select_arm(hillstrom_like, "control")


def test_group_sizes():
    assert group_sizes([1, 0, 1, 1]) == {"n_treated": 3, "n_control": 1, "treated_share": 0.75}


def test_covariate_balance_hand_worked():
    table = pd.DataFrame(
        {
            "treatment": [1, 1, 1, 0, 0, 0],
            "x": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0],
            "level": ["a", "a", "b", "a", "b", "b"],
        }
    )
    balance = covariate_balance(table, numeric=["x"], categorical=["level"]).set_index("feature")
    # x: means 2 and 3, sample variances 1 and 1 -> SMD = -1 / 1 = -1.
    assert balance.loc["x", "smd"] == pytest.approx(-1.0)
    assert (balance.loc["x", "mean_treated"], balance.loc["x", "mean_control"]) == (2.0, 3.0)
    # level=a: shares 2/3 and 1/3, sample variance of (1, 1, 0) and (1, 0, 0) = 1/3 each
    # -> SMD = (1/3) / sqrt(1/3) = 0.5774.
    assert balance.loc["level=a", "smd"] == pytest.approx(1 / 3 / np.sqrt(1 / 3))
    assert balance.loc["level=b", "smd"] == pytest.approx(-1 / 3 / np.sqrt(1 / 3))
    assert balance["imbalanced"].all()
    assert list(balance.index)[0] == "x"  # sorted by |SMD|, largest first


def test_covariate_balance_ignores_missing_numbers_and_labels_missing_levels():
    table = pd.DataFrame(
        {
            "treatment": [1, 1, 1, 0, 0, 0],
            "x": [1.0, 1.0, np.nan, 1.0, 1.0, 1.0],
            "level": ["a", None, "a", "a", "a", "a"],
        }
    )
    balance = covariate_balance(table, numeric=["x"], categorical=["level"], threshold=0.5)
    balance = balance.set_index("feature")
    assert balance.loc["x", "smd"] == 0.0  # equal constants: no difference
    assert "level=(missing)" in balance.index
    assert bool(balance.loc["level=(missing)", "imbalanced"]) is True


def test_covariate_balance_errors():
    table = pd.DataFrame({"treatment": [1, 1, 1], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DataValidationError, match="expected both treated"):
        covariate_balance(table, numeric=["x"])
    with pytest.raises(DataValidationError, match=r"expected columns \['y'\]"):
        covariate_balance(table, numeric=["y"])


def test_average_treatment_effect_hand_worked():
    effect = average_treatment_effect([1, 1, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0])
    # Rates 2/3 and 1/3; sample variances 1/3 each; SE = sqrt(1/9 + 1/9).
    se = np.sqrt(2 / 9)
    assert effect["ate"] == pytest.approx(1 / 3)
    assert effect["se"] == pytest.approx(se)
    assert effect["ci_low"] == pytest.approx(1 / 3 - Z95 * se)
    assert effect["ci_high"] == pytest.approx(1 / 3 + Z95 * se)
    assert effect["relative_lift"] == pytest.approx(1.0)
    assert (effect["n_treated"], effect["n_control"]) == (3, 3)
    narrow = average_treatment_effect([1, 1, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0], confidence=0.5)
    assert narrow["ci_high"] - narrow["ci_low"] < effect["ci_high"] - effect["ci_low"]


def test_average_treatment_effect_on_spend_and_zero_control_mean():
    effect = average_treatment_effect([10.0, 30.0, 0.0, 0.0], [1, 1, 0, 0])
    assert effect["ate"] == 20.0
    assert effect["se"] == pytest.approx(np.sqrt(200 / 2))
    assert np.isnan(effect["relative_lift"])


@pytest.mark.parametrize(
    ("outcome", "treatment", "kwargs", "message"),
    [
        ([1, 0], [1, 0, 1], {}, "equal length"),
        ([1, np.nan, 0, 1], [1, 1, 0, 0], {}, "finite numbers"),
        ([1, 0, 0, 1], [1, 1, 1, 0], {}, "at least 2 treated and 2 control"),
        ([1, 0, 0, 1], [1, 1, 0, 0], {"confidence": 95}, "'confidence'"),
    ],
)
def test_average_treatment_effect_errors(outcome, treatment, kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        average_treatment_effect(outcome, treatment, **kwargs)


def test_arm_effects_compare_each_arm_with_control(hillstrom_like):
    effects = arm_effects(hillstrom_like).set_index("arm")
    assert list(effects.index) == ["mens", "womens"]
    # mens respond 1, 0, 0; womens 1, 1, 0; control 0, 1, 0.
    assert effects.loc["mens", "ate"] == pytest.approx(0.0)
    assert effects.loc["womens", "ate"] == pytest.approx(1 / 3)
    single = arm_effects(hillstrom_like.drop(columns="arm"))
    assert single["arm"].tolist() == ["treatment"]
    assert single.loc[0, "ate"] == pytest.approx(3 / 6 - 1 / 3)  # either e-mail: 3 of 6
    with pytest.raises(DataValidationError, match="outcome column 'spend'"):
        arm_effects(hillstrom_like, "spend")


def test_uplift_table_joins_and_leaves_outcomes_out_of_the_features():
    features = pd.DataFrame(
        {"customer_id": ["c3", "c1", "c2"], "x": [3.0, 1.0, 2.0], "arm": ["a", "b", "c"]}
    )
    campaign = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c4", "c3"],
            "treatment": [1, 0, 1, 0],
            "response": [1, 0, 0, 1],
            "spend": [5.0, 0.0, 0.0, 2.0],
            "arm": ["w", "control", "w", "control"],
        }
    )
    truth = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3"], "true_uplift": [0.3, 0.0, -0.1], "uplift_type": "x"}
    )
    table, n_without = uplift_table(features, campaign, truth)
    assert n_without == 1  # c4 has no feature row
    assert table["customer_id"].tolist() == ["c3", "c1", "c2"]  # the order of the features
    assert table["arm"].tolist() == ["control", "w", "control"]  # the campaign's arm, not a feature
    assert table["true_uplift"].tolist() == [-0.1, 0.3, 0.0]
    assert table["spend"].tolist() == [2.0, 5.0, 0.0]


def test_uplift_table_errors():
    features = pd.DataFrame({"customer_id": ["a"], "x": [1.0]})
    with pytest.raises(DataValidationError, match="campaign, column 'response'"):
        uplift_table(features, pd.DataFrame({"customer_id": ["a"], "treatment": [1]}))
    repeated = pd.DataFrame({"customer_id": ["a", "a"], "treatment": [1, 0], "response": [0, 1]})
    with pytest.raises(DataValidationError, match="one row per customer") as error:
        uplift_table(features, repeated)
    assert error.value.examples == ["a"]
