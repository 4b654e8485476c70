"""The oracle ranks by true purchase probabilities: NDCG worked out by hand on the toy shop."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils import recommend
from marketing_utils.errors import DataValidationError

from .conftest import CUTOFF

# True probabilities of the toy shop's products (see conftest), one row per customer.
PROBABILITIES = pd.DataFrame(
    {
        "p1": [0.4, 0.1, 0.5, 0.2, 0.3],
        "p2": [0.2, 0.1, 0.1, 0.3, 0.4],
        "p3": [0.1, 0.1, 0.2, 0.25, 0.2],
        "p4": [0.3, 0.7, 0.2, 0.25, 0.1],
    },
    index=list("ABCDE"),
)


def _oracle_evaluation(toy_transactions, k):
    split = recommend.time_split(
        toy_transactions, cutoff=CUTOFF, horizon_days=30, population=list("ABCDE")
    )
    # Factors: the probabilities themselves times the identity.
    identity = pd.DataFrame(np.eye(4), index=PROBABILITIES.columns, columns=PROBABILITIES.columns)
    oracle = recommend.OracleRecommender(PROBABILITIES, identity).fit(split.interactions)
    return recommend.evaluate_recommenders({"oracle": oracle}, split, k=k, ks=[k])


def test_oracle_ndcg_by_hand(toy_transactions):
    # New products bought in the horizon: A p3, C p1, D p3, E p2 (E: cold start).
    # Oracle lists without what each bought before:
    #   A (had p1 p2): p4 0.3, p3 0.1       -> hit at rank 2: NDCG@2 = 1/log2(3)
    #   C (had p2 p3): p1 0.5, p4 0.2       -> hit at rank 1: 1
    #   D (had p4):    p2 0.3, p3 0.25, p1  -> hit at rank 2: 1/log2(3)
    #   E (nothing):   p2 0.4, p1 0.3, ...  -> hit at rank 1: 1
    table = _oracle_evaluation(toy_transactions, k=2).table
    assert table.loc["oracle", "ndcg"] == pytest.approx((2 / math.log2(3) + 2) / 4)
    assert table.loc["oracle", "precision"] == pytest.approx(0.5)
    assert table.loc["oracle", "recall"] == pytest.approx(1.0)
    assert table.loc["oracle", "n_evaluated"] == 4
    at_1 = _oracle_evaluation(toy_transactions, k=1).table
    assert at_1.loc["oracle", "ndcg"] == pytest.approx(0.5)


def test_share_of_oracle():
    table = pd.DataFrame(
        {"ndcg": [0.3, 0.6], "precision": [0.1, 0.2], "recall": [0.2, 0.5]}, index=["a", "b"]
    )
    out = recommend.oracle_comparison(table, {"ndcg": 0.75, "precision": 0.25, "recall": 0.5})
    assert out["oracle_ndcg_at_k"] == 0.75
    assert out["share_of_oracle"] == {"a": pytest.approx(0.4), "b": pytest.approx(0.8)}
    assert out["share_of_oracle_recall"] == {"a": pytest.approx(0.4), "b": pytest.approx(1.0)}


def _truth_and_info():
    truth = pd.DataFrame(
        {
            "customer_id": ["u1", "u2"],
            "persona": ["x", "y"],
            "true_share_c0": [0.75, 0.5],
            "true_share_c1": [0.25, 0.5],
        }
    )
    info = {
        "personas": ["x", "y"],
        "categories": ["c0", "c1"],
        # Products P00001 (c0), P00002 (c0), P00003 (c1).
        "product_categories": [0, 0, 1],
        "true_product_choice": [[0.6, 0.4, 1.0], [0.1, 0.9, 1.0]],
    }
    return truth, info


def test_synthetic_true_factors_multiply_to_line_probabilities():
    truth, info = _truth_and_info()
    customers, products = recommend.synthetic_true_factors(truth, info)
    probabilities = customers.to_numpy() @ products[["P00001", "P00002", "P00003"]].to_numpy()
    # u1 (persona x): 0.75 * 0.6, 0.75 * 0.4, 0.25 * 1; u2 (persona y): 0.5 * 0.1, 0.5 * 0.9, 0.5.
    np.testing.assert_allclose(probabilities, [[0.45, 0.3, 0.25], [0.05, 0.45, 0.5]])


def test_no_factors_without_the_truth_and_clear_error_on_a_bad_one():
    truth, info = _truth_and_info()
    assert recommend.synthetic_true_factors(truth.drop(columns="true_share_c1"), info) is None
    assert recommend.synthetic_true_factors(truth, {"personas": ["x"]}) is None
    with pytest.raises(DataValidationError, match="one row per persona"):
        recommend.synthetic_true_factors(truth, {**info, "true_product_choice": [[0.5, 0.5, 1]]})
    with pytest.raises(DataValidationError, match="persona"):
        recommend.synthetic_true_factors(truth.assign(persona=["x", "z"]), info)
