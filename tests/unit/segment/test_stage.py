"""Stage 02 in one call (marketing_utils.segment.stage.segment_customers) on small hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.segment.stage import agreement_with_truth, segment_customers

GROUPS = ("grocery", "books", "toys")


def three_groups(n_per_group: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers of three clear kinds: frequent grocery buyers, one-off book buyers, toy buyers.

    Returns the customer feature table and the truth (``customer_id``, ``persona``).
    """
    rng = np.random.default_rng(seed)
    tables = []
    settings = {
        "grocery": (10, 30, 40.0),  # days since last purchase, orders, basket
        "books": (300, 1, 12.0),
        "toys": (60, 8, 90.0),
    }
    for group, (days, orders, basket) in settings.items():
        n = n_per_group
        share = {f"share_{g}": np.full(n, 0.9 if g == group else 0.05) for g in GROUPS}
        n_orders = np.maximum(1, rng.poisson(orders, n))
        avg_basket = basket * rng.lognormal(0, 0.1, n)
        tables.append(
            pd.DataFrame(
                {
                    "days_since_last_purchase": np.maximum(1, rng.poisson(days, n)),
                    "n_orders": n_orders,
                    "avg_basket": avg_basket,
                    "total_spend": n_orders * avg_basket,
                    **share,
                    "persona": group,
                }
            )
        )
    table = pd.concat(tables, ignore_index=True)
    table["customer_id"] = [f"cust_{i:04d}" for i in range(len(table))]
    truth = table[["customer_id", "persona"]]
    return table.drop(columns="persona"), truth


FAST = {"k_values": range(2, 6), "n_bootstrap": 3, "compare_gmm": False}


@pytest.fixture(scope="module")
def synthetic_result():
    features, truth = three_groups()
    return features, truth, segment_customers(features, seed=3, **FAST)


def test_three_clear_groups_are_found_and_named(synthetic_result):
    features, truth, result = synthetic_result
    assert result.selection.chosen_k == 3
    assert agreement_with_truth(result.segments, truth) == pytest.approx(1.0)
    assert list(result.segments.columns) == [
        "customer_id",
        "rfm_segment",
        "cluster",
        "cluster_name",
    ]
    assert result.segments["customer_id"].tolist() == features["customer_id"].tolist()
    assert sorted(result.segments["cluster"].unique()) == [1, 2, 3]
    names = set(result.segments["cluster_name"])
    assert len(names) == 3
    assert {n.split(" · ")[0] for n in names} == {"grocery-heavy", "books-heavy", "toys-heavy"}


