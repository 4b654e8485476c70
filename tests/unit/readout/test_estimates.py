"""Treated against holdout: Wilson, Newcombe and Wald intervals pinned to hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from marketing_utils.readout.estimates import (
    effect_table,
    newcombe_interval,
    stratified_newcombe_interval,
    wald_difference_interval,
    wilson_interval,
)


def test_wilson_interval_matches_newcombe_1998():
    # Newcombe (1998), Table I: 56/70 has the Wilson interval 0.6918 to 0.8770.
    low, high = wilson_interval(56, 70)
    assert (round(float(low), 4), round(float(high), 4)) == (0.6918, 0.877)
    # Zero successes: the lower bound is 0 and the upper bound z^2 / (n + z^2).
    low, high = wilson_interval(0, 29)
    z2 = 1.959963984540054**2
    assert float(low) == 0.0
    assert float(high) == pytest.approx(z2 / (29 + z2))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Table II, method 10 (hybrid score without continuity correction).
        ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
        ((5, 56, 0, 29), (5 / 56, -0.0381, 0.1926)),
    ],
)
def test_newcombe_interval_matches_the_published_examples(counts, expected):
    d, low, high = newcombe_interval(*counts)
    assert float(d) == pytest.approx(expected[0])
    assert round(float(low), 4) == expected[1]
    assert round(float(high), 4) == expected[2]


def test_newcombe_interval_equals_statsmodels_elementwise():
    x1, n1 = np.array([56, 9, 5, 120, 3]), np.array([70, 10, 56, 1000, 400])
    x2, n2 = np.array([48, 3, 0, 90, 7]), np.array([80, 10, 29, 1000, 100])
    _, low, high = newcombe_interval(x1, n1, x2, n2, confidence=0.9)
    for i in range(len(x1)):
        ref = confint_proportions_2indep(
            x1[i], n1[i], x2[i], n2[i], method="newcomb", compare="diff", alpha=0.1
        )
        assert (low[i], high[i]) == pytest.approx(ref, abs=1e-12)


def test_wald_difference_interval_by_hand():
    # d = 5 - 3 = 2, se = sqrt(4/100 + 9/100) = 0.360555, z = 1.959964
    d, low, high = wald_difference_interval(5.0, 4.0, 100, 3.0, 9.0, 100)
    assert float(d) == 2.0
    assert float(low) == pytest.approx(2 - 1.959964 * 0.360555, abs=1e-5)
    assert float(high) == pytest.approx(2 + 1.959964 * 0.360555, abs=1e-5)
    # Fewer than two customers in a group: no variance, no interval.
    _, low, _ = wald_difference_interval(5.0, 0.0, 1, 3.0, 9.0, 100)
    assert np.isnan(low)


def _joined() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "treatment": [1, 1, 1, 1, 0, 0, 0, 0],
            "converted": [1, 1, 0, 0, 1, 0, 0, 0],
            "revenue": [10.0, 20.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0],
            "decile": [1, 1, 2, 2, 1, 1, 2, 2],
        }
    )


def test_effect_table_overall_by_hand():
    row = effect_table(_joined()).loc["all"]
    assert (row["treated"], row["holdout"], row["customers"]) == (4, 4, 8)
    assert row["treated_rate"] == 0.5 and row["holdout_rate"] == 0.25
    assert row["incremental_rate"] == 0.25
    _, low, high = newcombe_interval(2, 4, 1, 4)
    assert (row["ci_low"], row["ci_high"]) == (float(low), float(high))
    # Revenue: treated 10, 20, 0, 0 (mean 7.5, variance 275/3), holdout 10, 0, 0, 0 (2.5, 25).
    assert row["incremental_revenue_per_contact"] == 5.0
    se = np.sqrt(275 / 3 / 4 + 25 / 4)
    assert row["revenue_ci_low"] == pytest.approx(5 - 1.959964 * se, abs=1e-5)
    assert row["incremental_conversions"] == 1.0  # 0.25 per contact x 4 contacted
    assert row["incremental_revenue"] == 20.0


def test_effect_table_by_group_by_hand():
    table = effect_table(_joined(), "decile")
    assert table.index.name == "decile"
    # Decile 1: treated 2/2, holdout 1/2; decile 2: treated 0/2, holdout 0/2.
    assert table.loc[1, "incremental_rate"] == 0.5
    assert table.loc[2, "incremental_rate"] == 0.0
    assert table["customers"].sum() == 8
    # The input is not changed.
    assert list(_joined().columns) == ["treatment", "converted", "revenue", "decile"]


def test_stratified_newcombe_by_hand():
    # Stratum A: treated 5/10, holdout 2/10; stratum B: treated 3/30, holdout 1/10.
    # Weights 20/60 and 40/60: p_T = 0.5/3 + 0.2/3 = 0.23333, p_C = 0.2/3 + 0.2/3 = 0.13333.
    # V_T = (1/9)(0.25/10) + (4/9)(0.09/30) = 0.0041111 -> n_eff = 0.23333 x 0.76667 / V_T = 43.514
    # V_C = (1/9)(0.16/10) + (4/9)(0.09/10) = 0.0057778 -> n_eff = 0.13333 x 0.86667 / V_C = 20.0
    d, low, high = stratified_newcombe_interval([[5, 3]], [[10, 30]], [[2, 1]], [[10, 10]])
    assert float(d[0]) == pytest.approx(0.1)
    n_t, n_c = 0.23333333 * 0.76666667 / 0.00411111, 0.13333333 * 0.86666667 / 0.00577778
    assert n_t == pytest.approx(43.514, abs=1e-3) and n_c == pytest.approx(20.0, abs=1e-4)
    _, ref_low, ref_high = newcombe_interval(0.23333333 * n_t, n_t, 0.13333333 * n_c, n_c)
    assert (float(low[0]), float(high[0])) == pytest.approx(
        (float(ref_low), float(ref_high)), abs=1e-5
    )
    # One stratum is the plain Newcombe interval.
    one = stratified_newcombe_interval([[56]], [[70]], [[48]], [[80]])
    assert [float(v[0]) for v in one] == pytest.approx(
        [float(v) for v in newcombe_interval(56, 70, 48, 80)]
    )


def test_effect_table_with_strata():
    # The hand-worked strata above, as customers.
    rows = []
    for stratum, (xt, nt, xc, nc) in {"A": (5, 10, 2, 10), "B": (3, 30, 1, 10)}.items():
        rows += [(stratum, 1, int(i < xt), 10.0 * (i < xt)) for i in range(nt)]
        rows += [(stratum, 0, int(i < xc), 10.0 * (i < xc)) for i in range(nc)]
    joined = pd.DataFrame(rows, columns=["stratum", "treatment", "converted", "revenue"])
    row = effect_table(joined, strata="stratum").loc["all"]
    d, low, high = stratified_newcombe_interval([[5, 3]], [[10, 30]], [[2, 1]], [[10, 10]])
    assert row["stratified"]
    assert (row["incremental_rate"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (d[0], low[0], high[0])
    )
    assert row["treated_rate"] == pytest.approx(0.233333, abs=1e-6)
    assert row["incremental_revenue_per_contact"] == pytest.approx(1.0)  # 10 x the rate difference
    # Unstratified, the same customers give the pooled rates 8/40 and 3/20.
    pooled = effect_table(joined).loc["all"]
    assert pooled["incremental_rate"] == pytest.approx(8 / 40 - 3 / 20)
    assert not pooled["stratified"]
    # A group whose stratum lacks a holdout customer is compared unstratified.
    by = effect_table(
        joined.assign(part=np.where(joined["stratum"] == "B", "b", "all")), "part", strata="stratum"
    )
    assert by["stratified"].tolist() == [True, True]
    lone = joined[~((joined["stratum"] == "A") & (joined["treatment"] == 0))]
    assert not effect_table(lone, strata="stratum").loc["all", "stratified"]
