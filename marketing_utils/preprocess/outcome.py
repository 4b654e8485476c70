"""The outcome column of a customers table, turned into a 0/1 label.

A team's own customer table usually carries its outcome already (``Churn`` =
Yes/No, ``responded`` = 1/0, ``converted`` = true/false). The params name it::

    data:
      source: files
      customers:
        path: telco.csv
        outcome: {column: Churn, positive: "Yes", name: churn}

Cleaning removes and counts the customers whose outcome is missing
(``missing_outcome`` in the ledger); :func:`outcome_label` maps the others to 1
(the value is one of ``positive``) or 0. A ``positive`` that matches no value,
or a column holding one class only, is an error naming the column and the
values found.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = ["is_churn", "missing_outcome", "outcome_label"]


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def missing_outcome(values: pd.Series) -> pd.Series:
    """Boolean mask of the missing outcome values (NaN or blank text)."""
    return values.isna() | _text(values).eq("").fillna(True)


def _matches(values: pd.Series, positive) -> pd.Series:
    wanted = positive if isinstance(positive, list | tuple) else [positive]
    text = _text(values)
    numbers = pd.to_numeric(text, errors="coerce")
    hit = pd.Series(False, index=values.index)
    for value in wanted:
        if isinstance(value, bool):
            hit |= text.str.lower().eq(str(value).lower()).fillna(False)
            continue
        hit |= text.eq(str(value).strip()).fillna(False)
        number = pd.to_numeric(pd.Series([str(value)]), errors="coerce").iloc[0]
        if not pd.isna(number):
            hit |= numbers.eq(number).fillna(False)
    return hit


def outcome_label(values: pd.Series, positive, *, where: str = "customers") -> pd.Series:
    """The 0/1 label of an outcome column without missing values.

    Parameters
    ----------
    values : pandas.Series
        The outcome column, after cleaning removed the missing values; named
        (``values.name``) in errors.
    positive : scalar or list
        The value(s) meaning the outcome happened. Text is compared after
        trimming spaces, numbers by value (``1`` matches ``"1"`` and ``"1.0"``),
        booleans case-insensitively (``true`` matches ``"True"``).
    where : str
        The table named in errors.

    Returns
    -------
    pandas.Series
        int64 0/1, same index.

    Raises
    ------
    DataValidationError
        When a value is missing, ``positive`` matches no value, or every value matches it.

    Examples
    --------
    >>> outcome_label(pd.Series(["Yes", "No", " Yes"], name="Churn"), "Yes").tolist()
    [1, 0, 1]
    >>> outcome_label(pd.Series(["1.0", "0.0"], name="y"), 1).tolist()
    [1, 0]
    """
    column = str(values.name)
    missing = missing_outcome(values)
    if missing.any():
        raise DataValidationError(
            where,
            f"expected an outcome for every customer, found {int(missing.sum())} missing values "
            "(cleaning removes and counts them: clean the table first)",
            column=column,
        )
    hit = _matches(values, positive)
    found = sorted(_text(values).unique().tolist())[:10]
    if not hit.any():
        raise DataValidationError(
            where,
            f"outcome.positive {positive!r} matches no value of the outcome column; "
            f"values found: {found}",
            column=column,
        )
    if hit.all():
        raise DataValidationError(
            where,
            f"expected both outcomes in the outcome column, found only the positive value(s) "
            f"{positive!r} in all {len(values)} rows; values found: {found}",
            column=column,
        )
    return pd.Series(np.where(hit, 1, 0), index=values.index, dtype="int64")


def is_churn(label_info: Mapping | None) -> bool:
    """Whether the label is churn (04 then speaks of retention)."""
    return bool(label_info) and str(label_info.get("name", "")).strip().lower() in (
        "churn",
        "churned",
        "attrition",
    )
