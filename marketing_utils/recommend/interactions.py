"""The customer-by-product interaction matrix and the time split.

Everything a recommender learns comes from one sparse matrix ``R`` with a row
per customer and a column per product, built from the purchases *before* the
cutoff. What happens after the cutoff (within the horizon) is kept apart as
the truth the recommendations are judged against, exactly as the label of
stage 01 is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataValidationError
from .similarity import check_limit

__all__ = [
    "WEIGHTINGS",
    "Interactions",
    "TimeSplit",
    "future_purchases",
    "interaction_matrix",
    "sample_evaluated",
    "time_split",
]

#: How a customer's purchases of a product become one matrix entry.
WEIGHTINGS = ("binary", "count", "spend")

_WHERE = "transactions"


@dataclass(frozen=True)
class Interactions:
    """A customer-by-product matrix with the ids of its rows and columns.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Shape (n_customers, n_products), float64; entry ``(u, i)`` is the
        weight of customer ``u``'s purchases of product ``i`` (0 = none).
    customer_ids : numpy.ndarray
        Row labels, in an order set by the rows' contents (see ``_order_by_content``).
    product_ids : numpy.ndarray
        Column labels, sorted.
    weighting : str
        ``"binary"``, ``"count"`` or ``"spend"``.
    half_life_days : float or None
        Half-life of the time decay applied to each purchase, if any.
    counts : dict
        What went in and what the minimum-count filters removed.
    """

    matrix: sp.csr_matrix
    customer_ids: np.ndarray
    product_ids: np.ndarray
    weighting: str = "binary"
    half_life_days: float | None = None
    counts: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(customers, products)."""
        return self.matrix.shape

    def rows_of(self, customer_ids: Iterable[str]) -> np.ndarray:
        """Row number of each customer id, -1 for a customer not in the matrix."""
        index = pd.Index(self.customer_ids)
        return index.get_indexer(pd.Index(np.asarray(list(customer_ids), dtype=object)))

    def binary(self) -> sp.csr_matrix:
        """The matrix with every stored entry set to 1 (who bought what)."""
        out = self.matrix.copy()
        out.data = np.ones_like(out.data)
        return out

    def popularity(self) -> np.ndarray:
        """Number of distinct customers who bought each product."""
        return np.asarray(self.binary().sum(axis=0)).ravel()


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            where,
            f"expected the columns {', '.join(missing)} for recommendations, found only "
            f"{', '.join(map(str, frame.columns))}",
            column=missing[0],
        )


