"""A seeded, label-stratified sample of customers for fitting models on one machine.

Feature building runs on any engine and any size (Dask for logs larger than
memory), but model fitting needs the customer-level table in memory. When it
is larger than the machine allows, notebook 03 fits on a sample of at most
``max_customers`` customers; the saved model then scores everyone with
``marketing-workbook score``, partition by partition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataValidationError

__all__ = ["sample_customers"]


def sample_customers(
    table: pd.DataFrame, max_customers: int, *, label: str = "label", seed: int = 42
) -> pd.DataFrame:
    """At most ``max_customers`` rows, with the label's classes in their proportions.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per customer, e.g. stage 01's ``model_table``.
    max_customers : int
        Largest number of rows to keep; 0 keeps every row.
    label : str, default "label"
        Column whose class shares the sample keeps (each class gets
        ``round(share * max_customers)`` rows, at least one).
    seed : int, default 42

    Returns
    -------
    pandas.DataFrame
        ``table`` itself when it is small enough, else a new frame with the
        sampled rows in their original order and index.

    Raises
    ------
    DataValidationError
        If ``max_customers`` is negative or ``label`` is missing.
    """
    if isinstance(max_customers, bool) or not isinstance(max_customers, int) or max_customers < 0:
        raise DataValidationError(
            "params propensity_modeling.max_customers",
            f"expected a whole number >= 0 (0: every customer), found {max_customers!r}",
        )
    if max_customers == 0 or len(table) <= max_customers:
        return table
    if label not in table:
        raise DataValidationError(
            "model_table",
            f"expected a {label!r} column to stratify the sample; found {list(table.columns)}",
            column=label,
        )
    rng = np.random.default_rng(seed)
    classes = table[label].to_numpy()
    chosen = []
    for value in pd.unique(classes):
        rows = np.flatnonzero(classes == value)
        wanted = max(1, round(len(rows) / len(table) * max_customers))
        chosen.append(rng.choice(rows, size=min(wanted, len(rows)), replace=False))
    return table.iloc[np.sort(np.concatenate(chosen))]