def test_metrics_report_the_choice_stability_and_truth(synthetic_result):
    _, truth, result = synthetic_result
    metrics = result.metrics(truth)
    assert metrics["chosen_k"] == 3
    assert metrics["ari_vs_personas"] == pytest.approx(1.0)
    assert metrics["n_personas"] == 3
    assert metrics["stability_ari"] == pytest.approx(1.0)
    assert metrics["min_cluster_stability"] == pytest.approx(1.0)
    assert metrics["rfm_available"] is True
    assert set(metrics["stability_by_k"]) == {2, 3, 4, 5}
    assert sum(metrics["rfm_segment_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert metrics["rfm_scores_used"]["r_score"] == [1, 2, 3, 4, 5]


def test_rfm_and_clusters_are_crossed_and_the_playbook_has_actions(synthetic_result):
    _, _, result = synthetic_result
    assert result.segments["rfm_segment"].notna().all()
    crosstab = result.crosstab()
    assert crosstab.shape[0] == 3
    playbook = result.playbook()
    assert len(playbook) == 3 and playbook["suggested_action"].notna().all()
    # The one-off book buyers, long gone, are mostly hibernating.
    books = playbook[playbook["cluster_name"].str.startswith("books-heavy")].iloc[0]
    assert books["main_rfm_segment"] == "hibernating"


def test_the_input_table_is_not_modified():
    features, _ = three_groups(n_per_group=30)
    before = features.copy()
    segment_customers(features, seed=0, **FAST)
    pd.testing.assert_frame_equal(features, before)


def test_the_same_seed_gives_the_same_segments():
    features, _ = three_groups(n_per_group=30)
    first = segment_customers(features, seed=11, **FAST)
    second = segment_customers(features, seed=11, **FAST)
    pd.testing.assert_frame_equal(first.segments, second.segments)
    assert first.metrics() == second.metrics()


def test_a_forced_number_of_clusters_is_used():
    features, _ = three_groups(n_per_group=30)
    result = segment_customers(features, seed=0, n_clusters=4, **FAST)
    assert result.selection.chosen_k == 4
    assert result.segments["cluster"].nunique() == 4


def test_clusters_below_the_size_floor_are_flagged_and_merged_when_published():
    features, _ = three_groups(n_per_group=30)
    features = features.iloc[:75]  # 30 grocery, 30 books, 15 toys
    result = segment_customers(features, seed=0, n_clusters=3, min_segment_size=20, **FAST)
    flagged = result.profiles.set_index("cluster_name")["below_min_size"]
    assert flagged.sum() == 1 and flagged[flagged].index[0].startswith("toys-heavy")
    published = result.published_profiles()
    assert published["cluster_name"].tolist()[-1] == "other (small groups)"
    # 15 customers alone are still below 20: the merged row is blanked.
    assert bool(published["suppressed"].iloc[-1]) is True
    assert result.metrics()["clusters_below_min_size"] == 1
    assert len(result.playbook()) == 2


def test_campaign_only_data_is_clustered_without_rfm():
    rng = np.random.default_rng(1)
    n = 90
    features = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "age": np.r_[rng.normal(25, 2, 45), rng.normal(60, 2, 45)],
            "newbie": np.r_[np.ones(45), np.zeros(45)],
            "history": rng.lognormal(5, 1, n),
            "response": rng.integers(0, 2, n),
        }
    )
    result = segment_customers(features, seed=0, **FAST)
    assert result.rfm is None
    assert "RFM segments need a purchase history" in result.rfm_note
    assert "days_since_last_purchase" in result.rfm_note
    assert result.segments["rfm_segment"].isna().all()
    assert result.crosstab() is None and result.rfm_summary() is None
    assert result.features.columns == ["age", "newbie", "history"]  # no outcome column
    assert result.revenue_col == "history"
    metrics = result.metrics()
    assert metrics["rfm_available"] is False and "rfm_note" in metrics
    assert "main_rfm_segment" not in result.playbook()


def test_a_single_customer_is_a_clear_error():
    features, _ = three_groups(n_per_group=1)
    with pytest.raises(DataValidationError, match="at least 2 customers.*found 1"):
        segment_customers(features.iloc[:1], seed=0, **FAST)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_segment_size": 0}, "params segmentation.min_segment_size"),
        ({"revenue_col": "margin"}, "params segmentation.revenue_column.*'margin'"),
        ({"k_values": [1, 2]}, "params segmentation.k_values"),
        ({"segment_map": {"all": "[1-4][1-5]"}}, "params segmentation.segment_map"),
    ],
)
def test_bad_parameters_are_named(change, message):
    features, _ = three_groups(n_per_group=10)
    with pytest.raises(DataValidationError, match=message):
        segment_customers(features, seed=0, **{**FAST, **change})


def test_a_table_without_customer_ids_is_refused():
    features, _ = three_groups(n_per_group=10)
    with pytest.raises(DataValidationError, match="customer_id"):
        segment_customers(features.drop(columns="customer_id"), seed=0, **FAST)


def test_agreement_with_truth_needs_common_customers():
    segments = pd.DataFrame({"customer_id": ["a", "b"], "cluster": [1, 2]})
    truth = pd.DataFrame({"customer_id": ["x", "y"], "persona": ["p", "q"]})
    with pytest.raises(DataValidationError, match="customers in common"):
        agreement_with_truth(segments, truth)
    truth = pd.DataFrame({"customer_id": ["b", "a"], "persona": ["q", "p"]})
    assert agreement_with_truth(segments, truth) == pytest.approx(1.0)
