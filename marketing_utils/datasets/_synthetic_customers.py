"""Who the customers are and when they buy: a buy-till-you-die renewal process.

Each customer has a purchase rate ``lambda`` (Gamma around its persona's
mean). Orders follow a renewal process in the customer's *operational time*
``lambda * M(t)``, where ``M`` is the cumulative seasonal/trend multiplier of
its persona, so seasonality stretches and squeezes calendar time (more
orders in busy weeks): the gaps between orders are Gamma with shape
:data:`REGULARITY` and mean 1 in operational time. Shape 1 (the default) is
a Poisson process; a larger shape makes customers regular, so that a
customer "due" for its next order is likelier to buy than one who just did.
That due-ness is known exactly to the truth but only roughly visible in the
data, so the default keeps it out and the best model can come close to the
truth.

Dropout follows the BG/NBD model (Fader, Hardie and Lee, 2005): right after
each order a customer leaves for good with its persona's probability
``dropout_after_order`` (after its very first order with
``first_order_dropout``: most one-timers never come back). The dropout
moment is therefore the last order, and the longer the silence past a
customer's usual gap, the surer it is that the customer is gone.

Customers are either *established* (alive when the window opens, with a
history before it that the data does not show) or *new* (first order on
arrival during the window). Everything is vectorized over all customers.
"""

from __future__ import annotations

import numpy as np

from ._synthetic_config import (
    ACQUISITION_GROWTH_PER_YEAR,
    DAYS_PER_YEAR,
    HOUR_WEIGHTS,
    PERSONAS,
    SECONDS_PER_DAY,
    SHOP_AGE_YEARS,
    persona_array,
)

#: Gamma shape of the purchase rate around the persona mean (CV = 1/sqrt(shape)).
RATE_SHAPE = 25.0
#: Gamma shape of the gaps between orders in operational time (1 = Poisson).
REGULARITY = 1.0
#: Marks "no dropout during the window" in day and order indices.
NEVER = np.iinfo(np.int64).max


def draw_second_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight, following the hourly profile; never exactly midnight."""
    hour = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(1, 3600, size)


def cumulative_intensity(intensity: np.ndarray) -> np.ndarray:
    """``M`` per persona at the start of each day and at the end: shape (n_personas, n_days + 1)."""
    zeros = np.zeros((len(intensity), 1))
    return np.concatenate([zeros, np.cumsum(intensity, axis=1)], axis=1)


def operational_time(
    cumulative: np.ndarray, intensity: np.ndarray, persona: np.ndarray, time: np.ndarray
) -> np.ndarray:
    """``M`` of each persona at continuous times (days since the window start)."""
    day = np.clip(np.floor(time).astype(np.int64), 0, intensity.shape[1] - 1)
    return cumulative[persona, day] + intensity[persona, day] * (time - day)


def _calendar_time(
    cumulative: np.ndarray, intensity: np.ndarray, persona: np.ndarray, level: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`operational_time`: the time at which ``M`` reaches ``level``."""
    n_personas, width = cumulative.shape
    # Shifting persona p's increasing row by p * span makes one increasing array.
    span = cumulative[:, -1].max() + 1.0
    shifted = (cumulative + span * np.arange(n_personas)[:, None]).ravel()
    position = np.searchsorted(shifted, level + span * persona, side="right") - 1
    day = np.clip(position - persona * width, 0, width - 2)
    return day + (level - cumulative[persona, day]) / intensity[persona, day]


def _tenure_cumulative() -> np.ndarray:
    """Unnormalized CDF of established customers' tenure, per persona, on a daily grid.

    A customer who arrived ``a`` days before the start and came back after its
    first order has survived its later orders with probability about
    ``(1 + q * theta * a) ** -k``: with ``N`` orders since arrival, ``(1 - q) ** N``
    averaged over Poisson ``N`` and Gamma(k, theta) rates. Arrivals grew at
    rate ``g``, so tenures have density proportional to ``exp(-g * a)`` times
    that, up to the age of the shop. The last column is the established base
    (before the first-order dropout) in days' worth of day-0 arrivals.
    """
    growth = np.log1p(ACQUISITION_GROWTH_PER_YEAR) / DAYS_PER_YEAR
    days = np.arange(int(SHOP_AGE_YEARS * DAYS_PER_YEAR)) + 0.5
    decay = _dropout_scale()[:, None]
    density = np.exp(-growth * days) * (1.0 + decay * days) ** -RATE_SHAPE
    return np.cumsum(density, axis=1)


