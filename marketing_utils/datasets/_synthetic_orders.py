"""Catalogue and order lines: what each order contains and what it costs.

Products have log-normal prices and Zipf-like popularity within their
category; each customer has its own category mix around its persona's, and
each persona its own price preference, basket size and discount habit. The
orders themselves (who buys when) come from :mod:`._synthetic_customers`.
Everything is vectorized over all orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._synthetic_config import (
    CATEGORIES,
    CATEGORY_ASSORTMENT,
    CATEGORY_EXTRA_QUANTITY,
    CATEGORY_MEDIAN_PRICE,
    PERSONAS,
    persona_array,
)

#: Concentration of each customer's category mix around the persona mix.
CATEGORY_CONCENTRATION = 80.0
MAX_LINES_PER_ORDER = 10
MAX_EXTRA_QUANTITY = 5
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


def product_choice(catalogue: Catalogue) -> np.ndarray:
    """Probability of each product when a line of its category is drawn, per persona.

    Shape (n_personas, n_products); each persona's row sums to 1 within every
    category (the choice distribution of :func:`draw_products`).
    """
    n_categories = len(CATEGORIES)
    out = np.zeros((len(PERSONAS), len(catalogue.category)))
    offsets = catalogue.choice_offsets
    for group in range(len(offsets) - 1):
        cdf = catalogue.choice_cdf[offsets[group] : offsets[group + 1]]
        members = catalogue.choice_products[offsets[group] : offsets[group + 1]]
        out[group // n_categories, members] = np.diff(cdf, prepend=0.0)
    return out


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
    """Order lines: distinct products per order, quantity and (discounted) unit price.

    ``category_mix`` (one row per customer, summing to 1) is each customer's
    probability of each category on a line, returned for the truth.
    """
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
        "category_mix": mix / mix.sum(axis=1, keepdims=True),
    }


def _repeated_within_order(line_order: np.ndarray, product: np.ndarray) -> np.ndarray:
    """True for every line whose product already appeared earlier in its order."""
    key = line_order.astype(np.int64) * (product.max() + 1) + product
    _, first_index = np.unique(key, return_index=True)
    repeated = np.ones(len(key), dtype=bool)
    repeated[first_index] = False
    return repeated
