"""Synthetic retail data with a known ground truth.

:func:`make_synthetic` simulates an online retailer: customers of five latent
personas (loyal regulars, spring bargain hunters, premium occasional buyers,
seasonal gift shoppers and one-timers who never come back) buy following a
buy-till-you-die process with weekly and yearly seasonality, and silently
drop out right after an order. The shop already has an established customer
base when the window opens (their earlier history is not in the data) and
keeps acquiring new customers at a steadily growing rate, so revenue grows
by about 15% a year with a stable seasonal pattern. A randomized campaign
runs at the cutoff date. Because the data is
simulated, the truth behind it (persona, dropout, purchase probability,
campaign uplift) is returned alongside, so each notebook can show how close
its method gets to that truth. With ``dirty=True`` realistic defects are
injected with known counts, so the cleaning ledger can be checked exactly.

Time conventions
----------------
``start``, ``end`` and ``cutoff`` are calendar dates (midnight). Every clean
timestamp lies strictly between ``start`` and ``end``, and no timestamp is at
midnight, so "after ``end``" means the same whether compared as timestamps or
as dates. The label window is ``(cutoff, cutoff + horizon_days]``; features
use timestamps strictly before ``cutoff``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import MarketingData
from ._synthetic_campaign import (
    coupon_probabilities,
    draw_campaign,
    purchase_truth,
    response_probabilities,
)
from ._synthetic_config import (
    CATEGORIES,
    CHANNELS,
    DAYS_PER_YEAR,
    GENDERS,
    PERSONA_NAMES,
    REGIONS,
    SECONDS_PER_DAY,
    UPLIFT_TYPES,
    acquisition_rate,
    daily_intensity,
    persona_array,
)
from ._synthetic_customers import NEVER, draw_customers
from ._synthetic_defects import corrupt_customers, corrupt_transactions, no_defects
from ._synthetic_orders import draw_lines, make_catalogue, product_choice
from ._synthetic_people import draw_demographics, draw_personal_data
from ._synthetic_text import describe_products

__all__ = ["SyntheticData", "make_synthetic"]

_NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class SyntheticData(MarketingData):
    """Synthetic tables plus the truth that generated them.

    Parameters
    ----------
    customers, transactions, products, campaign : pandas.DataFrame
        The canonical tables (raw: with PII and, if ``dirty``, with defects).
    source : str
        Always ``"synthetic"``.
    info : dict
        ``observation_start``, ``observation_end``, ``cutoff`` (ISO dates),
        ``horizon_days``, ``n_personas``, ``personas``, ``seed``, ``n_customers``,
        ``categories`` and ``true_product_choice`` (truth: per persona, in the
        order of ``personas``, the probability of each product, ordered by
        product number, when a line of its category is drawn),
        ``product_categories`` (each product's index in ``categories``) and
        ``dirty`` (whether defects were injected).
    truth : pandas.DataFrame
        One row per customer, ordered like ``customers``: ``customer_id``,
        ``persona``, ``signup_date`` (before ``observation_start`` for the
        established customers), ``dropout_date`` (the last order, after which
        the customer left; missing if it had not left by the end),
        ``purchase_rate`` (orders per year at the baseline seasonal level),
        ``acquired_before_cutoff`` (first order in the data before the cutoff
        day: the scoring population), ``alive_at_cutoff``,
        ``true_purchase_prob`` (NaN outside the scoring population),
        ``purchased_in_horizon``, ``uplift_type``, ``p_response_control``,
        ``p_response_treated`` and ``true_uplift`` (missing for customers not
        in the campaign), and ``true_share_<category>`` (the customer's
        probability of each category on an order line). A customer's true
        probability of a product on a line is its category share times the
        product's ``info["true_product_choice"]`` for its persona.
    defects : dict of str to int
        Number of rows carrying each injected defect (all zero when clean).
    """

    source: str = "synthetic"
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)
    defects: dict[str, int] = field(default_factory=dict)


def _as_date(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        timestamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"make_synthetic: expected {name} to be a date, found {value!r}"
        ) from error
    if timestamp != timestamp.normalize() or timestamp.tz is not None:
        raise ValueError(
            f"make_synthetic: expected {name} to be a calendar date without time or "
            f"time zone, found {value!r}"
        )
    return timestamp.as_unit("ns")


def _check_arguments(n_customers: int, seed: int, n_products: int, horizon_days: int) -> None:
    checks = [
        ("n_customers", n_customers, 1),
        ("seed", seed, 0),
        ("n_products", n_products, len(CATEGORIES)),
        ("horizon_days", horizon_days, 1),
    ]
    for name, value, minimum in checks:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
            raise ValueError(
                f"make_synthetic: expected {name} to be an integer >= {minimum}, found {value!r}"
            )


def _id_strings(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{prefix}{k:0{width}d}" for k in numbers.tolist()], dtype=object)


def _strings(values: np.ndarray | list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def _take_strings(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Labels by code, built through a categorical so each label is converted once."""
    categorical = pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="str"))
    return pd.Series(categorical).astype("str")