def _dropout_scale() -> np.ndarray:
    """``q * theta`` per persona: dropouts per day of a customer at the Gamma scale."""
    mean_rate = persona_array("orders_per_year") / DAYS_PER_YEAR
    return persona_array("dropout_after_order") * mean_rate / RATE_SHAPE


def _draw_tenure(
    rng: np.random.Generator, cumulative: np.ndarray, persona: np.ndarray
) -> np.ndarray:
    """Tenures (days, continuous) from each persona's row of ``cumulative``."""
    n_days = cumulative.shape[1]
    shifted = (cumulative / cumulative[:, -1:] + np.arange(len(cumulative))[:, None]).ravel()
    position = np.searchsorted(shifted, persona + rng.random(len(persona)), side="right")
    day = np.minimum(position - persona * n_days, n_days - 1)
    return day + rng.random(len(persona))


def _candidates(
    rng: np.random.Generator, size: int, acquisition: np.ndarray
) -> dict[str, np.ndarray]:
    """Candidate customers: established (alive when the window opens) or new.

    New customers arrive at ``acquisition`` (per day, relative to the first
    day's rate) and order on arrival. Arrivals grew at the same pace before
    the window; the survivors at day 0 form the established base (see
    :func:`_tenure_cumulative`); a survivor's rate, given its tenure ``a``, is
    ``Gamma(k, theta / (1 + q * theta * a))`` (frequent buyers had more
    chances to leave). ``orders_left`` counts the orders a customer will place
    from its entry on, the last one included: dropout after an order is a
    coin flip, so it is geometric. Times are in days since the window start.
    """
    shares = persona_array("share") / persona_array("share").sum()
    cumulative = _tenure_cumulative()
    first_survival = 1.0 - persona_array("first_order_dropout")
    weights = np.concatenate(
        [shares * first_survival * cumulative[:, -1], shares * acquisition.sum()]
    )
    kind = rng.choice(len(weights), size=size, p=weights / weights.sum())
    established = kind < len(PERSONAS)
    persona = kind % len(PERSONAS)

    arrival_day = rng.choice(len(acquisition), size=size, p=acquisition / acquisition.sum())
    tenure = np.where(established, _draw_tenure(rng, cumulative, persona), 0.0)
    signup_second = draw_second_of_day(rng, size)
    signup_day = np.where(established, -np.ceil(tenure).astype(np.int64), arrival_day)
    scale = persona_array("orders_per_year")[persona] / DAYS_PER_YEAR / RATE_SHAPE
    rate = rng.gamma(RATE_SHAPE, scale / (1.0 + _dropout_scale()[persona] * tenure))
    later_orders = rng.geometric(persona_array("dropout_after_order")[persona])
    returns = rng.random(size) >= persona_array("first_order_dropout")[persona]
    orders_left = np.where(established, later_orders, 1 + returns * later_orders)
    # Established customers are observed from day 0, without an order then.
    entry_time = np.where(established, 0.0, signup_day + signup_second / SECONDS_PER_DAY)
    return {
        "persona": persona,
        "established": established,
        "signup_day": signup_day,
        "signup_second": signup_second,
        "entry_time": entry_time,
        "rate": rate,
        "orders_left": orders_left,
    }


