"""Describe tables without showing their values (safe to print in a report)."""

from __future__ import annotations

import pandas as pd

from .schema import MarketingData

__all__ = ["describe_tables", "missing_share"]


def describe_tables(data: MarketingData) -> pd.DataFrame:
    """One row per table: rows, columns, customers, date range. No cell values.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
    ...                    "amount": [1.0, 2.0, 3.0]})
    >>> describe_tables(MarketingData(transactions=tx)).loc["transactions", "customers"]
    2
    """
    rows = []
    for name, table in data.tables().items():
        entry = {"table": name, "rows": len(table), "columns": table.shape[1]}
        entry["customers"] = int(table["customer_id"].nunique()) if "customer_id" in table else None
        if "timestamp" in table and table["timestamp"].notna().any():
            entry["first"] = table["timestamp"].min().date().isoformat()
            entry["last"] = table["timestamp"].max().date().isoformat()
        rows.append(entry)
    table = pd.DataFrame(rows).set_index("table")
    return table.astype({"customers": "Int64"})


def missing_share(data: MarketingData) -> pd.Series:
    """Share of missing cells per ``table.column``, only columns with any missing, largest first."""
    shares = {}
    for name, table in data.tables().items():
        if len(table) == 0:
            continue
        missing = table.isna().mean()
        if "customer_id" in table:
            missing["customer_id"] = (
                table["customer_id"].isna() | (table["customer_id"].astype(str).str.strip() == "")
            ).mean()
        for column, share in missing.items():
            if share > 0:
                shares[f"{name}.{column}"] = float(share)
    return pd.Series(shares, name="missing_share", dtype=float).sort_values(ascending=False)
