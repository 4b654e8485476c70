"""The validation split precedes the test split; settings and the model are chosen on it."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.baselines import PopularityRecommender
from marketing_utils.recommend.evaluation import Evaluation
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