def _dates(start: pd.Timestamp, days: np.ndarray, seconds: np.ndarray | int = 0) -> pd.Series:
    offsets = (days.astype(np.int64) * SECONDS_PER_DAY + seconds) * _NS_PER_SECOND
    return pd.Series(start.value + offsets, dtype="int64").astype("datetime64[ns]")


def make_synthetic(
    n_customers: int = 20_000,
    *,
    seed: int = 42,
    start: str | pd.Timestamp = "2023-01-01",
    end: str | pd.Timestamp = "2025-12-31",
    n_products: int = 500,
    horizon_days: int = 90,
    cutoff: str | pd.Timestamp | None = None,
    dirty: bool = True,
    campaign_offers: int = 1,
) -> SyntheticData:
    """Simulate customers, products, transactions and a campaign, with the truth.

    Parameters
    ----------
    n_customers : int, default 20_000
        Number of customers; about 22 transaction rows each on average (a few
        for one-timers, dozens for loyal regulars).
    seed : int, default 42
        Seed of the single random generator; the same seed gives identical
        tables, also across processes.
    start, end : str or pandas.Timestamp
        Calendar dates bounding the observation window. Clean timestamps are
        strictly between them: the last simulated day is the day before ``end``.
    n_products : int, default 500
        Catalogue size (at least one product per category, so >= 8).
    horizon_days : int, default 90
        Length of the label window after the cutoff.
    cutoff : str or pandas.Timestamp, optional
        Scoring date; default ``end - horizon_days``. Needs ``start < cutoff``
        and ``cutoff + horizon_days <= end``.
    dirty : bool, default True
        Inject data-quality defects (counts in ``defects``).
    campaign_offers : {1, 2}, default 1
        Offers in the randomized campaign. With 2 the treated customers are
        split between an ``email`` and a ``coupon`` (campaign column ``arm``;
        truth columns ``true_uplift_email`` and ``true_uplift_coupon``); every
        other table is identical to the single-offer data.

    Returns
    -------
    SyntheticData
        Raw tables matching :func:`marketing_utils.schema.raw_schema`, plus
        ``truth`` and ``defects``.

    Raises
    ------
    ValueError
        If an argument is out of range, naming it and the value found.

    Examples
    --------
    >>> data = make_synthetic(500, seed=1, dirty=False)
    >>> data.info["cutoff"], data.info["n_personas"]
    ('2025-10-02', 5)
    >>> len(data.truth) == len(data.customers) == 500
    True
    """
    _check_arguments(n_customers, seed, n_products, horizon_days)
    if campaign_offers not in (1, 2):
        raise ValueError(
            f"make_synthetic: campaign_offers must be 1 or 2, found {campaign_offers!r}"
        )
    start_ts, end_ts = _as_date(start, "start"), _as_date(end, "end")
    cutoff_ts = (
        end_ts - pd.Timedelta(days=horizon_days) if cutoff is None else _as_date(cutoff, "cutoff")
    )
    if not start_ts < cutoff_ts <= end_ts - pd.Timedelta(days=horizon_days):
        raise ValueError(
            "make_synthetic: expected start < cutoff <= end - horizon_days, found "
            f"start={start_ts.date()}, cutoff={cutoff_ts.date()}, end={end_ts.date()}, "
            f"horizon_days={horizon_days}"
        )
    n_customers, n_products, horizon_days = int(n_customers), int(n_products), int(horizon_days)
    rng = np.random.default_rng(int(seed))
    # Day d covers [start + d, start + d + 1); the last day ends at `end`.
    calendar = pd.date_range(start_ts, end_ts - pd.Timedelta(days=1), freq="D")
    intensity = daily_intensity(calendar)
    cutoff_day = (cutoff_ts - start_ts).days

    catalogue = make_catalogue(rng, n_products)
    population, orders = draw_customers(rng, n_customers, acquisition_rate(calendar), intensity)
    order_customer, order_day, order_second, order_level = orders
    persona = population["persona"]
    demographics = draw_demographics(rng, persona)
    personal = draw_personal_data(rng, demographics["gender"], demographics["region"])
    lines = draw_lines(rng, catalogue, persona, order_customer)

    id_width = max(6, len(str(n_customers)))
    customer_ids = _id_strings("C", np.arange(1, n_customers + 1), id_width)
    customers = pd.DataFrame(
        {
            "customer_id": _strings(customer_ids),
            "signup_date": _dates(start_ts, population["signup_day"]),
            "birth_date": _dates(start_ts, -demographics["birth_days"]),
            "gender": _take_strings(np.array(GENDERS), demographics["gender"]),
            "region": _take_strings(np.array(REGIONS), demographics["region"]),
            "channel": _take_strings(np.array(CHANNELS), demographics["channel"]),
            "income": demographics["income"],
            **{key: _strings(values) for key, values in personal.items()},
        }
    )

    product_width = max(5, len(str(n_products)))
    product_numbers = np.arange(1, n_products + 1)
    category_labels = np.array(CATEGORIES)
    products = pd.DataFrame(
        {
            "product_id": _strings(_id_strings("P", product_numbers, product_width)),
            "category": _take_strings(category_labels, catalogue.category),
            "name": _strings(
                [
                    f"{category_labels[code].capitalize()} item {number}"
                    for code, number in zip(catalogue.category, product_numbers, strict=True)
                ]
            ),
            "price": catalogue.price,
        }
    )
    families, descriptions = describe_products(int(seed), catalogue.category, catalogue.price)
    products["family"] = _strings(families)
    products["description"] = _strings(descriptions)

    order_width = max(8, len(str(len(order_customer))))
    order_ids = _id_strings("O", np.arange(1, len(order_customer) + 1), order_width)
    line_order = lines["order"]
    transactions = pd.DataFrame(
        {
            "customer_id": _take_strings(customer_ids, order_customer[line_order]),
            "timestamp": _dates(start_ts, order_day[line_order], order_second[line_order]),
            "order_id": _take_strings(order_ids, line_order),
            "product_id": products["product_id"].take(lines["product"]).reset_index(drop=True),
            "category": _take_strings(category_labels, lines["category"]),
            "quantity": lines["quantity"],
            "unit_price": lines["unit_price"],
            "amount": lines["amount"],
        }
    )

    truth, campaign = _truth_and_campaign(
        rng,
        population,
        demographics,
        order_customer,
        order_day,
        order_level,
        lines,
        intensity,
        cutoff_day,
        horizon_days,
        start_ts,
        offer_rng=np.random.default_rng([int(seed), 2]) if campaign_offers == 2 else None,
    )
    truth.insert(0, "customer_id", customers["customer_id"])
    for code, name in enumerate(CATEGORIES):
        truth[f"true_share_{name}"] = lines["category_mix"][:, code]
    campaign.insert(
        0,
        "customer_id",
        customers["customer_id"][truth["acquired_before_cutoff"]].reset_index(drop=True),
    )

    defects = no_defects()
    if dirty:
        # Defects are drawn last, so the clean part is identical with dirty=False.
        transactions, transaction_defects = corrupt_transactions(
            rng, transactions, end_ts, id_width, n_customers
        )
        customers, customer_defects = corrupt_customers(rng, customers)
        defects.update(transaction_defects)
        defects.update(customer_defects)

    info = {
        "observation_start": start_ts.date().isoformat(),
        "observation_end": end_ts.date().isoformat(),
        "cutoff": cutoff_ts.date().isoformat(),
        "horizon_days": horizon_days,
        "n_personas": len(PERSONA_NAMES),
        "personas": list(PERSONA_NAMES),
        "seed": int(seed),
        "n_customers": n_customers,
        "categories": list(CATEGORIES),
        "true_product_choice": np.round(product_choice(catalogue), 8).tolist(),
        "product_categories": catalogue.category.tolist(),
        "dirty": bool(dirty),
    }
    return SyntheticData(
        customers=customers,
        transactions=transactions,
        products=products,
        campaign=campaign,
        source="synthetic",
        info=info,
        truth=truth,
        defects=defects,
    )


