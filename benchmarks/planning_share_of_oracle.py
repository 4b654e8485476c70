"""Stage 09's share of the oracle plan's true profit per uplift estimate, and its ceiling.

Usage (on reports whose notebook 01 has run on synthetic data, one per generator seed)::

    nice -n 10 .venv/bin/python benchmarks/planning_share_of_oracle.py \
        reports/default /tmp/seed1 /tmp/seed2 --config x_learner:3 x_learner+s_learner:3

For each report and each ``model:folds`` configuration it estimates the
per-offer uplift as stage 09 does (gradient boosting, calibrated,
cross-fitted), plans with the notebook's defaults (costs 1.0, a value of 20
per response, a budget of a third of the customers, no other constraint) and
prints the plan's true incremental profit as a share of the oracle's (the
same optimizer on the true uplift).

It also prints two references that no estimate from the campaign can beat:

* ``ceiling``: the plan on ``E[true uplift | features]``, learned out of fold
  by regressing the *true* uplift on the customer features (the truth is
  used only here, as a diagnostic). The oracle also knows the latent state
  (whether a customer is still alive, the persona); this plan knows only
  what the features tell, so the gap between it and 1.0 is what the
  features cannot tell apart.
* ``ceiling + persona``: the same, with the generator's persona added to the
  features (still a diagnostic): what remains is whether a customer is
  alive, which no feature of the purchase history settles. On generator
  seeds 42, 7 and 123 it is 0.895, 0.897 and 0.891 (0.890, 0.887 and 0.880
  without the persona): 0.90 is out of reach of any plan on these features,
  however well the uplift is learned from the campaign.
* ``true + noise``: the true uplift plus Gaussian noise of a given size.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

from marketing_utils.artifacts import Artifacts
from marketing_utils.planning import make_problem, offer_uplift, plan_value, solve
from marketing_utils.uplift.experiment import NOT_FEATURES
from marketing_utils.uplift.learners import make_feature_encoder

VALUE, COST = 20.0, 1.0


def _share(uplift: np.ndarray, tau: np.ndarray, offers: list[str]) -> float:
    costs = {o: COST for o in offers}
    budget = round(COST * len(tau) / 3, 2)

    def problem(u):
        return make_problem(u * VALUE - COST, offers=offers, costs=costs, budget=budget)

    oracle = solve(problem(tau))
    plan = solve(problem(uplift))
    return plan_value(tau * VALUE - COST, plan.assignment) / oracle.objective


def _truth(scores: pd.DataFrame, truth: pd.DataFrame, offers: list[str]) -> np.ndarray:
    mapped = truth.drop_duplicates("customer_id").set_index("customer_id")
    columns = [
        f"true_uplift_{o}" if f"true_uplift_{o}" in mapped else "true_uplift" for o in offers
    ]
    return np.column_stack([scores["customer_id"].map(mapped[c]).to_numpy(float) for c in columns])


def _ceiling(features, scores, numeric, categorical, tau, seed) -> np.ndarray:
    table = scores[["customer_id"]].merge(features, on="customer_id", how="left")
    if "persona" in features:
        categorical = [*categorical, "persona"]
    estimate = np.zeros_like(tau)
    for train, test in KFold(3, shuffle=True, random_state=seed).split(table):
        encoder = make_feature_encoder(numeric, categorical).fit(table.iloc[train])
        X_train, X_test = encoder.transform(table.iloc[train]), encoder.transform(table.iloc[test])
        for j in range(tau.shape[1]):
            model = HistGradientBoostingRegressor(
                max_iter=300, learning_rate=0.05, min_samples_leaf=20, random_state=seed
            )
            estimate[test, j] = model.fit(X_train, tau[train, j]).predict(X_test)
    return estimate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="report folders (notebook 01 has run)")
    parser.add_argument("--config", nargs="+", default=["x_learner:3", "x_learner+s_learner:3"])
    parser.add_argument("--noise", nargs="*", type=float, default=[0.03, 0.05])
    args = parser.parse_args()
    rows = []
    for report in args.reports:
        store = Artifacts(report)
        features, campaign = store.load("customer_features"), store.load("campaign_clean")
        info, truth = store.load("preprocessing_info"), store.load("truth")
        seed = int(json.loads(Path(report, "manifest.json").read_text())["params"]["seed"])
        numeric = [c for c in info["numeric_features"] if c not in NOT_FEATURES]
        categorical = [c for c in info["categorical_features"] if c not in NOT_FEATURES]
        row = {"report": report}
        for config in args.config:
            model, folds = config.split(":")
            scores, offers = offer_uplift(
                features,
                campaign,
                numeric=numeric,
                categorical=categorical,
                model=model,
                base_learner="gradient_boosting",
                folds=int(folds),
                calibrate=True,
                seed=seed,
            )
            tau = _truth(scores, truth, offers)
            uplift = scores[[f"uplift_{o}" for o in offers]].to_numpy()
            row[config] = _share(uplift, tau, offers)
        row["ceiling"] = _share(
            _ceiling(features, scores, numeric, categorical, tau, seed), tau, offers
        )
        persona = truth.drop_duplicates("customer_id").set_index("customer_id")["persona"]
        known = features.assign(persona=features["customer_id"].map(persona).astype(str))
        row["ceiling + persona"] = _share(
            _ceiling(known, scores, numeric, categorical, tau, seed), tau, offers
        )
        rng = np.random.default_rng(seed)
        for sd in args.noise:
            row[f"true + N(0, {sd})"] = _share(tau + rng.normal(0, sd, tau.shape), tau, offers)
        rows.append(row)
        print({k: v if isinstance(v, str) else round(v, 4) for k, v in row.items()}, flush=True)
    print(pd.DataFrame(rows).set_index("report").round(3).to_string())


if __name__ == "__main__":
    main()
