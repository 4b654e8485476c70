"""Ground truth at the cutoff and the randomized campaign run on that date.

The campaign targets every customer whose first purchase is before the
cutoff; half are treated at random. How a customer reacts (the uplift type)
is a function of persona, age and whether the customer is still alive, so a
model that sees pre-cutoff behaviour and demographics can learn it:

* persuadable (alive bargain hunters): low base response, a clearly positive
  effect that is larger for customers under 35;
* sure thing (alive loyal regulars and gift shoppers, who buy in the season
  anyway): high base response, no effect;
* sleeping dog (alive premium customers): a fairly high base response that
  the contact lowers, so a response model, which ranks them high, targets
  exactly the customers it should leave alone;
* lost cause (dropped-out customers, most of them one-timers): very low
  response, no effect.

With ``offers=2`` the treated half is split at random between two offers,
so that a planner can learn which offer suits whom: the ``email`` (the
single campaign above, same effects) and a ``coupon`` that costs more to
send but works better on older persuadables and harms sleeping dogs less
(see :func:`coupon_probabilities`). The split uses its own generator, and the
shared generator draws exactly as many numbers as with one offer, so every
other table (and every e-mail customer's response) is unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincc

from ._synthetic_config import PERSONA_NAMES, UPLIFT_TYPES
from ._synthetic_customers import REGULARITY, cumulative_intensity

PERSUADABLE, SURE_THING, LOST_CAUSE, SLEEPING_DOG = range(len(UPLIFT_TYPES))
#: Arm names of the two-offer campaign (the first is the single-offer campaign's contact).
OFFER_ARMS = ("email", "coupon")
_PERSONA = {name: code for code, name in enumerate(PERSONA_NAMES)}
#: Customers younger than this react more strongly to the campaign if persuadable.
YOUNG_AGE = 35.0


def purchase_truth(
    population: dict[str, np.ndarray],
    order_customer: np.ndarray,
    order_day: np.ndarray,
    order_level: np.ndarray,
    intensity: np.ndarray,
    cutoff_day: int,
    horizon_days: int,
    regularity: float = REGULARITY,
) -> dict[str, np.ndarray]:
    """Latent state at the cutoff and the purchase probability over the horizon.

    ``intensity`` has one row of daily multipliers ``m`` per persona and
    ``order_level`` is each order's operational time ``lambda * M`` (see
    :mod:`._synthetic_customers`). A customer is alive at the cutoff unless
    its last order (after which it dropped out) came before the cutoff day.
    Dropout happens only right after an order, so an alive customer will
    place its next order; the question is only when. Let ``x_0`` and ``x_H``
    be its operational time at the cutoff and at the end of the window, minus
    that of its last order before the cutoff. The gap to the next order is
    Gamma with shape ``regularity`` and mean 1 and is known to exceed
    ``x_0``, so with ``S`` the gap's survival function

    ``P(order in the window) = 1 - S(x_H) / S(x_0)``

    (``1 - exp(-(x_H - x_0))``, whatever the past, for the Poisson case ``regularity = 1``).

    Customers who have dropped out have probability 0; customers whose first
    order is on or after the cutoff day are outside the scoring population (NaN).
    """
    n = len(population["persona"])
    acquired = population["first_day"] < cutoff_day
    alive = acquired & (population["dropout_day"] >= cutoff_day)
    before = order_day < cutoff_day
    last_level = np.full(n, -np.inf)
    np.maximum.at(last_level, order_customer[before], order_level[before])

    persona = population["persona"][alive]
    cumulative = cumulative_intensity(intensity)[:, [cutoff_day, cutoff_day + horizon_days]]
    elapsed = population["rate"][alive, None] * cumulative[persona] - last_level[alive, None]
    survival = gammaincc(regularity, regularity * elapsed)
    probability = np.where(acquired, 0.0, np.nan)
    probability[alive] = 1.0 - survival[:, 1] / np.maximum(survival[:, 0], 1e-300)

    # Timestamps are never at midnight, so day indices decide window membership:
    # the window (cutoff, cutoff + H] holds exactly the days cutoff_day .. cutoff_day + H - 1.
    in_window = (order_day >= cutoff_day) & (order_day < cutoff_day + horizon_days)
    purchased = np.bincount(order_customer[in_window], minlength=len(acquired)) > 0
    return {
        "acquired_before_cutoff": acquired,
        "alive_at_cutoff": alive,
        "true_purchase_prob": probability,
        "purchased_in_horizon": purchased,
    }


def response_probabilities(
    persona: np.ndarray, alive: np.ndarray, age: np.ndarray, engagement: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uplift type and response probability without and with treatment.

    ``engagement`` is the purchase rate relative to the persona mean; more
    engaged sure things respond more often.
    """
    uplift_type = np.full(len(persona), LOST_CAUSE)
    sure_thing = np.isin(persona, [_PERSONA["loyal_regular"], _PERSONA["seasonal_gift_shopper"]])
    uplift_type[alive & sure_thing] = SURE_THING
    uplift_type[alive & (persona == _PERSONA["premium_occasional"])] = SLEEPING_DOG
    uplift_type[alive & (persona == _PERSONA["bargain_hunter"])] = PERSUADABLE

    control = np.select(
        [uplift_type == SURE_THING, uplift_type == SLEEPING_DOG, uplift_type == PERSUADABLE],
        [np.clip(0.50 + 0.15 * (engagement - 1.0), 0.35, 0.75), 0.40, 0.03],
        default=0.01,
    )
    persuadable_effect = np.where(age < YOUNG_AGE, 0.45, 0.28)
    treated = np.where(uplift_type == SLEEPING_DOG, 0.20, control)
    treated = np.where(uplift_type == PERSUADABLE, control + persuadable_effect, treated)
    return uplift_type, control, treated


