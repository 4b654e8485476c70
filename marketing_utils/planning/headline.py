"""Stage 09's headline for the report index, and the plan's figures as a reader sees them.

:func:`headline` builds the figures and the decision from a
:class:`~marketing_utils.planning.stage.PlanningResult`: the plan's expected
profit (on the estimated uplift, which flatters it) always next to its honest
value (the IPW off-policy estimate with its interval, and the true profit on
synthetic data). :func:`plan_table` shows the ``plan`` metrics rounded and
formatted instead of as raw floats.
"""

from __future__ import annotations

import math

import pandas as pd

from .stage import PlanningResult

__all__ = ["headline", "honest_value_text", "plan_table"]


def honest_value_text(plan: dict) -> str:
    """The plan's honest value in words, from the ``plan`` block of the metrics.

    The true profit (synthetic data) and the IPW estimate with its 95%
    interval, whichever are there; ``"no honest value available"`` otherwise.

    Examples
    --------
    >>> honest_value_text({"true_profit": 10750.2, "ipw_value": 10315.4,
    ...                    "ipw_ci_low": 8736.2, "ipw_ci_high": 12082.52})
    'true profit 10,750 (synthetic truth); IPW estimate 10,315, 95% CI 8,736 to 12,083'
    """
    parts = []
    if plan.get("true_profit") is not None:
        parts.append(f"true profit {plan['true_profit']:,.0f} (synthetic truth)")
    if plan.get("ipw_value") is not None:
        parts.append(
            f"IPW estimate {plan['ipw_value']:,.0f}, 95% CI {plan['ipw_ci_low']:,.0f} "
            f"to {plan['ipw_ci_high']:,.0f}"
        )
    return "; ".join(parts) if parts else "no honest value available"


def headline(result: PlanningResult, metrics: dict | None = None) -> tuple[list[dict], str]:
    """The stage's headline figures (2-4) and decision, from the result and its metrics.

    Figures:

    1. the plan's expected incremental profit (estimated uplift), with its
       honest value in the comparison;
    2. the honest value itself: the true incremental profit with its share of
       the oracle plan's (synthetic data), else the IPW estimate with its
       interval against the best single offer to everyone;
    3. the plan against top-k by response at the same budget (a ratio over a
       positive baseline, else the gain);
    4. the marginal return (shadow price) of the budget.

    Parameters
    ----------
    result : PlanningResult
    metrics : dict, optional
        ``result.metrics()`` (computed when not given).

    Returns
    -------
    figures : list of dict
        For :meth:`~marketing_utils.artifacts.Artifacts.record_headline`.
    decision : str
        Whom to contact with what, and whether the targeting is proven.
    """
    metrics = result.metrics() if metrics is None else metrics
    p = metrics["plan"]
    honest_name = metrics["honest_value"].replace("_", " ")
    figures = [
        {
            "label": "expected incremental profit of the plan",
            "value": p["expected_incremental_profit"],
            "format": "currency",
            "reading": f"what the plan's {metrics['n_contacts']:,} contacts are expected to add, "
            f"within the budget of {metrics['budget']:,.0f}",
            "comparison": "estimated uplift, which flatters the plan; honest value: "
            + honest_value_text(p),
        }
    ]
    has_ipw = p.get("ipw_value") is not None
    if p.get("true_profit") is not None:
        share = p.get("profit_share_of_oracle")
        oracle = p.get("oracle_true_profit")
        comparison = (
            f"{share:.1%} of the oracle plan's {oracle:,.0f} (the same optimizer on the true "
            "uplift, same budget)"
            if share is not None
            else f"the oracle plan (the same optimizer on the true uplift) earns {oracle:,.0f}"
            if oracle is not None
            else "no oracle plan"
        )
        reading = "the plan's incremental profit on the generator's true uplift"
        if has_ipw:
            reading += (
                f"; IPW estimate from the randomized test {p['ipw_value']:,.0f} "
                f"(95% CI {p['ipw_ci_low']:,.0f} to {p['ipw_ci_high']:,.0f})"
            )
        figures.append(
            {
                "label": "true incremental profit of the plan",
                "value": p["true_profit"],
                "format": "currency",
                "reading": reading,
                "comparison": comparison,
            }
        )
    elif has_ipw:  # real data: the off-policy estimate is the honest value
        verdict = "above" if p["ipw_ci_low"] > p["best_single_offer_value"] else "not above"
        figures.append(
            {
                "label": "IPW incremental profit of the plan",
                "value": p["ipw_value"],
                "format": "currency",
                "reading": "off-policy estimate on the randomized customers; 95% CI "
                f"{p['ipw_ci_low']:,.0f} to {p['ipw_ci_high']:,.0f}",
                "comparison": "everyone gets the best single offer: "
                f"{p['best_single_offer_value']:,.0f} (the interval is {verdict} it)",
            }
        )
    gain = metrics["profit_gain_over_response_topk"]
    if p.get("profit_vs_response_topk") is not None:
        figures.append(
            {
                "label": "profit against top-k by response",
                "value": p["profit_vs_response_topk"],
                "format": "ratio",
                "reading": f"{honest_name} of the plan over the response ranking at the same "
                "budget",
                "comparison": f"difference {gain:+,.0f}",
            }
        )
    elif gain is not None:
        figures.append(
            {
                "label": "profit gain over top-k by response",
                "value": gain,
                "format": "currency",
                "reading": f"{honest_name} of the plan minus the response ranking's at the same "
                "budget",
                "comparison": "the response ranking loses money here, so a ratio means nothing",
            }
        )
    figures.append(
        {
            "label": "marginal return of the budget",
            "value": metrics["budget_shadow_price"],
            "format": "number",
            "reading": "extra expected profit of one more currency unit of budget (shadow price)",
            "comparison": "0: more budget buys nothing; above 0: it pays",
        }
    )
    return figures, _decision(result, metrics)


