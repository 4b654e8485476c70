"""Value tiers, the Lorenz curve, at-risk customers, segments and targeting priced in CLV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.clv.tiers import (
    at_risk,
    clv_by_segment,
    clv_priced_targeting,
    gini,
    lorenz_curve,
    targeting_table,
    tier_labels,
    value_tiers,
)
from marketing_utils.errors import DataValidationError

FRAME = pd.DataFrame({
    "customer_id": list("abcdefghij"),
    "clv": np.arange(10, 0, -1, dtype=float),
    "spend_holdout": [5.0, 0, 3, 0, 0, 1, 0, 0, 1, 0],
    "p_alive": [0.9, 0.2, 0.3, 0.8, 0.1, 0.9, 0.4, 0.9, 0.9, 0.9],
    "past_value": [100.0, 90, 80, 10, 70, 5, 5, 5, 5, 5],
})  # fmt: skip


def test_value_tiers_by_hand():
    tiers = value_tiers(FRAME)
    assert tiers["tier"].tolist() == ["top 20%", "next 30%", "bottom 50%"]
    assert tiers["customers"].tolist() == [2, 3, 5]
    np.testing.assert_allclose(tiers["share_actual"], [0.5, 0.3, 0.2])
    np.testing.assert_allclose(tiers["share_predicted"], [19 / 55, 21 / 55, 15 / 55])
    assert (
        tier_labels(FRAME["clv"].to_numpy()).tolist()
        == ["top 20%"] * 2 + ["next 30%"] * 3 + ["bottom 50%"] * 5
    )


def test_lorenz_curve_by_hand():
    curve = lorenz_curve(FRAME, points=11).set_index("share_customers")
    assert curve.loc[0.2, "by_prediction"] == pytest.approx(0.5)
    assert curve.loc[0.2, "best"] == pytest.approx(0.8)  # 5 + 3 of 10
    assert curve["by_prediction"].iloc[-1] == pytest.approx(1.0)
    with pytest.raises(DataValidationError, match="positive total"):
        lorenz_curve(FRAME.assign(spend_holdout=0.0))


def test_gini():
    assert gini(np.ones(5)) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)


def test_at_risk_by_hand():
    # past value at or above the 0.75 quantile (77.5): a, b, c; with p_alive < 0.5: b, c
    risky = at_risk(FRAME, value_quantile=0.75, p_alive_below=0.5)
    assert risky["customer_id"].tolist() == ["b", "c"]
    with pytest.raises(ValueError, match="p_alive_below: expected a number between 0 and 1"):
        at_risk(FRAME, p_alive_below=2)


def test_clv_by_segment_merges_small_groups():
    segments = pd.DataFrame(
        {"customer_id": list("abcdefghi"), "rfm_segment": ["gold"] * 4 + ["silver"] * 4 + ["tin"]}
    )
    joined, summary = clv_by_segment(FRAME, segments, segment_column="rfm_segment", min_customers=3)
    assert joined.loc[joined["customer_id"] == "j", "rfm_segment"].item() == "unsegmented"
    rows = summary.set_index("rfm_segment")
    assert rows.loc["gold", "customers"] == 4 and rows.loc["gold", "mean_clv"] == pytest.approx(8.5)
    assert "tin" not in rows.index and "unsegmented" not in rows.index  # 1 customer each: merged
    # the merged group has 2 customers, itself under 3: its numbers are suppressed
    assert np.isnan(rows.loc["other (small groups)", "customers"])
    assert rows["customers"].sum() == 8
    with pytest.raises(DataValidationError, match="rfm_segment"):
        clv_by_segment(
            FRAME,
            segments.drop(columns="rfm_segment"),
            segment_column="rfm_segment",
            min_customers=3,
        )


def test_targeting_priced_in_lifetime_value_by_hand():
    scores = pd.DataFrame({"customer_id": ["a", "b", "c"], "score": [0.5, 0.1, 0.2]})
    value = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [1.0, 20.0, 4.0]})
    # fixed: p * 10 >= 1 for all three; priced: p * CLV = 0.5, 2, 0.8: only b
    # net values: fixed 0.5 + 2 + 0.8 - 3 = 0.3; priced 2 - 1 = 1.0; gain 0.7 = 233% of 0.3
    out = clv_priced_targeting(scores, value, cost_per_contact=1.0, value_per_conversion=10.0)
    assert out == {
        "n_scored": 3,
        "contacted_fixed": 3,
        "contacted_clv": 1,
        "overlap": 1,
        "expected_clv_fixed": pytest.approx(0.3),
        "expected_clv_priced": pytest.approx(1.0),
        "extra_contacts": -2,
        "gain": pytest.approx(0.7),
        "relative_gain": pytest.approx(0.7 / 0.3),
        "material": True,
        "material_gain": 0.01,
    }


def test_a_gain_below_the_material_share_is_negligible():
    # fixed contacts a (p*10 = 5 >= 1) and b (p*10 = 1 >= 1): net 0.5*100 + 0.1*2 - 2 = 48.2
    # priced contacts a and c (p*CLV = 50, 0.1*2 = 0.2 < 1, 0.02*60 = 1.2): 50 + 1.2 - 2 = 49.2
    scores = pd.DataFrame({"customer_id": ["a", "b", "c"], "score": [0.5, 0.1, 0.02]})
    value = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [100.0, 2.0, 60.0]})
    out = clv_priced_targeting(scores, value, cost_per_contact=1.0, value_per_conversion=10.0)
    assert out["expected_clv_fixed"] == pytest.approx(48.2)
    assert out["expected_clv_priced"] == pytest.approx(49.2)
    assert out["gain"] == pytest.approx(1.0) and out["extra_contacts"] == 0
    assert out["relative_gain"] == pytest.approx(1.0 / 48.2)  # 2.1%
    assert out["material"] is True  # above the default 1%
    strict = clv_priced_targeting(
        scores, value, cost_per_contact=1.0, value_per_conversion=10.0, material_gain=0.05
    )
    assert strict["material"] is False and strict["material_gain"] == 0.05
    with pytest.raises(ValueError, match="material_gain"):
        clv_priced_targeting(
            scores, value, cost_per_contact=1.0, value_per_conversion=10.0, material_gain=1.5
        )


def test_targeting_table_shows_both_rules_and_the_difference():
    priced = {
        "contacted_fixed": 4,
        "contacted_clv": 5,
        "expected_clv_fixed": 100.0,
        "expected_clv_priced": 110.0,
    }
    table = targeting_table(priced)
    assert table.index.tolist() == [
        "fixed value per conversion (04)",
        "priced in lifetime value",
        "difference (priced - fixed)",
    ]
    assert table["contacts"].tolist() == [4, 5, 1]
    assert table["expected_net_value"].tolist() == [100.0, 110.0, 10.0]
    assert table["value_per_contact"].tolist() == [25.0, 22.0, -3.0]
    empty = targeting_table({**priced, "contacted_clv": 0, "expected_clv_priced": 0.0})
    assert np.isnan(empty.loc["priced in lifetime value", "value_per_contact"])
