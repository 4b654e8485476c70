"""Worked examples for the notebook: the formulas of stage 08 on one customer, term by term.

Each function computes the quantity from its closed form step by step (with
:mod:`math`, scalar by scalar) and returns the steps as a table, so the
reader can follow the arithmetic; the tests check that the last line equals
what the vectorized model functions give.
"""

from __future__ import annotations

import math

import pandas as pd

from . import bgnbd, gamma_gamma
from .data import TIME_UNITS
from .mle import FitResult
from .value import DAYS_PER_MONTH, purchase_model

__all__ = [
    "bgnbd_worked_example",
    "clv_worked_example",
    "gamma_gamma_worked_example",
    "headline",
    "headline_actions",
    "holdout_error",
    "targeting_verdict",
]


def _values(params) -> dict[str, float]:
    return dict(params.params if isinstance(params, FitResult) else params)


def bgnbd_worked_example(params, x: float, tx: float, T: float) -> pd.DataFrame:
    """The BG/NBD log-likelihood and P(alive) of one customer, term by term."""
    p = _values(params)
    r, alpha, a, b = (p[n] for n in bgnbd.PARAMS)
    lg = math.lgamma
    a1 = lg(r + x) - lg(r) + r * math.log(alpha)
    a2 = lg(a + b) + lg(b + x) - lg(b) - lg(a + b + x)
    a3 = -(r + x) * math.log(alpha + T)
    a4 = math.log(a) - math.log(b + x - 1) - (r + x) * math.log(alpha + tx) if x > 0 else None
    ll = a1 + a2 + (math.log(math.exp(a3) + math.exp(a4)) if a4 is not None else a3)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    rows = [
        ("A1 = lnΓ(r+x) − lnΓ(r) + r ln α", a1),
        ("A2 = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x)", a2),
        ("A3 = −(r+x) ln(α+T)", a3),
        ("A4 = ln a − ln(b+x−1) − (r+x) ln(α+tₓ)  (x > 0 only)", a4),
        ("log-likelihood = A1 + A2 + ln(e^A3 + e^A4)", ll),
        ("odds of having dropped out = a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)", odds),
        ("P(alive) = 1 / (1 + odds)", 1 / (1 + odds)),
    ]
    return pd.DataFrame(rows, columns=["step", "value"])


def gamma_gamma_worked_example(params, x: float, m: float) -> pd.DataFrame:
    """The Gamma-Gamma expected spend of one customer as a weighted mean."""
    p_, q, v = (_values(params)[n] for n in gamma_gamma.PARAMS)
    population = p_ * v / (q - 1)
    weight = p_ * x / (p_ * x + q - 1)
    rows = [
        ("population mean spend p·v/(q−1)", population),
        ("customer's own mean spend m̄", m),
        ("weight of the own mean px/(px+q−1)", weight),
        ("E[M] = (1−w)·population + w·m̄", (1 - weight) * population + weight * m),
    ]
    return pd.DataFrame(rows, columns=["step", "value"])


def clv_worked_example(
    model: str,
    params,
    x: float,
    tx: float,
    T: float,
    spend: float,
    *,
    months: int,
    margin: float,
    annual_discount_rate: float,
    time_unit: str = "W",
) -> pd.DataFrame:
    """The discounted CLV sum of one customer, one row per month.

    Columns: ``month``, ``expected_purchases`` (in that month), ``margin``
    (expected margin of the month), ``discount_factor``, ``discounted`` and
    ``clv`` (the running sum).
    """
    module = purchase_model(model)
    unit = TIME_UNITS[time_unit]
    rows, previous, running = [], 0.0, 0.0
    for k in range(1, months + 1):
        current = float(
            module.conditional_expected_purchases(params, k * DAYS_PER_MONTH / unit, x, tx, T)
        )
        purchases = current - previous
        value = margin * spend * purchases
        factor = (1 + annual_discount_rate) ** (-k / 12)
        running += value * factor
        rows.append((k, purchases, value, factor, value * factor, running))
        previous = current
    return pd.DataFrame(
        rows,
        columns=["month", "expected_purchases", "margin", "discount_factor", "discounted", "clv"],
    )


_NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD"}


def holdout_error(metrics: dict) -> tuple[str, float, float, float]:
    """The model behind the value, its predicted and the actual holdout repeat purchases, and its error.

    The one place the headline figure, the decision and the actions take the
    holdout error from, so that they state the same number.

    Returns
    -------
    model : str
        ``metrics["purchase_model"]``.
    predicted, actual : float
        Holdout repeat purchases, that model's prediction and what happened.
    error : float
        ``predicted / actual - 1`` (NaN without holdout purchases).
    """
    holdout = metrics["holdout"]
    model = metrics["purchase_model"]
    predicted = float(holdout["predicted_repeat"][model])
    actual = float(holdout["actual_repeat"])
    error = predicted / actual - 1 if actual else float("nan")
    return model, predicted, actual, error


def _error_words(error: float) -> str:
    """``over-predicted ... by 8.5%``: the error as computed, to the headline's precision."""
    if math.isnan(error):  # no holdout purchases
        return "could not be checked against the holdout (no repeat purchases in it)"
    direction = "over-predicted" if error > 0 else "under-predicted"
    return f"{direction} the holdout repeat purchases by {abs(error):.1%}"


#: Largest holdout error (relative, either way) at which the values are planned on.
TRUSTED_ERROR = 0.15


def _trusted(error: float) -> bool:
    """Whether the holdout error allows planning on the values (an unchecked one does not)."""
    return not math.isnan(error) and abs(error) <= TRUSTED_ERROR


def _distrust(error: float) -> str:
    """Why the values are not planned on: an unchecked or too large holdout error."""
    if math.isnan(error):
        return "the values could not be checked against a holdout"
    return f"the holdout error is above {TRUSTED_ERROR:.0%}"


def targeting_verdict(targeting: dict, currency: str = "currency units") -> str:
    """Whether to price stage 04's targeting in lifetime value, from :func:`~.tiers.clv_priced_targeting`.

    Recommends the CLV-priced rule only for a material gain (its ``material``
    flag); a negligible or negative difference keeps 04's list.
    """
    gain, extra = targeting["gain"], targeting["extra_contacts"]
    relative = targeting.get("relative_gain")
    size = f"{gain:+,.0f} {currency}" + (f" ({relative:+.1%})" if relative is not None else "")
    compared = (
        f"{targeting['expected_clv_priced']:,.0f} against {targeting['expected_clv_fixed']:,.0f} "
        f"of expected net lifetime value, contacting {targeting['contacted_clv']:,} customers "
        f"instead of {targeting['contacted_fixed']:,} ({extra:+,})"
    )
    if targeting["material"]:
        return f"Price targeting in lifetime value (p x CLV >= cost): it adds {size}, {compared}."
    threshold = targeting.get("material_gain")
    below = f" (under the {threshold:.0%} that counts as material)" if threshold else ""
    size = f"a negligible {size}{below}" if gain >= 0 else size
    return (
        f"Keep 04's targeting: pricing it in lifetime value changes the expected value by "
        f"{size}, {compared}."
    )


def headline_actions(metrics: dict, n_at_risk: int, currency: str = "currency units") -> list[str]:
    """The business actions the numbers support, as sentences built from the metrics.

    With ``metrics["targeting"]`` (:func:`~.tiers.clv_priced_targeting`), the
    last action is :func:`targeting_verdict`.
    """
    chosen, predicted, actual, error = holdout_error(metrics)
    actions = [
        f"The model behind the value ({_NAMES[chosen]}) predicted {predicted:,.0f} "
        f"repeat purchases in the holdout against {actual:,.0f} that happened ({error:+.1%}): "
        + (
            "trust it for planning at that accuracy."
            if _trusted(error)
            else f"{_distrust(error)}: do not plan on its level; look at the tracking plot "
            "before using the values."
        ),
        f"The top 20% of customers by predicted value held "
        f"{metrics['top20_share_of_holdout_value']:.0%} of the holdout spend: give them the "
        "retention budget first.",
        f"{n_at_risk} customers had a high past value and a low probability of being alive: "
        "contact them with a win-back offer worth less than their expected value.",
        f"The mean customer is worth {metrics['clv']['mean']:,.2f} {currency} of discounted "
        "margin over the horizon.",
    ]
    if metrics.get("targeting") is not None and _trusted(error):  # as the decision does
        actions.append(targeting_verdict(metrics["targeting"], currency))
    return actions


