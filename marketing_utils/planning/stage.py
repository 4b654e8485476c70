"""Stage 09 end to end: from per-offer uplift to a budgeted contact plan, valued honestly.

The notebook ``09_campaign_planning`` makes one call, :func:`plan_campaign`,
and explains its parts.

1. Cross-fitted uplift of every offer for every customer of the randomized
   campaign (:func:`~marketing_utils.planning.estimate.offer_uplift`).
2. Expected incremental profit ``p[i, j] = uplift[i, j] * v_i - c_j``, with
   ``v_i`` the value of a response (``value_per_response``, or stage 08's
   lifetime value ``clv``).
3. The plan: :func:`~marketing_utils.planning.optimize.solve` under the
   budget, the capacities, one offer per customer and the segment share
   limits, with excluded customers left out.
4. The simple policies at the same budget, the efficient frontier against
   the budget, and the honest value of each policy: the true incremental
   profit on synthetic data (and the *oracle* plan, the same optimizer on
   the true uplift), the IPW off-policy estimate with a bootstrap interval
   on any randomized campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .estimate import SINGLE_OFFER, offer_uplift
from .offpolicy import ipw_with_bootstrap
from .optimize import Plan, PlanningProblem, make_problem, plan_value, solve
from .policies import best_single_offer, compare_policies

__all__ = ["PlanningResult", "efficient_frontier", "plan_campaign", "response_values"]

_WHERE = "params campaign_planning"


def response_values(
    customer_ids: pd.Series,
    *,
    value_per_response: float,
    value_source: str = "margin",
    clv: pd.DataFrame | None = None,
) -> tuple[np.ndarray, dict]:
    """Value of one response per customer, and how it was set.

    ``value_source``: ``"margin"`` (``value_per_response`` for everyone),
    ``"clv"`` (stage 08's ``clv`` column; customers without one get
    ``value_per_response``, counted) or ``"auto"`` (``clv`` when the artifact
    is there, else the margin).
    """
    if value_source not in ("margin", "clv", "auto"):
        raise DataValidationError(
            f"{_WHERE}.value_source", f"expected margin, clv or auto, found {value_source!r}"
        )
    if not np.isfinite(value_per_response) or value_per_response < 0:
        raise DataValidationError(
            f"{_WHERE}.value_per_response",
            f"expected a finite value >= 0, found {value_per_response!r}",
        )
    n = len(customer_ids)
    if value_source == "margin" or (value_source == "auto" and clv is None):
        return np.full(n, float(value_per_response)), {"value_source": "margin", "n_without_clv": 0}
    if clv is None:
        raise DataValidationError(
            f"{_WHERE}.value_source", "expected stage 08's 'clv' artifact for 'clv', found none"
        )
    if "clv" not in clv.columns or "customer_id" not in clv.columns:
        raise DataValidationError(
            "clv", f"expected columns customer_id and clv, found {list(clv.columns)}", column="clv"
        )
    values = customer_ids.map(clv.drop_duplicates("customer_id").set_index("customer_id")["clv"])
    values = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & (values < 0)
    if bad.any():
        raise DataValidationError(
            "clv", f"expected lifetime values >= 0, found {int(bad.sum())} negative", column="clv"
        )
    missing = int(values.isna().sum())
    return values.fillna(value_per_response).to_numpy(float), {
        "value_source": "clv",
        "n_without_clv": missing,
    }


@dataclass(frozen=True)
class PlanningResult:
    """Everything stage 09 computes (see :func:`plan_campaign`).

    Attributes
    ----------
    settings : dict
    offers : list of str
    scores : DataFrame
        One row per campaign customer: id, observed arm, response, estimated
        uplift per offer, propensity, value, segment, excluded, the plan's
        offer and (synthetic) the true uplift per offer.
    plan : Plan
    oracle : Plan or None
        Same optimizer on the true uplift (synthetic data).
    policies : DataFrame
        Per policy: contacts, spend, expected profit and incremental
        responses, true profit (synthetic), IPW value and interval.
    frontier : DataFrame
        Budget, expected profit, incremental responses, spend and shadow price.
    summary : DataFrame
        Plan by segment and offer (small groups merged).
    ipw : dict or None
        IPW values with intervals (and paired differences).
    """

    settings: dict
    offers: list
    scores: pd.DataFrame
    plan: Plan
    oracle: Plan | None
    policies: pd.DataFrame
    frontier: pd.DataFrame
    summary: pd.DataFrame
    ipw: dict | None

    def contact_file(self) -> pd.DataFrame:
        """The plan as a contact list: pseudonymized id, offer, expected uplift and profit."""
        chosen = self.scores[self.scores["planned_offer"] != "none"]
        return (
            chosen[["customer_id", "planned_offer", "planned_uplift", "planned_profit"]]
            .rename(
                columns={
                    "planned_offer": "offer",
                    "planned_uplift": "expected_uplift",
                    "planned_profit": "expected_profit",
                }
            )
            .reset_index(drop=True)
        )

    def metrics(self) -> dict:
        """Headline metrics; the ``plan`` block is what other checks read.

        ``plan`` holds the flattering ``expected_incremental_profit`` (on the
        estimated uplift) and the honest values next to it: ``true_profit``
        and ``oracle_true_profit`` on synthetic data, the IPW ``ipw_value``
        with its interval on any randomized campaign.
        """
        table = self.policies.set_index("policy")
        plan_row = table.loc["optimized plan"]
        response_name = next(p for p in table.index if p.startswith("top-k by response"))
        single_name = next(p for p in table.index if p.startswith("everyone"))
        plan = {"expected_incremental_profit": float(plan_row["expected_profit"])}
        honest = "true_profit" if "true_profit" in table else "ipw_value"
        gain = None
        if honest in table:
            baseline = float(table.loc[response_name, honest])
            # A ratio only means something over a positive baseline; the gain always does.
            plan["profit_vs_response_topk"] = (
                float(plan_row[honest]) / baseline if baseline > 0 else None
            )
            gain = float(plan_row[honest]) - baseline
        if "true_profit" in table:
            plan["true_profit"] = float(plan_row["true_profit"])
        if self.oracle is not None:
            oracle = float(self.settings["oracle_true_profit"])
            plan["oracle_true_profit"] = oracle
            plan["profit_share_of_oracle"] = (
                float(plan_row["true_profit"]) / oracle if oracle > 0 else None
            )
        if self.ipw is not None:
            plan["ipw_value"] = float(plan_row["ipw_value"])
            plan["ipw_ci_low"] = float(plan_row["ipw_ci_low"])
            plan["ipw_ci_high"] = float(plan_row["ipw_ci_high"])
            plan["best_single_offer_value"] = float(table.loc[single_name, "ipw_value"])
        return {
            "plan": plan,
            "honest_value": honest,
            "profit_gain_over_response_topk": gain,
            "method": self.plan.method,
            "optimality_gap": self.plan.gap,
            "budget": self.settings["budget"],
            "budget_shadow_price": self.plan.budget_shadow_price,
            "n_customers": int(len(self.scores)),
            "n_contacts": int((self.scores["planned_offer"] != "none").sum()),
            "offers": list(self.offers),
        }


def _problem(scores, offers, values, costs, budget, capacities, segment, limits, eligible, uplift):
    profit = uplift * values[:, None] - np.array([costs[o] for o in offers])[None, :]
    return make_problem(
        profit,
        offers=offers,
        costs=costs,
        budget=budget,
        capacities=capacities,
        segment=segment,
        max_segment_share=limits.get("max_segment_share"),
        segment_limits=limits.get("segment_limits"),
        eligible=eligible,
    )


def efficient_frontier(
    problem: PlanningProblem, uplift: np.ndarray, *, points: int = 15
) -> pd.DataFrame:
    """Expected profit and incremental responses of the best plan against the budget.

    The budget runs from 0 to the spend of the best plan without a budget
    limit (beyond it, every extra contact loses money); each point is solved
    by the LP relaxation with rounding (near-exact, fast). ``shadow_price``
    is the budget's multiplier: the extra profit of one more currency unit.
    """
    free = make_problem(
        np.where(np.isfinite(problem.profit), problem.profit, 0.0),
        offers=problem.offers,
        costs=dict(zip(problem.offers, problem.cost, strict=True)),
        budget=float(problem.cost.sum() * problem.shape[0] + 1),
        capacities=dict(zip(problem.offers, problem.capacity, strict=True)),
        segment=np.array(problem.segments, dtype=object)[problem.segment],
        segment_limits=dict(zip(problem.segments, problem.max_share, strict=True)),
        eligible=np.isfinite(problem.profit).any(axis=1),
    )
    unlimited = solve(free, method="lp")
    top = plan_value(problem.cost[None, :].repeat(problem.shape[0], 0), unlimited.assignment)
    budgets = np.unique(
        np.concatenate([np.linspace(0, max(top, problem.budget), points), [problem.budget]])
    )
    rows = []
    for budget in budgets:
        if budget < problem.cost.min():
            rows.append(
                {
                    "budget": budget,
                    "expected_profit": 0.0,
                    "incremental_responses": 0.0,
                    "spend": 0.0,
                    "shadow_price": np.nan,
                }
            )
            continue
        point = solve(_with_budget(problem, budget), method="lp")
        chosen = point.assignment >= 0
        rows.append(
            {
                "budget": float(budget),
                "expected_profit": point.objective,
                "incremental_responses": float(
                    uplift[np.flatnonzero(chosen), point.assignment[chosen]].sum()
                ),
                "spend": float(problem.cost[point.assignment[chosen]].sum()),
                "shadow_price": point.budget_shadow_price,
            }
        )
    frame = pd.DataFrame(rows)
    frame["chosen"] = np.isclose(frame["budget"], problem.budget)
    return frame


def _with_budget(problem: PlanningProblem, budget: float) -> PlanningProblem:
    from dataclasses import replace

    return replace(problem, budget=float(budget))


def _policy_table(problem, assignments, uplift, true_profit, true_uplift) -> pd.DataFrame:
    rows = []
    for name, assignment in assignments.items():
        chosen = np.flatnonzero(assignment >= 0)
        row = {
            "policy": name,
            "contacts": len(chosen),
            "spend": float(problem.cost[assignment[chosen]].sum()),
            "expected_profit": plan_value(
                np.where(np.isfinite(problem.profit), problem.profit, 0.0), assignment
            ),
            "expected_incremental_responses": float(uplift[chosen, assignment[chosen]].sum()),
        }
        if true_profit is not None:
            row["true_profit"] = plan_value(true_profit, assignment)
            row["true_incremental_responses"] = float(true_uplift[chosen, assignment[chosen]].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _summary(scores: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    contacted = scores[scores["planned_offer"] != "none"]
    table = (
        contacted.groupby(["segment", "planned_offer"], observed=True)
        .agg(
            contacts=("customer_id", "size"),
            expected_incremental_responses=("planned_uplift", "sum"),
            expected_profit=("planned_profit", "sum"),
        )
        .reset_index()
        .rename(columns={"planned_offer": "offer"})
    )
    small = table["contacts"] < min_group_size
    if small.any():
        merged = table[small][
            ["contacts", "expected_incremental_responses", "expected_profit"]
        ].sum()
        table = pd.concat(
            [
                table[~small],
                pd.DataFrame(
                    [{"segment": "other (small groups)", "offer": "mixed", **merged.to_dict()}]
                ),
            ],
            ignore_index=True,
        )
        if table.iloc[-1]["contacts"] < min_group_size:
            table.loc[
                table.index[-1], ["contacts", "expected_incremental_responses", "expected_profit"]
            ] = np.nan
    table["share_of_contacts"] = table["contacts"] / max(len(contacted), 1)
    return table


def _check_costs(costs, offers) -> dict:
    if costs is None:
        costs = 1.0
    if isinstance(costs, int | float) and not isinstance(costs, bool):
        costs = {offer: float(costs) for offer in offers}
    if not isinstance(costs, dict):
        raise DataValidationError(
            f"{_WHERE}.costs", f"expected a number or a mapping offer -> cost, found {costs!r}"
        )
    missing = [o for o in offers if costs.get(o) is None]
    if missing:
        raise DataValidationError(
            f"{_WHERE}.costs",
            f"expected a cost for every offer of the campaign {offers}, missing for {missing}",
        )
    bad = {o: costs[o] for o in offers if not np.isfinite(float(costs[o])) or float(costs[o]) < 0}
    if bad:
        raise DataValidationError(f"{_WHERE}.costs", f"expected costs >= 0, found {bad}")
    return {o: float(costs[o]) for o in offers}


def plan_campaign(
    features: pd.DataFrame,
    campaign: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    truth: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    costs: float | dict | None = None,
    budget: float | None = None,
    capacities: dict | None = None,
    max_segment_share: float | None = None,
    segment_limits: dict | None = None,
    segment_column: str = "cluster_name",
    exclude_segments: list | None = None,
    exclude_ids: list | None = None,
    value_per_response: float = 20.0,
    value_source: str = "margin",
    control: str = "control",
    model: str | list[str] = "x_learner",
    base_learner: str = "gradient_boosting",
    cv_folds: int = 3,
    calibrate: bool = False,
    method: str = "auto",
    max_exact_pairs: int = 50_000,
    time_limit: float = 30.0,
    frontier_points: int = 15,
    n_bootstrap: int = 500,
    min_group_size: int = 10,
    seed: int = 42,
) -> PlanningResult:
    """Estimate per-offer uplift, plan the campaign, compare policies, value the plan honestly.

    Parameters
    ----------
    features, campaign : pandas.DataFrame
        Stage 01's ``customer_features`` and ``campaign_clean``.
    numeric, categorical : list of str
        Feature columns (``preprocessing_info``).
    truth : pandas.DataFrame, optional
        Synthetic truth (``true_uplift`` or ``true_uplift_<offer>``).
    segments : pandas.DataFrame, optional
        Stage 02's ``segments`` (``customer_id`` and ``segment_column``).
    clv : pandas.DataFrame, optional
        Stage 08's ``clv`` artifact (``customer_id``, ``clv``).
    costs : float, dict or None
        Cost of one contact per offer (one number for every offer; None: 1.0).
    budget : float, optional
        Total spend; default a third of what contacting every customer with
        the cheapest offer costs.
    capacities : dict, optional
        Largest number of contacts per offer.
    max_segment_share, segment_limits :
        Share limits per segment (one for all, or per named segment).
    exclude_segments, exclude_ids : list, optional
        Customers never contacted (segment names; pseudonymized ids as in
        the run's artifacts). Unknown ids are counted in ``settings``.
    value_per_response : float
        Value of one response (order margin), currency units.
    value_source : {"margin", "clv", "auto"}
        See :func:`response_values`.
    model, base_learner, cv_folds :
        Stage 05's uplift learner or an ensemble of them
        (``"x_learner+s_learner"``: their estimates averaged), its base
        classifier, and the cross-fitting folds (see
        :func:`~marketing_utils.planning.estimate.offer_uplift`).
    calibrate : bool
        Calibrate each offer's uplift on the randomized outcome (isotonic,
        cross-fitted; see :func:`~marketing_utils.planning.estimate.calibrate_uplift`).
    method, max_exact_pairs, time_limit :
        See :func:`~marketing_utils.planning.optimize.solve`.
    frontier_points, n_bootstrap, min_group_size, seed :
        Frontier resolution, IPW bootstrap resamples, smallest published
        group, seed of folds, learners and bootstrap.

    Returns
    -------
    PlanningResult
    """
    if not isinstance(min_group_size, int) or min_group_size < 1:
        raise DataValidationError(
            f"{_WHERE}.min_group_size", f"expected an integer >= 1, found {min_group_size!r}"
        )
    scores, offers = offer_uplift(
        features,
        campaign,
        numeric=numeric,
        categorical=categorical,
        control=control,
        model=model,
        base_learner=base_learner,
        folds=cv_folds,
        calibrate=calibrate,
        seed=seed,
    )
    costs = _check_costs(costs, offers)
    n = len(scores)
    if budget is None:
        budget = round(min(costs.values()) * n / 3, 2)
    values, value_info = response_values(
        scores["customer_id"],
        value_per_response=value_per_response,
        value_source=value_source,
        clv=clv,
    )
    scores["value"] = values

    segment = None
    if segments is not None:
        if segment_column not in segments.columns:
            raise DataValidationError(
                f"{_WHERE}.segment_column",
                f"expected a column of 02's segments {list(segments.columns)}, found {segment_column!r}",
            )
        mapping = segments.drop_duplicates("customer_id").set_index("customer_id")[segment_column]
        segment = (
            scores["customer_id"].map(mapping).astype(object).fillna("(no segment)").astype(str)
        )
        scores["segment"] = segment.to_numpy()
        segment = segment.to_numpy()
    else:
        scores["segment"] = "all"
    excluded = np.zeros(n, dtype=bool)
    unknown_segments = sorted(set(exclude_segments or []) - set(scores["segment"]))
    if unknown_segments:
        raise DataValidationError(
            f"{_WHERE}.exclude_segments",
            f"expected segments from {sorted(set(scores['segment']))}, found {unknown_segments}",
        )
    excluded |= scores["segment"].isin(exclude_segments or []).to_numpy()
    ids = set(exclude_ids or [])
    excluded |= scores["customer_id"].isin(ids).to_numpy()
    n_unknown_ids = len(ids - set(scores["customer_id"]))
    if excluded.all():
        raise DataValidationError(
            f"{_WHERE}.exclude_segments",
            "expected some customers left after the exclusions, found none",
        )
    scores["excluded"] = excluded
    limits = {"max_segment_share": max_segment_share, "segment_limits": segment_limits}
    uplift = scores[[f"uplift_{o}" for o in offers]].to_numpy()
    problem = _problem(
        scores, offers, values, costs, budget, capacities, segment, limits, ~excluded, uplift
    )
    plan = solve(problem, method=method, max_exact_pairs=max_exact_pairs, time_limit=time_limit)

    true_uplift = true_profit = oracle = None
    settings_extra = {}
    if truth is not None:
        columns = [
            f"true_uplift_{o}"
            if f"true_uplift_{o}" in truth
            else ("true_uplift" if o == SINGLE_OFFER else None)
            for o in offers
        ]
        if all(c is not None and c in truth for c in columns):
            mapped = truth.drop_duplicates("customer_id").set_index("customer_id")
            true_uplift = np.column_stack(
                [scores["customer_id"].map(mapped[c]).to_numpy(float) for c in columns]
            )
            if np.isnan(true_uplift).any():
                true_uplift = None
    if true_uplift is not None:
        for column, offer in enumerate(offers):
            scores[f"true_uplift_{offer}"] = true_uplift[:, column]
        true_problem = _problem(
            scores,
            offers,
            values,
            costs,
            budget,
            capacities,
            segment,
            limits,
            ~excluded,
            true_uplift,
        )
        true_profit = np.where(np.isfinite(true_problem.profit), true_problem.profit, 0.0)
        oracle = solve(
            true_problem, method=method, max_exact_pairs=max_exact_pairs, time_limit=time_limit
        )
        settings_extra["oracle_true_profit"] = oracle.objective

    assignments = compare_policies(
        problem, propensity=scores["propensity"], uplift=uplift, plan=plan.assignment
    )
    if oracle is not None:
        assignments["oracle plan (true uplift)"] = oracle.assignment
    policies = _policy_table(problem, assignments, uplift, true_profit, true_uplift)

    # IPW: the reward of each customer under the arm it got (value x response - that arm's cost).
    arm_cost = scores["arm"].map({**costs, control: 0.0}).to_numpy(float)
    reward = values * scores["response"].to_numpy(float) - arm_cost
    shares = scores["arm"].value_counts(normalize=True).to_dict()
    labels = np.array([*offers, control], dtype=object)
    named = {
        name: labels[np.where(a >= 0, a, len(offers))]
        for name, a in assignments.items()
        if not name.startswith("oracle")
    }
    ipw = ipw_with_bootstrap(
        named,
        scores["arm"].to_numpy(),
        reward,
        shares,
        control=control,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
    for column in ("ipw_value", "ipw_ci_low", "ipw_ci_high"):
        key = column.removeprefix("ipw_")
        policies[column] = policies["policy"].map(
            lambda p, key=key: ipw.get(p, {}).get(key, np.nan)
        )

    chosen = plan.assignment
    offer_labels = np.array([*offers, "none"], dtype=object)
    scores["planned_offer"] = offer_labels[np.where(chosen >= 0, chosen, len(offers))]
    rows = np.flatnonzero(chosen >= 0)
    planned_uplift = np.zeros(n)
    planned_profit = np.zeros(n)
    planned_uplift[rows] = uplift[rows, chosen[rows]]
    planned_profit[rows] = problem.profit[rows, chosen[rows]]
    scores["planned_uplift"] = planned_uplift
    scores["planned_profit"] = planned_profit

    frontier = efficient_frontier(problem, uplift, points=frontier_points)
    settings = {
        "offers": offers,
        "costs": costs,
        "budget": float(budget),
        "capacities": capacities or {},
        "max_segment_share": max_segment_share,
        "segment_limits": segment_limits or {},
        "n_excluded": int(excluded.sum()),
        "n_unknown_exclude_ids": n_unknown_ids,
        "value_per_response": value_per_response,
        "model": model,
        "base_learner": base_learner,
        "calibrate": calibrate,
        "best_single_offer": offers[best_single_offer(problem)],
        **value_info,
        **settings_extra,
    }
    return PlanningResult(
        settings=settings,
        offers=offers,
        scores=scores,
        plan=plan,
        oracle=oracle,
        policies=policies,
        frontier=frontier,
        summary=_summary(scores, min_group_size),
        ipw=ipw,
    )