def coupon_probabilities(
    uplift_type: np.ndarray, control: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Response probability with the second offer, the coupon.

    The coupon lifts persuadables by 0.40 from age 35 on and by 0.30 below
    (the e-mail: 0.28 and 0.45), lowers sleeping dogs' response by only 0.05
    (the e-mail: 0.20) and changes nothing for sure things and lost causes.
    """
    effect = np.where(age < YOUNG_AGE, 0.30, 0.40)
    coupon = np.where(uplift_type == PERSUADABLE, control + effect, control)
    return np.where(uplift_type == SLEEPING_DOG, control - 0.05, coupon)


def draw_campaign(
    rng: np.random.Generator,
    eligible: np.ndarray,
    control: np.ndarray,
    treated: np.ndarray,
    mean_order_value: np.ndarray,
    *,
    coupon: np.ndarray | None = None,
    offer_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Treatment, response, spend and arm for the eligible customers (in their order).

    Responders spend around their own pre-cutoff mean order value. With
    ``coupon`` (response probabilities with the second offer) the treated
    customers are split half and half between ``email`` and ``coupon`` with
    ``offer_rng``; ``rng`` draws the same numbers either way. The arm is
    None for the single-offer campaign.
    """
    n = int(eligible.sum())
    treatment = (rng.random(n) < 0.5).astype(np.int64)
    probability = np.where(treatment == 1, treated[eligible], control[eligible])
    arm = None
    if coupon is not None:
        if offer_rng is None:
            raise ValueError("draw_campaign: a coupon campaign needs its own offer_rng")
        gets_coupon = (treatment == 1) & (offer_rng.random(n) < 0.5)
        arm = np.where(treatment == 1, OFFER_ARMS[0], "control").astype(object)
        arm[gets_coupon] = OFFER_ARMS[1]
        probability = np.where(gets_coupon, coupon[eligible], probability)
    response = (rng.random(n) < probability).astype(np.int64)
    basket = mean_order_value[eligible] * np.exp(rng.normal(0.0, 0.4, n))
    spend = np.where(response == 1, np.maximum(np.round(basket, 2), 1.0), 0.0)
    return treatment, response, spend, arm
