"""RFM scores and segments (marketing_utils.segment.rfm), pinned by hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.rfm import (
    DEFAULT_SEGMENT_ACTIONS,
    DEFAULT_SEGMENT_MAP,
    RFMScoreWarning,
    assign_rfm_segments,
    quantile_scores,
    rfm_scores,
    rfm_segment_summary,
    validate_segment_map,
)


def _customers(days, orders, spend) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(days))],
            "days_since_last_purchase": days,
            "n_orders": orders,
            "total_spend": spend,
        }
    )


# --- quantile_scores ---------------------------------------------------------------------


def test_ten_distinct_values_fall_two_per_score():
    assert quantile_scores(pd.Series(range(1, 11))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_reverse_gives_the_smallest_values_the_top_score():
    assert quantile_scores(pd.Series(range(1, 11)), reverse=True).tolist() == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1
    ]  # fmt: skip


def test_tied_values_share_a_score_and_every_score_is_still_used():
    # Sorted distinct values 1..7 with counts 4,1,1,1,1,1,1 (cumulative 4,5,6,7,8,9,10).
    # Quantile targets 2,4,6,8: the first cut can only fall after the four 1s (cum 4),
    # the second must leave score 2 at least one value (value 2, cum 5), the third hits
    # cum 6 exactly (value 3) and the fourth cum 8 exactly (value 5).
    values = pd.Series([1, 1, 1, 1, 2, 3, 4, 5, 6, 7])
    assert quantile_scores(values).tolist() == [1, 1, 1, 1, 2, 3, 4, 4, 5, 5]


def test_heavy_ties_at_one_order_keep_all_five_scores():
    # 40% one-time buyers: distinct 1,2,3,4,5,9 with counts 4,2,1,1,1,1 (cum 4,6,7,8,9,10).
    # Cuts: after 1 (forced), after 2 (cum 6), after 3 (cum 7), after 4 (cum 8 = target).
    values = pd.Series([1, 1, 1, 1, 2, 2, 3, 4, 5, 9])
    assert quantile_scores(values).tolist() == [1, 1, 1, 1, 2, 2, 3, 4, 5, 5]


def test_a_cut_equally_far_from_two_boundaries_goes_to_the_lower_one():
    # Counts 1,2,1,... (cum 1,3,4,...): the first target 2 is 1 away from both cum 1 and
    # cum 3, so the cut falls after the first value; later targets 4, 6, 8 hit exactly.
    values = pd.Series([10, 20, 20, 30, 40, 50, 60, 70, 80, 90])
    assert quantile_scores(values).tolist() == [1, 2, 2, 2, 3, 3, 4, 4, 5, 5]


def test_scores_do_not_depend_on_row_order():
    values = pd.Series([5.0, 1.0, 3.0, 3.0, 9.0, 2.0, 7.0, 7.0, 4.0, 8.0])
    shuffled = values.sample(frac=1.0, random_state=3)
    expected = quantile_scores(values)
    assert quantile_scores(shuffled).sort_index().tolist() == expected.tolist()


def test_a_constant_column_scores_three_with_a_warning():
    with pytest.warns(RFMScoreWarning, match=r"'x' has 1 distinct value.*only scores \[3\]"):
        scores = quantile_scores(pd.Series([4.0, 4.0, 4.0], name="x"))
    assert scores.tolist() == [3, 3, 3]


def test_two_distinct_values_use_their_mid_rank_percentiles():
    # Value 0 covers ranks 1-3 of 4: mid-rank percentile (3 - 1.5) / 4 = 0.375 -> 1 + floor(1.875) = 2.
    # Value 1 covers rank 4: (4 - 0.5) / 4 = 0.875 -> 1 + floor(4.375) = 5.
    with pytest.warns(RFMScoreWarning, match=r"only scores \[2, 5\]"):
        scores = quantile_scores(pd.Series([0, 0, 0, 1], name="n_orders"))
    assert scores.tolist() == [2, 2, 2, 5]


# --- rfm_scores ------------------------------------------------------------------------------


def test_rfm_scores_of_five_customers_and_their_segments():
    table = _customers([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [50.0, 40.0, 30.0, 20.0, 10.0])
    scores = rfm_scores(table)
    assert scores["r_score"].tolist() == [5, 4, 3, 2, 1]
    assert scores["f_score"].tolist() == [1, 2, 3, 4, 5]
    assert scores["m_score"].tolist() == [5, 4, 3, 2, 1]
    assert scores["rfm_code"].tolist() == ["515", "424", "333", "242", "151"]
    named = assign_rfm_segments(scores)
    assert named["rfm_segment"].tolist() == [
        "new",
        "potential loyalists",
        "need attention",
        "at risk",
        "can't lose",
    ]
    assert named["customer_id"].tolist() == ["c0", "c1", "c2", "c3", "c4"]


def test_rfm_scores_do_not_modify_the_input():
    table = _customers([1, 2, 3], [1, 1, 2], [5.0, 6.0, 7.0])
    before = table.copy()
    with pytest.warns(RFMScoreWarning):
        rfm_scores(table)
    pd.testing.assert_frame_equal(table, before)


def test_tiny_data_spreads_three_customers_over_scores_one_three_five():
    # Three distinct values: mid-rank percentiles 1/6, 3/6, 5/6 -> 1 + floor(5 p) = 1, 3, 5.
    table = _customers([1, 2, 3], [1, 2, 3], [10.0, 20.0, 30.0])
    with pytest.warns(RFMScoreWarning, match=r"only scores \[1, 3, 5\] are used"):
        scores = rfm_scores(table)
    assert scores["r_score"].tolist() == [5, 3, 1]  # fewest days since the last purchase first
    assert scores["f_score"].tolist() == [1, 3, 5]
    assert scores["m_score"].tolist() == [1, 3, 5]


def test_a_single_customer_cannot_be_ranked():
    with pytest.raises(DataValidationError, match="at least 2 customers.*found 1"):
        rfm_scores(_customers([3], [2], [10.0]))


def test_a_missing_rfm_column_is_named():
    table = _customers([1, 2], [1, 2], [1.0, 2.0]).drop(columns="total_spend")
    with pytest.raises(DataValidationError, match="monetary: 'total_spend'"):
        rfm_scores(table)


def test_missing_or_negative_values_are_refused_with_examples():
    table = _customers([1, 2, 3], [1, np.nan, 2], [1.0, 2.0, 3.0])
    with pytest.raises(DataValidationError, match="column 'n_orders'.*1 missing or negative"):
        rfm_scores(table)
    table = _customers([1, 2, 3], [1, 2, 2], [1.0, -2.0, 3.0])
    with pytest.raises(DataValidationError, match=r"total_spend.*Examples: -2\.0"):
        rfm_scores(table)


def test_a_non_numeric_rfm_column_is_refused():
    table = _customers([1, 2], [1, 2], [1.0, 2.0]).assign(n_orders=["one", "two"])
    with pytest.raises(DataValidationError, match="expected numbers for frequency"):
        rfm_scores(table)


# --- the segment map -------------------------------------------------------------------------


def test_the_default_map_covers_every_rf_code_once_and_every_segment_has_an_action():
    compiled = validate_segment_map(DEFAULT_SEGMENT_MAP)
    codes = [f"{r}{f}" for r in range(1, 6) for f in range(1, 6)]
    owners = [sum(bool(p.fullmatch(code)) for p in compiled.values()) for code in codes]
    assert owners == [1] * 25
    assert set(DEFAULT_SEGMENT_ACTIONS) == set(DEFAULT_SEGMENT_MAP)
    assert len(DEFAULT_SEGMENT_MAP) == 10


def test_a_map_leaving_codes_out_is_refused_naming_them():
    with pytest.raises(DataValidationError, match=r"in no segment: \['55'\]"):
        validate_segment_map({"most": "[1-5][1-4]|[1-4]5"})


def test_a_map_with_overlapping_segments_is_refused_naming_the_codes():
    with pytest.raises(DataValidationError, match=r"several segments: \{'11': \['a', 'b'\]\}"):
        validate_segment_map({"a": "[1-5][1-5]", "b": "11"})


def test_an_invalid_pattern_or_an_empty_map_is_refused():
    with pytest.raises(DataValidationError, match="segment 'x': invalid regular expression"):
        validate_segment_map({"x": "[1-"})
    with pytest.raises(DataValidationError, match="non-empty mapping"):
        validate_segment_map({})


def test_a_custom_map_from_params_is_used():
    scores = pd.DataFrame({"rf_code": ["11", "35", "53"]})
    custom = {"cold": "[1-2][1-5]", "warm": "3[1-5]", "hot": "[4-5][1-5]"}
    assert assign_rfm_segments(scores, custom)["rfm_segment"].tolist() == ["cold", "warm", "hot"]


# --- the summary ---------------------------------------------------------------------------


def test_segment_summary_merges_segments_below_the_size_floor():
    rfm = pd.DataFrame(
        {
            "rfm_segment": ["champions"] * 4 + ["hibernating"] * 3 + ["new"] * 1 + ["promising"],
            "recency_days": [1, 2, 3, 4, 300, 400, 500, 5, 20],
            "frequency": [10, 12, 8, 10, 1, 1, 1, 1, 1],
            "monetary": [100.0, 120.0, 80.0, 100.0, 5.0, 5.0, 5.0, 10.0, 20.0],
        }
    )
    summary = rfm_segment_summary(rfm, min_size=3).set_index("rfm_segment")
    # Default-map order: champions, new, promising, hibernating; new (1) and promising (1) merge.
    assert list(summary.index) == ["champions", "hibernating", "other (small groups)"]
    assert summary.loc["champions", "customers"] == 4
    assert summary.loc["champions", "revenue"] == pytest.approx(400.0)
    assert summary.loc["champions", "mean_recency_days"] == pytest.approx(2.5)
    assert summary.loc["champions", "share_revenue"] == pytest.approx(400 / 445)
    # The merged row holds 2 customers, below the floor of 3: its numbers are blanked.
    assert bool(summary.loc["other (small groups)", "suppressed"]) is True
    assert np.isnan(summary.loc["other (small groups)", "customers"])
    assert summary.loc["hibernating", "action"] == DEFAULT_SEGMENT_ACTIONS["hibernating"]