def _renewal_orders(
    rng: np.random.Generator, candidates: dict[str, np.ndarray], intensity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every order in the window as (customer index, operational time ``lambda * M``).

    A new customer's first order is at its arrival. An established customer
    has been ordering since long before the window, so its first order in the
    window comes after the forward recurrence time of a stationary renewal
    process: ``U * G`` with ``U`` uniform and ``G`` a length-biased gap,
    Gamma(shape + 1). Gaps are drawn in rounds until every customer has
    placed its last order or passed the end of the window. Each customer's
    orders come out in time order.
    """
    cumulative = cumulative_intensity(intensity)
    persona, rate = candidates["persona"], candidates["rate"]
    orders_left = candidates["orders_left"]
    level_start = rate * operational_time(cumulative, intensity, persona, candidates["entry_time"])
    level_stop = rate * cumulative[persona, -1]
    recurrence = rng.random(len(rate)) * rng.gamma(REGULARITY + 1.0, 1.0 / REGULARITY, len(rate))
    current = np.where(candidates["established"], level_start + recurrence, level_start)

    placed = np.zeros(len(rate), dtype=np.int64)
    active = np.flatnonzero(current < level_stop)
    customers, levels = [active], [current[active]]
    placed[active] = 1
    active = active[placed[active] < orders_left[active]]
    while len(active):
        # Enough gaps to pass the end for nearly everyone in one round.
        remaining = level_stop[active] - current[active]
        count = np.ceil(remaining + 3.0 * np.sqrt(remaining / REGULARITY) + 1.0).astype(np.int64)
        count = np.minimum(count, orders_left[active] - placed[active])
        owner = np.repeat(active, count)
        total = np.cumsum(rng.gamma(REGULARITY, 1.0 / REGULARITY, len(owner)))
        last = np.cumsum(count) - 1
        offset = np.repeat(np.concatenate([[0.0], total[last[:-1]]]), count)
        level = current[owner] + total - offset
        kept = level < level_stop[owner]
        customers.append(owner[kept])
        levels.append(level[kept])
        current[active] = level[last]
        placed[active] += count
        active = active[
            (current[active] < level_stop[active]) & (placed[active] < orders_left[active])
        ]
    customer, level = np.concatenate(customers), np.concatenate(levels)
    by_time = np.lexsort((level, customer))
    return customer[by_time], level[by_time]


def draw_customers(
    rng: np.random.Generator, n_customers: int, acquisition: np.ndarray, intensity: np.ndarray
) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Customers with at least one order in the window, and all their orders.

    Returns the population (ordered by signup, so customer numbers follow
    signup order) and the orders as (customer index, day index, second of
    day, operational time) in time order. Population arrays: ``persona``,
    ``established``, ``signup_day`` (negative before the window),
    ``signup_second``, ``rate`` (orders per day at the baseline intensity),
    ``orders_left`` (orders from entry on, see :func:`_candidates`),
    ``first_day`` (day of the first order in the window) and ``dropout_day``
    and ``dropout_second`` (when the last order before dropping out was
    placed; :data:`NEVER` for customers still active at the end).

    Established customers who drop out before ordering in the window never
    appear in the data; candidates are drawn in batches and the first
    ``n_customers`` with an order are kept, which samples exactly from the
    population conditioned on being seen.
    """
    cumulative = cumulative_intensity(intensity)
    batches, n_kept = [], 0
    while n_kept < n_customers:
        size = int(1.25 * (n_customers - n_kept)) + 64
        candidates = _candidates(rng, size, acquisition)
        customer, level = _renewal_orders(rng, candidates, intensity)
        # The first record of each new customer is its arrival order.
        first_record = np.zeros(len(customer), dtype=bool)
        first_record[np.unique(customer, return_index=True)[1]] = True
        arrival = first_record & ~candidates["established"][customer]
        seen = np.flatnonzero(np.bincount(customer, minlength=size) > 0)[: n_customers - n_kept]
        position = np.full(size, -1)
        position[seen] = np.arange(len(seen)) + n_kept
        in_batch = position[customer] >= 0
        batches.append(
            (
                {key: values[seen] for key, values in candidates.items()},
                position[customer[in_batch]],
                level[in_batch],
                arrival[in_batch],
            )
        )
        n_kept += len(seen)
    population = {key: np.concatenate([b[0][key] for b in batches]) for key in batches[0][0]}
    customer = np.concatenate([b[1] for b in batches])
    level = np.concatenate([b[2] for b in batches])
    persona = population["persona"][customer]
    time = _calendar_time(cumulative, intensity, persona, level / population["rate"][customer])
    day = np.minimum(time.astype(np.int64), intensity.shape[1] - 1)
    # Only the day matters for the intensity, so clock times come from the hourly
    # profile; a new customer's first order is at the signup time.
    second = draw_second_of_day(rng, len(customer))
    arrival = np.concatenate([b[3] for b in batches])
    second[arrival] = population["signup_second"][customer[arrival]]

    by_signup = np.lexsort((population["signup_second"], population["signup_day"]))
    population = {key: values[by_signup] for key, values in population.items()}
    number = np.empty(n_customers, dtype=np.int64)
    number[by_signup] = np.arange(n_customers)
    customer = number[customer]
    order = np.lexsort((level, customer, second, day))
    customer, day, second, level = customer[order], day[order], second[order], level[order]
    first_day = np.full(n_customers, NEVER)
    np.minimum.at(first_day, customer, day)
    last_order = np.zeros(n_customers, dtype=np.int64)
    np.maximum.at(last_order, customer, np.arange(len(customer)))
    dropped = np.bincount(customer, minlength=n_customers) == population["orders_left"]
    population["first_day"] = first_day
    population["dropout_day"] = np.where(dropped, day[last_order], NEVER)
    population["dropout_second"] = np.where(dropped, second[last_order], 0)
    del population["entry_time"]
    return population, (customer, day, second, level)
