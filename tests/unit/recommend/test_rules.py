"""Baskets, association rules (against mlxtend and a hand-worked planted rule), the recommender."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth

from marketing_utils.errors import DataValidationError
from marketing_utils.recommend.interactions import interaction_matrix
from marketing_utils.recommend.rules import (
    RulesRecommender,
    _rule_customers,
    baskets,
    frequent_pairs,
    mine_rules,
)


def _orders(rows):
    """Lines from (customer, order, [products]) with the products' categories."""
    lines = [
        (customer, order, product, pd.Timestamp("2024-06-01") + pd.Timedelta(days=i))
        for i, (customer, order, products) in enumerate(rows)
        for product in products
    ]
    frame = pd.DataFrame(lines, columns=["customer_id", "order_id", "product_id", "timestamp"])
    frame["category"] = frame["product_id"].map({"A": "food", "B": "food", "C": "toys"})
    frame["amount"] = 1.0
    return frame


# Ten baskets of ten customers. A and B together in 4, A alone in 1, B alone in 1, C in 4:
#   support(A) = support(B) = 5/10, support(AB) = 4/10, support(C) = 4/10
#   conf(A -> B) = 0.4 / 0.5 = 0.8, lift(A -> B) = 0.8 / 0.5 = 1.6 (same for B -> A).
PLANTED = [
    ("c1", "o1", ["A", "B"]),
    ("c2", "o2", ["A", "B"]),
    ("c3", "o3", ["A", "B"]),
    ("c4", "o4", ["A", "B"]),
    ("c5", "o5", ["A"]),
    ("c6", "o6", ["B"]),
    ("c7", "o7", ["C"]),
    ("c8", "o8", ["C"]),
    ("c9", "o9", ["C"]),
    ("c10", "o10", ["C"]),
]


def test_planted_rule_is_recovered_with_hand_worked_numbers():
    result = mine_rules(baskets(_orders(PLANTED)), min_support=0.3, min_lift=1.0, min_customers=1)
    rules = result.rules
    assert result.counts["baskets"] == 10
    assert len(rules) == 2  # A -> B and B -> A; C forms no pair above the support
    ab = rules[rules["antecedents"] == frozenset({"A"})].iloc[0]
    assert ab["consequents"] == frozenset({"B"})
    assert ab["support"] == pytest.approx(0.4)
    assert ab["antecedent support"] == pytest.approx(0.5)
    assert ab["confidence"] == pytest.approx(0.8)
    assert ab["lift"] == pytest.approx(1.6)
    assert ab["customers"] == 4
    assert result.table().iloc[0].to_dict() == {
        "if bought": "A",
        "then also": "B",
        "support": 0.4,
        "confidence": 0.8,
        "lift": 1.6,
        "customers": 4,
    }


def test_rules_equal_mlxtend_on_the_same_baskets():
    rng = np.random.default_rng(5)
    products = list("ABCDEFG")
    rows = []
    for order in range(300):
        chosen = [p for p in products if rng.random() < 0.25]
        if rng.random() < 0.3:
            chosen = sorted(set(chosen) | {"A", "C"})  # a planted association
        rows.append((f"c{order % 90}", f"o{order}", chosen or ["G"]))
    lines = _orders(rows)
    result = mine_rules(
        baskets(lines), min_support=0.05, min_lift=1.1, max_length=3, min_customers=1
    )
    # The same baskets one-hot encoded by hand, fed to mlxtend directly.
    onehot = pd.DataFrame(
        [{p: p in chosen for p in products} for _, _, chosen in rows if chosen], dtype=bool
    )
    itemsets = fpgrowth(onehot, min_support=0.05, use_colnames=True, max_len=3)
    expected = association_rules(
        itemsets, num_itemsets=len(onehot), metric="lift", min_threshold=1.1
    )

    def keyed(rules):
        key = [
            ",".join(sorted(a)) + " -> " + ",".join(sorted(c))
            for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
        ]
        return rules.set_index(pd.Index(key, name="rule")).sort_index()

    ours, theirs = keyed(result.rules), keyed(expected)
    assert len(ours) == len(theirs) > 10
    assert list(ours.index) == list(theirs.index)
    assert "A -> C" in ours.index and "C -> A" in ours.index
    for column in ("support", "confidence", "lift", "antecedent support", "consequent support"):
        np.testing.assert_allclose(ours[column].to_numpy(), theirs[column].to_numpy())
    assert (ours["lift"] >= 1.1).all()


def test_rules_of_fewer_customers_than_the_minimum_are_withheld():
    # The four A+B baskets belong to two customers only.
    rows = [
        (c if o not in ("o3", "o4") else {"o3": "c1", "o4": "c2"}[o], o, p) for c, o, p in PLANTED
    ]
    result = mine_rules(baskets(_orders(rows)), min_support=0.3, min_lift=1.0, min_customers=3)
    assert result.counts["rules_mined"] == 2
    assert result.counts["withheld_below_min_customers"] == 2
    assert result.rules.empty
    kept = mine_rules(baskets(_orders(rows)), min_support=0.3, min_lift=1.0, min_customers=2)
    assert kept.counts["rules_published"] == 2 and set(kept.rules["customers"]) == {2}


