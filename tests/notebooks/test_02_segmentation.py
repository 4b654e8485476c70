"""02_segmentation in the ci report: the chosen k, its quality and stability, and the truth."""

from __future__ import annotations

import pandas as pd


def test_segmentation_metrics(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["segmentation"]
    # The ci data (2,000 synthetic customers) hold 5 hidden personas.
    assert metrics["n_personas"] == 5
    assert metrics["chosen_k"] == 5
    assert metrics["ari_vs_personas"] >= 0.6
    assert 0.25 < metrics["silhouette"] < 1.0
    assert metrics["stability_ari"] >= 0.9
    assert metrics["min_cluster_stability"] >= 0.85
    assert set(metrics["stability_by_k"]) == {str(k) for k in range(2, 11)}
    assert 0.0 <= metrics["gmm_agreement_ari"] <= 1.0
    assert metrics["n_customers"] == all_metrics["preprocessing"]["n_customers"]
    assert metrics["rfm_available"] is True
    assert all(scores == [1, 2, 3, 4, 5] for scores in metrics["rfm_scores_used"].values())
    assert metrics["k_reason"].startswith("k = 5:")


def test_segmentation_artifacts(ci_report):
    result, all_metrics = ci_report
    artifacts = result.report_dir / "artifacts"
    segments = pd.read_parquet(artifacts / "segments.parquet")
    assert list(segments.columns) == ["customer_id", "rfm_segment", "cluster", "cluster_name"]
    assert len(segments) == all_metrics["segmentation"]["n_customers"]
    assert segments["customer_id"].is_unique
    assert segments["customer_id"].str.startswith("cust_").all()  # pseudonymized ids only
    assert segments["rfm_segment"].notna().all()
    assert segments["cluster"].nunique() == all_metrics["segmentation"]["chosen_k"]
    profiles = pd.read_parquet(artifacts / "cluster_profiles.parquet")
    published = profiles[~profiles["suppressed"]]
    assert (published["customers"] >= all_metrics["segmentation"]["min_segment_size"]).all()
    assert profiles["customers"].sum() == len(segments)