def headline(metrics: dict, n_at_risk: int) -> tuple[list[dict], str]:
    """The stage's headline figures and decision for the report index, from its metrics.

    Figures: the holdout repeat purchases of the model behind the value against
    the actual; P(alive) ROC AUC against the truth (synthetic data only; with
    BG/NBD's for comparison); the share of the holdout spend the top 20% by
    predicted value held. The decision states the same holdout error as the
    first figure, and recommends pricing the targeting in lifetime value only
    when ``metrics["targeting"]`` shows a material gain.

    Returns
    -------
    figures : list of dict
        For :meth:`~marketing_utils.artifacts.Artifacts.record_headline`.
    decision : str
        One or two sentences, built from the numbers.
    """
    holdout = metrics["holdout"]
    chosen, predicted, actual, error = holdout_error(metrics)
    unit = {"W": "week", "D": "day"}.get(metrics.get("time_unit"), "period")
    mae = holdout["mae"]
    figures = [
        {
            "label": "holdout repeat purchases, predicted vs actual",
            "value": error,
            "format": "percent",
            "reading": f"{_NAMES[chosen]} predicted {predicted:,.0f} repeat purchases in the "
            f"{holdout['periods']:.0f}-{unit} holdout; {actual:,.0f} happened",
            "comparison": f"holdout MAE per customer {mae[chosen]:.3f} against "
            f"{mae['rate_forward']:.3f} (rate carried forward) and {mae['gap_rule']:.3f} "
            "(zero after a long gap)",
        }
    ]
    truth = metrics.get("truth")
    if truth is not None:
        by_model = truth["p_alive_auc_by_model"]
        others = ", ".join(f"{_NAMES[m]} {v:.3f}" for m, v in by_model.items() if m != chosen)
        figures.append(
            {
                "label": "P(alive) ROC AUC against the truth",
                "value": truth["p_alive_auc"],
                "format": "number",
                "reading": f"how well {_NAMES[chosen]}'s P(alive) ranks the customers truly "
                "alive at the end of calibration above those who had dropped out",
                "comparison": "0.5 is a random ranking" + (f"; {others}" if others else ""),
            }
        )
    top = metrics["top20_share_of_holdout_value"]
    figures.append(
        {
            "label": "holdout spend held by the top 20% by predicted value",
            "value": top,
            "format": "percent",
            "reading": "customers ranked on the calibration period alone",
            "comparison": "20% for a random ranking",
        }
    )
    trusted = _trusted(error)
    decision = (
        f"The value ({_NAMES[chosen]}) {_error_words(error)} ({predicted:,.0f} predicted, "
        f"{actual:,.0f} happened) and its top 20% held {top:.0%} of the holdout spend: "
    )
    if not trusted:
        return figures, decision + (
            f"{_distrust(error)}, so rank customers by the value but do not plan budgets on "
            "its level until the tracking plot is understood."
        )
    decision += (
        f"give the retention budget to the top tier first and win back the {n_at_risk:,} "
        "high-value customers at risk."
    )
    targeting = metrics.get("targeting")
    if targeting is not None:
        relative = targeting.get("relative_gain")
        change = f"{relative:+.1%}" if relative is not None else f"{targeting['gain']:+,.0f}"
        extra = targeting["extra_contacts"]
        contacts = f"contacting {abs(extra):,} {'more' if extra >= 0 else 'fewer'} customers"
        if targeting["material"]:
            decision += f" Price targeting in lifetime value: {change} expected value, {contacts}."
        else:
            size = "a negligible " if targeting["gain"] >= 0 else ""
            decision += (
                " Keep 04's targeting: pricing it in lifetime value changes the expected value "
                f"by {size}{change}, {contacts}."
            )
    return figures, decision
