"""Market-basket analysis: frequent itemsets and association rules, and a "bought together" model.

A **basket** is one order (the lines sharing an ``order_id``; without order
ids, a customer's purchases of one day). For itemsets :math:`A` and :math:`B`
and :math:`N` baskets:

.. math::

    \\operatorname{support}(A) = \\frac{|\\{\\text{baskets} \\supseteq A\\}|}{N},\\quad
    \\operatorname{conf}(A \\to B) = \\frac{\\operatorname{support}(A \\cup B)}
    {\\operatorname{support}(A)},\\quad
    \\operatorname{lift}(A \\to B) = \\frac{\\operatorname{conf}(A \\to B)}
    {\\operatorname{support}(B)}.

Lift above 1 means that :math:`B` is bought more often with :math:`A` than
without it. The rules are derived with ``mlxtend``
(:func:`mlxtend.frequent_patterns.association_rules`) from the frequent
itemsets. Itemsets of up to three items are mined with FP-growth
(:func:`mlxtend.frequent_patterns.fpgrowth`); for rules "if A then B"
(``max_length`` 2, the default) the frequent items and pairs are counted
exactly from one sparse product :math:`X^\top X` of the baskets x items
incidence (entry :math:`(a, b)`: baskets holding both), which finds the same
itemsets with the same supports several times faster. This module adds the
baskets, the privacy filter and the recommender.

**Privacy.** A rule is published (table, figure, recommender) only when the
baskets containing all its items belong to at least ``min_customers``
distinct customers (the minimum segment size): a rule supported by two
customers describes those two customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataValidationError
from .base import Recommender
from .similarity import check_count

__all__ = [
    "RULE_COLUMNS",
    "Baskets",
    "RulesRecommender",
    "RulesResult",
    "baskets",
    "frequent_pairs",
    "mine_rules",
]

#: Columns of the published rules table.
RULE_COLUMNS = (
    "antecedents",
    "consequents",
    "antecedent support",
    "consequent support",
    "support",
    "confidence",
    "lift",
    "customers",
)

LEVELS = ("product", "category")


@dataclass(frozen=True)
class Baskets:
    """Baskets x items incidence, and the customer of each basket.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Boolean, shape (baskets, items).
    items : numpy.ndarray
        Column labels (product ids or categories), sorted.
    customers : numpy.ndarray
        Customer id of each basket.
    level : str
    """

    matrix: sp.csr_matrix
    items: np.ndarray
    customers: np.ndarray
    level: str

    def frame(self) -> pd.DataFrame:
        """One-hot boolean DataFrame (sparse), the input that ``mlxtend`` expects."""
        return pd.DataFrame.sparse.from_spmatrix(
            self.matrix.astype(bool), columns=[str(i) for i in self.items]
        )


def baskets(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp | None = None,
    level: str = "product",
) -> Baskets:
    """The baskets of the purchases before ``cutoff``, at product or category level.

    Parameters
    ----------
    transactions : DataFrame
        ``customer_id``, ``timestamp``, ``product_id`` (level ``"product"``) or
        ``category`` (level ``"category"``), and ``order_id`` when present.
        Not modified.
    cutoff : str or Timestamp, optional
        Only lines strictly before it (``None``: all lines).
    level : {"product", "category"}

    Returns
    -------
    Baskets
    """
    if level not in LEVELS:
        raise DataValidationError(
            "params recommendations.rules_level",
            f"expected one of {', '.join(LEVELS)}, found {level!r}",
        )
    item_column = "product_id" if level == "product" else "category"
    for column in ("customer_id", "timestamp", item_column):
        if column not in transactions.columns:
            raise DataValidationError(
                "transactions",
                f"expected a {column} column for {level}-level baskets, found only "
                f"{', '.join(map(str, transactions.columns))}",
                column=column,
            )
    stamps = pd.to_datetime(transactions["timestamp"])
    keep = transactions[item_column].notna().to_numpy().copy()
    if cutoff is not None:
        keep &= (stamps < pd.Timestamp(cutoff)).to_numpy()
    lines = transactions.loc[keep]
    if "order_id" in lines.columns and lines["order_id"].notna().all():
        key = lines["customer_id"].astype(str) + "|" + lines["order_id"].astype(str)
    else:
        key = lines["customer_id"].astype(str) + "|" + stamps[keep].dt.strftime("%Y-%m-%d")
    if lines.empty:
        raise DataValidationError(
            "transactions", f"expected purchases with a {item_column} to form baskets, found none"
        )
    basket_codes, basket_keys = pd.factorize(key, sort=True)
    item_codes, items = pd.factorize(lines[item_column].astype(str), sort=True)
    matrix = sp.csr_matrix(
        (np.ones(len(lines)), (basket_codes, item_codes)), shape=(len(basket_keys), len(items))
    )
    matrix.sum_duplicates()
    matrix.data = np.ones_like(matrix.data)
    customer_of = pd.Series(lines["customer_id"].astype(str).to_numpy()).groupby(basket_codes)
    return Baskets(
        matrix=matrix.astype(bool).tocsr(),
        items=np.asarray(items, dtype=object),
        customers=customer_of.first().to_numpy(dtype=object),
        level=level,
    )


@dataclass(frozen=True)
class RulesResult:
    """Mined rules: the published table and what was withheld.

    Attributes
    ----------
    rules : DataFrame
        :data:`RULE_COLUMNS`, ``antecedents``/``consequents`` as frozensets of
        item labels, sorted by lift (then confidence), only rules with at least
        ``min_customers`` customers.
    counts : dict
        Baskets, frequent itemsets, rules mined, rules withheld (privacy).
    level : str
    """

    rules: pd.DataFrame
    counts: dict = field(default_factory=dict)
    level: str = "product"

    def table(self, n: int | None = None) -> pd.DataFrame:
        """The rules for people: ``if bought`` / ``then also`` as text, rounded numbers."""
        top = self.rules if n is None else self.rules.head(n)
        return pd.DataFrame(
            {
                "if bought": [", ".join(sorted(a)) for a in top["antecedents"]],
                "then also": [", ".join(sorted(c)) for c in top["consequents"]],
                "support": top["support"].round(4).to_numpy(),
                "confidence": top["confidence"].round(3).to_numpy(),
                "lift": top["lift"].round(2).to_numpy(),
                "customers": top["customers"].to_numpy(),
            }
        )


def _rule_customers(basket_set: Baskets, itemsets: list[frozenset]) -> np.ndarray:
    """Distinct customers with a basket containing every item of each itemset.

    Rules "A -> B" and "B -> A" share their itemset, which is counted once;
    baskets with fewer items than the smallest itemset cannot hold one and are
    skipped.
    """
    if not itemsets:
        return np.zeros(0, dtype=np.int64)
    unique: dict[frozenset, int] = {}
    which = np.array([unique.setdefault(frozenset(map(str, s)), len(unique)) for s in itemsets])
    sets = list(unique)
    column = {str(item): position for position, item in enumerate(basket_set.items)}
    rows = np.concatenate([[column[i] for i in sorted(s)] for s in sets]).astype(np.int64)
    sizes = np.array([len(s) for s in sets])
    cols = np.repeat(np.arange(len(sets)), sizes)
    incidence = sp.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(basket_set.items), len(sets))
    )
    matrix = sp.csr_matrix(basket_set.matrix, dtype=np.float64)
    large = np.flatnonzero(np.diff(matrix.indptr) >= sizes.min())
    hits = sp.csr_matrix(matrix[large] @ incidence).tocoo()
    full = hits.data == sizes[hits.col]
    customer_codes, customers = pd.factorize(pd.Series(basket_set.customers))
    held = sp.csr_matrix(
        (np.ones(int(full.sum())), (customer_codes[large[hits.row[full]]], hits.col[full])),
        shape=(len(customers), len(sets)),
    )
    held.sum_duplicates()  # one entry per (customer, itemset)
    return np.bincount(held.indices, minlength=len(sets)).astype(np.int64)[which]


def frequent_pairs(
    basket_set: Baskets, *, min_support: float = 0.001, max_length: int = 2
) -> pd.DataFrame:
    """Frequent items and pairs counted exactly, the table ``fpgrowth`` returns for ``max_len`` <= 2.

    With :math:`X` the baskets x items incidence (:math:`N` baskets), item
    :math:`a` is in :math:`n_a = \\sum_b X_{ba}` baskets and the pair
    :math:`\\{a, b\\}` in :math:`(X^\\top X)_{ab}` baskets: one sparse product
    gives every pair count. An itemset is frequent when its count :math:`c`
    satisfies :math:`c / N \\ge` ``min_support`` (and :math:`c \\ge \\lceil`
    ``min_support`` :math:`N \\rceil`, the count threshold of ``fpgrowth``);
    its support is :math:`c / N`, the same float ``fpgrowth`` computes.

    Parameters
    ----------
    basket_set : Baskets
    min_support : float
        Smallest share of baskets holding an itemset, in (0, 1].
    max_length : {1, 2}
        Largest itemset.

    Returns
    -------
    DataFrame
        ``support`` and ``itemsets`` (frozensets of item labels): the items,
        then the pairs (pairs in order of their first, then second item).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> b = Baskets(sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [0, 0, 1]], dtype=bool)),
    ...             np.array(["A", "B", "C"], dtype=object), np.array(["u", "v", "w", "x"]), "product")
    >>> [(sorted(s), float(p)) for p, s in frequent_pairs(b, min_support=0.5).itertuples(index=False)]
    [(['A'], 0.75), (['B'], 0.5), (['C'], 0.5), (['A', 'B'], 0.5)]
    """
    check_count(max_length, "rules_max_length")
    if max_length > 2:
        raise DataValidationError(
            "params recommendations.rules_max_length",
            f"expected at most 2 for exact pair counting, found {max_length!r}",
        )
    incidence = sp.csr_matrix(basket_set.matrix, dtype=np.float64)
    n_baskets = incidence.shape[0]
    threshold = math.ceil(min_support * n_baskets)

    def frequent(count: np.ndarray) -> np.ndarray:
        return (count >= threshold) & (count / float(n_baskets) >= min_support)

    item_counts = np.asarray(incidence.sum(axis=0)).ravel()
    items = np.flatnonzero(frequent(item_counts))
    labels = [str(item) for item in basket_set.items]
    itemsets = [frozenset([labels[i]]) for i in items]
    supports = list(item_counts[items] / float(n_baskets))
    if max_length == 2 and len(items) > 1:
        kept = incidence[:, items]
        pairs = sp.triu(sp.csr_matrix(kept.T @ kept), k=1).tocoo()
        keep = frequent(pairs.data)
        order = np.lexsort((pairs.col[keep], pairs.row[keep]))
        first, second = items[pairs.row[keep][order]], items[pairs.col[keep][order]]
        itemsets += [frozenset([labels[a], labels[b]]) for a, b in zip(first, second, strict=True)]
        supports += list(pairs.data[keep][order] / float(n_baskets))
    return pd.DataFrame({"support": np.asarray(supports, dtype=np.float64), "itemsets": itemsets})


def mine_rules(
    basket_set: Baskets,
    *,
    min_support: float = 0.001,
    min_lift: float = 1.0,
    max_length: int = 2,
    min_customers: int = 20,
) -> RulesResult:
    """Frequent itemsets and the association rules above ``min_lift``.

    Itemsets of at most two items (``max_length`` <= 2) are counted exactly by
    :func:`frequent_pairs`; longer ones are mined with FP-growth. Both find
    every itemset whose support is at least ``min_support``, with its support.

    Parameters
    ----------
    basket_set : Baskets
    min_support : float
        Smallest share of baskets holding an itemset, in (0, 1].
    min_lift : float
        Smallest lift of a rule (> 0; 1 = independence).
    max_length : int
        Largest itemset (2: pairs, rules "A -> B").
    min_customers : int
        Rules whose itemset appears in the baskets of fewer distinct customers
        are withheld (privacy), counted in ``counts["withheld_below_min_customers"]``.

    Returns
    -------
    RulesResult
    """
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    if not 0 < min_support <= 1:
        raise DataValidationError(
            "params recommendations.min_support",
            f"expected a share in (0, 1], found {min_support!r}",
        )
    if not min_lift > 0:
        raise DataValidationError(
            "params recommendations.min_lift", f"expected a number > 0, found {min_lift!r}"
        )
    check_count(max_length, "rules_max_length")
    check_count(min_customers, "min_segment_size")
    if max_length <= 2:
        itemsets = frequent_pairs(basket_set, min_support=min_support, max_length=max_length)
    else:
        itemsets = fpgrowth(
            basket_set.frame(), min_support=min_support, use_colnames=True, max_len=max_length
        )
    counts = {
        "baskets": int(basket_set.matrix.shape[0]),
        "items": int(basket_set.matrix.shape[1]),
        "frequent_itemsets": int(len(itemsets)),
    }
    empty = pd.DataFrame({c: [] for c in RULE_COLUMNS})
    if (itemsets["itemsets"].map(len) > 1).any():
        rules = association_rules(
            itemsets,
            num_itemsets=int(basket_set.matrix.shape[0]),
            metric="lift",
            min_threshold=min_lift,
        )
    else:
        rules = empty.drop(columns="customers")
    counts["rules_mined"] = int(len(rules))
    if len(rules):
        union = [a | c for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)]
        rules = rules.assign(customers=_rule_customers(basket_set, union))
        public = rules["customers"] >= min_customers
        counts["withheld_below_min_customers"] = int((~public).sum())
        rules = rules.loc[public, list(RULE_COLUMNS)]
        order = np.lexsort(
            (
                [",".join(sorted(c)) for c in rules["consequents"]],
                [",".join(sorted(a)) for a in rules["antecedents"]],
                -rules["confidence"].to_numpy(),
                -rules["lift"].to_numpy(),
            )
        )
        rules = rules.iloc[order].reset_index(drop=True)
    else:
        counts["withheld_below_min_customers"] = 0
        rules = empty
    counts["rules_published"] = int(len(rules))
    return RulesResult(rules=rules, counts=counts, level=basket_set.level)


class RulesRecommender(Recommender):
    """ "Bought together": products that rules derive from what the customer already bought.

    Customer :math:`u` with purchased set :math:`I_u` gets, for product
    :math:`j`, the best confidence of a published rule :math:`A \\to B` with
    :math:`A \\subseteq I_u` and :math:`j \\in B`:

    .. math:: \\hat r_{uj} = \\max\\{\\operatorname{conf}(A \\to B) :
              A \\subseteq I_u,\\ j \\in B\\}

    (0 when no rule applies, so the list is filled by popularity). Rules over
    products that are not columns of the matrix are ignored.

    Parameters
    ----------
    rules : DataFrame
        The ``rules`` of a product-level :class:`RulesResult`.
    """

    name = "rules"

    def __init__(self, rules: pd.DataFrame) -> None:
        for column in ("antecedents", "consequents", "confidence"):
            if column not in rules.columns:
                raise DataValidationError(
                    "rules", f"expected a {column} column (see mine_rules)", column=column
                )
        self.rules = rules

    def _fit(self) -> None:
        column = {str(p): i for i, p in enumerate(self.interactions_.product_ids)}
        antecedents, consequents, confidence = [], [], []
        for a, c, conf in zip(
            self.rules["antecedents"],
            self.rules["consequents"],
            self.rules["confidence"],
            strict=True,
        ):
            if all(str(x) in column for x in a):
                for item in c:
                    if str(item) in column:
                        antecedents.append(tuple(sorted(column[str(x)] for x in a)))
                        consequents.append(column[str(item)])
                        confidence.append(float(conf))
        self.n_rules_ = len(consequents)
        sets, rule_set = (
            np.unique(
                np.array([",".join(map(str, a)) for a in antecedents], dtype=object),
                return_inverse=True,
            )
            if antecedents
            else (np.array([], dtype=object), np.array([], dtype=np.int64))
        )
        members = [list(map(int, s.split(","))) for s in sets]
        n_items = self.interactions_.shape[1]
        rows = np.concatenate([m for m in members]).astype(np.int64) if members else np.array([])
        cols = np.repeat(np.arange(len(members)), [len(m) for m in members])
        self._antecedent_incidence = sp.csr_matrix(
            (np.ones(len(rows)), (rows.astype(np.int64), cols)), shape=(n_items, len(members))
        )
        self._antecedent_sizes = np.array([len(m) for m in members], dtype=np.float64)
        order = np.lexsort((rule_set, np.asarray(consequents, dtype=np.int64)))
        self._rule_set = np.asarray(rule_set, dtype=np.int64)[order]
        self._consequent = np.asarray(consequents, dtype=np.int64)[order]
        self._confidence = np.asarray(confidence, dtype=np.float64)[order]

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Best confidence of an applicable rule for every product (0: none applies)."""
        self._check_fitted()
        if (rows < 0).any():
            raise ValueError("rule scores need customers with a row in the matrix")
        scores = np.zeros((len(rows), self.interactions_.shape[1]))
        if self.n_rules_ == 0:
            return scores
        bought = self.interactions_.binary()[rows]
        held = (bought @ self._antecedent_incidence).toarray() >= self._antecedent_sizes - 0.5
        values = held[:, self._rule_set] * self._confidence[None, :]
        targets, starts = np.unique(self._consequent, return_index=True)
        scores[:, targets] = np.maximum.reduceat(values, starts, axis=1)
        return scores
