"""A toy shop shared by the recommend tests: four customers, four products.

Before the cutoff (2025-01-01):  A: p1 p2 · B: p1 p2 p3 · C: p2 p3 · D: p4.
Item columns (buyers): p1 {A, B}, p2 {A, B, C}, p3 {B, C}, p4 {D}, so that

    cos(p1, p2) = 2 / sqrt(2 * 3) = 0.81650   Jaccard = 2 / (2 + 3 - 2) = 2/3
    cos(p1, p3) = 1 / sqrt(2 * 2) = 0.5       Jaccard = 1 / (2 + 2 - 1) = 1/3
    cos(p2, p3) = 2 / sqrt(3 * 2) = 0.81650   Jaccard = 2/3
    p4 shares no buyer with anything: similarity 0.

After the cutoff (horizon 30 days): A buys p3 (new) and p1 (a repeat), C buys
p1, D buys p3, E (signed up before the cutoff, no purchase yet) buys p2, and
F (first seen after the cutoff) buys p1. B buys p4 on day 40, after the horizon.
"""

from __future__ import annotations

import pandas as pd
import pytest

CUTOFF = "2025-01-01"


def _lines(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "product_id", "amount"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame["customer_id"] = frame["customer_id"].astype("str")
    frame["product_id"] = frame["product_id"].astype("str")
    frame["category"] = frame["product_id"].map({"p1": "x", "p2": "x", "p3": "y", "p4": "z"})
    return frame


@pytest.fixture
def toy_transactions() -> pd.DataFrame:
    return _lines(
        [
            ("A", "2024-12-01", "p1", 10.0),
            ("A", "2024-12-02", "p2", 20.0),
            ("B", "2024-11-01", "p1", 10.0),
            ("B", "2024-11-01", "p2", 20.0),
            ("B", "2024-11-05", "p3", 30.0),
            ("C", "2024-10-01", "p2", 20.0),
            ("C", "2024-10-02", "p3", 30.0),
            ("D", "2024-12-20", "p4", 5.0),
            ("A", "2025-01-05", "p3", 30.0),
            ("A", "2025-01-06", "p1", 10.0),
            ("C", "2025-01-10", "p1", 10.0),
            ("D", "2025-01-15", "p3", 30.0),
            ("E", "2025-01-20", "p2", 20.0),
            ("F", "2025-01-21", "p1", 10.0),
            ("B", "2025-02-10", "p4", 5.0),
        ]
    )


@pytest.fixture
def toy_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array(list("ABCDEF"), dtype="str"),
            "signup_date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01", "2024-12-15", "2025-01-21"]
            ),
        }
    )