def _truth_and_campaign(
    rng: np.random.Generator,
    population: dict[str, np.ndarray],
    demographics: dict[str, np.ndarray],
    order_customer: np.ndarray,
    order_day: np.ndarray,
    order_level: np.ndarray,
    lines: dict[str, np.ndarray],
    intensity: np.ndarray,
    cutoff_day: int,
    horizon_days: int,
    start: pd.Timestamp,
    offer_rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth table (without ids) and the campaign table (without ids)."""
    n = len(population["persona"])
    persona = population["persona"]
    state = purchase_truth(
        population, order_customer, order_day, order_level, intensity, cutoff_day, horizon_days
    )
    eligible = state["acquired_before_cutoff"]
    engagement = population["rate"] / (persona_array("orders_per_year")[persona] / DAYS_PER_YEAR)
    age_at_cutoff = (demographics["birth_days"] + cutoff_day) / DAYS_PER_YEAR
    uplift_type, control, treated = response_probabilities(
        persona, state["alive_at_cutoff"], age_at_cutoff, engagement
    )

    # Responders spend around their own mean order value before the cutoff.
    order_amount = np.bincount(lines["order"], weights=lines["amount"], minlength=len(order_day))
    before = order_day < cutoff_day
    spend_sum = np.bincount(order_customer[before], weights=order_amount[before], minlength=n)
    order_count = np.bincount(order_customer[before], minlength=n)
    mean_order_value = spend_sum / np.maximum(order_count, 1)
    coupon = (
        None if offer_rng is None else coupon_probabilities(uplift_type, control, age_at_cutoff)
    )
    treatment, response, spend, arm = draw_campaign(
        rng, eligible, control, treated, mean_order_value, coupon=coupon, offer_rng=offer_rng
    )

    dropped = population["dropout_day"] != NEVER
    dropout_date = _dates(
        start, np.where(dropped, population["dropout_day"], 0), population["dropout_second"]
    ).where(dropped)
    truth = pd.DataFrame(
        {
            "persona": _take_strings(np.array(PERSONA_NAMES), persona),
            "signup_date": _dates(start, population["signup_day"]),
            "dropout_date": dropout_date,
            "purchase_rate": population["rate"] * DAYS_PER_YEAR,
            **state,
            "uplift_type": _take_strings(
                np.array(UPLIFT_TYPES), np.where(eligible, uplift_type, -1)
            ),
            "p_response_control": np.where(eligible, control, np.nan),
            "p_response_treated": np.where(eligible, treated, np.nan),
            "true_uplift": np.where(eligible, treated - control, np.nan),
        }
    )
    campaign = pd.DataFrame({"treatment": treatment, "response": response, "spend": spend})
    if coupon is not None:
        truth["p_response_coupon"] = np.where(eligible, coupon, np.nan)
        truth["true_uplift_email"] = truth["true_uplift"]
        truth["true_uplift_coupon"] = np.where(eligible, coupon - control, np.nan)
        campaign.insert(0, "arm", pd.Series(arm, dtype="str"))
    return truth, campaign
