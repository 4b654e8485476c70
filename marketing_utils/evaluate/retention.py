"""Notebook 04's economics in retention terms, when the outcome is churn.

When 03's score is a churn risk, contacting a customer means making a
retention offer. With ``V`` the value lost when a customer churns (margin
over the remaining lifetime), ``s`` the share of contacted would-be churners
the offer keeps, and ``c`` the cost of one offer, contacting the ``k``
riskiest customers, of whom ``R(k)`` would churn, saves ``s R(k)`` customers
and earns

    net value(k) = V s R(k) - c k,

exactly the campaign profit of :mod:`marketing_utils.evaluate.economics` with
``value_per_conversion = V s``; so the same break-even rule holds: contact a
customer when the churn risk is at least ``c / (V s)``. The value at risk is
``V`` times the churners among the customers. (The offer is assumed not to
change the behaviour of customers who would have stayed; 05's uplift models
measure that where a campaign with a control group exists.)
"""

from __future__ import annotations

import pandas as pd

from .economics import CampaignEconomics

__all__ = ["retention_briefing", "retention_economics", "retention_table"]


def retention_economics(
    offer_cost: float,
    customer_value: float,
    save_rate: float,
    budget: float | None = None,
    max_contacts: int | None = None,
) -> CampaignEconomics:
    """Campaign economics of a retention offer.

    Parameters
    ----------
    offer_cost : float
        Cost of one retention offer (the params' ``cost_per_contact``).
    customer_value : float
        Value lost when a customer churns, > 0.
    save_rate : float
        Share of the contacted would-be churners the offer keeps, in (0, 1].
    budget, max_contacts : optional
        Limits, as for any campaign.

    Returns
    -------
    CampaignEconomics
        With ``value_per_conversion = customer_value * save_rate``.

    Raises
    ------
    ValueError
        When ``save_rate`` is not in (0, 1] or ``customer_value`` is not positive.

    Examples
    --------
    >>> retention_economics(5.0, 200.0, 0.25).value_per_conversion
    50.0
    """
    if (
        isinstance(save_rate, bool)
        or not isinstance(save_rate, int | float)
        or not (0 < save_rate <= 1)
    ):
        raise ValueError(f"evaluation.save_rate: expected a share in (0, 1], found {save_rate!r}")
    if (
        isinstance(customer_value, bool)
        or not isinstance(customer_value, int | float)
        or (customer_value <= 0)
    ):
        raise ValueError(
            f"evaluation.customer_value: expected a number > 0, found {customer_value!r}"
        )
    return CampaignEconomics(
        offer_cost, float(customer_value) * float(save_rate), budget, max_contacts
    )


def retention_table(result, customer_value: float, save_rate: float) -> pd.DataFrame:
    """Churners reached, customers saved, value saved and net value of each targeting.

    Parameters
    ----------
    result : TargetingEvaluation
        :func:`marketing_utils.evaluate.stage.evaluate_targeting` run with
        :func:`retention_economics`.
    customer_value, save_rate : float

    Returns
    -------
    pandas.DataFrame
        One row per targeting of ``result.money_table()``: ``offers``,
        ``churners_reached`` (``revenue / (V s)``), ``saved_customers``
        (``s`` times those), ``value_saved``, ``offer_cost``, ``net_value``;
        plus the held-out ``value_at_risk`` (``V`` times all churners).
    """
    money = result.money_table()
    per_churner = float(customer_value) * float(save_rate)
    reached = money["revenue"] / per_churner
    table = pd.DataFrame(
        {
            "offers": money["contacts"],
            "churners_reached": reached.round(6),
            "saved_customers": (reached * save_rate).round(6),
            "value_saved": money["revenue"],
            "offer_cost": money["cost"],
            "net_value": money["profit"],
        }
    )
    table["value_at_risk"] = float(customer_value) * float(result.test["label"].sum())
    return table


def retention_briefing(result, customer_value: float, save_rate: float) -> str:
    """The retention decision in a few sentences (churn instead of purchases)."""
    table = retention_table(result, customer_value, save_rate)
    chosen = table.loc["chosen targeting"]
    churners = int(result.test["label"].sum())
    lines = [
        f"{churners:,} of {len(result.test):,} held-out customers churned "
        f"({churners / len(result.test):.1%}): {table['value_at_risk'].iloc[0]:,.0f} of value at risk "
        f"at {customer_value:,.0f} per customer.",
        f"Make the retention offer to the {int(chosen['offers']):,} customers with a churn risk of "
        f"at least {result.rule.threshold:.3f} (break-even: offer cost / (customer value x save "
        f"rate) = {result.economics.cost_per_contact:,.2f} / "
        f"{customer_value * save_rate:,.2f}).",
        f"They include {chosen['churners_reached']:,.0f} of the churners; at a save rate of "
        f"{save_rate:.0%} that keeps {chosen['saved_customers']:,.1f} customers worth "
        f"{chosen['value_saved']:,.0f}, for offers costing {chosen['offer_cost']:,.0f}: a net "
        f"value of {chosen['net_value']:,.0f}.",
        f"Offering it to everyone would net {table.loc['contact everyone', 'net_value']:,.0f}.",
    ]
    return "\n".join(lines)
