"""Tests of marketing_utils.evaluate.metrics: gains, lift, deciles, KS and bootstrap, pinned by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from marketing_utils.errors import DataValidationError
from marketing_utils.evaluate import metrics as evaluate
from marketing_utils.evaluate.metrics import (
    assign_deciles,
    bootstrap_metrics,
    check_scores,
    decile_table,
    gain_at,
    gains_curve,
    ks_statistic,
    lift_at,
    top_decile_lift,
)

# Six customers, three of them responders; three tie at 0.8 (one responder among them).
Y_TIES = [1, 0, 1, 0, 1, 0]
S_TIES = [0.9, 0.8, 0.8, 0.8, 0.3, 0.1]


def test_gains_curve_has_one_vertex_per_group_of_tied_scores():
    curve = gains_curve(Y_TIES, S_TIES)
    # By hand: groups 0.9 (1 customer, 1 responder), 0.8 (3, 1), 0.3 (1, 1), 0.1 (1, 0).
    assert curve["contacts"].tolist() == [0, 1, 4, 5, 6]
    assert curve["responders"].tolist() == [0, 1, 2, 3, 3]
    np.testing.assert_allclose(curve["gain"], [0, 1 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(curve["depth"], [0, 1 / 6, 4 / 6, 5 / 6, 1])
    assert curve["threshold"].tolist() == [np.inf, 0.9, 0.8, 0.3, 0.1]


def test_gains_do_not_depend_on_row_order():
    order = [3, 5, 0, 2, 4, 1]
    shuffled = gains_curve(np.take(Y_TIES, order), np.take(S_TIES, order))
    pd.testing.assert_frame_equal(shuffled, gains_curve(Y_TIES, S_TIES))


def test_gain_inside_a_tie_is_the_random_tie_break_expectation():
    # Top half = 3 customers: the 0.9 responder plus 2 of the three tied 0.8s,
    # which hold one responder: expected responders 1 + 2/3, out of 3.
    assert gain_at(Y_TIES, S_TIES, 0.5) == pytest.approx((1 + 2 / 3) / 3)
    assert lift_at(Y_TIES, S_TIES, 0.5) == pytest.approx((1 + 2 / 3) / 3 / 0.5)
    np.testing.assert_allclose(gain_at(Y_TIES, S_TIES, [1 / 6, 1.0]), [1 / 3, 1.0])


def test_top_decile_lift_by_hand():
    # Ten customers with distinct scores; the best one responds; 2 of 10 respond overall.
    y = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    s = np.arange(10, 0, -1)
    # Top 10% = 1 customer, response rate 1 vs 0.2 overall: lift 5.
    assert top_decile_lift(y, s) == pytest.approx(5.0)
    # Top 50%: 2 responders of 5, rate 0.4, lift 2.
    assert lift_at(y, s, 0.5) == pytest.approx(2.0)


def test_lift_when_every_score_ties_is_one():
    assert top_decile_lift([1, 0, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(1.0)


@pytest.mark.parametrize("depth", [0, -0.1, 1.5])
def test_depth_outside_zero_one_is_refused(depth):
    with pytest.raises(ValueError, match=r"lift_at: expected depth in \(0, 1\]"):
        lift_at(Y_TIES, S_TIES, depth)


def test_gains_need_a_responder():
    with pytest.raises(
        DataValidationError, match="gains_curve, column 'label': expected at least one responder"
    ):
        gains_curve([0, 0, 0], [0.1, 0.2, 0.3])


def test_deciles_without_ties_are_equal():
    assert np.bincount(assign_deciles(np.arange(20.0)))[1:].tolist() == [2] * 10
    # The highest score is in decile 1.
    assert assign_deciles(np.arange(20.0))[-1] == 1 and assign_deciles(np.arange(20.0))[0] == 10


def test_deciles_of_25_customers_by_hand():
    # Slot middles (r - 0.5) / 25 * 10 for r = 1..25, floored, plus one.
    expected = [1 + int(np.floor(10 * (r - 0.5) / 25)) for r in range(1, 26)]
    scores = np.arange(25.0)[::-1]  # rank r has score 25 - r
    assert assign_deciles(scores).tolist() == expected
    assert np.bincount(expected)[1:].tolist() == [2, 3, 2, 3, 2, 3, 2, 3, 2, 3]


def test_assign_deciles_refuses_bad_n_bins():
    with pytest.raises(ValueError, match="n_bins: expected a positive whole number, found 0"):
        assign_deciles([0.1, 0.2], 0)


def test_decile_table_with_ties_and_more_deciles_than_distinct_scores():
    # Eight customers, three distinct scores, ten deciles.
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    s = [0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1]
    table = decile_table(y, s, n_bins=10).set_index("decile")
    assert table.index.tolist() == list(range(1, 11))
    # Group 0.9 occupies slots (0, 2]: middle 1 -> decile 1 + floor(10/8) = 2.
    # Group 0.5 occupies (2, 6]: middle 4 -> decile 6. Group 0.1 (6, 8]: middle 7 -> decile 9.
    assert table["customers"].tolist() == [0, 2, 0, 0, 0, 4, 0, 0, 2, 0]
    assert table["responders"].tolist() == [0, 2, 0, 0, 0, 1, 0, 0, 0, 0]
    overall = 3 / 8
    assert table.loc[2, "response_rate_pct"] == pytest.approx(100.0)
    assert table.loc[2, "lift"] == pytest.approx(1 / overall)
    assert table.loc[6, "lift"] == pytest.approx(0.25 / overall)
    assert table.loc[9, "lift"] == 0
    assert table.loc[6, "cumulative_customers"] == 6 and table.loc[6, "cumulative_responders"] == 3
    assert table.loc[2, "cumulative_gain_pct"] == pytest.approx(200 / 3)
    assert table.loc[6, "cumulative_gain_pct"] == pytest.approx(100.0)
    assert table.loc[6, "cumulative_lift"] == pytest.approx(0.5 / overall)
    assert table.loc[10, "cumulative_lift"] == pytest.approx(1.0)
    assert table.loc[6, "min_score"] == table.loc[6, "max_score"] == 0.5
    # Empty deciles stay, with missing rates and the cumulative values carried forward.
    assert np.isnan(table.loc[1, "response_rate_pct"]) and np.isnan(table.loc[1, "cumulative_lift"])
    assert table.loc[4, "cumulative_customers"] == 2 and table.loc[
        4, "cumulative_gain_pct"
    ] == pytest.approx(200 / 3)
    assert np.isnan(table.loc[4, "lift"])


def test_decile_table_totals_add_up_on_random_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 503)
    s = np.round(rng.random(503), 2)  # many ties
    table = decile_table(y, s)
    assert table["customers"].sum() == 503 and table["responders"].sum() == y.sum()
    assert table["cumulative_gain_pct"].iloc[-1] == pytest.approx(100.0)
    assert table["cumulative_lift"].iloc[-1] == pytest.approx(1.0)
    # Scores never overlap between deciles: ties are never split.
    shown = table[table["customers"] > 0]
    assert (shown["min_score"].to_numpy()[:-1] > shown["max_score"].to_numpy()[1:]).all()


def test_ks_by_hand_and_against_scipy():
    y = np.array([1, 1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # TPR - FPR at >= 0.9, 0.8, 0.7, 0.6, 0.5, 0.4: 1/3, 2/3, 1/3, 2/3, 1/3, 0.
    result = ks_statistic(y, s)
    assert result["ks"] == pytest.approx(2 / 3)
    assert result["threshold"] == 0.8
    assert result["ks"] == pytest.approx(ks_2samp(s[y == 1], s[y == 0]).statistic)


def test_ks_needs_both_classes():
    with pytest.raises(
        DataValidationError,
        match="needs both responders and non-responders, found 2 responders among 2",
    ):
        ks_statistic([1, 1], [0.2, 0.4])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    s = y * 0.3 + rng.random(300)
    first = bootstrap_metrics(y, s, n_boot=60, seed=11)
    again = bootstrap_metrics(y, s, n_boot=60, seed=11)
    other = bootstrap_metrics(y, s, n_boot=60, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first[["low", "high"]].equals(other[["low", "high"]])
    assert first["metric"].tolist() == ["auc", "pr_auc", "top_decile_lift"]
    assert first.loc[0, "estimate"] == pytest.approx(roc_auc_score(y, s))
    assert (first["low"] < first["estimate"]).all() and (first["estimate"] < first["high"]).all()
    assert (first["n_boot"] == 60).all() and (first["n_skipped"] == 0).all()


def test_bootstrap_width_matches_normal_theory_for_a_proportion():
    # For the response rate the bootstrap CI should match p +- 1.96 sqrt(p (1 - p) / n).
    rng = np.random.default_rng(5)
    y = (rng.random(2000) < 0.3).astype(int)
    result = bootstrap_metrics(
        y, np.zeros(2000), {"rate": lambda yy, ss: yy.mean()}, n_boot=1500, seed=1
    )
    p = y.mean()
    half_width = 1.959964 * np.sqrt(p * (1 - p) / 2000)
    row = result.iloc[0]
    assert row["estimate"] == pytest.approx(p)
    assert (row["high"] - row["low"]) / 2 == pytest.approx(half_width, rel=0.1)


def test_bootstrap_of_a_perfect_ranking_is_exact():
    y = np.array([0] * 20 + [1] * 20)
    result = bootstrap_metrics(y, np.arange(40.0), ["auc"], n_boot=30, seed=0)
    assert result.loc[0, ["estimate", "low", "high"]].tolist() == [1.0, 1.0, 1.0]


def test_bootstrap_refuses_when_most_resamples_have_one_class(monkeypatch):
    monkeypatch.setattr(evaluate, "_resample_indices", lambda rng, n: np.zeros(n, dtype=int))
    with pytest.raises(DataValidationError, match="10 of 10 resamples had a single class"):
        bootstrap_metrics([1, 0, 0], [0.9, 0.1, 0.2], n_boot=10)


def test_bootstrap_counts_skipped_resamples(monkeypatch):
    draws = iter([np.zeros(4, dtype=int), np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3])])
    monkeypatch.setattr(evaluate, "_resample_indices", lambda rng, n: next(draws))
    result = bootstrap_metrics([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], ["auc"], n_boot=3)
    assert result.loc[0, "n_boot"] == 2 and result.loc[0, "n_skipped"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_boot": 0}, "n_boot: expected a positive whole number"),
        ({"confidence": 1.5}, "confidence: expected a number between 0 and 1"),
        ({"metrics": ["auc", "gini"]}, r"metrics: unknown \['gini'\]"),
    ],
)
def test_bootstrap_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_metrics([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], **kwargs)


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([1, 0], [0.5], "expected as many labels as scores, found 2 and 1"),
        ([], [], "expected at least one customer, found none"),
        (
            [1, 2, 0],
            [0.1, 0.2, 0.3],
            "column 'label': expected labels 0 or 1, found 1 other values Examples: 2",
        ),
        (
            [1, 0],
            [0.1, np.nan],
            "column 'score': expected finite scores, found 1 missing or infinite",
        ),
        (
            [1, 0],
            [0.1, "high"],
            "column 'score': expected finite scores, found 1 missing or infinite Examples: 'high'",
        ),
    ],
)
def test_check_scores_errors(labels, scores, message):
    with pytest.raises(DataValidationError, match=message):
        check_scores(labels, scores, "scores.parquet")


def test_check_scores_accepts_booleans_and_does_not_mutate():
    labels = pd.Series([True, False, True])
    scores = pd.Series([0.3, 0.2, 0.1])
    y, s = check_scores(labels, scores)
    assert y.tolist() == [1, 0, 1] and s.tolist() == [0.3, 0.2, 0.1]
    assert labels.tolist() == [True, False, True]
