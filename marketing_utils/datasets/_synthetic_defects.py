"""Realistic data-quality defects with known counts.

Every defect is applied to its own set of otherwise clean rows (the sets are
disjoint and each affected row carries exactly one defect), so that a cleaner
that handles each defect correctly reproduces these counts exactly in its
ledger. Modified rows keep their position; added rows (duplicates and
returns) are inserted where their timestamp belongs, so defects are spread
over the whole table rather than appended at its end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._synthetic_config import CATEGORIES, SECONDS_PER_DAY

#: Rate of each transaction defect, as a share of clean transaction rows.
TRANSACTION_DEFECT_RATES = {
    "duplicate_rows": 0.010,
    "missing_customer_id": 0.005,
    "unknown_customer": 0.003,
    "future_dated": 0.002,
    "return_or_cancellation": 0.015,
    "nonpositive_price": 0.003,
    "category_label_normalized": 0.010,
    "extreme_quantity_capped": 0.002,
}
#: Rate of each missing customer attribute, as a share of customers.
CUSTOMER_DEFECT_RATES = {
    "missing_income": 0.020,
    "missing_region": 0.010,
    "missing_gender": 0.012,
    "missing_birth_date": 0.008,
}
DEFECT_KEYS = tuple(TRANSACTION_DEFECT_RATES) + tuple(CUSTOMER_DEFECT_RATES)
#: Returns happen within this many days of the sale, and before the window ends.
MAX_RETURN_DELAY_DAYS = 30
_ONE_DAY = pd.Timedelta(days=1)


def no_defects() -> dict[str, int]:
    """The defect ledger of clean data: every count zero."""
    return dict.fromkeys(DEFECT_KEYS, 0)


def _label_variants(label: str) -> tuple[str, ...]:
    """Spellings that normalize (strip, collapse whitespace, lowercase) to ``label``."""
    return (
        label.upper(),
        label.title(),
        f" {label.title()} ",
        f"{label}  ",
        f"  {label.upper()}",
        f"{label.title()}  ",
    )


_VARIANTS = np.array([_label_variants(label) for label in CATEGORIES], dtype=object)
_CATEGORY_CODE = {label: code for code, label in enumerate(CATEGORIES)}


def _split_disjoint(
    rng: np.random.Generator, pool: np.ndarray, counts: dict[str, int]
) -> dict[str, np.ndarray]:
    """Disjoint random subsets of ``pool`` with the requested sizes, in key order."""
    chosen = rng.choice(pool, size=sum(counts.values()), replace=False)
    bounds = np.cumsum([0, *counts.values()])
    return {
        key: np.sort(chosen[lo:hi]) for key, lo, hi in zip(counts, bounds, bounds[1:], strict=False)
    }


def _draw_counts(rng: np.random.Generator, n_rows: int, rates: dict[str, float]) -> dict[str, int]:
    counts = {key: int(rng.binomial(n_rows, rate)) for key, rate in rates.items()}
    # Tiny tables cannot host every defect on its own row; shrink proportionally.
    total = sum(counts.values())
    if total > n_rows:
        counts = {key: count * n_rows // total for key, count in counts.items()}
    return counts


def corrupt_transactions(
    rng: np.random.Generator,
    transactions: pd.DataFrame,
    end: pd.Timestamp,
    customer_id_width: int,
    n_customers: int,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Inject the transaction defects into a clean table sorted by timestamp.

    Returns the new table and the number of rows carrying each defect.
    """
    n = len(transactions)
    counts = _draw_counts(rng, n, TRANSACTION_DEFECT_RATES)
    timestamps = transactions["timestamp"].to_numpy()
    returnable = np.flatnonzero(
        timestamps <= (end - pd.Timedelta(days=MAX_RETURN_DELAY_DAYS + 1)).to_datetime64()
    )
    n_returns = min(counts["return_or_cancellation"], len(returnable))
    counts["return_or_cancellation"] = n_returns
    return_rows = np.sort(rng.choice(returnable, size=n_returns, replace=False))
    others = {key: count for key, count in counts.items() if key != "return_or_cancellation"}
    not_returned = np.ones(n, dtype=bool)
    not_returned[return_rows] = False
    rows = _split_disjoint(rng, np.flatnonzero(not_returned), others)
    rows["return_or_cancellation"] = return_rows

    table = transactions.copy()
    column = table.columns.get_loc

    missing = rows["missing_customer_id"]
    table.iloc[missing, column("customer_id")] = np.nan

    unknown = rows["unknown_customer"]
    # Ids in the same format as real ones but above every issued number.
    lowest = max(n_customers + 1, 9 * 10 ** (customer_id_width - 1))
    highest = max(10**customer_id_width, lowest + 1000)
    numbers = rng.integers(lowest, highest, len(unknown))
    table.iloc[unknown, column("customer_id")] = [f"C{k:0{customer_id_width}d}" for k in numbers]

    future = rows["future_dated"]
    # A mix of near-future slips (days) and mistyped years (years ahead).
    days_ahead = np.where(
        rng.random(len(future)) < 0.6,
        rng.integers(1, 91, len(future)),
        rng.integers(365, 3653, len(future)),
    )
    seconds = rng.integers(1, SECONDS_PER_DAY, len(future))
    table.iloc[future, column("timestamp")] = (
        end + pd.to_timedelta(days_ahead, unit="D") + pd.to_timedelta(seconds, unit="s")
    ).as_unit("ns")

    free = rows["nonpositive_price"]
    price = table["unit_price"].to_numpy()[free]
    new_price = np.where(rng.random(len(free)) < 0.5, 0.0, -price)
    table.iloc[free, column("unit_price")] = new_price
    table.iloc[free, column("amount")] = (
        np.round(table["quantity"].to_numpy()[free] * new_price, 2) + 0.0
    )  # turns -0.0 into 0.0

    relabel = rows["category_label_normalized"]
    codes = table["category"].iloc[relabel].map(_CATEGORY_CODE).to_numpy(dtype=np.int64)
    variant = rng.integers(0, _VARIANTS.shape[1], len(relabel))
    table.iloc[relabel, column("category")] = _VARIANTS[codes, variant]

    bulk = rows["extreme_quantity_capped"]
    quantity = rng.integers(100, 1001, len(bulk)).astype(float)
    table.iloc[bulk, column("quantity")] = quantity
    table.iloc[bulk, column("amount")] = np.round(
        quantity * table["unit_price"].to_numpy()[bulk], 2
    )

    duplicates = transactions.iloc[rows["duplicate_rows"]]
    returns = _returns(rng, transactions.iloc[return_rows])
    added = pd.concat([duplicates, returns], ignore_index=True)
    # Insert added rows after the clean rows with the same or an earlier timestamp.
    position = np.searchsorted(timestamps, added["timestamp"].to_numpy(), side="right")
    sort_key = np.concatenate([np.arange(n), position - 0.5])
    tie_break = np.arange(n + len(added))
    order = np.lexsort((tie_break, sort_key))
    result = pd.concat([table, added], ignore_index=True).iloc[order]
    return result.reset_index(drop=True), {key: int(len(rows[key])) for key in counts}


