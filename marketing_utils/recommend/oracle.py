"""How close to the best possible: an oracle that ranks by the true purchase probabilities.

On synthetic data the generator knows, for every customer ``u`` and product
``i``, the probability that an order line of ``u`` is ``i``:
``p_ui = share_u[category(i)] * choice[persona_u, i]`` (the customer's
category mix times the product's share of its category for the persona).
Whether ``u`` buys ``i`` in the horizon grows with ``p_ui`` for a fixed
customer, so ranking each customer's products by ``p_ui`` is the best
ranking anyone can make without seeing the future: it maximises the
expected number of hits at every rank (the probability ranking principle).
Scored on the same holdout as the methods, its NDCG@k is the ceiling each
method is compared with (``share_of_oracle``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .base import Recommender

__all__ = [
    "OracleRecommender",
    "oracle_comparison",
    "oracle_verdict",
    "synthetic_true_factors",
]


class OracleRecommender(Recommender):
    """Ranks products by true probabilities ``p_ui = sum_k A[u, k] * B[k, i]``.

    Parameters
    ----------
    customer_factors : DataFrame
        Index: customer ids; columns: factor names (``A``).
    product_factors : DataFrame
        Index: the same factor names; columns: product ids (``B``).

    Customers or products missing from the factors score 0 (ranked by
    popularity behind every positive score, like any model). It scores every
    customer, cold start included: it knows them all.
    """

    name = "oracle"
    handles_cold_start = True

    def __init__(self, customer_factors: pd.DataFrame, product_factors: pd.DataFrame) -> None:
        if list(customer_factors.columns) != list(product_factors.index):
            raise DataValidationError(
                "truth",
                "expected the customer factors' columns to match the product factors' rows, "
                f"found {list(customer_factors.columns)[:5]} and {list(product_factors.index)[:5]}",
            )
        self.customer_factors = customer_factors
        self.product_factors = product_factors

    def _fit(self) -> None:
        products = pd.Index(self.interactions_.product_ids)
        self._b = (
            self.product_factors.reindex(columns=products, fill_value=0.0)
            .to_numpy(dtype=float)
            .copy()
        )
        a = self.customer_factors.to_numpy(dtype=float)
        self._a = np.vstack([a, np.zeros((1, a.shape[1]))])  # last row: unknown customer
        self._position = pd.Index(self.customer_factors.index.astype(str))

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        position = self._position.get_indexer(np.asarray(customer_ids).astype(str))
        return self._a[np.where(position >= 0, position, len(self._a) - 1)] @ self._b


def synthetic_true_factors(
    truth: pd.DataFrame, source_info: Mapping
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The generator's true purchase probabilities as two factor tables, or None without them.

    Factor ``(persona, category)``: a customer's value is its category share
    when it has that persona (else 0); a product's value is its choice
    probability for the persona when it is in that category (else 0).

    Parameters
    ----------
    truth : DataFrame
        Stage 01's ``truth``: ``customer_id``, ``persona``, ``true_share_<category>``.
    source_info : mapping
        ``preprocessing_info["source_info"]`` of synthetic data: ``personas``,
        ``categories``, ``true_product_choice`` (per persona, per product
        ordered by product number ``P00001``, ...) and ``product_categories``
        (each product's category code).

    Returns
    -------
    (DataFrame, DataFrame) or None
        ``customer_factors`` and ``product_factors`` for :class:`OracleRecommender`;
        None when the truth lacks the product probabilities (older or own data).
    """
    personas, categories = source_info.get("personas"), source_info.get("categories")
    choice = source_info.get("true_product_choice")
    category_of = source_info.get("product_categories")
    share_columns = [f"true_share_{c}" for c in categories or []]
    if (
        truth is None
        or not personas
        or not categories
        or choice is None
        or category_of is None
        or not {"customer_id", "persona", *share_columns} <= set(truth.columns)
    ):
        return None
    choice = np.asarray(choice, dtype=float)
    if choice.shape[0] != len(personas):
        raise DataValidationError(
            "preprocessing_info source_info.true_product_choice",
            f"expected one row per persona ({len(personas)}), found {choice.shape[0]}",
        )
    n_products = choice.shape[1]
    width = max(5, len(str(n_products)))
    product_ids = [f"P{k:0{width}d}" for k in range(1, n_products + 1)]
    shares = truth[share_columns].to_numpy(dtype=float)
    persona_code = pd.Index(personas).get_indexer(truth["persona"].astype(str))
    if (persona_code < 0).any():
        raise DataValidationError("truth", f"expected personas among {personas}", column="persona")
    factors = [(p, c) for p in personas for c in categories]
    a = np.zeros((len(truth), len(factors)))
    for j, (p_index, c_index) in enumerate(
        (pi, ci) for pi in range(len(personas)) for ci in range(len(categories))
    ):
        mask = persona_code == p_index
        a[mask, j] = shares[mask, c_index]
    names = [f"{p}:{c}" for p, c in factors]
    customer_factors = pd.DataFrame(a, index=truth["customer_id"].astype(str), columns=names)
    category_of = np.asarray(category_of, dtype=int)
    b = np.zeros((len(factors), n_products))
    for p_index in range(len(personas)):
        rows = p_index * len(categories) + category_of
        b[rows, np.arange(n_products)] = choice[p_index]
    product_factors = pd.DataFrame(b, index=names, columns=product_ids)
    return customer_factors, product_factors


