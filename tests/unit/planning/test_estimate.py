"""Calibration of per-offer uplift on the randomized outcome, pinned by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.planning import calibrate_uplift, offer_uplift, uplift_models


def test_calibration_maps_score_bands_to_their_uplift_by_hand():
    # Treated share 1/2: z = 2y for treated, -2y for control.
    # Band 0.1 (rows 0-3): treated y = 1, 0; control y = 1, 0 -> mean z = (2 + 0 - 2 - 0) / 4 = 0.
    # Band 0.9 (rows 4-7): treated y = 1, 1; control y = 0, 1 -> mean z = (2 + 2 - 0 - 2) / 4 = 0.5.
    score = np.array([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9])
    treated = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    response = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    out = calibrate_uplift(
        score, treated, response, fit_rows=np.arange(8), apply_rows=np.array([0, 4, 5])
    )
    np.testing.assert_allclose(out, [0.0, 0.5, 0.5])


def test_calibration_pools_a_noisy_inversion_and_clips():
    # Scores 0.2 < 0.5 but the z means are 1.0 and -1.0 (treated share 1/2): isotonic pools
    # them to 0.0; a score above the fitted range takes the last value (clip), below the first.
    score = np.array([0.2, 0.2, 0.5, 0.5])
    treated = np.array([1, 0, 1, 0], dtype=bool)
    response = np.array([1, 0, 0, 1])  # z = 2, 0, 0, -2
    out = calibrate_uplift(
        np.array([0.2, 0.2, 0.5, 0.5, 0.9, -1.0]),
        np.r_[treated, False, False],
        np.r_[response, 0, 0],
        fit_rows=np.arange(4),
        apply_rows=np.array([0, 2, 4, 5]),
    )
    np.testing.assert_allclose(out, [0.0, 0.0, 0.0, 0.0])
    assert score.tolist() == [0.2, 0.2, 0.5, 0.5]  # input untouched


def test_calibration_needs_both_groups():
    with pytest.raises(DataValidationError, match="treated and control"):
        calibrate_uplift(
            np.array([0.1, 0.2]),
            np.array([True, True]),
            np.array([1, 0]),
            fit_rows=np.arange(2),
            apply_rows=np.arange(2),
        )


def test_uplift_models_reads_one_name_a_plus_joined_ensemble_or_a_list():
    assert uplift_models("x_learner") == ["x_learner"]
    assert uplift_models("x_learner + s_learner") == ["x_learner", "s_learner"]
    assert uplift_models(("t_learner", "class_transformation")) == [
        "t_learner",
        "class_transformation",
    ]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("x_learner+forest", "expected names from"),
        ("", "expected names from"),
        ([], "expected names from"),
        ("s_learner+s_learner", "at most once"),
        ([1], "expected learner names"),
    ],
)
def test_uplift_models_rejects_unknown_empty_or_repeated_names(model, message):
    with pytest.raises(DataValidationError, match=message) as caught:
        uplift_models(model)
    assert "campaign_planning.model" in str(caught.value)


def _small_campaign(n=240, seed=3):
    # Two features; the e-mail lifts customers with x1 > 0 by 0.4, the coupon lifts everyone by
    # 0.2; base response 0.2. Arms in equal thirds.
    rng = np.random.default_rng(seed)
    ids = [f"c{i:04d}" for i in range(n)]
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    arm = np.array(["control", "email", "coupon"] * (n // 3), dtype=object)
    p = 0.2 + np.where(arm == "email", 0.4 * (x1 > 0), 0.0) + np.where(arm == "coupon", 0.2, 0.0)
    features = pd.DataFrame({"customer_id": ids, "x1": x1, "x2": x2})
    campaign = pd.DataFrame(
        {"customer_id": ids, "arm": arm, "response": (rng.random(n) < p).astype(int)}
    )
    return features, campaign


@pytest.mark.parametrize("calibrate", [False, True])
def test_an_ensemble_is_the_mean_of_its_learners_on_the_same_folds(calibrate):
    features, campaign = _small_campaign()
    kwargs = {
        "numeric": ["x1", "x2"],
        "categorical": [],
        "base_learner": "logistic_regression",
        "folds": 3,
        "calibrate": calibrate,
        "seed": 0,
    }
    before = (features.copy(), campaign.copy())
    both, offers = offer_uplift(features, campaign, model="s_learner+t_learner", **kwargs)
    alone = [
        offer_uplift(features, campaign, model=m, **kwargs)[0] for m in ("s_learner", "t_learner")
    ]
    assert offers == ["coupon", "email"]
    for offer in offers:
        column = f"uplift_{offer}"
        np.testing.assert_allclose(
            both[column], (alone[0][column] + alone[1][column]) / 2, rtol=0, atol=1e-12
        )
        assert not np.allclose(alone[0][column], alone[1][column])  # the learners do differ
    # The propensity (response model) does not depend on the uplift learners.
    np.testing.assert_allclose(both["propensity"], alone[0]["propensity"])
    pd.testing.assert_frame_equal(features, before[0])
    pd.testing.assert_frame_equal(campaign, before[1])
