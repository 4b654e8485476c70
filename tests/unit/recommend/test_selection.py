"""The validation split precedes the test split; settings and the model are chosen on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.base import Recommender
from marketing_utils.recommend.baselines import PopularityRecommender
from marketing_utils.recommend.evaluation import Evaluation
from marketing_utils.recommend.interactions import time_split
from marketing_utils.recommend.item_cf import ItemKNNRecommender
from marketing_utils.recommend.selection import (
    choose_method,
    sample_configs,
    search_configs,
    validation_split,
)

from .conftest import CUTOFF


def test_validation_split_sees_nothing_of_the_test_horizon(toy_transactions):
    split = validation_split(toy_transactions, cutoff=CUTOFF, horizon_days=60)
    # Validation cutoff 2024-11-02: learns from C's October lines and B's 2024-11-01 lines.
    assert split.cutoff == pd.Timestamp("2024-11-02")
    assert split.interactions.counts["lines_before_cutoff"] == 4
    assert set(split.interactions.customer_ids) == {"B", "C"}
    # Truth: [2024-11-02, 2025-01-01): B p3 (11-05); A's December lines are not evaluated
    # (A has no history at the validation cutoff); nothing after 2025-01-01 is read.
    assert split.truth.to_dict("list") == {"customer_id": ["B"], "product_id": ["p3"]}


def test_sample_configs_is_a_seeded_subset_of_the_grid():
    grid = {"factors": [8, 16, 32], "regularization": [0.01, 0.1], "iterations": [10]}
    drawn = sample_configs(grid, 3, seed=4)
    assert len(drawn) == 3 and drawn == sample_configs(grid, 3, seed=4)
    every = sample_configs(grid, 100, seed=0)
    assert len(every) == 6 and all(config in every for config in drawn)
    with pytest.raises(DataValidationError, match="latent_grid"):
        sample_configs({"factors": []}, 2, seed=0)


def _evaluation(ndcg: dict) -> Evaluation:
    table = pd.DataFrame({"ndcg": ndcg, "n_evaluated": 10})
    return Evaluation(table=table, by_k=pd.DataFrame(), per_customer=pd.DataFrame(), k=10)


def test_the_choice_follows_validation_not_test():
    validation = _evaluation({"popularity": 0.10, "item_cf": 0.30, "als": 0.25})
    test = _evaluation({"popularity": 0.10, "item_cf": 0.28, "als": 0.31})
    assert choose_method(validation) == "item_cf"  # als is better on test: not looked at
    assert choose_method(test) == "als"
    assert choose_method(validation, ["popularity", "als"]) == "als"
    with pytest.raises(DataValidationError, match="methods"):
        choose_method(validation, ["nothing"])


class _Ranked(Recommender):
    """Scores products in a fixed order (a stand-in for one setting of a model)."""

    name = "ranked"

    def __init__(self, order):
        self.order = order

    def score_rows(self, customer_ids, rows):
        ids = list(self.interactions_.product_ids)
        scores = np.zeros(len(ids))
        for position, product in enumerate(self.order):
            scores[ids.index(product)] = len(self.order) - position
        return np.tile(scores, (len(rows), 1))


def test_search_picks_the_setting_with_the_best_validation_ndcg():
    # Before 2024-06-01: u1, u2 bought a; x bought b, c, d. After: u1 and u2 buy c.
    rows = [("u1", "a", "2024-05-01"), ("u2", "a", "2024-05-02")]
    rows += [("x", p, "2024-05-03") for p in "bcd"]
    rows += [("u1", "c", "2024-06-10"), ("u2", "c", "2024-06-11")]
    lines = pd.DataFrame(rows, columns=["customer_id", "product_id", "timestamp"])
    lines["timestamp"] = pd.to_datetime(lines["timestamp"])
    split = time_split(lines, cutoff="2024-06-01", horizon_days=30)
    # At k = 1: a setting ranking c first scores NDCG 1, the others 0.
    configs = [{"order": ("b", "c")}, {"order": ("c", "b")}, {"order": ("d", "c")}]
    result = search_configs({"ranked": _Ranked}, {"ranked": configs}, split, k=1)
    assert result.table["ndcg"].tolist() == [1.0, 0.0, 0.0]  # best first
    assert result.table["order"].iloc[0] == ("c", "b")
    assert result.best == {"ranked": {"order": ("c", "b")}}


def test_search_keeps_the_setting_best_on_validation(toy_transactions):
    split = validation_split(toy_transactions, cutoff=CUTOFF, horizon_days=60)

    def build(neighbours):
        # 'neighbours = 0' stands for a weaker model (popularity) in this toy search.
        return (
            ItemKNNRecommender(n_neighbours=neighbours) if neighbours else PopularityRecommender()
        )

    result = search_configs({"toy": build}, {"toy": [{"neighbours": 0}, {"neighbours": 5}]}, split)
    scores = result.table.set_index("neighbours")["ndcg"]
    # B (history p1, p2) bought p3: item-kNN ranks p3 first (its only unseen neighbour),
    # popularity too (p3 is the only product B has not bought): both 1.0, the first tried wins.
    assert scores.loc[0] == pytest.approx(1.0) and scores.loc[5] == pytest.approx(1.0)
    assert result.best == {"toy": {"neighbours": 0}}


def test_search_keeps_the_winners_evaluation(toy_transactions):
    split = validation_split(toy_transactions, cutoff=CUTOFF, horizon_days=60)
    result = search_configs(
        {"toy": lambda neighbours: ItemKNNRecommender(n_neighbours=neighbours)},
        {"toy": [{"neighbours": 1}, {"neighbours": 5}]},
        split,
        k=3,
    )
    kept = result.evaluations["toy"]
    assert kept.k == 3 and list(kept.table.index) == ["toy"]
    # The same numbers as the search table's row of the winner.
    winner = result.table.iloc[0]
    assert kept.table.loc["toy", "ndcg"] == pytest.approx(winner["ndcg"]) == pytest.approx(1.0)
    assert result.models["toy"].n_neighbours == result.best["toy"]["neighbours"]