def _returns(rng: np.random.Generator, sales: pd.DataFrame) -> pd.DataFrame:
    """Return lines for some earlier sales: negative quantity, same unit price."""
    n = len(sales)
    sold = sales["quantity"].to_numpy()
    returned = -np.floor(rng.random(n) * sold + 1.0)
    delay_seconds = rng.integers(
        SECONDS_PER_DAY, MAX_RETURN_DELAY_DAYS * SECONDS_PER_DAY, n, endpoint=True
    )
    returns = sales.assign(
        timestamp=sales["timestamp"] + pd.to_timedelta(delay_seconds, unit="s"),
        order_id="R" + sales["order_id"].str.slice(1),
        quantity=returned,
        amount=np.round(returned * sales["unit_price"].to_numpy(), 2),
    )
    return returns.sort_values("timestamp", kind="stable")


def corrupt_customers(
    rng: np.random.Generator, customers: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Blank out income, region, gender or birth date on disjoint customer rows."""
    counts = _draw_counts(rng, len(customers), CUSTOMER_DEFECT_RATES)
    rows = _split_disjoint(rng, np.arange(len(customers)), counts)
    table = customers.copy()
    for key, positions in rows.items():
        name = key.removeprefix("missing_")
        missing = pd.NaT if name == "birth_date" else np.nan
        table.iloc[positions, table.columns.get_loc(name)] = missing
    return table, {key: int(len(positions)) for key, positions in rows.items()}
