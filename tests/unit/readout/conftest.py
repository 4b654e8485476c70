"""Small hand-made lists for the readout tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def targeting_list() -> pd.DataFrame:
    """40 customers in 4 deciles of 10; the first 30 (deciles 1-3) are selected."""
    n = 40
    return pd.DataFrame(
        {
            "customer_id": [f"cust_{i:03d}" for i in range(n)],
            "score": [round(0.9 - 0.02 * i, 2) for i in range(n)],
            "decile": [1 + i // 10 for i in range(n)],
            "segment": ["champions" if i % 2 else "loyal" for i in range(n)],
            "selected": [i < 30 for i in range(n)],
        }
    )


@pytest.fixture
def campaign_plan() -> pd.DataFrame:
    """09's contract: 30 customers, two offers (20 and 10)."""
    return pd.DataFrame(
        {
            "customer_id": [f"cust_{i:03d}" for i in range(30)],
            "offer": ["email"] * 20 + ["call"] * 10,
            "expected_uplift": [0.05 - 0.001 * i for i in range(30)],
            "expected_profit": [1.0 - 0.02 * i for i in range(30)],
        }
    )
