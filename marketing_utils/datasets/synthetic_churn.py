"""A synthetic churn table: one row per customer with a churn flag from the ground truth.

The most common table a team brings is not a transaction log but one row per
customer with attributes and an outcome already in it. This module writes
such a table from the synthetic retail data (:func:`make_synthetic`), so the
customer-table path of the workbook (``data.customers.outcome``) is tested
without outside data::

    python -m marketing_utils.datasets.synthetic_churn data/synthetic_churn.csv

Every customer acquired before the cutoff gets one row, described as of the
cutoff (attributes, tenure, and the purchase history before the cutoff), and
``churned`` = "Yes" when the customer buys nothing in the ``horizon_days``
after the cutoff (the generator's ``purchased_in_horizon``, inverted). The
true churn probability is ``1 - true_purchase_prob`` of the ground truth: its
AUC is the ceiling any model of the table can reach.

Like a real export, the table has an account number (identifier-like), a
signup date, and ``total_spend`` written as text with a few blank cells
(0.2 % of the rows, at least one). With
``leak=True`` (the default of the command) it also has a planted leak,
``days_since_last_order_at_export``: the days since the last order counted
at the export date (the end of the churn window) instead of the cutoff, so it
is at least ``horizon_days`` exactly for the churners. The leakage guard must
exclude it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .synthetic import make_synthetic

__all__ = ["LEAK_COLUMN", "make_churn_table", "write_churn_table"]

#: The planted leaked column.
LEAK_COLUMN = "days_since_last_order_at_export"
_BLANK_SPEND_SHARE = 0.002


def make_churn_table(
    n_customers: int = 5000,
    *,
    seed: int = 42,
    horizon_days: int = 90,
    leak: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The churn table and its truth.

    Parameters
    ----------
    n_customers : int
        Customers simulated (those acquired before the cutoff get a row).
    seed : int
        Seed of the generator (same seed, same table).
    horizon_days : int
        Length of the churn window after the cutoff.
    leak : bool
        Add the planted leak :data:`LEAK_COLUMN`.

    Returns
    -------
    (DataFrame, DataFrame)
        The table (``customer_id``, ``account_number``, ``gender``, ``region``,
        ``channel``, ``income``, ``signup_date``, ``tenure_days``, ``orders``,
        ``total_spend`` (text), ``days_since_last_order``, ``days_since_first_order``,
        ``mean_days_between_orders`` (missing for one order), ``orders_last_90d``,
        ``orders_last_365d``, ``spend_last_90d``, ``avg_order_value``,
        ``favourite_category``, one ``spend_share_<category>`` per category,
        ``churned`` (Yes/No)) and the
        truth (``customer_id``, ``true_churn_prob``, ``churned``).

    Examples
    --------
    >>> table, truth = make_churn_table(300, seed=1)
    >>> sorted(table["churned"].unique()), len(table) == len(truth)
    (['No', 'Yes'], True)
    """
    data = make_synthetic(n_customers, seed=seed, horizon_days=horizon_days, dirty=False)
    cutoff = pd.Timestamp(data.info["cutoff"])
    truth = data.truth[data.truth["acquired_before_cutoff"]].reset_index(drop=True)
    customers = data.customers.set_index("customer_id").loc[truth["customer_id"]].reset_index()
    tx = data.transactions
    before = tx[tx["timestamp"] < cutoff]
    orders = before.groupby(["customer_id", "order_id"], sort=False).agg(
        day=("timestamp", "min"), amount=("amount", "sum")
    )
    orders = orders.reset_index()
    recent = orders[orders["day"] >= cutoff - pd.Timedelta(days=90)]
    year = orders[orders["day"] >= cutoff - pd.Timedelta(days=365)]
    by_customer = orders.groupby("customer_id")
    per = pd.DataFrame(
        {
            "orders": by_customer.size(),
            "total_spend": by_customer["amount"].sum(),
            "first": by_customer["day"].min(),
            "last": by_customer["day"].max(),
            "orders_last_90d": recent.groupby("customer_id").size(),
            "spend_last_90d": recent.groupby("customer_id")["amount"].sum(),
            "orders_last_365d": year.groupby("customer_id").size(),
        }
    ).reindex(truth["customer_id"])
    per = per.fillna(
        {"orders": 0, "total_spend": 0.0, "orders_last_90d": 0, "spend_last_90d": 0.0}
        | {"orders_last_365d": 0}
    )
    spend = before.pivot_table(
        index="customer_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    shares = spend.div(spend.sum(axis=1).where(lambda t: t > 0), axis=0)
    shares = shares.reindex(truth["customer_id"]).fillna(0.0)
    churned = ~truth["purchased_in_horizon"].to_numpy(dtype=bool)
    days_since = (cutoff - per["last"]).dt.days.to_numpy()
    rng = np.random.default_rng(seed + 1)
    spend_text = per["total_spend"].round(2).map(lambda v: f"{v:.2f}").to_numpy(dtype=object)
    n_blank = max(1, round(_BLANK_SPEND_SHARE * len(spend_text)))
    spend_text[rng.choice(len(spend_text), size=n_blank, replace=False)] = " "
    account = rng.permutation(len(truth)) + 10_000_000
    table = pd.DataFrame(
        {
            "customer_id": truth["customer_id"].to_numpy(),
            "account_number": [f"AC-{a}" for a in account],
            "gender": customers["gender"].to_numpy(),
            "region": customers["region"].to_numpy(),
            "channel": customers["channel"].to_numpy(),
            "income": customers["income"].round(0).to_numpy(),
            "signup_date": customers["signup_date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "tenure_days": (cutoff - customers["signup_date"]).dt.days.to_numpy(),
            "orders": per["orders"].astype(int).to_numpy(),
            "total_spend": spend_text,
            "days_since_last_order": days_since,
            "days_since_first_order": (cutoff - per["first"]).dt.days.to_numpy(),
            "mean_days_between_orders": (
                (per["last"] - per["first"]).dt.days / (per["orders"] - 1).where(per["orders"] > 1)
            )
            .round(1)
            .to_numpy(),
            "orders_last_90d": per["orders_last_90d"].astype(int).to_numpy(),
            "orders_last_365d": per["orders_last_365d"].astype(int).to_numpy(),
            "spend_last_90d": per["spend_last_90d"].round(2).to_numpy(),
            "avg_order_value": (per["total_spend"] / per["orders"].clip(lower=1))
            .round(2)
            .to_numpy(),
        }
    )
    table["favourite_category"] = shares.idxmax(axis=1).to_numpy()
    for category in shares.columns:
        table[f"spend_share_{category}"] = shares[category].round(4).to_numpy()
    if leak:
        export = cutoff + pd.Timedelta(days=horizon_days)
        window = tx[(tx["timestamp"] >= cutoff) & (tx["timestamp"] < export)]
        last_any = window.groupby("customer_id")["timestamp"].max().reindex(truth["customer_id"])
        last_any = last_any.fillna(per["last"])
        table[LEAK_COLUMN] = (export - last_any).dt.days.to_numpy()
    table["churned"] = np.where(churned, "Yes", "No")
    truth_out = pd.DataFrame(
        {
            "customer_id": table["customer_id"],
            "true_churn_prob": 1.0 - truth["true_purchase_prob"].to_numpy(),
            "churned": churned.astype(int),
        }
    )
    return table, truth_out


def write_churn_table(
    path: str | Path,
    n_customers: int = 5000,
    *,
    seed: int = 42,
    leak: bool = True,
    truth_path: str | Path | None = None,
) -> Path:
    """Write :func:`make_churn_table` as CSV (and the truth, when a path is given).

    Refuses to overwrite an existing file (it might be someone's input).

    Returns
    -------
    Path
        The table's path.

    Raises
    ------
    FileExistsError
        When ``path`` or ``truth_path`` exists.
    """
    path = Path(path)
    targets = [path] + ([Path(truth_path)] if truth_path else [])
    for target in targets:
        if target.exists():
            raise FileExistsError(f"{target}: exists; the churn table is never written over a file")
    table, truth = make_churn_table(n_customers, seed=seed, leak=leak)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    if truth_path:
        truth.to_csv(truth_path, index=False)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m marketing_utils.datasets.synthetic_churn OUT.csv [--n-customers N]``."""
    parser = argparse.ArgumentParser(description="Write the synthetic churn table as CSV.")
    parser.add_argument("path", help="CSV file to write (never overwritten)")
    parser.add_argument("--n-customers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-leak", action="store_true", help="leave out the planted leak")
    parser.add_argument("--truth", default=None, help="also write the truth to this CSV")
    args = parser.parse_args(argv)
    try:
        written = write_churn_table(
            args.path,
            args.n_customers,
            seed=args.seed,
            leak=not args.no_leak,
            truth_path=args.truth,
        )
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(written)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
