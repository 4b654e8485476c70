"""Whom to contact: targeting policies compared in incremental responses and profit.

A *policy* contacts a set ``S`` of customers. What it is worth is what the
contact changes:

.. math:: \\text{incremental responses}(S) = |S| \\, (\\bar y_{T,S} - \\bar y_{C,S})

estimated on held-out randomized data from the treated and control response
rates inside ``S``, and

.. math:: \\text{profit}(S) = v \\cdot \\text{incremental responses}(S) - c \\, |S|

with ``v`` the value of one response and ``c`` the cost of one contact. On
synthetic data the true incremental responses are known too:
``sum of the true uplift over S``.

The policies compared: the top share ``k`` by predicted uplift, the top
share ``k`` by response propensity (the classic response model), everyone,
and no one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr

from ..errors import DataValidationError
from ..privacy import suppress_small_groups
from .metrics import _weighted_rates, check_uplift_inputs, rank_weights, top_count

__all__ = ["policy_comparison", "top_group_composition", "truth_agreement"]


def _optional_numbers(values, name: str, n: int) -> np.ndarray | None:
    """An optional per-customer array: ``None``, or ``n`` finite numbers (else a clear error)."""
    if values is None:
        return None
    numbers = np.asarray(values, dtype=float)
    if len(numbers) != n or not np.isfinite(numbers).all():
        raise DataValidationError(
            "policy_comparison",
            f"parameter '{name}': expected {n} finite numbers, found {len(numbers)} values "
            "or missing ones",
        )
    return numbers


def _policy_row(policy, share, weights, y, t, value, cost, true_uplift, spend) -> dict:
    rates = _weighted_rates(y, t, weights)
    contacted = float(weights.sum())
    uplift = rates["uplift"] if contacted > 0 else 0.0
    incremental = contacted * uplift if np.isfinite(uplift) else float("nan")
    row = {
        "policy": policy,
        "share_contacted": share,
        "n_contacted": contacted,
        "observed_uplift": uplift if contacted > 0 else float("nan"),
        "incremental_responses": incremental,
        "profit": value * incremental - cost * contacted,
    }
    if true_uplift is not None:
        true_incremental = float(np.sum(weights * true_uplift))
        row["true_incremental_responses"] = true_incremental
        row["true_profit"] = value * true_incremental - cost * contacted
    if spend is not None:
        spend_uplift = _weighted_rates(spend, t, weights)["uplift"] if contacted > 0 else np.nan
        row["observed_spend_uplift"] = spend_uplift
        row["incremental_spend"] = contacted * spend_uplift if contacted > 0 else 0.0
    return row


def policy_comparison(
    y_true,
    treatment,
    uplift,
    propensity,
    *,
    shares=(0.1, 0.2, 0.3, 0.5),
    value_per_response: float = 20.0,
    cost_per_contact: float = 1.0,
    true_uplift=None,
    spend=None,
) -> pd.DataFrame:
    """Incremental responses and profit of targeting policies on held-out data.

    Parameters
    ----------
    y_true, treatment : array-like of 0/1
        Observed response and treatment of the held-out customers.
    uplift : array-like of float
        Predicted uplift (ranks the uplift policy).
    propensity : array-like of float
        Predicted response probability (ranks the response policy).
    shares : sequence of float
        Shares ``k`` of customers contacted by the top-k policies; the top
        ``floor(k n + 0.5)`` customers (ties at the cut shared, see
        :func:`~marketing_utils.uplift.metrics.rank_weights`).
    value_per_response : float, default 20.0
        Value ``v`` of one response (currency units).
    cost_per_contact : float, default 1.0
        Cost ``c`` of one contact (currency units).
    true_uplift : array-like of float, optional
        The true uplift per customer (synthetic data): adds
        ``true_incremental_responses`` and ``true_profit``.
    spend : array-like of float, optional
        What each held-out customer spent in the campaign's window: adds
        ``observed_spend_uplift`` (treated minus control mean spend among the
        contacted) and ``incremental_spend`` (that times the number contacted),
        which the profit does not count.

    Returns
    -------
    pandas.DataFrame
        One row per policy: ``policy`` ("uplift model", "response model",
        "everyone", "no one"), ``share_contacted``, ``n_contacted``,
        ``observed_uplift`` (rate difference among the contacted),
        ``incremental_responses``, ``profit`` and, with ``true_uplift``, the
        true counterparts; with ``spend``, the spend columns.
    """
    y, u, t = check_uplift_inputs(y_true, uplift, treatment, "policy_comparison")
    score = np.asarray(propensity, dtype=float)
    if len(score) != len(y) or not np.isfinite(score).all():
        raise DataValidationError(
            "policy_comparison",
            f"parameter 'propensity': expected {len(y)} finite numbers, found {len(score)} values "
            f"({int((~np.isfinite(score)).sum())} missing or infinite)",
        )
    truth = _optional_numbers(true_uplift, "true_uplift", len(y))
    spent = _optional_numbers(spend, "spend", len(y))
    economics = (y, t, value_per_response, cost_per_contact, truth, spent)
    n = len(y)
    rows = []
    for share in shares:
        stop = top_count(n, share, "policy_comparison")
        for policy, ranking in (("uplift model", u), ("response model", score)):
            rows.append(_policy_row(policy, share, rank_weights(ranking, 0, stop), *economics))
    rows.append(_policy_row("everyone", 1.0, np.ones(n), *economics))
    rows.append(_policy_row("no one", 0.0, np.zeros(n), *economics))
    return pd.DataFrame(rows)


def truth_agreement(uplift, true_uplift) -> dict[str, float]:
    """How well predicted uplift matches the true uplift (synthetic data).

    Returns
    -------
    dict
        ``spearman`` (rank correlation: what targeting needs) and ``pearson``.

    Examples
    --------
    >>> round(truth_agreement([0.1, 0.2, 0.3, 0.5], [0.0, 0.1, 0.2, 0.1])["spearman"], 4)
    0.6325
    """
    predicted = np.asarray(uplift, dtype=float)
    truth = np.asarray(true_uplift, dtype=float)
    if len(predicted) != len(truth) or len(truth) < 3:
        raise DataValidationError(
            "truth_agreement",
            "expected uplift and true_uplift of equal length (at least 3), found "
            f"{len(predicted)} and {len(truth)}",
        )
    present = np.isfinite(predicted) & np.isfinite(truth)
    if not present.all():
        raise DataValidationError(
            "truth_agreement",
            f"expected finite values, found {int((~present).sum())} missing or infinite",
        )
    return {
        "spearman": float(spearmanr(predicted, truth).statistic),
        "pearson": float(pearsonr(predicted, truth).statistic),
    }


def top_group_composition(
    groups,
    rankings: dict[str, np.ndarray],
    *,
    top: float = 0.1,
    min_group_size: int = 10,
) -> pd.DataFrame:
    """Who is in the top share of each ranking, by group (e.g. true uplift type).

    Parameters
    ----------
    groups : array-like of str
        Each customer's group (synthetic data: persuadable, sure thing,
        sleeping dog, lost cause).
    rankings : dict
        Ranking name → score per customer (highest first), plus the whole
        population under the name ``"all customers"`` automatically.
    top : float, default 0.1
        Share of customers at the top of each ranking.
    min_group_size : int, default 10
        Groups with fewer customers in a ranking's top are merged (see
        :func:`marketing_utils.privacy.suppress_small_groups`).

    Returns
    -------
    pandas.DataFrame
        Long format: ``ranking``, ``group``, ``customers`` (ties at the cut
        shared, so possibly fractional) and ``share`` of that ranking's top.
    """
    labels = pd.Series(np.asarray(groups, dtype=object)).fillna("(missing)").to_numpy()
    n = len(labels)
    tables = []
    candidates = {"all customers": np.zeros(n), **rankings}
    for name, scores in candidates.items():
        scores = np.asarray(scores, dtype=float)
        if len(scores) != n:
            raise DataValidationError(
                "top_group_composition",
                f"ranking {name!r}: expected {n} scores, found {len(scores)}",
            )
        stop = n if name == "all customers" else top_count(n, top, "top_group_composition")
        weights = rank_weights(scores, 0, stop)
        counts = pd.Series(weights).groupby(labels).sum()
        table = pd.DataFrame({"group": counts.index.astype(str), "customers": counts.to_numpy()})
        # An empty group reveals nobody: it stays visible (0) rather than merged.
        empty = table["customers"] == 0
        published = suppress_small_groups(
            table[~empty], count_col="customers", min_size=min_group_size, label_col="group"
        )
        table = pd.concat([published, table[empty]], ignore_index=True)
        table = table.assign(share=table["customers"] / weights.sum(), ranking=name)
        tables.append(table)
    columns = ["ranking", "group", "customers", "share"]
    return pd.concat(tables, ignore_index=True)[columns]
