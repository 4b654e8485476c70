"""Catalogue, buy-till-you-die purchase process and order lines.

Each customer has a purchase rate ``lambda`` (Gamma around the persona mean)
and an exponential lifetime. The first order happens at signup; later orders
arrive as a Poisson process with intensity ``lambda * m(t)``, where ``m`` is
the daily seasonal/trend multiplier, until dropout or the end of the window.
The modulated process is simulated exactly by *thinning*: candidates are drawn
from a homogeneous process with rate ``lambda * max(m)`` and each is kept with
probability ``m(t) / max(m)``. Everything is vectorized over all customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._synthetic_config import (
    CATEGORIES,
    CATEGORY_ASSORTMENT,
    CATEGORY_EXTRA_QUANTITY,
    CATEGORY_MEDIAN_PRICE,
    DAYS_PER_YEAR,
    HOUR_WEIGHTS,
    PERSONAS,
    SECONDS_PER_DAY,
    persona_array,
)

#: Gamma shape of the purchase rate around the persona mean (CV = 1/sqrt(shape)).
RATE_SHAPE = 5.0
#: Concentration of each customer's category mix around the persona mix.
CATEGORY_CONCENTRATION = 40.0
MAX_LINES_PER_ORDER = 8
MAX_EXTRA_QUANTITY = 5
#: Lifetimes are capped so that dropout dates stay inside the datetime64[ns] range.
MAX_LIFETIME_DAYS = 150 * DAYS_PER_YEAR
DISCOUNT_RATES = np.array([0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50])
DISCOUNT_WEIGHTS = np.array([0.25, 0.20, 0.20, 0.12, 0.12, 0.07, 0.04])
_MAX_PRODUCT_REDRAWS = 10


@dataclass(frozen=True)
class Catalogue:
    """Products as arrays, ordered by product number (``P00001`` is index 0)."""

    category: np.ndarray
    price: np.ndarray
    # choice_cdf[persona * n_categories + category] is a cumulative distribution over
    # choice_products[...] for that (persona, category); see ``draw_products``.
    choice_offsets: np.ndarray
    choice_products: np.ndarray
    choice_cdf: np.ndarray


def make_catalogue(rng: np.random.Generator, n_products: int) -> Catalogue:
    """Products with log-normal prices and Zipf-like popularity within category."""
    n_categories = len(CATEGORIES)
    counts = np.maximum(np.floor(CATEGORY_ASSORTMENT * n_products).astype(int), 1)
    # Hand the rounding remainder to the largest categories, one each.
    for position in np.argsort(-CATEGORY_ASSORTMENT)[: n_products - counts.sum()]:
        counts[position] += 1
    category = rng.permutation(np.repeat(np.arange(n_categories), counts))
    raw_price = CATEGORY_MEDIAN_PRICE[category] * np.exp(rng.normal(0.0, 0.55, n_products))
    # Shelf prices end in .99, never below 0.99.
    price = np.maximum(np.round(raw_price) - 0.01, 0.99)

    popularity = np.empty(n_products)
    log_price_z = np.empty(n_products)
    for code in range(n_categories):
        members = np.flatnonzero(category == code)
        rank = rng.permutation(len(members)) + 1
        popularity[members] = 1.0 / rank**1.1
        log_price = np.log(price[members])
        spread = log_price.std() if len(members) > 1 else 1.0
        log_price_z[members] = (log_price - log_price.mean()) / max(spread, 1e-9)

    offsets, products, cdfs = [0], [], []
    for persona in PERSONAS:
        tilt = np.exp(persona.price_preference * log_price_z)
        for code in range(n_categories):
            members = np.flatnonzero(category == code)
            weights = popularity[members] * tilt[members]
            products.append(members)
            cdfs.append(np.cumsum(weights) / weights.sum())
            offsets.append(offsets[-1] + len(members))
    return Catalogue(
        category=category,
        price=price,
        choice_offsets=np.array(offsets),
        choice_products=np.concatenate(products),
        choice_cdf=np.concatenate(cdfs),
    )


def draw_population(
    rng: np.random.Generator, n_customers: int, acquisition: np.ndarray
) -> dict[str, np.ndarray]:
    """Personas, signup times, purchase rates and dropout times, ordered by signup.

    Times are in days since the window start; rates in orders per day at the
    baseline intensity.
    """
    shares = persona_array("share")
    persona = rng.choice(len(PERSONAS), size=n_customers, p=shares / shares.sum())
    signup_day = rng.choice(len(acquisition), size=n_customers, p=acquisition)
    signup_second = draw_second_of_day(rng, n_customers)
    mean_rate = persona_array("orders_per_year")[persona] / DAYS_PER_YEAR
    rate = rng.gamma(RATE_SHAPE, mean_rate / RATE_SHAPE)
    lifetime = rng.exponential(persona_array("mean_lifetime_years")[persona] * DAYS_PER_YEAR)
    signup_time = signup_day + signup_second / SECONDS_PER_DAY
    # Customer numbers follow signup order, as a real system would assign them.
    order = np.lexsort((signup_second, signup_day))
    return {
        "persona": persona[order],
        "signup_day": signup_day[order],
        "signup_second": signup_second[order],
        "signup_time": signup_time[order],
        "rate": rate[order],
        "dropout_time": signup_time[order] + np.minimum(lifetime[order], MAX_LIFETIME_DAYS),
    }


def draw_second_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight, following the hourly profile; never exactly midnight."""
    hour = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(1, 3600, size)


