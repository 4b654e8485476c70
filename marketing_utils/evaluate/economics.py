"""Campaign economics: what a targeting depth costs and earns, and which depth to choose.

Every contact costs ``c`` (``cost_per_contact``); every conversion among the
contacted earns ``v`` (``value_per_conversion``). Contacting the top ``k``
customers by score, of whom ``R(k)`` respond, earns

.. math:: \\text{profit}(k) = v\\,R(k) - c\\,k, \\qquad \\text{ROI}(k) = \\text{profit}(k) / (c\\,k).

With **calibrated** probabilities :math:`p_i`, contacting customer :math:`i`
is worth :math:`v p_i - c` in expectation, so the expected-profit-maximizing
rule contacts every customer with :math:`p_i \\ge c / v` (the *break-even
probability*; Elkan, "The foundations of cost-sensitive learning", 2001). It
uses no outcome of the held-out customers, so their realized profit is an
honest estimate of what it earns. The profit-maximizing depth on the held-out
outcomes themselves is shown too; it is an optimistic upper bound, since it is
chosen on the same customers it is measured on.

Assumption (stated in the notebook): the score is the probability of
converting *if contacted*. Whether the contact *causes* the conversion is
the question of 05 (uplift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import make_scorer
from sklearn.model_selection import TunedThresholdClassifierCV

from ..errors import DataValidationError
from .metrics import check_scores, gains_curve

__all__ = [
    "THRESHOLD_RULES",
    "CampaignEconomics",
    "TargetingRule",
    "best_depth",
    "choose_targeting",
    "expected_profit",
    "oracle_profit",
    "profit_curve",
    "realized_profit",
    "threshold_tuning_check",
]

#: How the targeting threshold is chosen (the ``threshold_rule`` parameter).
THRESHOLD_RULES = ("break_even", "max_realized")


@dataclass(frozen=True)
class CampaignEconomics:
    """The money side of a campaign, from the params file's ``evaluation`` section.

    Parameters
    ----------
    cost_per_contact : float
        Cost of one contact (currency units), >= 0.
    value_per_conversion : float
        Margin earned per conversion among the contacted (currency units), > 0.
    budget : float, optional
        Most that may be spent on contacts; ``None`` for no limit.
    max_contacts : int, optional
        Most customers that may be contacted; ``None`` for no limit.
    """

    cost_per_contact: float
    value_per_conversion: float
    budget: float | None = None
    max_contacts: int | None = None

    def __post_init__(self) -> None:
        checks = [
            ("cost_per_contact", self.cost_per_contact, lambda x: x >= 0, "a number >= 0"),
            ("value_per_conversion", self.value_per_conversion, lambda x: x > 0, "a number > 0"),
        ]
        for name, value, ok, expected in checks:
            if isinstance(value, bool) or not isinstance(value, int | float) or not ok(value):
                raise ValueError(f"evaluation.{name}: expected {expected}, found {value!r}")
        if self.budget is not None and (
            isinstance(self.budget, bool)
            or not isinstance(self.budget, int | float)
            or self.budget < 0
        ):
            raise ValueError(
                f"evaluation.budget: expected None or a number >= 0, found {self.budget!r}"
            )
        if self.max_contacts is not None and (
            isinstance(self.max_contacts, bool)
            or not isinstance(self.max_contacts, int)
            or self.max_contacts < 0
        ):
            raise ValueError(
                f"evaluation.max_contacts: expected None or a whole number >= 0, "
                f"found {self.max_contacts!r}"
            )

    @property
    def break_even_probability(self) -> float:
        """Contacting a customer pays in expectation when ``p >= cost / value``."""
        return self.cost_per_contact / self.value_per_conversion

    def contact_limit(self, n_customers: int) -> int:
        """Most customers that may be contacted out of ``n_customers`` (budget and max_contacts)."""
        limit = n_customers
        if self.max_contacts is not None:
            limit = min(limit, self.max_contacts)
        if self.budget is not None and self.cost_per_contact > 0:
            limit = min(limit, math.floor(self.budget / self.cost_per_contact + 1e-9))
        return int(limit)


def profit_curve(y_true, y_score, economics: CampaignEconomics) -> pd.DataFrame:
    """Realized profit of contacting the top customers, at every group of tied scores.

    Returns
    -------
    DataFrame
        The columns of :func:`marketing_utils.evaluate.metrics.gains_curve` plus
        ``revenue`` (v x responders), ``cost`` (c x contacts), ``profit`` and
        ``roi`` (profit / cost; missing when nothing is spent).
    """
    curve = gains_curve(y_true, y_score)
    revenue = economics.value_per_conversion * curve["responders"]
    cost = economics.cost_per_contact * curve["contacts"]
    profit = revenue - cost
    return curve.assign(
        revenue=revenue, cost=cost, profit=profit, roi=profit / cost.where(cost > 0)
    )


def best_depth(curve: pd.DataFrame, max_contacts: int | None = None) -> dict[str, float]:
    """The profit-maximizing point of a profit curve, within a contact limit.

    Vertices of the curve are candidates; when the limit cuts a group of tied
    scores, the point at the limit (linear in the group, the expectation under
    random tie-breaking) is a candidate too. On equal profit the fewer contacts win.

    Returns
    -------
    dict
        ``contacts``, ``depth``, ``threshold`` (contact ``score >= threshold``,
        at most ``contacts`` customers) and ``profit``.
    """
    n = float(curve["contacts"].iloc[-1])
    limit = n if max_contacts is None else float(min(max_contacts, n))
    allowed = curve[curve["contacts"] <= limit]
    best = allowed.loc[allowed["profit"].idxmax()]
    result = {
        "contacts": float(best["contacts"]),
        "depth": float(best["contacts"] / n),
        "threshold": float(best["threshold"]),
        "profit": float(best["profit"]),
    }
    if limit < n and limit not in set(curve["contacts"]):
        at_limit = float(np.interp(limit, curve["contacts"], curve["profit"]))
        if at_limit > result["profit"]:
            cut_group = curve[curve["contacts"] > limit].iloc[0]
            result = {
                "contacts": limit,
                "depth": limit / n,
                "threshold": float(cut_group["threshold"]),
                "profit": at_limit,
            }
    return result


@dataclass(frozen=True)
class TargetingRule:
    """Contact customers with ``score >= threshold``, at most ``max_share`` of the list.

    Attributes
    ----------
    threshold : float
        Lowest score contacted.
    max_share : float or None
        The contact limit (budget, max_contacts) as a share of the customers
        scored; ``None`` when there is no limit.
    rule : str
        How the threshold was chosen (one of :data:`THRESHOLD_RULES`).
    """

    threshold: float
    max_share: float | None = None
    rule: str = "break_even"

    def select(self, scores, customer_ids=None) -> np.ndarray:
        """Boolean mask of the customers contacted.

        When the limit binds, the highest scores win; ties at the limit are
        broken by ``customer_ids`` (pseudonyms, so effectively at random but
        reproducible), else by position.
        """
        values = np.asarray(scores, dtype=float)
        eligible = values >= self.threshold
        if self.max_share is None:
            return eligible
        cap = math.floor(self.max_share * len(values) + 1e-9)
        if eligible.sum() <= cap:
            return eligible
        ids = np.arange(len(values)) if customer_ids is None else np.asarray(customer_ids)
        order = np.lexsort((ids, -values))
        chosen = np.zeros(len(values), dtype=bool)
        chosen[order[:cap]] = True
        return chosen & eligible


def choose_targeting(
    y_score,
    economics: CampaignEconomics,
    *,
    rule: str = "break_even",
    y_true=None,
    n_customers: int | None = None,
) -> TargetingRule:
    """Choose whom to contact.

    Parameters
    ----------
    y_score : array-like
        Calibrated probabilities of the held-out customers.
    economics : CampaignEconomics
    rule : {"break_even", "max_realized"}
        ``"break_even"``: contact when ``p >= cost / value`` (needs calibrated
        scores, uses no outcome); ``"max_realized"``: the depth with the highest
        realized profit on the held-out outcomes ``y_true`` (optimistic).
    y_true : array-like, optional
        Held-out outcomes (needed by ``"max_realized"``).
    n_customers : int, optional
        Size of the list the budget or max_contacts applies to (default: the
        number of scores); the limit becomes a share of it.

    Returns
    -------
    TargetingRule
    """
    if rule not in THRESHOLD_RULES:
        raise ValueError(
            f"evaluation.threshold_rule: expected one of {THRESHOLD_RULES}, found {rule!r}"
        )
    scores = np.asarray(y_score, dtype=float)
    population = len(scores) if n_customers is None else n_customers
    limit = economics.contact_limit(population)
    max_share = None if limit >= population else limit / population
    if rule == "break_even":
        return TargetingRule(economics.break_even_probability, max_share, rule)
    if y_true is None:
        raise ValueError("choose_targeting: rule 'max_realized' needs the held-out outcomes y_true")
    cap = None if max_share is None else math.floor(max_share * len(scores) + 1e-9)
    best = best_depth(profit_curve(y_true, scores, economics), cap)
    return TargetingRule(best["threshold"], max_share, rule)


def realized_profit(y_true, selected, economics: CampaignEconomics) -> dict[str, float]:
    """Contacts, responders, cost, revenue, profit and ROI of contacting ``selected``."""
    y, chosen = check_scores(y_true, np.asarray(selected, dtype=float), "realized_profit")
    picked = chosen.astype(bool)
    contacts = int(picked.sum())
    responders = int(y[picked].sum())
    cost = economics.cost_per_contact * contacts
    revenue = economics.value_per_conversion * responders
    return {
        "contacts": contacts,
        "responders": responders,
        "cost": float(cost),
        "revenue": float(revenue),
        "profit": float(revenue - cost),
        "roi": float((revenue - cost) / cost) if cost > 0 else float("nan"),
    }


def _check_probabilities(probabilities, where: str) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float).ravel()
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise DataValidationError(
            where, "expected probabilities between 0 and 1", examples=p[bad][:5].tolist()
        )
    return p


def expected_profit(probabilities, selected, economics: CampaignEconomics) -> float:
    """Expected profit of contacting ``selected`` when each converts with ``probabilities``.

    .. math:: \\sum_{i \\in \\text{selected}} (v\\,p_i - c)
    """
    p = _check_probabilities(probabilities, "expected_profit")
    picked = np.asarray(selected, dtype=bool).ravel()
    if len(picked) != len(p):
        raise DataValidationError(
            "expected_profit", f"expected one flag per customer ({len(p)}), found {len(picked)}"
        )
    margin = economics.value_per_conversion * p[picked] - economics.cost_per_contact
    return float(margin.sum())


def oracle_profit(
    probabilities, economics: CampaignEconomics, max_contacts: int | None = None
) -> float:
    """Expected profit of the oracle: it contacts exactly the customers worth contacting.

    Those with :math:`v p_i > c`, the most valuable first when ``max_contacts``
    binds. With the true probabilities (synthetic data) no targeting can do better.
    """
    p = _check_probabilities(probabilities, "oracle_profit")
    margin = np.sort(economics.value_per_conversion * p - economics.cost_per_contact)[::-1]
    positive = margin[margin > 0]
    if max_contacts is not None:
        positive = positive[:max_contacts]
    return float(positive.sum())


class _ScoresAsProbabilities(ClassifierMixin, BaseEstimator):
    """A fitted 'classifier' whose probability is the first column of X (a precomputed score).

    It lets scikit-learn's threshold tuner work on scores computed elsewhere.
    """

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        score = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - score, score])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def threshold_tuning_check(
    y_true, y_score, economics: CampaignEconomics
) -> dict[str, float | bool]:
    """Tune the threshold with scikit-learn and check it against the direct computation.

    :class:`sklearn.model_selection.TunedThresholdClassifierCV` (``cv="prefit"``)
    maximizes the profit scorer over every distinct score as a candidate
    threshold; :func:`profit_curve` computes the same maximum directly. Both
    must find the same best profit (thresholds can differ only when two depths
    earn exactly the same).

    Returns
    -------
    dict
        ``sklearn_threshold``, ``sklearn_profit``, ``direct_threshold``,
        ``direct_profit``, ``agree`` (same best profit).
    """
    y, s = check_scores(y_true, y_score, "threshold_tuning_check")
    value, cost = economics.value_per_conversion, economics.cost_per_contact

    def profit(labels, predicted):
        contacted = np.asarray(predicted) == 1
        return value * float(np.sum(np.asarray(labels)[contacted])) - cost * float(contacted.sum())

    tuner = TunedThresholdClassifierCV(
        _ScoresAsProbabilities().fit(None),
        scoring=make_scorer(profit),
        response_method="predict_proba",
        thresholds=np.unique(s),
        cv="prefit",
        refit=False,
    ).fit(s.reshape(-1, 1), y)
    curve = profit_curve(y, s, economics).iloc[1:]  # sklearn always contacts someone
    direct = curve.loc[curve["profit"].idxmax()]
    return {
        "sklearn_threshold": float(tuner.best_threshold_),
        "sklearn_profit": float(tuner.best_score_),
        "direct_threshold": float(direct["threshold"]),
        "direct_profit": float(direct["profit"]),
        "agree": bool(np.isclose(tuner.best_score_, direct["profit"])),
    }
