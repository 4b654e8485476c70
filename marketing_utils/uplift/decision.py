"""What stage 05's numbers say: the headline figures and the decision the report index shows.

The decision follows three rules, each from a computed number:

- **Does the ranking work?** Target by predicted uplift only when the Qini
  coefficient's 95% interval lies above zero; otherwise the ranking is not
  distinguishable from random and nobody is targeted on it.
- **How many?** The share of customers contacted is the most profitable of the
  shares compared on the test customers (the ``policies`` table), not the
  parameter ``top_share`` that names the headline comparison; when the two
  differ, both profits are shown. The share is chosen on the same customers
  that measure its profit, so that profit is optimistic by the selection.
- **Does the best target pay?** When even the most profitable share loses
  money, nobody is contacted at these economics.
- **What else did the contact change?** Where the campaign recorded spend,
  the spend the contact changes among the contacted test customers is set
  against the profit of its responses, which counts responses only; if the
  lost spend is larger, the campaign is not sent as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["recommended_share", "significance", "uplift_decision"]

_UPLIFT_POLICY = "uplift model"


def significance(effect: Mapping) -> str:
    """Where the 95% interval of an effect lies: above zero, below zero or across it.

    Examples
    --------
    >>> significance({"ci_low": -0.2, "ci_high": 0.1})
    'not significantly different from zero'
    """
    if effect["ci_low"] > 0:
        return "significantly above zero"
    if effect["ci_high"] < 0:
        return "significantly below zero"
    return "not significantly different from zero"


def recommended_share(policies: pd.DataFrame) -> pd.Series:
    """The uplift policy's row with the highest profit; on a tie, the smaller share.

    Parameters
    ----------
    policies : pandas.DataFrame
        :func:`~marketing_utils.uplift.policy.policy_comparison`.
    """
    rows = policies[policies["policy"] == _UPLIFT_POLICY]
    if rows.empty:
        raise ValueError("policies: expected rows of the 'uplift model' policy, found none")
    rows = rows.sort_values(["profit", "share_contacted"], ascending=[False, True], kind="stable")
    return rows.iloc[0]


def _profit_at(policies: pd.DataFrame, policy: str, share: float) -> float:
    rows = policies[(policies["policy"] == policy) & np.isclose(policies["share_contacted"], share)]
    return float(rows["profit"].iloc[0])


def uplift_decision(
    metrics: Mapping, policies: pd.DataFrame, best_model: str
) -> tuple[list[dict], str]:
    """The stage's headline figures and its decision, from its metrics and policy table.

    Parameters
    ----------
    metrics : mapping
        :meth:`UpliftResult.metrics() <marketing_utils.uplift.stage.UpliftResult.metrics>`.
    policies : pandas.DataFrame
        :func:`~marketing_utils.uplift.policy.policy_comparison` on the test customers.
    best_model : str
        The uplift model that ranks the customers.

    Returns
    -------
    headline : list of dict
        For :meth:`~marketing_utils.artifacts.Artifacts.record_headline`.
    decision : str
    """
    top_share = float(metrics["top_share"])
    ate = metrics["ate"]
    headline = [
        {
            "label": "average effect on response",
            "value": ate["ate"],
            "format": "points",
            "reading": f"treated customers responded {ate['mean_treated']:.1%}, the control "
            f"group {ate['mean_control']:.1%}",
            "comparison": f"95% interval {ate['ci_low'] * 100:+.2f} to "
            f"{ate['ci_high'] * 100:+.2f} points: {significance(ate)}",
        }
    ]
    spend = metrics.get("ate_spend")
    spend_text = ""
    if spend:
        spend_text = (
            f" Treated customers spent {spend['mean_treated']:,.2f} per customer against "
            f"{spend['mean_control']:,.2f} in the control group ({spend['ate']:+,.2f}, 95% "
            f"interval {spend['ci_low']:+,.2f} to {spend['ci_high']:+,.2f}: "
            f"{significance(spend)})."
        )
        headline.append(
            {
                "label": "average effect on spend",
                "value": spend["ate"],
                "format": "currency",
                "reading": f"treated customers spent {spend['mean_treated']:,.2f} per customer, "
                f"the control group {spend['mean_control']:,.2f}",
                "comparison": f"95% interval {spend['ci_low']:+,.2f} to "
                f"{spend['ci_high']:+,.2f}: {significance(spend)}",
            }
        )
    headline.append(
        {
            "label": f"profit, top {top_share:.0%} by uplift",
            "value": metrics["profit_uplift_policy"],
            "format": "currency",
            "reading": f"on the {metrics['n_test']:,} test customers, ranked by {best_model}",
            "comparison": f"top {top_share:.0%} by response propensity: "
            f"{metrics['profit_response_policy']:,.0f}; Qini {metrics['qini']:.2f} "
            f"(95% interval {metrics['qini_ci_low']:.2f} to {metrics['qini_ci_high']:.2f})",
        }
    )
    action = _action(metrics, policies, best_model, spend)
    decision = (
        f"The campaign's average effect on response is {ate['ate'] * 100:+.2f} points, "
        f"{significance(ate)}.{spend_text} {action} Keep a random control group in the next "
        "send to check."
    )
    return headline, decision


def _action(metrics: Mapping, policies: pd.DataFrame, best_model: str, spend) -> str:
    if metrics["qini_ci_low"] <= 0:
        return (
            "The uplift ranking is not distinguishable from random (Qini interval includes 0): "
            "do not target on it; rerun the experiment with a larger control group."
        )
    best = recommended_share(policies)
    share, profit = float(best["share_contacted"]), float(best["profit"])
    if profit <= 0:
        return (
            f"Do not send this campaign at these economics: even its best target, the top "
            f"{share:.0%} by predicted uplift ({best_model}), earned {profit:,.0f} on the test "
            "customers (each contact costs more than the responses it adds are worth), although "
            "the ranking beats random (Qini interval above 0)."
        )
    response_profit = _profit_at(policies, "response model", share)
    top_share = float(metrics["top_share"])
    chosen = (
        f"the top {share:.0%} by predicted uplift ({best_model}): on the test customers that "
        f"earned {profit:,.0f} against {response_profit:,.0f} for the top {share:.0%} by "
        "response propensity"
    )
    why = ""
    if not np.isclose(share, top_share):
        why = (
            f" It is the most profitable of the shares compared (the top {top_share:.0%} of the "
            f"parameter `top_share`: {_profit_at(policies, _UPLIFT_POLICY, top_share):,.0f}; "
            "chosen on these same customers, so somewhat optimistic)."
        )
    spend_change = float(best.get("incremental_spend", np.nan))
    spend_fell = bool(spend) and spend["ci_high"] < 0
    if bool(spend) and np.isfinite(spend_change) and -spend_change > profit:
        return (
            f"Do not send this campaign as it is. Its best target is {chosen};{why} but the "
            f"contacted among those {best['n_contacted']:,.0f} test customers spent about "
            f"{-spend_change:,.0f} less in all than the control group's rate implies, more than "
            "the profit of the responses it adds (which counts responses and contact costs "
            "only). Find out why spend fell (a discount that gives margin away?) and test a "
            "changed campaign against a control group."
        )
    send = (
        f"Do not send this campaign to everyone. Send it only to {chosen}.{why} The ranking "
        "beats random (Qini interval above 0)."
        if metrics["ate"]["ci_low"] <= 0
        else f"The campaign works on average; send it first to {chosen}.{why}"
    )
    if spend and np.isfinite(spend_change):
        per_contact = float(best["observed_spend_uplift"])
        if spend_change > 0:
            send += (
                f" Among those customers the contact raised spend ({per_contact:+,.2f} per "
                f"contacted customer, about {spend_change:,.0f} in all on the test customers)"
                + (
                    ", though it lowered it on average: target, do not broadcast."
                    if spend_fell
                    else "."
                )
            )
        elif spend_change < 0:
            send += (
                f" It also lowers spend among them ({per_contact:+,.2f} per contacted customer, "
                f"about {-spend_change:,.0f} in all on the test customers), which that profit "
                "does not count but still exceeds."
            )
    return send
