"""Tests of marketing_utils.uplift.metrics, pinned by small hand-worked examples.

The running example (six customers, one tie block of three):

    customer  A    B    C    D    E    F
    uplift    0.9  0.5  0.5  0.5  0.1  0.1
    treated   1    1    0    0    1    0
    response  1    0    1    0    1    0

Tie blocks in ranking order: {A} ends at n=1, {B, C, D} at n=4, {E, F} at n=6.

    n  N_T R_T N_C R_C   uplift curve             Qini curve
    1   1   1   0   0    (1 - 0) * 1 = 1           1 - 0 = 1
    4   2   1   2   1    (1/2 - 1/2) * 4 = 0       1 - 1 * 2/2 = 0
    6   3   2   3   1    (2/3 - 1/3) * 6 = 2       2 - 1 * 3/3 = 1
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.uplift.metrics import (
    bootstrap_interval,
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_coefficient,
    qini_curve,
    rank_weights,
    uplift_at_k,
    uplift_auc_score,
    uplift_by_decile,
    uplift_curve,
)

UPLIFT = np.array([0.9, 0.5, 0.5, 0.5, 0.1, 0.1])
TREATMENT = np.array([1, 1, 0, 0, 1, 0])
RESPONSE = np.array([1, 0, 1, 0, 1, 0])
# A second ranking of the same customers: A first, then {E, F}, then {B, C, D}.
OTHER = np.array([0.9, 0.1, 0.1, 0.1, 0.5, 0.5])


def test_uplift_curve_with_a_tie_block():
    x, values = uplift_curve(RESPONSE, UPLIFT, TREATMENT)
    np.testing.assert_allclose(x, [0, 1, 4, 6])
    np.testing.assert_allclose(values, [0, 1, 0, 2])


def test_qini_curve_with_a_tie_block():
    x, values = qini_curve(RESPONSE, UPLIFT, TREATMENT)
    np.testing.assert_allclose(x, [0, 1, 4, 6])
    np.testing.assert_allclose(values, [0, 1, 0, 1])


def test_curves_do_not_depend_on_the_order_of_tied_customers():
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(6)
        for curve in (uplift_curve, qini_curve):
            x, values = curve(RESPONSE[order], UPLIFT[order], TREATMENT[order])
            expected_x, expected = curve(RESPONSE, UPLIFT, TREATMENT)
            np.testing.assert_allclose(x, expected_x)
            np.testing.assert_allclose(values, expected)


def test_curves_without_ties_have_one_point_per_customer():
    # Hand-worked: ranks (T,1) (C,0) (T,0) (C,1).
    x, values = uplift_curve([1, 0, 0, 1], [4, 3, 2, 1], [1, 0, 1, 0])
    np.testing.assert_allclose(x, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(values, [0, 1, 2, 1.5, 0])
    x, values = qini_curve([1, 0, 0, 1], [4, 3, 2, 1], [1, 0, 1, 0])
    np.testing.assert_allclose(values, [0, 1, 1, 1, 0])


def test_perfect_curves_rank_treated_responders_first_and_control_responders_last():
    # Perfect score y*t - y*(1-t): A=1, E=1 | B=0, D=0, F=0 | C=-1.
    # n=2: N_T=2 R_T=2 N_C=0; n=5: N_T=3 R_T=2 N_C=2 R_C=0; n=6: R_C=1, N_C=3.
    x, values = perfect_qini_curve(RESPONSE, TREATMENT)
    np.testing.assert_allclose(x, [0, 2, 5, 6])
    np.testing.assert_allclose(values, [0, 2, 2, 1])
    x, values = perfect_uplift_curve(RESPONSE, TREATMENT)
    np.testing.assert_allclose(values, [0, 2, 10 / 3, 2])


def test_qini_coefficient_hand_worked():
    # OTHER ranks A, {E, F}, {B, C, D}: Qini points (1, 1), (3, 2), (6, 1).
    # Area: 0.5 + 3 + 4.5 = 8; random line to (6, 1): 3; above random: 5.
    # Perfect: points (2, 2), (5, 2), (6, 1): area 2 + 6 + 1.5 = 9.5, above random 6.5.
    assert qini_coefficient(RESPONSE, OTHER, TREATMENT) == pytest.approx(5 / 6.5)
    assert qini_coefficient(RESPONSE, OTHER, TREATMENT, normalize=False) == pytest.approx(5 / 36)
    # UPLIFT's Qini curve (0, 1, 0, 1) has area 0.5 + 1.5 + 1 = 3: exactly random.
    assert qini_coefficient(RESPONSE, UPLIFT, TREATMENT) == pytest.approx(0.0)


def test_qini_coefficient_of_the_perfect_and_reversed_rankings():
    perfect = RESPONSE * TREATMENT - RESPONSE * (1 - TREATMENT)
    assert qini_coefficient(RESPONSE, perfect, TREATMENT) == pytest.approx(1.0)
    assert qini_coefficient(RESPONSE, -perfect, TREATMENT) < 0


def test_uplift_auc_score_hand_worked():
    # OTHER's uplift curve: (1, 1), (3, 3), (6, 2): area 0.5 + 4 + 7.5 = 12; random 6 -> 6.
    # Perfect uplift curve: (2, 2), (5, 10/3), (6, 2): area 2 + 8 + 8/3; random 6 -> 20/3.
    assert uplift_auc_score(RESPONSE, OTHER, TREATMENT) == pytest.approx(6 / (20 / 3))
    assert uplift_auc_score(RESPONSE, OTHER, TREATMENT, normalize=False) == pytest.approx(6 / 36)


def test_qini_coefficient_is_nan_when_nobody_responded():
    assert np.isnan(qini_coefficient([0, 0, 0, 0], [4, 3, 2, 1], [1, 0, 1, 0]))


def test_rank_weights_share_a_tie_block_across_a_cut():
    np.testing.assert_allclose(rank_weights(UPLIFT, 0, 3), [1, 2 / 3, 2 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(rank_weights(UPLIFT, 2, 4), [0, 2 / 3, 2 / 3, 2 / 3, 0, 0])
    # Fractional edges: half of A, all of the first third of the block.
    np.testing.assert_allclose(rank_weights(UPLIFT, 0.5, 2), [0.5, 1 / 3, 1 / 3, 1 / 3, 0, 0])
    assert rank_weights(UPLIFT, 0, 6).sum() == pytest.approx(6)


def test_uplift_at_k_with_a_tie_at_the_cut():
    # Top 3 of 6: A (weight 1) and 2/3 of each of B, C, D.
    # Treated: A (1, responded) + B (2/3, not) -> 1 / (5/3) = 0.6.
    # Control: C (2/3, responded) + D (2/3, not) -> (2/3) / (4/3) = 0.5.
    assert uplift_at_k(RESPONSE, UPLIFT, TREATMENT, k=0.5) == pytest.approx(0.1)


def test_uplift_at_k_counts_round_half_up_and_whole_population():
    # k = 0.25 of 6 = 1.5 -> 2 customers: A and 1/3 of each of B, C, D.
    # Treated: 1 / (1 + 1/3) = 0.75; control: (1/3) / (2/3) = 0.5.
    assert uplift_at_k(RESPONSE, UPLIFT, TREATMENT, k=0.25) == pytest.approx(0.25)
    # k = 1: the campaign's average effect, 2/3 - 1/3.
    assert uplift_at_k(RESPONSE, UPLIFT, TREATMENT, k=1.0) == pytest.approx(1 / 3)


def test_uplift_at_k_is_nan_without_control_customers_in_the_top():
    assert np.isnan(uplift_at_k([1, 0, 0, 1], [4, 3, 2, 1], [1, 1, 0, 0], k=0.5))


def test_uplift_by_decile_hand_worked():
    table = uplift_by_decile(RESPONSE, UPLIFT, TREATMENT, bins=3)
    # Bin 1 = positions [0, 2): A + 1/3 of B, C, D; bin 2 = [2, 4): 2/3 of B, C, D; bin 3: E, F.
    np.testing.assert_allclose(table["n_customers"], [2, 2, 2])
    np.testing.assert_allclose(table["n_treated"], [4 / 3, 2 / 3, 1])
    np.testing.assert_allclose(table["n_control"], [2 / 3, 4 / 3, 1])
    np.testing.assert_allclose(table["response_rate_treated"], [0.75, 0.0, 1.0])
    np.testing.assert_allclose(table["response_rate_control"], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(table["uplift"], [0.25, -0.5, 1.0])
    np.testing.assert_allclose(table["predicted_uplift"], [0.7, 0.5, 0.1])
    assert table["bin"].tolist() == [1, 2, 3]


def test_uplift_by_decile_counts_add_up_and_empty_groups_are_nan():
    rng = np.random.default_rng(1)
    y, t = rng.integers(0, 2, 103), rng.integers(0, 2, 103)
    scores = rng.integers(0, 7, 103).astype(float)  # many ties
    table = uplift_by_decile(y, scores, t)
    assert len(table) == 10
    assert table["n_customers"].sum() == pytest.approx(103)
    assert table["n_treated"].sum() == pytest.approx(t.sum())
    assert table["responses_treated"].sum() == pytest.approx((y * t).sum())
    only_treated = uplift_by_decile([1, 0, 1, 0], [4, 3, 2, 1], [1, 1, 0, 0], bins=2)
    assert np.isnan(only_treated.loc[0, "response_rate_control"])
    assert np.isnan(only_treated.loc[0, "uplift"])


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(2)
    t = rng.integers(0, 2, 400)
    y = (rng.random(400) < 0.2 + 0.2 * t).astype(int)
    scores = rng.random(400)

    def difference(y, u, t):
        return y[t == 1].mean() - y[t == 0].mean()

    first = bootstrap_interval(difference, y, scores, t, n_boot=100, seed=5)
    again = bootstrap_interval(difference, y, scores, t, n_boot=100, seed=5)
    assert first == again
    assert first["low"] < first["estimate"] < first["high"]
    assert first["estimate"] == pytest.approx(difference(y, scores, t))
    # Resampling within groups keeps a deterministic difference fixed.
    fixed = bootstrap_interval(difference, t, scores, t, n_boot=20)
    assert fixed["low"] == fixed["high"] == 1.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([1, 0], [0.1], [1, 0]), "equal length"),
        (([1, 2], [0.1, 0.2], [1, 0]), "'y_true': expected 0/1 values"),
        (([1, 0], [0.1, 0.2], [1, 1]), "no control"),
        (([1, 0], [0.1, 0.2], [0, 0]), "no treated"),
        (([1, 0], [0.1, np.nan], [1, 0]), "'uplift': expected finite"),
        (([], [], []), "at least one customer"),
        ((["a", "b"], [0.1, 0.2], [1, 0]), "'y_true': expected 0/1"),
    ],
)
def test_metric_inputs_are_checked(arguments, message):
    with pytest.raises(DataValidationError, match=message):
        qini_curve(*arguments)


def test_parameter_errors_name_the_parameter():
    with pytest.raises(DataValidationError, match="'k': expected a share in"):
        uplift_at_k(RESPONSE, UPLIFT, TREATMENT, k=0)
    with pytest.raises(DataValidationError, match="'bins': expected an integer from 1 to"):
        uplift_by_decile(RESPONSE, UPLIFT, TREATMENT, bins=7)
    with pytest.raises(DataValidationError, match="'n_boot'"):
        bootstrap_interval(qini_coefficient, RESPONSE, UPLIFT, TREATMENT, n_boot=1)
    with pytest.raises(DataValidationError, match="'confidence'"):
        bootstrap_interval(qini_coefficient, RESPONSE, UPLIFT, TREATMENT, confidence=1.5)


def test_metrics_accept_pandas_series():
    frame = pd.DataFrame({"y": RESPONSE, "u": OTHER, "t": TREATMENT}, index=[5, 3, 9, 1, 0, 2])
    assert qini_coefficient(frame["y"], frame["u"], frame["t"]) == pytest.approx(5 / 6.5)
