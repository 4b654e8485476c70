"""Comparing the methods on a seeded sample of customers, on exports too large to compare on all.

Stage 06 fits every method several times (the validation search, the
validation and test fits, the cold-start split) and scores each of them:
on an export of 400,000 customers that is most of an hour. What it decides
(which settings, which method) does not need everyone: the comparison runs on
the purchases of a seeded random sample of customers, and the chosen method
is then fitted once on every customer for the exported lists, as stage 03
fits on a sample and scores everyone. Metrics measured on the sample are
those of models that learned from the sample: a neighbour or a factor model
learns a little less from fewer customers, so they are, if anything,
slightly pessimistic for the model fitted on everyone.

(:func:`~.interactions.sample_evaluated` samples only *who is scored*; this
module samples *who the models learn from* as well.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .interactions import _require_columns
from .similarity import check_limit

__all__ = ["CustomerSample", "customer_sample"]

#: Smallest sample worth comparing methods on: fewer customers leave too few purchases
#: and buyers in the horizon for the time split (a sample of 1 has none).
MIN_SAMPLE = 100

#: Columns whose values make up a customer's history for the draw (those present).
HISTORY_COLUMNS = ("timestamp", "product_id", "quantity", "amount")


@dataclass(frozen=True)
class CustomerSample:
    """The transactions and the population of the sampled customers.

    Attributes
    ----------
    transactions : DataFrame
        Every line of the sampled customers (all lines when nothing was sampled).
    population : numpy.ndarray
        The population customers in the sample.
    counts : dict
        Empty when nothing was sampled; otherwise ``customers`` (in the
        sample), ``customers_before_sample``, ``population`` and
        ``population_before_sample``, ``transaction_lines`` and
        ``transaction_lines_before_sample``.
    """

    transactions: pd.DataFrame
    population: np.ndarray
    counts: dict = field(default_factory=dict)

    @property
    def sampled(self) -> bool:
        """Whether the sample leaves customers out."""
        return bool(self.counts)


def history_keys(transactions: pd.DataFrame) -> pd.DataFrame:
    """A key of each customer's whole history that does not depend on their pseudonym.

    ``key`` is the sum (modulo :math:`2^{64}`) of a hash of each line's
    timestamp, product and amounts (:data:`HISTORY_COLUMNS` present), so it
    does not depend on the order of the lines either; ``lines`` counts them.
    Two customers with the same lines get the same key; two with different
    lines the same key only by a hash collision (chance about :math:`2^{-64}`).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (as strings), columns ``key`` and ``lines``.
    """
    columns = [c for c in HISTORY_COLUMNS if c in transactions.columns]
    hashes = pd.util.hash_pandas_object(transactions[columns], index=False).to_numpy()
    ids = transactions["customer_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"customer_id": ids, "key": hashes, "lines": 1})
    # uint64 sums wrap around, which is what a sum modulo 2**64 is.
    return frame.groupby("customer_id", sort=True).agg(key=("key", "sum"), lines=("lines", "sum"))


def customer_sample(
    transactions: pd.DataFrame, population, max_customers: int, *, seed: int
) -> CustomerSample:
    """The lines and population of a seeded random sample of at most ``max_customers`` customers.

    The customers are every customer of the transactions and of the
    population (customers with no purchase yet included). The draw does not
    depend on the pseudonyms: the customers are ordered by their whole
    history (:func:`history_keys`) before ``seed`` picks among them, so the
    same data and seed give the same sample under any pseudonymization key;
    customers with the same history, interchangeable for every method, keep
    their pseudonym order among themselves.

    Parameters
    ----------
    transactions : DataFrame
        With ``customer_id`` and ``timestamp`` (not modified).
    population : array-like of str
        The customers known at the cutoff (see
        :func:`~.stage.population_at_cutoff`).
    max_customers : int
        Largest number of customers kept; 0 keeps every customer; otherwise at
        least :data:`MIN_SAMPLE`.
    seed : int
        Seed of the draw.

    Returns
    -------
    CustomerSample
        With the inputs themselves when there are at most ``max_customers``.

    Raises
    ------
    DataValidationError
        When ``max_customers`` is not an integer >= 0, or a column is missing.

    Examples
    --------
    >>> ids = [f"c{i:03d}" for i in range(150)]
    >>> tx = pd.DataFrame({"customer_id": ids, "product_id": "p", "amount": 1.0,
    ...                    "timestamp": pd.to_datetime("2024-01-01")})
    >>> sample = customer_sample(tx, ids + ["signed_up_only"], 100, seed=0)
    >>> sample.counts["customers"], sample.counts["customers_before_sample"]
    (100, 151)
    """
    check_limit(max_customers, "max_customers")
    if 0 < max_customers < MIN_SAMPLE:
        raise DataValidationError(
            "params recommendations.max_customers",
            f"expected 0 (every customer) or at least {MIN_SAMPLE} customers to compare the "
            f"methods on, found {max_customers}",
        )
    _require_columns(transactions, ["customer_id", "timestamp"], "transactions")
    population = np.asarray(list(population), dtype=object).astype(str).astype(object)
    if max_customers == 0:
        return CustomerSample(transactions, population)
    ids = transactions["customer_id"].astype(str).unique()
    everyone = pd.Index(np.union1d(ids, population.astype(str)))
    if len(everyone) <= max_customers:
        return CustomerSample(transactions, population)
    # Only a real sample needs the history of every customer (a hash of every line).
    keys = history_keys(transactions).reindex(everyone, fill_value=0)
    # By history first; the pseudonym only orders customers with the same history.
    order = np.lexsort(
        (
            everyone.to_numpy().astype(str),
            keys["lines"].to_numpy(),
            keys["key"].to_numpy().astype(np.uint64),
        )
    )
    drawn = np.sort(
        np.random.default_rng(seed).choice(len(everyone), size=int(max_customers), replace=False)
    )
    chosen = everyone[order[drawn]]
    lines = transactions["customer_id"].astype(str).isin(chosen).to_numpy()
    kept_population = population[pd.Index(population).isin(chosen)]
    counts = {
        "customers": int(max_customers),
        "customers_before_sample": int(len(everyone)),
        "population": int(len(kept_population)),
        "population_before_sample": int(len(population)),
        "transaction_lines": int(lines.sum()),
        "transaction_lines_before_sample": int(len(transactions)),
    }
    return CustomerSample(transactions.loc[lines], kept_population, counts)