def oracle_comparison(table: pd.DataFrame, oracle: Mapping[str, float]) -> dict:
    """Each method's metrics as a share of the oracle's (``method / oracle``).

    Parameters
    ----------
    table : DataFrame
        The evaluation table (methods as index; ``ndcg``, ``precision``, ``recall``).
    oracle : mapping
        The oracle's metrics on the same holdout.

    Returns
    -------
    dict
        ``oracle`` (its ndcg, precision, recall, hit_rate), ``oracle_ndcg_at_k``,
        ``share_of_oracle`` (method -> NDCG share) and ``share_of_oracle_recall``.

    Examples
    --------
    >>> t = pd.DataFrame({"ndcg": [0.3, 0.6], "precision": [0.1, 0.2], "recall": [0.2, 0.4]},
    ...                  index=["a", "b"])
    >>> oracle_comparison(t, {"ndcg": 0.75, "precision": 0.25, "recall": 0.5})["share_of_oracle"]
    {'a': 0.4, 'b': 0.8}
    """
    kept = {m: float(oracle[m]) for m in ("ndcg", "precision", "recall", "hit_rate") if m in oracle}
    best = kept["ndcg"]

    def share(metric: str) -> dict:
        base = kept.get(metric, 0.0)
        return {
            str(name): round(float(value) / base, 10) if base > 0 else float("nan")
            for name, value in table[metric].items()
        }

    return {
        "oracle": kept,
        "oracle_ndcg_at_k": best,
        "share_of_oracle": share("ndcg"),
        "share_of_oracle_recall": share("recall"),
    }


def oracle_verdict(comparison: Mapping, k: int) -> str:
    """One sentence from :func:`oracle_comparison`: the best method and its share of the oracle.

    Examples
    --------
    >>> oracle_verdict({"oracle_ndcg_at_k": 0.5, "share_of_oracle": {"a": 0.5, "b": 0.9}}, 10)
    'The best possible ranking reaches NDCG@10 0.500; the best method, b, reaches 90% of it (a: 50%).'
    """
    shares = comparison["share_of_oracle"]
    ordered = sorted(shares, key=lambda m: -shares[m])
    best = ordered[0]
    others = ", ".join(f"{m}: {shares[m]:.0%}" for m in ordered[1:])
    return (
        f"The best possible ranking reaches NDCG@{k} {comparison['oracle_ndcg_at_k']:.3f}; "
        f"the best method, {best}, reaches {shares[best]:.0%} of it"
        + (f" ({others})." if others else ".")
    )
