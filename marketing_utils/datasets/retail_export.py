"""A sample "your own data" file: the synthetic data written as a typical retail export.

New users can try the ``files`` source end to end before pointing it at their
own export: ``marketing-workbook sample-data data/`` writes
``data/retail_export.csv`` in the layout of a common online-retail export
(Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID,
Country; cancelled invoices prefixed "C"; rows without a customer id; ids
written as floats), and ``params/own_data_example.yaml`` maps it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .synthetic import make_synthetic

__all__ = ["RETAIL_COLUMNS", "RETAIL_DATE_FORMAT", "make_retail_export", "write_retail_export"]

#: How the export's columns map onto the canonical transactions table.
RETAIL_COLUMNS = {
    "customer_id": "Customer ID",
    "timestamp": "InvoiceDate",
    "order_id": "Invoice",
    "product_id": "StockCode",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price": "Price",
}
RETAIL_DATE_FORMAT = "%d/%m/%Y %H:%M"


def make_retail_export(n_customers: int = 2_000, *, seed: int = 0) -> pd.DataFrame:
    """The synthetic transactions in the layout of a typical online-retail export.

    Returns rows are written as cancelled invoices (``"C"`` + invoice number,
    negative quantity), customer ids as floats (``"123.0"``) or empty, and
    dates as ``dd/mm/YYYY HH:MM`` strings, as such exports do.
    """
    data = make_synthetic(n_customers, seed=seed, dirty=True)
    tx = data.transactions
    products = data.products.set_index("product_id")["description"]
    numbers = pd.to_numeric(tx["customer_id"].str.slice(1), errors="coerce")
    is_return = tx["quantity"] < 0
    invoice = tx["order_id"].str.replace(r"^[A-Z]+", "", regex=True)
    regions = data.customers.set_index("customer_id")["region"]
    country = tx["customer_id"].map(regions).fillna("unspecified").str.title()
    return pd.DataFrame(
        {
            "Invoice": np.where(is_return, "C" + invoice, invoice),
            "StockCode": tx["product_id"].str.slice(1),
            "Description": tx["product_id"]
            .map(products)
            .str.upper()
            .str.replace(":", "", regex=False),
            "Quantity": tx["quantity"].astype("int64"),
            "InvoiceDate": tx["timestamp"].dt.strftime(RETAIL_DATE_FORMAT),
            "Price": tx["unit_price"].round(2),
            "Customer ID": numbers.map(lambda n: "" if pd.isna(n) else f"{n:.1f}"),
            "Country": country,
        }
    )


def write_retail_export(folder: str | Path, n_customers: int = 2_000, *, seed: int = 0) -> Path:
    """Write ``retail_export.csv`` into ``folder`` (created if needed) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "retail_export.csv"
    make_retail_export(n_customers, seed=seed).to_csv(path, index=False)
    return path