def test_category_baskets_and_bad_parameters():
    lines = _orders(PLANTED)
    cats = baskets(lines, level="category")
    assert list(cats.items) == ["food", "toys"]
    assert cats.matrix.shape == (10, 2)
    # Only lines before the cutoff (the first five baskets, one per day).
    assert baskets(lines, cutoff="2024-06-06").matrix.shape[0] == 5
    with pytest.raises(DataValidationError, match="rules_level"):
        baskets(lines, level="brand")
    with pytest.raises(DataValidationError, match="min_support"):
        mine_rules(baskets(lines), min_support=0)
    with pytest.raises(DataValidationError, match="column 'category'"):
        baskets(lines.drop(columns="category"), level="category")


def test_bought_together_recommender_scores_by_best_confidence():
    lines = _orders(PLANTED)
    result = mine_rules(baskets(lines), min_support=0.3, min_lift=1.0, min_customers=1)
    interactions = interaction_matrix(lines)
    model = RulesRecommender(result.rules).fit(interactions)
    assert model.n_rules_ == 2
    lists = model.recommend(["c5", "c6", "c7"], n=1)
    top = lists.set_index("customer_id")
    # c5 bought A: conf(A -> B) = 0.8; c6 bought B: conf(B -> A) = 0.8; c7 (C) no rule applies.
    assert top.loc["c5", "product_id"] == "B" and top.loc["c5", "score"] == pytest.approx(0.8)
    assert top.loc["c6", "product_id"] == "A" and top.loc["c6", "score"] == pytest.approx(0.8)
    assert top.loc["c7", "source"] == "popularity_fill"


def test_frequent_pairs_hand_worked_counts_and_supports():
    # PLANTED: A in 5 of 10 baskets, B in 5, C in 4, {A, B} in 4; no basket holds A or B with C.
    found = frequent_pairs(baskets(_orders(PLANTED)), min_support=0.3)
    table = {frozenset(s): p for p, s in found.itertuples(index=False)}
    assert table == {
        frozenset("A"): 0.5,
        frozenset("B"): 0.5,
        frozenset("C"): 0.4,
        frozenset("AB"): 0.4,
    }
    # At 0.45 only A and B themselves are frequent (C 0.4 and {A, B} 0.4 are not).
    high = frequent_pairs(baskets(_orders(PLANTED)), min_support=0.45)
    assert sorted("".join(sorted(s)) for s in high["itemsets"]) == ["A", "B"]
    # Items only, no pairs.
    assert len(frequent_pairs(baskets(_orders(PLANTED)), min_support=0.3, max_length=1)) == 3
    with pytest.raises(DataValidationError, match="rules_max_length"):
        frequent_pairs(baskets(_orders(PLANTED)), max_length=3)


def test_frequent_pairs_equal_fpgrowth_on_random_baskets():
    rng = np.random.default_rng(11)
    products = [f"p{i}" for i in range(12)]
    rows = [
        (f"c{order % 40}", f"o{order}", [p for p in products if rng.random() < 0.2] or ["p0"])
        for order in range(400)
    ]
    basket_set = baskets(_orders(rows))
    for min_support in (0.01, 0.04, 0.1):
        ours = frequent_pairs(basket_set, min_support=min_support)
        theirs = fpgrowth(basket_set.frame(), min_support=min_support, use_colnames=True, max_len=2)
        assert len(ours) == len(theirs) >= 12  # the 12 items, and pairs below 0.1
        assert (ours["itemsets"].map(len) == 2).any() == (min_support < 0.1)
        expected = dict(zip(theirs["itemsets"], theirs["support"], strict=True))
        # The same itemsets with bit-identical supports (count / baskets in both).
        assert dict(zip(ours["itemsets"], ours["support"], strict=True)) == expected


def test_rule_customers_count_each_customer_once_and_share_mirrored_rules():
    # c1 buys A+B twice, c2 once, c3 buys A and B in separate baskets (not together).
    rows = [
        ("c1", "o1", ["A", "B"]),
        ("c1", "o2", ["A", "B", "C"]),
        ("c2", "o3", ["A", "B"]),
        ("c3", "o4", ["A"]),
        ("c3", "o5", ["B"]),
        ("c4", "o6", ["C"]),
    ]
    basket_set = baskets(_orders(rows))
    counts = _rule_customers(
        basket_set, [frozenset("AB"), frozenset("BA"), frozenset("AC"), frozenset("BC")]
    )
    assert counts.tolist() == [2, 2, 1, 1]
