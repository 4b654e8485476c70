"""The cold-start split: can a model place a *new* product in front of its future buyers?

**New products** are the products first sold on or after the cutoff, plus,
so that the question can be asked on data where the catalogue does not
change (the synthetic data, most exports), a seeded share
``new_product_share`` of the products sold before it whose earlier sales are
*hidden* (a simulated launch at the cutoff). Hiding their sales means that
the interaction matrix has their columns, but empty: no collaborative model
has anything to learn about them.

The truth is the pairs (customer, new product) bought in the horizon by
customers with a row in the matrix; each model ranks the **new products
only** for each of those customers, and NDCG@k etc. say how high the
products they then bought were ranked. The popularity baseline cannot count
the buyers of a product nobody has bought, so it ranks new products by the
number of customers who bought from their *category* before the cutoff
(:class:`CategoryPopularityRecommender`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataValidationError
from .base import Recommender
from .interactions import Interactions, future_purchases, interaction_matrix
from .metrics import METRIC_NAMES, catalog_coverage, mean_metrics, per_customer_metrics
from .similarity import top_n

__all__ = [
    "CategoryPopularityRecommender",
    "ColdStartEvaluation",
    "ColdStartSplit",
    "cold_start_split",
    "evaluate_cold_start",
]


@dataclass(frozen=True)
class ColdStartSplit:
    """Matrix with the new products' columns empty, and what their buyers bought.

    Attributes
    ----------
    interactions : Interactions
        Purchases before the cutoff without the new products; every new
        product has an empty column.
    new_products : numpy.ndarray
        Ids of the new products, sorted.
    truth : DataFrame
        ``customer_id``, ``product_id``: new products bought in the horizon.
    counts : dict
    """

    interactions: Interactions
    new_products: np.ndarray
    truth: pd.DataFrame
    counts: dict = field(default_factory=dict)


def cold_start_split(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    horizon_days: int,
    new_product_share: float = 0.15,
    seed: int = 0,
    **matrix_options,
) -> ColdStartSplit:
    """Hide the new products from training; the truth is who bought them after the cutoff.

    Parameters
    ----------
    transactions : DataFrame
        Clean transactions (not modified).
    cutoff, horizon_days
        The time split.
    new_product_share : float
        Share, in [0, 1), of the products sold before the cutoff treated as
        launched at the cutoff (their earlier sales hidden); drawn with
        ``seed`` among the products sold in the horizon.
    seed : int
    **matrix_options
        Passed to :func:`~.interactions.interaction_matrix`.

    Returns
    -------
    ColdStartSplit
    """
    if not 0 <= new_product_share < 1:
        raise DataValidationError(
            "params recommendations.new_product_share",
            f"expected a share in [0, 1), found {new_product_share!r}",
        )
    cut = pd.Timestamp(cutoff)
    stamps = pd.to_datetime(transactions["timestamp"])
    has_product = transactions["product_id"].notna()
    ids = transactions["product_id"].astype(str)
    # The distinct ids first: a set built from every line iterates ~400,000
    # strings one by one (0.2 CPU s on the default data); the set is the same.
    before = set(ids[has_product & (stamps < cut)].unique())
    future = future_purchases(transactions, cutoff=cut, horizon_days=horizon_days)
    sold_after = np.unique(future["product_id"].to_numpy(dtype=str))
    launched = np.array(sorted(set(sold_after) - before), dtype=object)
    candidates = np.array(sorted(set(sold_after) & before), dtype=object)
    rng = np.random.default_rng(seed)
    n_hidden = int(round(new_product_share * len(candidates)))
    hidden = np.sort(rng.choice(candidates, size=n_hidden, replace=False)) if n_hidden else []
    new = np.unique(np.concatenate([launched, np.asarray(hidden, dtype=object)])).astype(object)
    if len(new) == 0:
        raise DataValidationError(
            "params recommendations.new_product_share",
            "expected new products for the cold-start split (first sold after the cutoff, or "
            "a positive new_product_share), found none",
        )
    training = transactions.loc[~ids.isin(set(new)).to_numpy()]
    base = interaction_matrix(training, cutoff=cut, **matrix_options)
    product_ids = np.concatenate([base.product_ids, new]).astype(object)
    order = np.argsort(product_ids.astype(str), kind="stable")
    matrix = sp.hstack([base.matrix, sp.csr_matrix((base.shape[0], len(new)))]).tocsr()
    matrix = matrix[:, order].tocsr()
    matrix.sort_indices()
    interactions = Interactions(
        matrix=matrix,
        customer_ids=base.customer_ids,
        product_ids=product_ids[order],
        weighting=base.weighting,
        half_life_days=base.half_life_days,
        counts={**base.counts, "new_products": int(len(new))},
    )
    warm = interactions.rows_of(future["customer_id"]) >= 0
    truth = future[warm & future["product_id"].isin(set(new)).to_numpy()].reset_index(drop=True)
    counts = {
        "new_products": int(len(new)),
        "first_sold_after_cutoff": int(len(launched)),
        "launch_simulated": int(n_hidden),
        "truth_pairs": int(len(truth)),
        "evaluated_customers": int(truth["customer_id"].nunique()),
    }
    return ColdStartSplit(interactions, np.asarray(new, dtype=object), truth, counts)


class CategoryPopularityRecommender(Recommender):
    """Products by the distinct buyers of their category before the cutoff.

    The popularity baseline for new products, which have no buyers of their
    own. Products without a known category score 0.

    Parameters
    ----------
    categories : Mapping or Series
        Product id -> category.
    """

    name = "popularity"
    handles_cold_start = True

    def __init__(self, categories: Mapping | pd.Series) -> None:
        self.categories = pd.Series(categories, dtype=object)

    def _fit(self) -> None:
        labels = self.categories.reindex(pd.Index(self.interactions_.product_ids.astype(str)))
        codes, _ = pd.factorize(labels, sort=True)
        binary = self.interactions_.binary()
        n_codes = max(codes.max() + 1, 1) if len(codes) else 1
        known = codes >= 0
        to_category = sp.csr_matrix(
            (np.ones(known.sum()), (np.flatnonzero(known), codes[known])),
            shape=(len(codes), n_codes),
        )
        bought = sp.csr_matrix(binary @ to_category)
        bought.data = np.ones_like(bought.data)
        buyers = np.asarray(bought.sum(axis=0)).ravel()
        self.category_buyers_ = np.where(known, buyers[np.maximum(codes, 0)], 0.0)

    def score_rows(self, customer_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Every customer's score of a product is its category's buyer count."""
        self._check_fitted()
        return np.tile(self.category_buyers_.astype(np.float64), (len(rows), 1))


