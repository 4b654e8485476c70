"""The contact plan joins stage 04's targeting list with the recommendations."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.export import contact_plan, read_targeting_list, write_csv

RECS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
        "rank": [1, 2, 3, 1, 2, 3, 1],
        "product_id": ["p1", "p2", "p3", "p4", "p1", "p2", "p9"],
        "score": [0.9, 0.5, 0.1, 0.8, 0.7, 0.6, 3.0],
        "source": ["item_cf"] * 6 + ["segment_popularity"],
    }
)
TARGETS = pd.DataFrame(
    {
        "customer_id": ["b", "a", "c", "d"],
        "score": [0.9, 0.7, 0.2, 0.6],
        "decile": [1, 1, 2, 1],
        "segment": ["s", "s", "t", "t"],
        "selected": [True, True, False, True],
    }
)


def test_plan_keeps_selected_customers_best_first_with_their_top_offers():
    plan, counts = contact_plan(RECS, TARGETS, offers_per_customer=2)
    rows = list(
        plan[["customer_id", "offer_rank", "product_id"]].itertuples(index=False, name=None)
    )
    # b (0.9) then a (0.7) then d (0.6, no recommendation: kept, empty offer); c not selected.
    assert rows[:4] == [("b", 1, "p4"), ("b", 2, "p1"), ("a", 1, "p1"), ("a", 2, "p2")]
    assert rows[4][0] == "d" and pd.isna(rows[4][2])
    assert counts == {"customers": 3, "offers": 4, "customers_without_offers": 1}
    assert list(plan.columns) == [
        "customer_id",
        "propensity",
        "decile",
        "selected",
        "segment",
        "offer_rank",
        "product_id",
        "offer_score",
        "offer_source",
    ]


def test_plan_for_everyone_on_the_list():
    plan, counts = contact_plan(RECS, TARGETS, offers_per_customer=1, selected_only=False)
    assert counts == {"customers": 4, "offers": 3, "customers_without_offers": 1}
    assert plan.loc[plan["customer_id"] == "c", "product_id"].tolist() == ["p9"]


def test_plan_rejects_a_bad_offer_count():
    with pytest.raises(
        DataValidationError, match="offers_per_customer: expected an integer >= 1, found 0"
    ):
        contact_plan(RECS, TARGETS, offers_per_customer=0)


def test_read_targeting_list(tmp_path):
    assert read_targeting_list(tmp_path) is None
    path = write_csv(
        TARGETS.assign(customer_id=["007", "a", "c", "d"]),
        tmp_path / "artifacts" / "targeting_list.csv",
    )
    table = read_targeting_list(tmp_path)
    assert table["customer_id"].tolist() == ["007", "a", "c", "d"]  # ids stay strings
    path.write_text("customer_id,score\nx,0.5\n")
    with pytest.raises(DataValidationError, match="targeting_list.csv, column 'decile'"):
        read_targeting_list(tmp_path)
