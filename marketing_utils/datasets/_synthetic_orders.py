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
    ACQUISITION_GROWTH_PER_YEAR,
    CATEGORIES,
    CATEGORY_ASSORTMENT,
    CATEGORY_EXTRA_QUANTITY,
    CATEGORY_MEDIAN_PRICE,
    DAYS_PER_YEAR,
    HOUR_WEIGHTS,
    PERSONAS,
    SECONDS_PER_DAY,
    SHOP_AGE_YEARS,
    persona_array,
)

#: Gamma shape of the purchase rate around the persona mean (CV = 1/sqrt(shape)).
RATE_SHAPE = 2.5
#: Concentration of each customer's category mix around the persona mix.
CATEGORY_CONCENTRATION = 80.0
MAX_LINES_PER_ORDER = 10
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


def _candidates(
    rng: np.random.Generator, size: int, acquisition: np.ndarray
) -> dict[str, np.ndarray]:
    """Candidate customers: established (alive when the window opens) or new.

    New customers arrive at ``acquisition`` (per day, relative to the first
    day's rate) and place their first order on arrival. Acquisition grew at
    the same pace before the window, so the customers still alive on day 0
    are, per persona, ``share / (mu + g)`` days' worth of day-0 arrivals
    (``mu``: dropout rate, ``g``: growth rate), with tenure ``Exp(mu + g)``
    capped at the age of the shop. Lifetimes are memoryless, so an established
    customer's remaining lifetime is a fresh ``Exp(mu)`` draw. Times are in
    days since the window start.
    """
    shares = persona_array("share") / persona_array("share").sum()
    dropout_rate = 1.0 / (persona_array("mean_lifetime_years") * DAYS_PER_YEAR)
    decay = dropout_rate + np.log1p(ACQUISITION_GROWTH_PER_YEAR) / DAYS_PER_YEAR
    survival_to_cap = -np.expm1(-decay * SHOP_AGE_YEARS * DAYS_PER_YEAR)
    weights = np.concatenate([shares * survival_to_cap / decay, shares * acquisition.sum()])
    kind = rng.choice(len(weights), size=size, p=weights / weights.sum())
    established = kind < len(PERSONAS)
    persona = kind % len(PERSONAS)

    arrival_day = rng.choice(len(acquisition), size=size, p=acquisition / acquisition.sum())
    # Inverse CDF of the tenure, an exponential truncated at the shop's age.
    tenure = -np.log1p(-rng.random(size) * survival_to_cap[persona]) / decay[persona]
    signup_second = draw_second_of_day(rng, size)
    signup_day = np.where(established, -np.ceil(tenure).astype(np.int64), arrival_day)
    signup_time = signup_day + signup_second / SECONDS_PER_DAY
    mean_rate = persona_array("orders_per_year")[persona] / DAYS_PER_YEAR
    rate = rng.gamma(RATE_SHAPE, mean_rate / RATE_SHAPE)
    lifetime = np.minimum(
        rng.exponential(persona_array("mean_lifetime_years")[persona] * DAYS_PER_YEAR),
        MAX_LIFETIME_DAYS,
    )
    return {
        "persona": persona,
        "established": established,
        "signup_day": signup_day,
        "signup_second": signup_second,
        # Established customers are observed from day 0 without a forced order.
        "entry_time": np.where(established, 0.0, signup_time),
        "rate": rate,
        "dropout_time": np.where(established, 0.0, signup_time) + lifetime,
    }


def _repeat_orders(
    rng: np.random.Generator, candidates: dict[str, np.ndarray], intensity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Orders after entry as (customer index, day index), by thinning a homogeneous process."""
    n_days = intensity.shape[1]
    persona = candidates["persona"]
    peak = intensity.max(axis=1)[persona]
    start_time = candidates["entry_time"]
    end_time = np.minimum(candidates["dropout_time"], n_days)
    active_days = np.maximum(end_time - start_time, 0.0)
    n_candidates = rng.poisson(candidates["rate"] * peak * active_days)
    customer = np.repeat(np.arange(len(start_time)), n_candidates)
    time = start_time[customer] + rng.random(len(customer)) * active_days[customer]
    day = np.minimum(time.astype(np.int64), n_days - 1)
    kept = rng.random(len(customer)) * peak[customer] < intensity[persona[customer], day]
    return customer[kept], day[kept]


def draw_customers(
    rng: np.random.Generator, n_customers: int, acquisition: np.ndarray, intensity: np.ndarray
) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Customers with at least one order in the window, and all their orders.

    Returns the population (ordered by signup, so customer numbers follow
    signup order) and the orders as (customer index, day index, second of
    day) in time order. Population arrays: ``persona``, ``established``,
    ``signup_day`` (negative before the window), ``first_day`` (day of the
    first order in the window), ``rate`` (orders per day at the baseline
    intensity) and ``dropout_time`` (days since the window start).

    Established customers who drop out before ordering in the window never
    appear in the data; candidates are drawn in batches and the first
    ``n_customers`` with an order are kept, which samples exactly from the
    population conditioned on being seen.
    """
    batches, n_kept = [], 0
    while n_kept < n_customers:
        size = int(1.25 * (n_customers - n_kept)) + 64
        candidates = _candidates(rng, size, acquisition)
        customer, day = _repeat_orders(rng, candidates, intensity)
        new = np.flatnonzero(~candidates["established"])
        customer = np.concatenate([new, customer])
        day = np.concatenate([candidates["signup_day"][new], day])
        seen = np.flatnonzero(np.bincount(customer, minlength=size) > 0)[: n_customers - n_kept]
        position = np.full(size, -1)
        position[seen] = np.arange(len(seen)) + n_kept
        in_batch = position[customer] >= 0
        batches.append(
            (
                {key: values[seen] for key, values in candidates.items()},
                position[customer[in_batch]],
                day[in_batch],
                (np.arange(len(customer)) < len(new))[in_batch],
            )
        )
        n_kept += len(seen)
    population = {key: np.concatenate([b[0][key] for b in batches]) for key in batches[0][0]}
    customer = np.concatenate([b[1] for b in batches])
    day = np.concatenate([b[2] for b in batches])
    forced = np.concatenate([b[3] for b in batches])
    # Only the day matters for the intensity, so clock times come from the hourly
    # profile; a new customer's first order is at the signup time.
    second = draw_second_of_day(rng, len(customer))
    second[forced] = population["signup_second"][customer[forced]]

    by_signup = np.lexsort((population["signup_second"], population["signup_day"]))
    population = {key: values[by_signup] for key, values in population.items()}
    number = np.empty(n_customers, dtype=np.int64)
    number[by_signup] = np.arange(n_customers)
    customer = number[customer]
    order = np.lexsort((customer, second, day))
    customer, day, second = customer[order], day[order], second[order]
    first_day = np.full(n_customers, np.iinfo(np.int64).max)
    np.minimum.at(first_day, customer, day)
    population["first_day"] = first_day
    del population["entry_time"]
    return population, (customer, day, second)


def draw_second_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight, following the hourly profile; never exactly midnight."""
    hour = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(1, 3600, size)


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