def draw_orders(
    rng: np.random.Generator, population: dict[str, np.ndarray], intensity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All orders as (customer index, day index, second of day), in time order."""
    n_days = len(intensity)
    peak = intensity.max()
    start_time = population["signup_time"]
    end_time = np.minimum(population["dropout_time"], n_days)
    active_days = np.maximum(end_time - start_time, 0.0)
    n_candidates = rng.poisson(population["rate"] * peak * active_days)
    candidate_customer = np.repeat(np.arange(len(start_time)), n_candidates)
    candidate_time = (
        start_time[candidate_customer]
        + rng.random(len(candidate_customer)) * active_days[candidate_customer]
    )
    candidate_day = np.minimum(candidate_time.astype(np.int64), n_days - 1)
    kept = rng.random(len(candidate_customer)) * peak < intensity[candidate_day]
    repeat_customer = candidate_customer[kept]
    repeat_day = candidate_day[kept]
    # Only the day matters for the intensity, so the clock time is re-drawn from
    # the hourly profile.
    repeat_second = draw_second_of_day(rng, len(repeat_customer))

    customer = np.concatenate([np.arange(len(start_time)), repeat_customer])
    day = np.concatenate([population["signup_day"], repeat_day])
    second = np.concatenate([population["signup_second"], repeat_second])
    order = np.lexsort((customer, second, day))
    return customer[order], day[order], second[order]


def draw_category_mix(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    """Each customer's own category weights (unnormalized Dirichlet around the persona mix)."""
    mix = np.array([p.category_mix for p in PERSONAS])[persona]
    return rng.gamma(CATEGORY_CONCENTRATION * mix) + 1e-12


def _draw_from_stacked_cdfs(
    rng: np.random.Generator, cdf: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """One draw per row from per-group distributions stored as stacked CDFs.

    ``cdf`` has shape (n_groups, k) with rows ending in 1; shifting row g by g
    turns all rows into one increasing array, so a single searchsorted call
    samples every row.
    """
    k = cdf.shape[1]
    shifted = (cdf / cdf[:, -1:] + np.arange(n_groups)[:, None]).ravel()
    position = np.searchsorted(shifted, group + rng.random(len(group)), side="right")
    return np.minimum(position - group * k, k - 1)


def draw_products(
    rng: np.random.Generator, catalogue: Catalogue, persona: np.ndarray, category: np.ndarray
) -> np.ndarray:
    """A product per line, from the (persona, category) choice distribution."""
    group = persona * len(CATEGORIES) + category
    start = catalogue.choice_offsets[group]
    size = catalogue.choice_offsets[group + 1] - start
    # Each group's CDF occupies [start, start + size); shifting it by the group
    # number makes the stacked CDFs increasing, as in _draw_from_stacked_cdfs.
    group_of_entry = np.repeat(
        np.arange(len(catalogue.choice_offsets) - 1), np.diff(catalogue.choice_offsets)
    )
    shifted = catalogue.choice_cdf + group_of_entry
    position = np.searchsorted(shifted, group + rng.random(len(group)), side="right")
    position = np.clip(position, start, start + size - 1)
    return catalogue.choice_products[position]


def draw_lines(
    rng: np.random.Generator,
    catalogue: Catalogue,
    persona: np.ndarray,
    order_customer: np.ndarray,
) -> dict[str, np.ndarray]:
    """Order lines: distinct products per order, quantity and (discounted) unit price."""
    mix = draw_category_mix(rng, persona)
    order_persona = persona[order_customer]
    extra_lines = rng.poisson(persona_array("lines_per_order")[order_persona] - 1.0)
    n_lines = 1 + np.minimum(extra_lines, MAX_LINES_PER_ORDER - 1)
    line_order = np.repeat(np.arange(len(order_customer)), n_lines)
    line_customer = order_customer[line_order]
    line_persona = persona[line_customer]
    cumulative_mix = np.cumsum(mix, axis=1)
    category = _draw_from_stacked_cdfs(rng, cumulative_mix, line_customer, len(mix))
    product = draw_products(rng, catalogue, line_persona, category)

    # Popular products repeat within an order; re-draw the repeats, then drop
    # the few that are still repeated so every order has distinct products.
    for _ in range(_MAX_PRODUCT_REDRAWS):
        repeated = _repeated_within_order(line_order, product)
        if not repeated.any():
            break
        product[repeated] = draw_products(
            rng, catalogue, line_persona[repeated], category[repeated]
        )
    keep = ~_repeated_within_order(line_order, product)
    line_order, line_persona, product = line_order[keep], line_persona[keep], product[keep]
    category = catalogue.category[product]

    extra_quantity = (
        persona_array("extra_quantity")[line_persona] + CATEGORY_EXTRA_QUANTITY[category]
    )
    quantity = 1 + np.minimum(rng.poisson(extra_quantity), MAX_EXTRA_QUANTITY)
    discounted = rng.random(len(product)) < persona_array("discount_share")[line_persona]
    discount = np.where(
        discounted,
        rng.choice(DISCOUNT_RATES, size=len(product), p=DISCOUNT_WEIGHTS),
        0.0,
    )
    unit_price = np.maximum(np.round(catalogue.price[product] * (1.0 - discount), 2), 0.01)
    amount = np.round(quantity * unit_price, 2)
    return {
        "order": line_order,
        "product": product,
        "category": category,
        "quantity": quantity.astype(float),
        "unit_price": unit_price,
        "amount": amount,
    }


def _repeated_within_order(line_order: np.ndarray, product: np.ndarray) -> np.ndarray:
    """True for every line whose product already appeared earlier in its order."""
    key = line_order.astype(np.int64) * (product.max() + 1) + product
    _, first_index = np.unique(key, return_index=True)
    repeated = np.ones(len(key), dtype=bool)
    repeated[first_index] = False
    return repeated
