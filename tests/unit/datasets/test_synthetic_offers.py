"""The two-offer synthetic campaign: a second arm with its own truth, every other table unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.datasets._synthetic_campaign import (
    PERSUADABLE,
    SLEEPING_DOG,
    SURE_THING,
    coupon_probabilities,
)
from marketing_utils.datasets.synthetic import make_synthetic


@pytest.fixture(scope="module")
def pair():
    return make_synthetic(600, seed=3), make_synthetic(600, seed=3, campaign_offers=2)


def test_other_tables_identical(pair):
    one, two = pair
    for name in ("customers", "transactions", "products"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    pd.testing.assert_frame_equal(one.truth, two.truth[one.truth.columns])
    assert one.defects == two.defects
    assert "arm" not in one.campaign


def test_campaign_arms_and_unchanged_email_customers(pair):
    one, two = pair
    campaign = two.campaign
    assert list(campaign.columns) == ["customer_id", "arm", "treatment", "response", "spend"]
    # The randomization to treatment is the same; the treated are split between the two offers.
    np.testing.assert_array_equal(campaign["treatment"], one.campaign["treatment"])
    assert set(campaign["arm"]) == {"control", "email", "coupon"}
    assert ((campaign["arm"] == "control") == (campaign["treatment"] == 0)).all()
    share = (campaign.loc[campaign["treatment"] == 1, "arm"] == "coupon").mean()
    assert 0.4 < share < 0.6
    # Control and e-mail customers keep exactly their single-offer responses and spend.
    same = campaign["arm"] != "coupon"
    pd.testing.assert_frame_equal(
        campaign.loc[same, ["response", "spend"]], one.campaign.loc[same, ["response", "spend"]]
    )


def test_coupon_truth_by_hand():
    kinds = np.array([PERSUADABLE, PERSUADABLE, SLEEPING_DOG, SURE_THING])
    control = np.array([0.03, 0.03, 0.40, 0.50])
    age = np.array([30.0, 50.0, 40.0, 40.0])
    # Young persuadable +0.30, older +0.40, sleeping dog -0.05, sure thing unchanged.
    np.testing.assert_allclose(coupon_probabilities(kinds, control, age), [0.33, 0.43, 0.35, 0.50])


def test_truth_columns(pair):
    _, two = pair
    truth = two.truth
    eligible = truth["acquired_before_cutoff"]
    np.testing.assert_allclose(
        truth.loc[eligible, "true_uplift_coupon"],
        truth.loc[eligible, "p_response_coupon"] - truth.loc[eligible, "p_response_control"],
    )
    np.testing.assert_array_equal(truth["true_uplift_email"], truth["true_uplift"])


def test_bad_offer_count():
    with pytest.raises(ValueError, match="campaign_offers must be 1 or 2, found 3"):
        make_synthetic(100, campaign_offers=3)
