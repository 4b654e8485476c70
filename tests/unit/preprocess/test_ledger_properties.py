"""Property test: the cleaning ledger adds up for every table at once, on random data.

test_clean.py checks the transaction rules one by one against a reference; this
one draws all four tables together (customers with missing cells and ids,
campaign rows without ids, transactions of known, unknown and missing
customers, products with messy labels) and checks the identity
``rows_in == rows_kept + removed`` and that ``rows_kept`` is the clean table's
length, for each table, plus the per-table counts that follow from the draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing_utils.preprocess.clean import clean_data
from marketing_utils.preprocess.ledger import ledger_summary
from marketing_utils.schema import MarketingData

END = "2024-03-31"
ID = st.sampled_from(["c1", "c2", "c3", "c4", None, "  "])

customers_rows = st.lists(
    st.tuples(
        st.sampled_from([None, " ", "c1", "c2", "c3", "c4", "c5", "c6"]),
        st.sampled_from([50_000.0, np.nan]),
        st.sampled_from(["west", None]),
    ),
    max_size=8,
)
transaction_rows = st.lists(
    st.tuples(
        ID,
        st.sampled_from(["2024-01-01 10:00", "2024-04-02 10:00", None]),
        st.sampled_from([1.0, -1.0, 500.0]),
        st.sampled_from([2.0, 0.0]),
        st.sampled_from(["Toys", " toys ", None]),
    ),
    max_size=30,
)
campaign_rows = st.lists(
    st.tuples(ID, st.integers(0, 1), st.integers(0, 1)),
    max_size=10,
)


@settings(max_examples=60, deadline=None)
@given(customers=customers_rows, transactions=transaction_rows, campaign=campaign_rows)
def test_every_table_ledger_adds_up(customers, transactions, campaign):
    customers_frame = pd.DataFrame(customers, columns=["customer_id", "income", "region"])
    # A duplicated customer id is a load error, not a cleaning rule: keep the first of each.
    customers_frame = customers_frame[
        customers_frame["customer_id"].isna() | ~customers_frame["customer_id"].duplicated()
    ].astype({"customer_id": "str", "income": "float64", "region": "str"})
    tx = pd.DataFrame(
        transactions, columns=["customer_id", "timestamp", "quantity", "unit_price", "category"]
    ).astype({"customer_id": "str", "quantity": "float64", "unit_price": "float64"})
    tx["timestamp"] = pd.to_datetime(tx["timestamp"])
    tx["amount"] = tx["quantity"] * tx["unit_price"]
    campaign_frame = pd.DataFrame(campaign, columns=["customer_id", "treatment", "response"])
    campaign_frame = campaign_frame.astype({"customer_id": "str"})
    products = pd.DataFrame({"product_id": ["p1", "p2"], "category": ["Toys", " toys "]})
    data = MarketingData(
        customers=customers_frame,
        transactions=tx,
        campaign=campaign_frame,
        products=products,
        info={"observation_end": END},
    )

    result = clean_data(data)
    summary = ledger_summary(result.ledger)

    for table, frame in result.data.tables().items():
        counts = summary[table]
        assert counts["rows_in"] == counts["rows_kept"] + counts["removed"], table
        assert counts["rows_in"] == len(getattr(data, table)), table
        assert counts["rows_kept"] == len(frame), table
    # Rows whose customer id is missing or blank go, whatever else is wrong with them.
    blank = customers_frame["customer_id"].isna() | (
        customers_frame["customer_id"].str.strip() == ""
    )
    assert summary["customers"]["removed"] == int(blank.sum())
    campaign_blank = campaign_frame["customer_id"].isna() | (
        campaign_frame["customer_id"].str.strip() == ""
    )
    assert summary["campaign"]["removed"] == int(campaign_blank.sum())
    assert summary["products"]["removed"] == 0
    # Every kept transaction belongs to a kept customer and lies in the observation.
    kept = result.data.transactions
    assert set(kept["customer_id"]) <= set(result.data.customers["customer_id"])
    assert (kept["timestamp"] <= pd.Timestamp(END) + pd.Timedelta(days=1)).all()
    assert len(result.returns) == summary["transactions"]["reasons"].get(
        "return_or_cancellation", 0
    )
