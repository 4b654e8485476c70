"""Column roles of a customer table: what may be a feature, and why the rest may not.

A customer table a team brings holds more than features: an account number,
a free-text comment, a signup date, a number exported as text with a few blank
cells. Left to their dtype, the first three would be one-hot encoded into
thousands of useless indicator columns and the last would become a categorical
feature with a level per customer. The rules below give every column one role:

========== ==================================================================
role       rule (checked in this order)
========== ==================================================================
empty      every value is missing                                 (excluded)
date       a datetime column, or text whose non-blank values hold a digit and
           parse as dates                                         (excluded)
constant   a single distinct value                                (excluded)
free_text  text with more than 50 distinct values four words long on
           average                                                (excluded)
identifier a different value in every row: text, or whole numbers (excluded)
free_text  text with more than 50 distinct values in more than half the rows
           (codes, near-unique labels)                            (excluded)
numeric    a number or boolean column
categorical any other text column
========== ==================================================================

Numbers exported as text ("29.85", " ", "n/a") are recognized first by
:func:`parse_numeric_text`: a text column whose non-blank cells are at least
95 % numbers is numeric; the blank and non-numeric cells become missing
values, counted and named in the cleaning ledger, never a category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUDED_ROLES",
    "NUMERIC_TEXT_SHARE",
    "column_roles",
    "parse_numeric_text",
]

#: Roles whose columns are never features.
EXCLUDED_ROLES = ("empty", "date", "constant", "identifier", "free_text")
#: Share of the non-blank cells that must be numbers for a text column to be numeric.
NUMERIC_TEXT_SHARE = 0.95
_MIN_ROWS_FOR_IDENTIFIER = 20
_FREE_TEXT_LEVELS = 50
_FREE_TEXT_WORDS = 4.0
_DATE_SAMPLE = 500

_REASONS = {
    "empty": "every value is missing",
    "date": "a date (use derived day counts instead)",
    "constant": "a single value: carries no information",
}


def _is_text(series: pd.Series) -> bool:
    return (
        pd.api.types.is_object_dtype(series)
        or pd.api.types.is_string_dtype(series)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype("string").str.strip().eq("").fillna(False)


def parse_numeric_text(series: pd.Series) -> tuple[pd.Series, int, int] | None:
    """A text column of numbers as floats, or ``None`` when it is not numbers.

    Parameters
    ----------
    series : pandas.Series
        A text column (any other dtype returns ``None``).

    Returns
    -------
    (Series, int, int) or None
        The values as floats (blank and non-numeric cells missing), the number
        of blank cells and the number of non-blank cells that are not numbers;
        ``None`` when fewer than 95 % of the non-blank cells are numbers (or
        none is).

    Examples
    --------
    >>> values, blank, bad = parse_numeric_text(pd.Series(["29.85", " ", "1889.5"] + ["1"] * 20))
    >>> values.iloc[:3].tolist(), blank, bad
    ([29.85, nan, 1889.5], 1, 0)
    >>> parse_numeric_text(pd.Series(["Yes", "No", "3"])) is None
    True
    """
    if not _is_text(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return None
    blank = _blank(series)
    present = series[~blank]
    if present.empty:
        return None
    numbers = pd.to_numeric(present.astype("string").str.strip(), errors="coerce")
    parsed = numbers.notna()
    if parsed.sum() == 0 or parsed.mean() < NUMERIC_TEXT_SHARE:
        return None
    values = pd.Series(np.nan, index=series.index, dtype="float64")
    values[~blank] = numbers.astype("float64").to_numpy()
    return values, int(blank.sum()), int((~parsed).sum())


def _looks_like_dates(present: pd.Series) -> bool:
    sample = present.astype("string").head(_DATE_SAMPLE)
    if not sample.str.contains(r"\d", regex=True).all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= NUMERIC_TEXT_SHARE)


def _role(series: pd.Series) -> tuple[str, str]:
    present = series[~_blank(series)] if _is_text(series) else series.dropna()
    n = len(present)
    if n == 0:
        return "empty", _REASONS["empty"]
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date", _REASONS["date"]
    if _is_text(series) and _looks_like_dates(present):
        return "date", _REASONS["date"]
    distinct = int(present.nunique())
    if distinct < 2:
        return "constant", _REASONS["constant"]
    if pd.api.types.is_bool_dtype(series):
        return "numeric", "boolean"
    words = float(present.astype("string").str.split().str.len().mean()) if _is_text(series) else 0
    if distinct > _FREE_TEXT_LEVELS and words >= _FREE_TEXT_WORDS:
        return (
            "free_text",
            f"free text: {distinct} distinct values in {n} rows ({words:.1f} words on "
            "average), too many to one-hot encode",
        )
    whole = pd.api.types.is_integer_dtype(series)
    if (whole or _is_text(series)) and n >= _MIN_ROWS_FOR_IDENTIFIER and distinct == n:
        return "identifier", f"identifier-like: a different value in each of the {n} rows"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric", "numbers"
    if distinct > _FREE_TEXT_LEVELS and distinct > n / 2:
        return (
            "free_text",
            f"free text: {distinct} distinct values in {n} rows ({words:.1f} words on "
            "average), too many to one-hot encode",
        )
    return "categorical", f"text with {distinct} distinct values"


def column_roles(table: pd.DataFrame, *, skip: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """The role of every column of a customer table, with the reason.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per customer. Never modified.
    skip : sequence of str
        Columns not to classify (the id, the label).

    Returns
    -------
    pandas.DataFrame
        ``column, role, reason, excluded`` in the table's column order;
        ``excluded`` is True for the roles in :data:`EXCLUDED_ROLES`.

    Examples
    --------
    >>> table = pd.DataFrame({"plan": ["a", "b"] * 10, "code": [f"X{i}" for i in range(20)],
    ...                       "spend": [1.5] * 19 + [2.0]})
    >>> column_roles(table)[["column", "role"]].values.tolist()
    [['plan', 'categorical'], ['code', 'identifier'], ['spend', 'numeric']]
    """
    rows = []
    for column in table.columns:
        if column in skip:
            continue
        role, reason = _role(table[column])
        rows.append(
            {
                "column": str(column),
                "role": role,
                "reason": reason,
                "excluded": role in EXCLUDED_ROLES,
            }
        )
    return pd.DataFrame(rows, columns=["column", "role", "reason", "excluded"])