def _check_positive(value: float | None, name: str, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or not np.isfinite(value) or value <= 0:
        raise DataValidationError(
            f"params recommendations.{name}", f"expected a positive number, found {value!r}"
        )


def interaction_matrix(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp | None = None,
    weighting: str = "binary",
    half_life_days: float | None = None,
    min_customers_per_product: int = 1,
    min_products_per_customer: int = 1,
) -> Interactions:
    """Build the sparse customer-by-product matrix from the purchases before ``cutoff``.

    The entry of customer :math:`u` and product :math:`i` is

    .. math:: r_{ui} = \\sum_{\\text{lines } l \\text{ of } u, i} w_l\\, 2^{-a_l / h}

    with :math:`w_l` = 1 (``"count"``: number of order lines), the line's
    ``amount`` (``"spend"``), :math:`a_l` the line's age in days at the cutoff
    and :math:`h` = ``half_life_days`` (no decay when ``None``). ``"binary"``
    sets every non-zero entry to 1 (after the decay, which then has no effect).

    Filters, applied once and in this order, and counted in ``counts``: lines
    without a product id; products bought by fewer than
    ``min_customers_per_product`` distinct customers; then customers left with
    fewer than ``min_products_per_customer`` distinct products.

    Parameters
    ----------
    transactions : DataFrame
        Clean transactions with ``customer_id``, ``product_id``, ``timestamp``
        and (for ``"spend"``) ``amount``. Not modified.
    cutoff : str or Timestamp, optional
        Only lines strictly before it are used; ``None`` uses every line.
    weighting : {"binary", "count", "spend"}
        How purchases become an entry.
    half_life_days : float, optional
        Time decay: a purchase ``half_life_days`` before the cutoff counts half.
    min_customers_per_product, min_products_per_customer : int
        Minimum counts below which a product or a customer is left out.

    Returns
    -------
    Interactions

    Raises
    ------
    DataValidationError
        On a missing column, an unknown weighting, a non-positive parameter,
        or when nothing is left after the cutoff and the filters.
    """
    if weighting not in WEIGHTINGS:
        raise DataValidationError(
            "params recommendations.weighting",
            f"expected one of {', '.join(WEIGHTINGS)}, found {weighting!r}",
        )
    _check_positive(half_life_days, "half_life_days", allow_none=True)
    for name, value in (
        ("min_customers_per_product", min_customers_per_product),
        ("min_products_per_customer", min_products_per_customer),
    ):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise DataValidationError(
                f"params recommendations.{name}", f"expected an integer >= 1, found {value!r}"
            )
    needed = ["customer_id", "product_id", "timestamp"] + (
        ["amount"] if weighting == "spend" else []
    )
    _require_columns(transactions, needed, _WHERE)

    stamps = pd.to_datetime(transactions["timestamp"])
    before = np.ones(len(transactions), dtype=bool)
    if cutoff is not None:
        cut = pd.Timestamp(cutoff)
        before = (stamps < cut).to_numpy()
    else:
        cut = stamps.max() + pd.Timedelta(days=1) if len(stamps) else pd.Timestamp(0)
    has_product = transactions["product_id"].notna().to_numpy()
    lines = transactions.loc[before & has_product, ["customer_id", "product_id"]]
    weight = np.ones(len(lines))
    if weighting == "spend":
        weight = transactions.loc[before & has_product, "amount"].to_numpy(dtype=float)
    if half_life_days is not None:
        age = (cut - stamps[before & has_product]).dt.total_seconds().to_numpy() / 86_400.0
        weight = weight * np.exp2(-age / half_life_days)
    counts = {
        "lines_before_cutoff": int(before.sum()),
        "lines_without_product_id": int((before & ~has_product).sum()),
    }
    if lines.empty:
        raise DataValidationError(
            _WHERE,
            f"expected purchases with a product id before the cutoff {cut.date()}, found none",
            column="product_id",
        )

    customer_codes, customer_ids = pd.factorize(lines["customer_id"], sort=True)
    product_codes, product_ids = pd.factorize(lines["product_id"].astype(str), sort=True)
    matrix = sp.csr_matrix(
        (weight, (customer_codes, product_codes)), shape=(len(customer_ids), len(product_ids))
    )
    matrix.sum_duplicates()
    counts["customers_before_filters"] = int(matrix.shape[0])
    counts["products_before_filters"] = int(matrix.shape[1])

    buyers = np.diff(matrix.tocsc().indptr)
    keep_products = buyers >= min_customers_per_product
    matrix = matrix[:, keep_products].tocsr()
    products_kept = np.asarray(product_ids)[keep_products]
    distinct = np.diff(matrix.indptr)
    keep_customers = distinct >= min_products_per_customer
    matrix = matrix[keep_customers].tocsr()
    customers_kept = np.asarray(customer_ids)[keep_customers]
    counts["products_below_min_customers"] = int((~keep_products).sum())
    counts["customers_below_min_products"] = int((~keep_customers).sum())
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise DataValidationError(
            "params recommendations",
            "expected customers and products left after min_customers_per_product="
            f"{min_customers_per_product} and min_products_per_customer="
            f"{min_products_per_customer}, found {matrix.shape[0]} customers and "
            f"{matrix.shape[1]} products; lower the minimum counts",
        )
    if weighting == "binary":
        matrix.data = np.ones_like(matrix.data)
    matrix.sort_indices()
    order = _order_by_content(matrix)
    matrix = matrix[order]
    customers_kept = customers_kept[order]
    counts["customers"] = int(matrix.shape[0])
    counts["products"] = int(matrix.shape[1])
    counts["interactions"] = int(matrix.nnz)
    return Interactions(
        matrix=matrix,
        customer_ids=customers_kept.astype(object),
        product_ids=products_kept.astype(object),
        weighting=weighting,
        half_life_days=half_life_days,
        counts=counts,
    )


def _row_keys(matrix: sp.csr_matrix) -> list[tuple[bytes, bytes]]:
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    return [
        (indices[start:end].tobytes(), data[start:end].tobytes())
        for start, end in zip(indptr[:-1], indptr[1:], strict=True)
    ]


def _order_by_content(matrix: sp.csr_matrix) -> np.ndarray:
    """Row order given by each row's entries, not by the customer's pseudonym.

    Pseudonyms change with the pseudonymization key; in pseudonym order, sums
    over customers (similarities) and ties between neighbours would change with
    the key, and so would the report's metrics. Rows with equal content keep
    their pseudonym order: a model whose result for a row depends on its
    position (BPR's sampled steps) pools them with :func:`identical_rows`.
    """
    keys = _row_keys(matrix)
    return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def identical_rows(matrix: sp.csr_matrix) -> np.ndarray:
    """Group number of each row; rows with the same entries share a group.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Interaction matrix with sorted indices (as :func:`interaction_matrix`
        returns it).

    Returns
    -------
    numpy.ndarray
        One integer per row, numbered by first appearance.
    """
    codes, _ = pd.factorize(pd.Series(_row_keys(matrix), dtype=object))
    return codes.astype(np.int64)


def future_purchases(
    transactions: pd.DataFrame, *, cutoff: str | pd.Timestamp, horizon_days: int
) -> pd.DataFrame:
    """Distinct (customer, product) pairs bought in ``[cutoff, cutoff + horizon_days)``.

    A product bought several times in the window is one relevant item.
    Lines without a product id are not relevant items (they cannot be
    recommended).

    Returns
    -------
    DataFrame
        ``customer_id``, ``product_id``, sorted.
    """
    _require_columns(transactions, ["customer_id", "product_id", "timestamp"], _WHERE)
    if not isinstance(horizon_days, (int, np.integer)) or horizon_days < 1:
        raise DataValidationError(
            "params recommendations.horizon_days",
            f"expected an integer >= 1, found {horizon_days!r}",
        )
    start = pd.Timestamp(cutoff)
    end = start + pd.Timedelta(days=int(horizon_days))
    stamps = pd.to_datetime(transactions["timestamp"])
    inside = (stamps >= start) & (stamps < end) & transactions["product_id"].notna()
    pairs = transactions.loc[inside, ["customer_id", "product_id"]].astype(
        {"customer_id": "str", "product_id": "str"}
    )
    pairs = pairs.drop_duplicates().sort_values(["customer_id", "product_id"])
    return pairs.reset_index(drop=True)


@dataclass(frozen=True)
class TimeSplit:
    """The fit and truth sides of the time split, and who is in each.

    Attributes
    ----------
    interactions : Interactions
        The matrix built from the purchases before the cutoff.
    truth : DataFrame
        ``customer_id``, ``product_id``: what the evaluated customers bought
        in the horizon, restricted to products of the matrix (and, when
        already-bought products are excluded, to products new to the customer).
    population : numpy.ndarray
        Customers to recommend for (known at the cutoff), sorted.
    cold_start : numpy.ndarray
        Members of ``population`` without a row in the matrix.
    cutoff : Timestamp
    horizon_days : int
    counts : dict
        Sizes of every group above and what the truth left out.
    """

    interactions: Interactions
    truth: pd.DataFrame
    population: np.ndarray
    cold_start: np.ndarray
    cutoff: pd.Timestamp
    horizon_days: int
    counts: dict = field(default_factory=dict)


def time_split(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    horizon_days: int,
    population: Iterable[str] | None = None,
    exclude_purchased: bool = True,
    **matrix_options,
) -> TimeSplit:
    """Split the purchases at ``cutoff``: the matrix before it, the truth after it.

    The **population** is the customers known at the cutoff (``population``,
    e.g. stage 01's customer features; default: everyone with a purchase
    before the cutoff). Customers first seen after the cutoff have no history
    and no profile: they are not evaluated, and counted in
    ``counts["new_customers_after_cutoff"]``. The truth keeps population
    members with at least one purchase in the horizon of a product the matrix
    knows (a product first sold after the cutoff cannot be recommended by any
    method; such pairs are counted). With ``exclude_purchased`` the products a
    customer bought before the cutoff are never recommended, so they are also
    removed from the truth: the task is then to find products *new* to the
    customer.

    Parameters
    ----------
    transactions : DataFrame
        Clean transactions (not modified).
    cutoff, horizon_days
        The split, normally stage 01's label cutoff and horizon.
    population : iterable of str, optional
        Customers to recommend for.
    exclude_purchased : bool
        Whether already-bought products are excluded from recommendations.
    **matrix_options
        Passed to :func:`interaction_matrix`.

    Returns
    -------
    TimeSplit
    """
    cut = pd.Timestamp(cutoff)
    interactions = interaction_matrix(transactions, cutoff=cut, **matrix_options)
    if population is None:
        stamps = pd.to_datetime(transactions["timestamp"])
        known = transactions.loc[stamps < cut, "customer_id"].astype(str).unique()
    else:
        known = np.asarray(list(population), dtype=object).astype(str)
    population_ids = np.unique(np.asarray(known, dtype=object).astype(str)).astype(object)
    rows = interactions.rows_of(population_ids)
    cold = population_ids[rows < 0]

    future = future_purchases(transactions, cutoff=cut, horizon_days=horizon_days)
    in_population = future["customer_id"].isin(population_ids)
    known_product = future["product_id"].isin(interactions.product_ids)
    truth = future[in_population & known_product]
    repeat = np.zeros(len(truth), dtype=bool)
    if exclude_purchased and len(truth):
        truth_rows = interactions.rows_of(truth["customer_id"])
        columns = pd.Index(interactions.product_ids).get_indexer(truth["product_id"])
        warm = truth_rows >= 0
        bought = np.zeros(len(truth), dtype=bool)
        bought[warm] = np.asarray(interactions.matrix[truth_rows[warm], columns[warm]]).ravel() > 0
        repeat = bought
    evaluated_truth = truth[~repeat].reset_index(drop=True)
    counts = {
        "population": int(len(population_ids)),
        "cold_start": int(len(cold)),
        "future_buyers": int(future["customer_id"].nunique()),
        "new_customers_after_cutoff": int(future.loc[~in_population, "customer_id"].nunique()),
        "truth_pairs_new_products": int((in_population & ~known_product).sum()),
        "truth_pairs_repeat_purchases": int(repeat.sum()),
        "truth_pairs": int(len(evaluated_truth)),
        "evaluated_customers": int(evaluated_truth["customer_id"].nunique()),
    }
    return TimeSplit(
        interactions=interactions,
        truth=evaluated_truth,
        population=population_ids,
        cold_start=cold,
        cutoff=cut,
        horizon_days=int(horizon_days),
        counts=counts,
    )


def sample_evaluated(split: TimeSplit, max_customers: int, *, seed: int) -> TimeSplit:
    """The split with its truth kept for a seeded sample of at most ``max_customers`` customers.

    Every metric of :func:`~.evaluation.evaluate_recommenders` is a mean over
    the evaluated customers, so the mean over a simple random sample of them
    estimates it without bias, with a standard error that shrinks as one over
    the square root of the sample size; the cost of scoring falls in
    proportion. (Sampling *products* instead, scoring each relevant product
    against a few random others, biases the comparison of methods: Krichene &
    Rendle 2020.) The matrix, the population and what the models are fitted
    on are unchanged; only who is scored is sampled.

    The draw does not depend on the pseudonyms: customers are ordered by
    their history (matrix row) and their truth before ``seed`` picks among
    them, so the same data and seed give the same sample, and the same
    metrics, under any pseudonymization key. Customers with the same history
    and the same truth are interchangeable for every method.

    Parameters
    ----------
    split : TimeSplit
        Not modified.
    max_customers : int
        Largest number of evaluated customers; 0 keeps them all.
    seed : int
        Seed of the draw.

    Returns
    -------
    TimeSplit
        ``split`` itself when it evaluates at most ``max_customers``;
        otherwise a copy whose ``counts`` also give the sizes before sampling
        (``evaluated_customers_before_sample``, ``truth_pairs_before_sample``).

    Raises
    ------
    DataValidationError
        When ``max_customers`` is not an integer >= 0.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": list("aabbccdd"),
    ...                    "product_id": ["p", "q", "q", "p", "p", "q", "q", "p"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01"] * 4)})
    >>> split = time_split(tx, cutoff="2024-02-01", horizon_days=60)
    >>> split.counts["evaluated_customers"]
    4
    >>> small = sample_evaluated(split, 2, seed=0)
    >>> small.counts["evaluated_customers"], small.counts["evaluated_customers_before_sample"]
    (2, 4)
    """
    check_limit(max_customers, "max_evaluated_customers")
    products = split.truth.groupby("customer_id", sort=True)["product_id"].agg(tuple)
    n = len(products)
    if max_customers == 0 or n <= max_customers:
        return split
    rows = split.interactions.rows_of(products.index)
    history = _row_keys(split.interactions.matrix[np.where(rows >= 0, rows, 0)])
    keys = [
        (history[i] if rows[i] >= 0 else (b"", b""), bought)
        for i, bought in enumerate(products.to_numpy())
    ]
    by_content = np.asarray(sorted(range(n), key=keys.__getitem__), dtype=np.int64)
    drawn = np.sort(np.random.default_rng(seed).choice(n, size=int(max_customers), replace=False))
    chosen = products.index[by_content[drawn]]
    truth = split.truth[split.truth["customer_id"].isin(chosen)].reset_index(drop=True)
    counts = {
        **split.counts,
        "evaluated_customers": int(max_customers),
        "evaluated_customers_before_sample": int(n),
        "truth_pairs": int(len(truth)),
        "truth_pairs_before_sample": int(len(split.truth)),
    }
    return replace(split, truth=truth, counts=counts)
