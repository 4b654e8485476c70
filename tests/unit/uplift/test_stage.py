"""Tests of marketing_utils.uplift.stage: the whole stage on small simulated campaigns.

The simulated campaign has the four customer types with known effects:
persuadables (x > 0.5: 5% -> 45%), sure things (x < -0.5: 60% either way),
sleeping dogs (segment "c" in between: 30% -> 5%) and lost causes (2%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.artifacts import Artifacts, to_jsonable
from marketing_utils.errors import DataValidationError
from marketing_utils.uplift.learners import make_base_learner, make_uplift_model
from marketing_utils.uplift.stage import campaign_uplift, cross_validated_qini, save_uplift

FAST = {"cv_folds": 2, "n_bootstrap": 20}


def simulated_campaign(n: int = 1200, seed: int = 0, arms: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    segment = rng.choice(np.array(["a", "b", "c"]), n)
    persuadable, sure = x > 0.5, x < -0.5
    dog = ~persuadable & ~sure & (segment == "c")
    control = np.select([sure, persuadable, dog], [0.6, 0.05, 0.3], default=0.02)
    treated = np.select([persuadable, dog], [0.45, 0.05], default=control)
    treatment = rng.integers(0, 2, n)
    response = (rng.random(n) < np.where(treatment == 1, treated, control)).astype(int)
    ids = [f"cust_{i:05d}" for i in range(n)]
    features = pd.DataFrame(
        {
            "customer_id": ids,
            "x": x,
            "noise": rng.normal(size=n),
            "age_years": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(20, 70, n)),
            "segment": segment,
        }
    )
    campaign = pd.DataFrame(
        {
            "customer_id": ids,
            "treatment": treatment,
            "response": response,
            "spend": response * rng.uniform(10, 50, n),
        }
    )
    if arms:
        # A second e-mail arm with no effect, drawn on top: the compared arm keeps its rows.
        extra = rng.random(n) < 0.3
        campaign["arm"] = np.where(campaign["treatment"] == 1, "womens", "control")
        campaign.loc[extra, "arm"] = "mens"
        campaign.loc[extra, "treatment"] = 1
    kind = np.select(
        [persuadable, sure, dog], ["persuadable", "sure_thing", "sleeping_dog"], "lost_cause"
    )
    truth = pd.DataFrame(
        {"customer_id": ids, "true_uplift": treated - control, "uplift_type": kind}
    )
    return features, campaign, truth


@pytest.fixture(scope="module")
def simulated():
    return simulated_campaign()


@pytest.fixture(scope="module")
def result(simulated):
    features, campaign, truth = simulated
    return campaign_uplift(
        features,
        campaign,
        numeric=["x", "noise", "age_years"],
        categorical=["segment"],
        truth=truth,
        seed=3,
        **FAST,
    )


def test_stage_recovers_the_persuadables(result):
    metrics = result.metrics()
    assert metrics["n_customers"] == 1200
    assert metrics["n_treated"] + metrics["n_control"] == 1200
    assert metrics["n_test"] == 360
    assert metrics["spearman_true_uplift"] > 0.4
    # Ranking by response picks the sure things (60%); ranking by uplift the persuadables.
    assert (
        metrics["true_incremental_response_policy"]
        < 0.5 * metrics["true_incremental_uplift_policy"]
    )
    assert metrics["true_incremental_difference"] == pytest.approx(
        metrics["true_incremental_uplift_policy"] - metrics["true_incremental_response_policy"]
    )
    assert metrics["uplift_at_k_over_ate"] > 1.3
    assert metrics["qini"] > 0
    assert metrics["qini_ci_low"] <= metrics["qini"] <= metrics["qini_ci_high"]
    assert metrics["top_decile_types"]["response model"]["sure_thing"] == pytest.approx(
        result.composition.query("ranking == 'response model' and group == 'sure_thing'")[
            "share"
        ].iloc[0]
    )
    composition = result.composition.set_index(["ranking", "group"])["customers"]
    assert composition[("response model", "sure_thing")] > 20  # of the top 36
    assert composition[("uplift model", "persuadable")] > 20


def test_best_model_is_chosen_by_cross_validation(result):
    scores = result.model_scores.set_index("model")
    assert result.best_model == scores["cv_qini_mean"].idxmax()
    assert set(scores.index) == {"s_learner", "t_learner", "class_transformation", "x_learner"}
    np.testing.assert_array_equal(
        result.scored["uplift"], result.scored[f"uplift_{result.best_model}"]
    )
    metrics = result.metrics()
    assert metrics["qini"] == scores.loc[result.best_model, "qini"]
    assert set(metrics["models"]) == set(scores.index)


def test_stage_tables_are_consistent(result):
    assert result.deciles["n_customers"].sum() == pytest.approx(360)
    assert len(result.deciles) == 10
    assert len(result.scored) == 360
    policies = result.policies.set_index(["policy", "share_contacted"])
    everyone = policies.loc[("everyone", 1.0)]
    assert everyone["n_contacted"] == 360
    ate_test = result.metrics()["ate_test"]
    assert everyone["incremental_responses"] == pytest.approx(360 * ate_test)
    assert result.effects["response"]["n_treated"] == result.sizes["n_treated"]
    assert "spend" in result.effects
    assert result.balance["feature"].str.startswith("segment=").sum() == 3


def test_stage_is_deterministic_for_a_seed(simulated, result):
    features, campaign, truth = simulated
    again = campaign_uplift(
        features,
        campaign,
        numeric=["x", "noise", "age_years"],
        categorical=["segment"],
        truth=truth,
        seed=3,
        **FAST,
    )
    # (via JSON types: a metric may be nan, which never equals itself)
    assert to_jsonable(again.metrics()) == to_jsonable(result.metrics())
    other = campaign_uplift(
        features, campaign, numeric=["x"], categorical=[], truth=truth, seed=4, **FAST
    )
    assert other.metrics()["qini"] != result.metrics()["qini"]


def test_stage_without_truth_and_with_arms():
    features, campaign, _ = simulated_campaign(900, seed=1, arms=True)
    result = campaign_uplift(
        features,
        campaign,
        numeric=["x", "noise", "arm", "treatment"],  # outcome and assignment columns are ignored
        categorical=["segment", "arm"],
        arm="womens",
        models=("t_learner",),
        **FAST,
    )
    metrics = result.metrics()
    n_compared = int(campaign["arm"].isin(["womens", "control"]).sum())
    assert metrics["n_customers"] == n_compared
    assert metrics["arm"] == "womens"
    assert "spearman_true_uplift" not in metrics and result.composition is None
    assert set(result.arms["arm"]) == {"mens", "womens"}
    assert not result.balance["feature"].str.startswith("arm").any()
    assert result.best_model == "t_learner"


def test_small_test_parts_get_fewer_bins():
    features, campaign, _ = simulated_campaign(400, seed=2)
    result = campaign_uplift(
        features, campaign, numeric=["x"], categorical=[], models=("t_learner",), **FAST
    )
    # 120 test customers, at least 2 x 10 per bin: 6 bins of 20.
    assert result.deciles["n_customers"].tolist() == [20.0] * 6


def test_save_uplift_writes_every_artifact(result, tmp_path):
    store = Artifacts(tmp_path)
    written = save_uplift(result, store)
    assert "uplift_scores" in written and "uplift_summary" in written
    scores = store.load("uplift_scores")
    assert {"customer_id", "uplift", "propensity", "true_uplift"} <= set(scores.columns)
    assert store.load("uplift_summary")["best_model"] == result.best_model


def test_cross_validated_qini_returns_one_score_per_fold(simulated):
    features, campaign, truth = simulated
    table = features.merge(campaign, on="customer_id")
    model = make_uplift_model("t_learner", make_base_learner("logistic_regression"))
    scores = cross_validated_qini(model, table, numeric=["x"], categorical=["segment"], folds=3)
    assert scores.shape == (3,)
    assert (scores > 0).all()  # x alone separates persuadables from sure things


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"test_size": 1.5}, "test_size: expected a share"),
        ({"cv_folds": 1}, "cv_folds: expected an integer >= 2"),
        ({"top_share": 0}, "top_share: expected a share"),
        ({"n_bootstrap": 1}, "n_bootstrap: expected an integer >= 2"),
        ({"models": ()}, "models: expected at least one model"),
        ({"models": ("q_learner",)}, "models: expected names from"),
        ({"base_learner": "svm"}, "base_learner: expected one of"),
        ({"min_group_size": 0}, "min_group_size: expected an integer >= 1"),
    ],
)
def test_settings_are_checked(simulated, setting, message):
    features, campaign, _ = simulated
    arguments = {"numeric": ["x"], "categorical": [], **FAST, **setting}
    with pytest.raises(DataValidationError, match=message):
        campaign_uplift(features, campaign, **arguments)


@pytest.mark.datasets
def test_hillstrom_targets(datasets_dir):
    """Issue 7's targets on Hillstrom (women's e-mail against no e-mail, response = visit)."""
    from marketing_utils.datasets.public import load_hillstrom
    from marketing_utils.preprocess.stage import preprocess

    prepared = preprocess(load_hillstrom(datasets_dir / "hillstrom.csv", response="visit"))
    result = campaign_uplift(
        prepared.features,
        prepared.clean.campaign,
        numeric=prepared.info["numeric_features"],
        categorical=prepared.info["categorical_features"],
        arm="womens",
        seed=42,
    )
    metrics = result.metrics()
    assert metrics["n_customers"] == 21_387 + 21_306
    assert metrics["qini"] > 0 and metrics["qini_ci_low"] > 0
    assert metrics["uplift_at_k_over_ate"] >= 1.3
