"""The synthetic shop's true expected demand: the best forecast anyone could make.

The generator (:mod:`.synthetic`) knows why every order happened: each
customer's purchase rate ``lambda``, its persona's daily seasonal intensity
``m(t)`` (:func:`~._synthetic_config.daily_intensity`), when it arrived and
when it dropped out. :func:`expected_daily_demand` turns the published truth
table into the expected number of orders and the expected revenue per day of
the observation window, *conditional on the realized population*: who the
customers are, their true rates, when the new ones arrived and when each one
left. That is the forecast of an oracle who knows every customer and the
seasonality but not the dice; no model of the data can beat it in
expectation, so its error is the noise floor of stage 07.

Derivation (gaps between orders are exponential in operational time,
:data:`~._synthetic_customers.REGULARITY` = 1, so orders are a Poisson
process with intensity ``lambda * m(t)`` while the customer is active).
Right after each order the customer leaves with its persona's probability
``q`` (``dropout_after_order``). Thinning the order process by that coin
splits it into two independent Poisson processes: "stop" orders at rate
``q * lambda * m`` and "continue" orders at rate ``(1 - q) * lambda * m``;
the dropout moment ``T`` is the first stop order. Given ``T`` (or given that
no stop order came before the window ended), the continue orders before it
are still Poisson with rate ``(1 - q) * lambda * m``. So, per customer:

* a **new** customer (signed up in the window) orders once on its signup day
  for sure; when it later dropped out on day ``D`` it also orders once on
  ``D`` for sure, and between the two at rate ``(1 - q) * lambda * m``; when it
  never dropped out, at that rate until the end. A new customer whose
  dropout day is its signup day is counted as a one-timer (one order): it
  could also have come back and left the same day, which is rarer than one
  in a thousand for every persona;
* an **established** customer (signed up before the window) orders at rate
  ``(1 - q) * lambda * m`` from the start of the window, plus once on its
  dropout day when it left. One who never left is in the data only because it
  ordered at least once in the window, so its rate is divided by
  ``1 - exp(-Lambda)``, ``Lambda`` its expected continue orders over the window
  (``E[N_t | N >= 1] = E[N_t] / P(N >= 1)``).

The signup time and the dropout time within their days are not published;
their expectations are used (the hourly profile's mean for the signup, half a
day for the dropout: stop orders are nearly uniform within a day).

The realized count minus this expectation is a sum of independent centred
Poisson counts, so its variance is the expected Poisson part
(``orders_variance``); the sure orders add no variance.

Revenue: an order's expected value is its expected number of lines times the
customer's category mix times each category's expected line value for the
persona (product choice, quantity, discount), all from the generator's
constants and the published catalogue prices. The generator re-draws a
product that repeats within an order; that small shift towards less popular
products is ignored (a documented approximation, checked against
simulation in the tests to within a few percent).

Cleaning: with ``dirty=True`` the generator blanks or breaks a known share
of the transaction lines (missing or unknown customer, future date,
non-positive price) and stage 01 removes them; the oracle knows those rates,
so revenue is scaled by the kept share and an order counts when at least one
of its lines is kept. Capped extreme quantities (0.2% of the lines, capped
at a quantile stage 01 picks from the data) are not modelled: on the default
run they raise the cleaned revenue by about 0.5% above this expectation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataValidationError
from ._synthetic_config import (
    CATEGORIES,
    CATEGORY_EXTRA_QUANTITY,
    DAYS_PER_YEAR,
    HOUR_WEIGHTS,
    PERSONA_NAMES,
    SECONDS_PER_DAY,
    daily_intensity,
    persona_array,
)
from ._synthetic_customers import REGULARITY
from ._synthetic_defects import TRANSACTION_DEFECT_RATES
from ._synthetic_orders import (
    DISCOUNT_RATES,
    DISCOUNT_WEIGHTS,
    MAX_EXTRA_QUANTITY,
    MAX_LINES_PER_ORDER,
)

__all__ = ["REMOVED_LINE_SHARE", "expected_daily_demand", "expected_order_value"]

#: Share of clean lines that the dirty export breaks and stage 01 removes.
REMOVED_LINE_SHARE = sum(
    TRANSACTION_DEFECT_RATES[key]
    for key in ("missing_customer_id", "unknown_customer", "future_dated", "nonpositive_price")
)

_TRUTH_COLUMNS = ["persona", "signup_date", "dropout_date", "purchase_rate"]


def _truncated_poisson_mean(mean: np.ndarray, cap: int) -> np.ndarray:
    """``E[min(X, cap)]`` for ``X ~ Poisson(mean)``: the sum of ``P(X >= k)``, k = 1..cap."""
    k = np.arange(1, cap + 1)
    return stats.poisson.sf(k[None, :] - 1, np.asarray(mean, dtype=float)[:, None]).sum(axis=1)


def _lines_distribution() -> np.ndarray:
    """P(an order has n lines), n = 1..MAX_LINES_PER_ORDER, per persona (rows)."""
    extra = persona_array("lines_per_order") - 1.0
    k = np.arange(MAX_LINES_PER_ORDER)
    probability = stats.poisson.pmf(k[None, :], extra[:, None])
    probability[:, -1] = stats.poisson.sf(MAX_LINES_PER_ORDER - 2, extra)
    return probability


def expected_order_value(
    shares: np.ndarray,
    persona: np.ndarray,
    choice: np.ndarray,
    product_category: np.ndarray,
    price: np.ndarray,
) -> np.ndarray:
    """Expected revenue of one order of each customer, before any cleaning.

    Parameters
    ----------
    shares : ndarray, shape (n_customers, n_categories)
        Each customer's probability of each category on a line.
    persona : ndarray of int, shape (n_customers,)
        Persona number of each customer.
    choice : ndarray, shape (n_personas, n_products)
        Probability of each product when a line of its category is drawn.
    product_category : ndarray of int, shape (n_products,)
    price : ndarray, shape (n_products,)
        Shelf prices, in product-number order.

    Returns
    -------
    ndarray, shape (n_customers,)
        Lines per order times the mix-weighted expected line value
        (quantity times unit price after the persona's discounts).
    """
    n_categories = len(CATEGORIES)
    discounted = np.maximum(np.round(price[None, :] * (1.0 - DISCOUNT_RATES[:, None]), 2), 0.01)
    mean_discounted = DISCOUNT_WEIGHTS @ discounted / DISCOUNT_WEIGHTS.sum()
    share = persona_array("discount_share")[:, None]
    unit_price = (1.0 - share) * np.maximum(price, 0.01)[None, :] + share * mean_discounted
    one_hot = np.eye(n_categories)[product_category]
    spend = (choice * unit_price) @ one_hot  # (persona, category): E[unit price] of a line
    extra = persona_array("extra_quantity")[:, None] + CATEGORY_EXTRA_QUANTITY[None, :]
    quantity = 1.0 + _truncated_poisson_mean(extra.ravel(), MAX_EXTRA_QUANTITY).reshape(extra.shape)
    line_value = spend * quantity
    lines = _lines_distribution() @ np.arange(1, MAX_LINES_PER_ORDER + 1)
    return lines[persona] * np.einsum("ij,ij->i", shares, line_value[persona])


def _spread(
    start: np.ndarray, stop: np.ndarray, weight: np.ndarray, row: np.ndarray, shape: tuple
) -> np.ndarray:
    """Sum of ``weight`` times the length of ``[start, stop)`` inside each day, per row.

    Times are continuous days; ``shape`` is (n_rows, n_days). Returns the
    (n_rows, n_days) array of covered day fractions, weighted.
    """
    n_rows, n_days = shape
    start = np.clip(start, 0.0, n_days)
    stop = np.clip(np.maximum(stop, start), 0.0, n_days)
    first = np.minimum(np.floor(start).astype(np.int64), n_days - 1)
    last = np.minimum(np.floor(stop).astype(np.int64), n_days)
    out = np.zeros((n_rows, n_days + 1))
    same = first == last
    np.add.at(out, (row[same], first[same]), weight[same] * (stop[same] - start[same]))
    apart = ~same
    r, f, last_a = row[apart], first[apart], last[apart]
    w = weight[apart]
    np.add.at(out, (r, f), w * (f + 1.0 - start[apart]))
    full = np.zeros((n_rows, n_days + 2))
    np.add.at(full, (r, f + 1), w)
    np.add.at(full, (r, last_a), -w)
    out += np.cumsum(full, axis=1)[:, : n_days + 1]
    np.add.at(out, (r, last_a), w * (stop[apart] - last_a))
    return out[:, :n_days]


def _point(day: np.ndarray, weight: np.ndarray, row: np.ndarray, shape: tuple) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, (row, day), weight)
    return out


def _check_truth(truth: pd.DataFrame, source_info: Mapping) -> None:
    missing = [c for c in _TRUTH_COLUMNS if c not in truth]
    if missing:
        raise DataValidationError(
            "truth", f"expected columns {_TRUTH_COLUMNS} of the synthetic truth, missing {missing}"
        )
    unknown = sorted(set(truth["persona"].astype(str)) - set(PERSONA_NAMES))
    if unknown:
        raise DataValidationError(
            "truth.persona", f"expected personas among {list(PERSONA_NAMES)}, found {unknown[:5]}"
        )
    absent = [k for k in ("observation_start", "observation_end") if k not in source_info]
    if absent:
        raise DataValidationError(
            "source_info",
            f"expected the synthetic data's {absent} (preprocessing_info.source_info)",
        )


def expected_daily_demand(
    truth: pd.DataFrame,
    source_info: Mapping,
    products: pd.DataFrame | None = None,
    *,
    cleaned: bool | None = None,
) -> pd.DataFrame:
    """True expected orders (and revenue) per day of the window, given the population.

    Parameters
    ----------
    truth : DataFrame
        The synthetic truth table (``persona``, ``signup_date``,
        ``dropout_date``, ``purchase_rate``; for revenue also
        ``true_share_<category>``), ids pseudonymized or not.
    source_info : mapping
        The synthetic data's ``info`` (``observation_start``,
        ``observation_end``; for revenue ``true_product_choice`` and
        ``product_categories``; ``dirty``).
    products : DataFrame, optional
        ``product_id`` (``P00001``, ...) and ``price``: without it only orders
        are computed.
    cleaned : bool, optional
        Whether the lines the dirty export breaks were removed (stage 01's
        clean transactions of dirty data); default ``source_info["dirty"]``
        (False when absent).

    Returns
    -------
    DataFrame
        One row per day: ``date``, ``orders`` (expected orders),
        ``orders_variance`` (variance of the realized count around it) and,
        with ``products``, ``revenue``.

    Raises
    ------
    DataValidationError
        A needed column or key is missing, a persona is unknown, or a product
        price is missing.

    Notes
    -----
    See the module docstring for the derivation and its two approximations.
    """
    _check_truth(truth, source_info)
    start = pd.Timestamp(source_info["observation_start"])
    end = pd.Timestamp(source_info["observation_end"])
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    n_days = len(days)
    intensity = daily_intensity(days)
    n_personas = len(PERSONA_NAMES)
    if REGULARITY != 1.0:  # pragma: no cover - guards a change of the generator's constant
        raise NotImplementedError("expected_daily_demand assumes Poisson orders (REGULARITY 1)")
    if cleaned is None:
        cleaned = bool(source_info.get("dirty", False))

    persona = pd.Index(PERSONA_NAMES).get_indexer(truth["persona"].astype(str))
    rate = truth["purchase_rate"].to_numpy(dtype=float) / DAYS_PER_YEAR
    keep = 1.0 - persona_array("dropout_after_order")[persona]
    signup = (pd.to_datetime(truth["signup_date"]) - start) / pd.Timedelta(days=1)
    signup = signup.to_numpy(dtype=float)
    established = signup < 0
    signup_day = np.floor(np.where(established, 0.0, signup)).astype(np.int64)
    dropout = (pd.to_datetime(truth["dropout_date"]) - start) / pd.Timedelta(days=1)
    dropped = dropout.notna().to_numpy()
    dropout_day = np.floor(dropout.fillna(n_days - 1).to_numpy(dtype=float)).astype(np.int64)
    one_timer = ~established & dropped & (dropout_day <= signup_day)

    # Expected time of day of a signup (hourly profile, uniform within the hour).
    hours = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    signup_fraction = (hours @ (np.arange(24) * 3600.0) + 1800.0) / SECONDS_PER_DAY
    entry = np.where(established, 0.0, signup_day + signup_fraction)
    stop = np.where(dropped, dropout_day + 0.5, float(n_days))
    continuing = keep * rate
    total_level = continuing * np.cumsum(intensity, axis=1)[persona, -1]
    seen = np.where(established & ~dropped, -np.expm1(-total_level), 1.0)
    weight = np.where(one_timer, 0.0, continuing / seen)

    shape = (n_personas, n_days)
    poisson = intensity * _spread(entry, stop, weight, persona, shape)
    sure_day = np.concatenate([signup_day[~established], dropout_day[dropped & ~one_timer]])
    sure_row = np.concatenate([persona[~established], persona[dropped & ~one_timer]])
    sure = _point(sure_day, np.ones(len(sure_day)), sure_row, shape)

    removed = REMOVED_LINE_SHARE if cleaned else 0.0
    # An order disappears when every one of its lines was removed.
    lost = _lines_distribution() @ removed ** np.arange(1, MAX_LINES_PER_ORDER + 1)
    kept_order = (1.0 - lost)[:, None]
    orders = kept_order * (poisson + sure)
    variance = kept_order * poisson + kept_order * (1.0 - kept_order) * sure
    out = pd.DataFrame(
        {
            "date": days,
            "orders": orders.sum(axis=0),
            "orders_variance": variance.sum(axis=0),
        }
    )
    if products is None:
        return out

    value = _order_values(truth, source_info, products, persona) * (1.0 - removed)
    revenue = intensity * _spread(entry, stop, weight * value, persona, shape)
    sure_value = np.concatenate([value[~established], value[dropped & ~one_timer]])
    revenue += _point(sure_day, sure_value, sure_row, shape)
    out["revenue"] = revenue.sum(axis=0)
    return out


def _order_values(
    truth: pd.DataFrame, source_info: Mapping, products: pd.DataFrame, persona: np.ndarray
) -> np.ndarray:
    share_columns = [f"true_share_{name}" for name in CATEGORIES]
    missing = [c for c in share_columns if c not in truth]
    absent = [k for k in ("true_product_choice", "product_categories") if k not in source_info]
    if missing or absent:
        raise DataValidationError(
            "truth",
            f"expected the category shares {missing} and the source info {absent} to compute "
            "the expected revenue",
        )
    category = np.asarray(source_info["product_categories"], dtype=np.int64)
    choice = np.asarray(source_info["true_product_choice"], dtype=float)
    number = products["product_id"].astype(str).str.slice(1).astype(int).to_numpy() - 1
    price = np.full(len(category), np.nan)
    valid = (number >= 0) & (number < len(category))
    price[number[valid]] = products["price"].to_numpy(dtype=float)[valid]
    if np.isnan(price).any():
        raise DataValidationError(
            "products_clean.price",
            f"expected a price for each of the {len(category)} products of the synthetic "
            f"catalogue, found {int(np.isnan(price).sum())} missing",
        )
    shares = truth[share_columns].to_numpy(dtype=float)
    return expected_order_value(shares, persona, choice, category, price)
