"""Fixed parameters of the synthetic generator: personas, catalogue and seasonality.

Everything here is a constant or a pure function of the calendar, so the random
draws in the other ``_synthetic_*`` modules are the only source of variation.
The numbers were chosen so that each persona leaves a distinct behavioural
footprint (order frequency, basket value, category mix, churn, season) while
staying within the ranges seen in real retail data, and so that, with the
default window (2023-2025, a 90-day horizon from early October):

* about 30% of the customers who bought before the cutoff buy again in the
  label window, with the purchase probability spread over the unit interval
  (gift shoppers and loyal regulars high, premium buyers in between, bargain
  hunters low because their season is spring, one-timers near 0);
* dropout shows in the data: most of it comes from one-timers, recognisable
  by their single fashion order, and regular customers drop out rarely, so
  a long silence is telling and a good model gets close to the truth;
* category mixes barely overlap, so the personas are recoverable by clustering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Canonical category labels (lowercase), in the column order of every mix below.
CATEGORIES = ("electronics", "fashion", "beauty", "home", "grocery", "sports", "books", "toys")

#: Median shelf price per category (same order as CATEGORIES), in currency units.
CATEGORY_MEDIAN_PRICE = np.array([180.0, 45.0, 22.0, 55.0, 7.0, 50.0, 16.0, 28.0])

#: Share of the catalogue in each category.
CATEGORY_ASSORTMENT = np.array([0.14, 0.20, 0.12, 0.14, 0.14, 0.10, 0.08, 0.08])

#: Grocery lines are bought in larger quantities than the rest.
CATEGORY_EXTRA_QUANTITY = np.array([0.0, 0.1, 0.2, 0.1, 0.6, 0.1, 0.0, 0.1])

REGIONS = ("northeast", "midwest", "south", "west")
CHANNELS = ("web", "app", "store", "social")
GENDERS = ("female", "male", "nonbinary")
UPLIFT_TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")

DAYS_PER_YEAR = 365.25
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Persona:
    """Latent customer type that drives behaviour and demographics.

    ``share`` is the persona's share of *new* customers (long-lived personas
    make up more of the established base). Order rates are in orders per year
    at the baseline seasonal level. Right after each order a customer drops
    out for good with probability ``dropout_after_order`` (after its first
    order with ``first_order_dropout``). ``gift_season_share`` and
    ``outdoor_season_share`` are the parts of the orders that follow the
    pre-Christmas gift season and the spring outdoor season instead of the
    general retail calendar. Mixes are probabilities over :data:`CATEGORIES`,
    :data:`REGIONS` or :data:`CHANNELS`.
    """

    name: str
    share: float
    orders_per_year: float
    dropout_after_order: float
    first_order_dropout: float
    gift_season_share: float
    outdoor_season_share: float
    lines_per_order: float
    extra_quantity: float
    category_mix: tuple[float, ...]
    price_preference: float
    discount_share: float
    age_mean: float
    age_sd: float
    female_share: float
    income_median: float
    region_mix: tuple[float, ...]
    channel_mix: tuple[float, ...]


PERSONAS: tuple[Persona, ...] = (
    # Frequent grocery-and-home shoppers who rarely leave: the top of every ranking.
    Persona(
        name="loyal_regular",
        share=0.06,
        orders_per_year=10.0,
        dropout_after_order=0.01,
        first_order_dropout=0.01,
        gift_season_share=0.0,
        outdoor_season_share=0.0,
        lines_per_order=4.0,
        extra_quantity=0.35,
        #          elec  fash  beau  home  groc  sport books toys
        category_mix=(0.00, 0.01, 0.10, 0.10, 0.75, 0.02, 0.01, 0.01),
        price_preference=0.0,
        discount_share=0.10,
        age_mean=46.0,
        age_sd=10.0,
        female_share=0.56,
        income_median=64_000.0,
        region_mix=(0.20, 0.35, 0.25, 0.20),
        channel_mix=(0.25, 0.35, 0.35, 0.05),
    ),
    # Sports and outdoor deals in spring and early summer; quiet in the fourth quarter.
    Persona(
        name="bargain_hunter",
        share=0.315,
        orders_per_year=5.0,
        dropout_after_order=0.10,
        first_order_dropout=0.10,
        gift_season_share=0.0,
        outdoor_season_share=0.97,
        lines_per_order=3.5,
        extra_quantity=0.5,
        category_mix=(0.01, 0.03, 0.00, 0.06, 0.03, 0.85, 0.01, 0.01),
        price_preference=-1.5,
        discount_share=0.55,
        age_mean=36.0,
        age_sd=11.0,
        female_share=0.48,
        income_median=38_000.0,
        region_mix=(0.15, 0.30, 0.40, 0.15),
        channel_mix=(0.50, 0.35, 0.10, 0.05),
    ),
    # A few expensive electronics orders a year, all year round.
    Persona(
        name="premium_occasional",
        share=0.10,
        orders_per_year=2.7,
        dropout_after_order=0.01,
        first_order_dropout=0.01,
        gift_season_share=0.0,
        outdoor_season_share=0.0,
        lines_per_order=1.5,
        extra_quantity=0.05,
        category_mix=(0.80, 0.05, 0.02, 0.10, 0.00, 0.02, 0.01, 0.00),
        price_preference=1.0,
        discount_share=0.04,
        age_mean=52.0,
        age_sd=9.0,
        female_share=0.42,
        income_median=120_000.0,
        region_mix=(0.40, 0.10, 0.15, 0.35),
        channel_mix=(0.55, 0.10, 0.33, 0.02),
    ),
    # Toys and books, mostly in the weeks before Christmas.
    Persona(
        name="seasonal_gift_shopper",
        share=0.05,
        orders_per_year=3.0,
        dropout_after_order=0.01,
        first_order_dropout=0.01,
        gift_season_share=0.85,
        outdoor_season_share=0.0,
        lines_per_order=4.5,
        extra_quantity=0.1,
        category_mix=(0.01, 0.02, 0.02, 0.01, 0.00, 0.01, 0.38, 0.55),
        price_preference=0.3,
        discount_share=0.25,
        age_mean=44.0,
        age_sd=12.0,
        female_share=0.58,
        income_median=58_000.0,
        region_mix=(0.25, 0.25, 0.25, 0.25),
        channel_mix=(0.45, 0.20, 0.25, 0.10),
    ),
    # A single fashion order, often from a social-media promotion, and gone.
    Persona(
        name="dormant_one_timer",
        share=0.475,
        orders_per_year=2.0,
        dropout_after_order=0.5,
        first_order_dropout=0.98,
        gift_season_share=0.0,
        outdoor_season_share=0.0,
        lines_per_order=2.5,
        extra_quantity=0.15,
        category_mix=(0.00, 0.97, 0.00, 0.01, 0.01, 0.01, 0.00, 0.00),
        price_preference=0.3,
        discount_share=0.35,
        age_mean=27.0,
        age_sd=6.0,
        female_share=0.64,
        income_median=36_000.0,
        region_mix=(0.30, 0.15, 0.20, 0.35),
        channel_mix=(0.10, 0.30, 0.05, 0.55),
    ),
)

PERSONA_NAMES = tuple(persona.name for persona in PERSONAS)


def persona_array(attribute: str) -> np.ndarray:
    """One persona attribute as an array indexed by persona number."""
    return np.array([getattr(persona, attribute) for persona in PERSONAS], dtype=float)


#: Relative order intensity by weekday, Monday first (weekends are busier).
WEEKDAY_FACTOR = np.array([0.90, 0.88, 0.90, 0.95, 1.05, 1.30, 1.22])

#: Relative order intensity by hour of day: lunchtime and evening peaks.
HOUR_WEIGHTS = np.array(
    [0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 2.2, 2.6, 3.0]
    + [3.4, 3.2, 3.0, 3.0, 3.2, 3.6, 4.2, 4.8, 5.0, 4.0, 2.4, 1.2]
)

#: Yearly growth of every customer's order intensity (on top of acquisition growth).
INTENSITY_TREND_PER_YEAR = 0.05

#: Yearly growth of the number of new customers, also before the window opened.
ACQUISITION_GROWTH_PER_YEAR = 0.10

#: The shop opened this long before the window: caps the tenure of established customers.
SHOP_AGE_YEARS = 12.0

#: Day of year and width (days) of the gift season's peak (about 10 December).
GIFT_SEASON_CENTRE = 344.0
GIFT_SEASON_WIDTH = 18.0
#: Day of year and width (days) of the outdoor season's peak (late May).
OUTDOOR_SEASON_CENTRE = 148.0
OUTDOOR_SEASON_WIDTH = 40.0


def _circular_bump(day_of_year: np.ndarray, centre: float, width: float) -> np.ndarray:
    distance = np.abs(day_of_year - centre)
    distance = np.minimum(distance, DAYS_PER_YEAR - distance)
    return np.exp(-0.5 * (distance / width) ** 2)


def _yearly_curves(day_of_year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """The three yearly shapes of demand, unnormalized: shape (3, len(days)).

    Retail (November/December lifted by a Black-Friday week and a pre-Christmas
    peak, a mid-summer dip), the gift season (Black Friday and the weeks before
    Christmas) and the outdoor season (spring into early summer).
    """
    retail = (
        1.0
        + 0.6 * _circular_bump(day_of_year, 331.0, 5.0)
        + 0.5 * _circular_bump(day_of_year, 350.0, 9.0)
        + 0.25 * np.isin(month, (11, 12))
        - 0.22 * _circular_bump(day_of_year, 205.0, 28.0)
    )
    gift = (
        0.02
        + 0.4 * _circular_bump(day_of_year, 331.0, 4.0)
        + _circular_bump(day_of_year, GIFT_SEASON_CENTRE, GIFT_SEASON_WIDTH)
    )
    outdoor = 0.05 + _circular_bump(day_of_year, OUTDOOR_SEASON_CENTRE, OUTDOOR_SEASON_WIDTH)
    return np.stack([retail, gift, outdoor])


def _normalized_curves(days: pd.DatetimeIndex) -> np.ndarray:
    """:func:`_yearly_curves` on ``days``, each scaled to average 1 over a whole year."""
    year = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    reference = _yearly_curves(year.day_of_year.to_numpy().astype(float), year.month.to_numpy())
    curves = _yearly_curves(days.day_of_year.to_numpy().astype(float), days.month.to_numpy())
    return curves / reference.mean(axis=1, keepdims=True)


def seasonal_profile(days: pd.DatetimeIndex) -> np.ndarray:
    """Weekly and yearly seasonality of demand per persona, shape (n_personas, len(days)).

    Each persona mixes the retail calendar with the gift season and the
    outdoor season in the proportions ``gift_season_share`` and
    ``outdoor_season_share``. Every curve averages 1 over a whole year and the
    weekday factors average 1 over a week, so a persona's ``orders_per_year``
    is its yearly order count.
    """
    gift = persona_array("gift_season_share")
    outdoor = persona_array("outdoor_season_share")
    mix = np.column_stack([1.0 - gift - outdoor, gift, outdoor])
    weekday = WEEKDAY_FACTOR[days.day_of_week.to_numpy()] / WEEKDAY_FACTOR.mean()
    return (mix @ _normalized_curves(days)) * weekday


def daily_intensity(days: pd.DatetimeIndex) -> np.ndarray:
    """Order intensity multiplier per persona and day: seasonality times a gentle trend."""
    years_elapsed = np.arange(len(days)) / DAYS_PER_YEAR
    return seasonal_profile(days) * (1.0 + INTENSITY_TREND_PER_YEAR * years_elapsed)


def acquisition_rate(days: pd.DatetimeIndex) -> np.ndarray:
    """New customers per day relative to the rate on the first day (growth times season).

    New customers follow the retail calendar, so acquisition peaks with the
    fourth quarter like sales do.
    """
    growth = np.log1p(ACQUISITION_GROWTH_PER_YEAR) / DAYS_PER_YEAR
    weekday = WEEKDAY_FACTOR[days.day_of_week.to_numpy()] / WEEKDAY_FACTOR.mean()
    return np.exp(growth * np.arange(len(days))) * _normalized_curves(days)[0] * weekday