@dataclass(frozen=True)
class ColdStartEvaluation:
    """Metrics of each method ranking the new products (rows: methods)."""

    table: pd.DataFrame
    k: int


def evaluate_cold_start(
    models: Mapping[str, Recommender], split: ColdStartSplit, *, k: int = 10
) -> ColdStartEvaluation:
    """Each fitted model ranks the new products for the customers who bought one.

    Scores of 0 (the model knows nothing) rank after positive scores; ties
    are broken the same way on every run (:func:`~.similarity.top_n`).

    Returns
    -------
    ColdStartEvaluation
    """
    customers = split.truth["customer_id"].unique()
    columns = pd.Index(split.interactions.product_ids.astype(str)).get_indexer(
        split.new_products.astype(str)
    )
    rows = {}
    for name, model in models.items():
        lists = _rank_new(model, customers, columns, split.interactions, k)
        per = per_customer_metrics(lists, split.truth, k)
        rows[name] = {
            **mean_metrics(per),
            "coverage": catalog_coverage(lists, k, len(columns)),
            "n_evaluated": int(len(per)),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")[[*METRIC_NAMES, "n_evaluated"]]
    table.index.name = "method"
    return ColdStartEvaluation(table=table, k=int(k))


def _rank_new(
    model: Recommender,
    customers: Iterable[str],
    columns: np.ndarray,
    interactions: Interactions,
    k: int,
) -> pd.DataFrame:
    ids = np.asarray(list(customers), dtype=object)
    rows = interactions.rows_of(ids)
    product_ids = np.asarray(interactions.product_ids)[columns]
    parts = []
    step = model.block_size()
    for start in range(0, len(ids), step):
        scores = np.asarray(model.score_rows(ids[start : start + step], rows[start : start + step]))
        block = scores[:, columns]
        key = np.where(block > 0, block, 0.0)
        chosen, _ = top_n(key, k)  # ties: the same choice on every run
        n_rows, n_kept = chosen.shape
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": np.repeat(ids[start : start + step], n_kept).astype(str),
                    "rank": np.tile(np.arange(1, n_kept + 1), n_rows),
                    "product_id": product_ids[chosen.ravel()].astype(str),
                    "score": np.take_along_axis(key, chosen, axis=1).ravel(),
                    "source": model.name,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
