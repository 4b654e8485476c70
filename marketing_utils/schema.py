"""The canonical data model, declared once.

Every source (synthetic, public datasets, your own files) is mapped onto these
tables. Optional tables may be absent, and the set of tables and columns
present decides which stages the data supports (:meth:`MarketingData.capabilities`).

Raw schemas check types and required columns at load; cleaning then removes or
repairs rows and counts them in the ledger. Clean schemas add the value checks
that hold after cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import pandas as pd
import pandera.pandas as pa

__all__ = [
    "CAPABILITY_DESCRIPTIONS",
    "OUTCOME_COLUMNS",
    "PII_COLUMNS",
    "TABLE_COLUMNS",
    "MarketingData",
    "clean_schema",
    "raw_schema",
]

#: Columns observed only after the outcome: never features.
OUTCOME_COLUMNS = ("response", "spend", "visit", "conversion", "label")

#: Direct identifiers that may appear in raw inputs and never in an artifact.
PII_COLUMNS = ("name", "email", "phone", "address")

#: Canonical columns of each table: (name, dtype, required).
TABLE_COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "customers": [
        ("customer_id", "str", True),
        ("signup_date", "datetime64[ns]", False),
        ("birth_date", "datetime64[ns]", False),
        ("gender", "str", False),
        ("region", "str", False),
        ("channel", "str", False),
        ("income", "float64", False),
    ],
    "transactions": [
        ("customer_id", "str", True),
        ("timestamp", "datetime64[ns]", True),
        ("order_id", "str", False),
        ("product_id", "str", False),
        ("category", "str", False),
        ("quantity", "float64", False),
        ("unit_price", "float64", False),
        ("amount", "float64", True),
    ],
    "products": [
        ("product_id", "str", True),
        ("category", "str", False),
        ("name", "str", False),
        ("price", "float64", False),
    ],
    "campaign": [
        ("customer_id", "str", True),
        ("treatment", "int64", True),
        ("response", "int64", True),
        ("spend", "float64", False),
    ],
}

#: What each capability means, used in the reasons shown for skipped stages.
CAPABILITY_DESCRIPTIONS = {
    "customers": "a customers table",
    "transactions": "dated transactions",
    "transactions.product_id": "transactions with product ids",
    "campaign": "a campaign table",
    "campaign.treatment": "a campaign table with a treatment flag and a control group",
    "campaign.response": "a campaign table with a response column",
    "products": "a products table",
}


def _columns(table: str, *, clean: bool) -> dict[str, pa.Column]:
    columns = {}
    for name, dtype, required in TABLE_COLUMNS[table]:
        checks = []
        nullable = True
        if clean:
            if name in ("customer_id", "timestamp", "amount", "treatment", "response"):
                nullable = False
            if name in ("unit_price", "price"):
                checks.append(pa.Check.gt(0))
            if name in ("quantity", "amount", "income", "spend"):
                checks.append(pa.Check.ge(0))
            if name in ("treatment", "response"):
                checks.append(pa.Check.ge(0))
        elif name in ("customer_id", "timestamp") and table != "transactions":
            nullable = False
        columns[name] = pa.Column(
            dtype, checks=checks, nullable=nullable, required=required, coerce=True
        )
    return columns


def raw_schema(table: str) -> pa.DataFrameSchema:
    """Schema a loaded (not yet cleaned) table must satisfy.

    Parameters
    ----------
    table : {"customers", "transactions", "products", "campaign"}

    Returns
    -------
    pandera.DataFrameSchema
        Types and required columns only; extra columns are allowed.
    """
    unique = ["customer_id"] if table == "customers" else None
    return pa.DataFrameSchema(_columns(table, clean=False), name=table, unique=unique)


def clean_schema(table: str) -> pa.DataFrameSchema:
    """Schema a table satisfies after cleaning (no missing keys, positive prices)."""
    unique = ["customer_id"] if table == "customers" else None
    return pa.DataFrameSchema(_columns(table, clean=True), name=table, unique=unique)


@dataclass(frozen=True)
class MarketingData:
    """The tables one source provides, in the canonical data model.

    Parameters
    ----------
    customers, transactions, products, campaign : pandas.DataFrame or None
        The canonical tables; ``None`` where the source does not have one.
    source : str
        Name of the source, e.g. ``"synthetic"`` or ``"bank_marketing"``.
    info : dict
        Source-specific facts a later stage needs (e.g. the label column or
        the observation end date), JSON-serializable.
    """

    customers: pd.DataFrame | None = None
    transactions: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    campaign: pd.DataFrame | None = None
    source: str = "unknown"
    info: dict = field(default_factory=dict)

    TABLES = ("customers", "transactions", "products", "campaign")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables that are present, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name in self.TABLES and getattr(self, f.name) is not None
        }

    def replace(self, **changes) -> MarketingData:
        """A copy with some tables or attributes replaced."""
        return replace(self, **changes)

    def capabilities(self) -> set[str]:
        """What the data makes possible, as names of :data:`CAPABILITY_DESCRIPTIONS`.

        Examples
        --------
        >>> import pandas as pd
        >>> tx = pd.DataFrame({"customer_id": ["a"], "timestamp": [pd.Timestamp("2024-01-01")],
        ...                    "amount": [1.0]})
        >>> sorted(MarketingData(transactions=tx).capabilities())
        ['transactions']
        """
        found: set[str] = set()
        for name, table in self.tables().items():
            if len(table) == 0:
                continue
            found.add(name)
            if name == "transactions":
                if "timestamp" not in table or table["timestamp"].isna().all():
                    found.discard("transactions")
                if "product_id" in table and table["product_id"].notna().any():
                    found.add("transactions.product_id")
            if name == "campaign":
                if "treatment" in table and table["treatment"].nunique(dropna=True) >= 2:
                    found.add("campaign.treatment")
                if "response" in table and table["response"].notna().any():
                    found.add("campaign.response")
        return found
