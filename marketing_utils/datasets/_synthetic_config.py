"""Fixed parameters of the synthetic generator: personas, catalogue and seasonality.

Everything here is a constant or a pure function of the calendar, so the random
draws in the other ``_synthetic_*`` modules are the only source of variation.
The numbers were chosen so that each persona leaves a distinct behavioural
footprint (order frequency, basket value, category mix, churn) while staying
within the ranges seen in real retail data.
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

    Rates are in orders per year at the baseline seasonal level; mixes are
    probabilities over :data:`CATEGORIES`, :data:`REGIONS` or :data:`CHANNELS`.
    """

    name: str
    share: float
    orders_per_year: float
    mean_lifetime_years: float
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
    Persona(
        name="loyal_regular",
        share=0.27,
        orders_per_year=18.0,
        mean_lifetime_years=6.0,
        lines_per_order=1.6,
        extra_quantity=0.35,
        #          elec  fash  beau  home  groc  sport books toys
        category_mix=(0.02, 0.03, 0.08, 0.22, 0.56, 0.03, 0.03, 0.03),
        price_preference=0.0,
        discount_share=0.10,
        age_mean=46.0,
        age_sd=10.0,
        female_share=0.56,
        income_median=64_000.0,
        region_mix=(0.20, 0.35, 0.25, 0.20),
        channel_mix=(0.25, 0.35, 0.35, 0.05),
    ),
    Persona(
        name="bargain_hunter",
        share=0.23,
        orders_per_year=12.0,
        mean_lifetime_years=3.0,
        lines_per_order=2.0,
        extra_quantity=0.5,
        category_mix=(0.03, 0.06, 0.03, 0.08, 0.05, 0.34, 0.02, 0.39),
        price_preference=-1.5,
        discount_share=0.55,
        age_mean=38.0,
        age_sd=11.0,
        female_share=0.52,
        income_median=38_000.0,
        region_mix=(0.15, 0.30, 0.40, 0.15),
        channel_mix=(0.50, 0.35, 0.10, 0.05),
    ),
    Persona(
        name="premium_occasional",
        share=0.14,
        orders_per_year=8.0,
        mean_lifetime_years=6.0,
        lines_per_order=1.15,
        extra_quantity=0.05,
        category_mix=(0.62, 0.10, 0.04, 0.13, 0.01, 0.06, 0.02, 0.02),
        price_preference=1.5,
        discount_share=0.04,
        age_mean=52.0,
        age_sd=9.0,
        female_share=0.42,
        income_median=120_000.0,
        region_mix=(0.40, 0.10, 0.15, 0.35),
        channel_mix=(0.55, 0.10, 0.33, 0.02),
    ),
    Persona(
        name="young_trendsetter",
        share=0.17,
        orders_per_year=12.0,
        mean_lifetime_years=2.0,
        lines_per_order=1.4,
        extra_quantity=0.15,
        category_mix=(0.05, 0.50, 0.32, 0.03, 0.02, 0.05, 0.02, 0.01),
        price_preference=0.3,
        discount_share=0.20,
        age_mean=24.0,
        age_sd=3.5,
        female_share=0.66,
        income_median=34_000.0,
        region_mix=(0.30, 0.15, 0.20, 0.35),
        channel_mix=(0.10, 0.50, 0.05, 0.35),
    ),
    Persona(
        name="dormant_one_timer",
        share=0.19,
        orders_per_year=2.0,
        mean_lifetime_years=0.06,
        lines_per_order=1.2,
        extra_quantity=0.1,
        category_mix=(0.02, 0.03, 0.02, 0.04, 0.02, 0.03, 0.76, 0.08),
        price_preference=-0.6,
        discount_share=0.30,
        age_mean=41.0,
        age_sd=15.0,
        female_share=0.50,
        income_median=50_000.0,
        region_mix=(0.25, 0.25, 0.25, 0.25),
        channel_mix=(0.40, 0.10, 0.10, 0.40),
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
INTENSITY_TREND_PER_YEAR = 0.08

#: New-customer acquisition at the end of the window relative to its start.
ACQUISITION_GROWTH = 2.0


def _circular_bump(day_of_year: np.ndarray, centre: float, width: float) -> np.ndarray:
    distance = np.abs(day_of_year - centre)
    distance = np.minimum(distance, 365.25 - distance)
    return np.exp(-0.5 * (distance / width) ** 2)


def seasonal_profile(days: pd.DatetimeIndex) -> np.ndarray:
    """Weekly and yearly seasonality of demand, normalized to mean 1 over ``days``.

    November/December carry a Black-Friday week and a pre-Christmas peak on
    top of a general fourth-quarter lift; mid-summer dips.
    """
    day_of_year = days.day_of_year.to_numpy().astype(float)
    month = days.month.to_numpy()
    yearly = (
        1.0
        + 0.6 * _circular_bump(day_of_year, 331.0, 5.0)
        + 0.5 * _circular_bump(day_of_year, 350.0, 9.0)
        + 0.15 * np.isin(month, (11, 12))
        - 0.22 * _circular_bump(day_of_year, 205.0, 28.0)
    )
    profile = yearly * WEEKDAY_FACTOR[days.day_of_week.to_numpy()]
    return profile / profile.mean()


def daily_intensity(days: pd.DatetimeIndex) -> np.ndarray:
    """Order intensity multiplier per day: seasonality times a gentle upward trend."""
    years_elapsed = np.arange(len(days)) / DAYS_PER_YEAR
    return seasonal_profile(days) * (1.0 + INTENSITY_TREND_PER_YEAR * years_elapsed)


def acquisition_weights(days: pd.DatetimeIndex) -> np.ndarray:
    """Probability of each day being a new customer's first purchase day."""
    growth = 1.0 + ACQUISITION_GROWTH * np.arange(len(days)) / max(len(days) - 1, 1)
    weights = growth * seasonal_profile(days)
    return weights / weights.sum()