def _decision(result: PlanningResult, metrics: dict) -> str:
    p = metrics["plan"]
    counts = result.contact_file()["offer"].value_counts()
    if len(counts) == 1:  # a campaign with one offer: name the list, not the arm
        decision = f"Send the campaign to the {metrics['n_contacts']:,} customers of the plan"
    else:
        mix = ", ".join(f"{n:,} with {offer}" for offer, n in counts.items())
        decision = f"Contact {metrics['n_contacts']:,} customers: {mix}"
    decision += "; everyone else gets nothing."
    unproven = p.get("ipw_value") is not None and p["ipw_ci_low"] <= p["best_single_offer_value"]
    if unproven:
        decision += (
            f" The targeting is not proven on this data (IPW {p['ipw_value']:,.0f}, 95% CI "
            f"{p['ipw_ci_low']:,.0f} to {p['ipw_ci_high']:,.0f}, against "
            f"{p['best_single_offer_value']:,.0f} for the best single offer to everyone): "
            "keep a random holdout and compare."
        )
    else:
        decision += (
            " For this campaign the plan replaces 04's list and 05's top-share rule: it contacts"
            " a customer only where the offer's uplift pays for the contact."
        )
    return decision


#: How each figure of the ``plan`` metrics is shown: label and format.
_PLAN_ROWS = {
    "expected_incremental_profit": ("expected incremental profit (estimated uplift)", "{:,.0f}"),
    "true_profit": ("true incremental profit (synthetic truth)", "{:,.0f}"),
    "oracle_true_profit": ("oracle plan's true profit", "{:,.0f}"),
    "profit_share_of_oracle": ("share of the oracle's true profit", "{:.1%}"),
    "ipw_value": ("IPW incremental profit", "{:,.0f}"),
    "ipw_ci_low": ("IPW 95% CI, low", "{:,.0f}"),
    "ipw_ci_high": ("IPW 95% CI, high", "{:,.0f}"),
    "best_single_offer_value": ("IPW, best single offer to everyone", "{:,.0f}"),
    "profit_vs_response_topk": ("honest profit over top-k by response", "{:.2f}x"),
}


def plan_table(plan: dict) -> pd.DataFrame:
    """The ``plan`` metrics rounded and formatted for reading, one row per figure.

    Returns
    -------
    pandas.DataFrame
        Index ``figure`` (a label), columns ``metric`` (the key in the
        metrics) and ``value`` (text: ``12,080``, ``87.2%``, ``6.61x``;
        ``n/a`` for a missing value).

    Examples
    --------
    >>> table = plan_table({"expected_incremental_profit": 12080.098, "profit_share_of_oracle": 0.87239})
    >>> table["value"].tolist()
    ['12,080', '87.2%']
    """
    rows = []
    for key, value in plan.items():
        label, style = _PLAN_ROWS.get(key, (key.replace("_", " "), "{:,.4g}"))
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        rows.append((label, key, "n/a" if missing else style.format(value)))
    return pd.DataFrame(rows, columns=["figure", "metric", "value"]).set_index("figure")
