"""The RFM input of the models: checks and the collapse into weighted distinct rows.

The models read three numbers per customer, as in lifetimes and the papers:
``frequency`` (repeat purchases: distinct purchase periods after the first),
``recency`` (time from the first to the last purchase) and ``T`` (time from
the first purchase to the end of the observation), all in one time unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError

__all__ = ["TIME_UNITS", "check_rfm", "collapse_rows", "to_time_unit"]

#: Days per time unit (the notebook's ``time_unit`` parameter).
TIME_UNITS = {"D": 1.0, "W": 7.0}


def to_time_unit(summary: pd.DataFrame, time_unit: str) -> pd.DataFrame:
    """A copy of a day-based :func:`~marketing_utils.rfm_summary` with recency and T in ``time_unit``.

    Raises
    ------
    ValueError
        If ``time_unit`` is not one of :data:`TIME_UNITS`.
    """
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit: expected one of {sorted(TIME_UNITS)}, found {time_unit!r}")
    days = TIME_UNITS[time_unit]
    return summary.assign(recency=summary["recency"] / days, T=summary["T"] / days)


def _column(frame: Any, name: str, where: str) -> np.ndarray:
    if name not in frame:
        raise DataValidationError(
            where, f"expected a column {name!r}, found columns {list(frame.columns)}"
        )
    values = pd.to_numeric(pd.Series(frame[name]), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataValidationError(
            where,
            f"expected finite numbers, found {int(bad.sum())} missing or non-numeric values",
            column=name,
            examples=pd.Series(frame[name]).to_numpy()[bad][:5],
        )
    return values


def check_rfm(summary: Any, where: str = "rfm summary") -> tuple[np.ndarray, ...]:
    """Frequency, recency and T as float arrays, checked for what the models assume.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer with ``frequency``, ``recency`` and ``T``.
    where : str
        Name of the table in error messages.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frequency, recency, T)``.

    Raises
    ------
    DataValidationError
        Naming the column when it is missing, not finite, when ``frequency``
        is negative or fractional, ``recency`` negative, ``recency > T``, or a
        customer with no repeat purchase has a non-zero recency; or when the
        table is empty.
    """
    if len(summary) == 0:
        raise DataValidationError(where, "expected at least one customer, found an empty table")
    x = _column(summary, "frequency", where)
    tx = _column(summary, "recency", where)
    T = _column(summary, "T", where)
    checks = [
        ("frequency", (x < 0) | (x != np.round(x)), "whole numbers >= 0", x),
        ("recency", tx < 0, "numbers >= 0", tx),
        ("T", T < 0, "numbers >= 0 (time from the first purchase to the end)", T),
        ("recency", tx > T * (1 + 1e-12), "recency <= T", tx),
        ("recency", (x == 0) & (tx != 0), "recency 0 for customers with frequency 0", tx),
    ]
    for column, bad, expected, values in checks:
        if bad.any():
            raise DataValidationError(
                where,
                f"expected {expected}, found {int(bad.sum())} rows that are not",
                column=column,
                examples=values[bad][:5],
            )
    return x, tx, T


def collapse_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the given columns, with their counts and the inverse index.

    Returns
    -------
    unique : list of numpy.ndarray
        One array per input column, the distinct rows.
    weights : numpy.ndarray
        How many customers share each distinct row.
    inverse : numpy.ndarray
        For every input row, the index of its distinct row.

    Examples
    --------
    >>> import numpy as np
    >>> unique, weights, inverse = collapse_rows(np.array([0., 1, 0]), np.array([0., 2, 0]))
    >>> [u.tolist() for u in unique], weights.tolist(), inverse.tolist()
    ([[0.0, 1.0], [0.0, 2.0]], [2.0, 1.0], [0, 1, 0])
    """
    frame = pd.DataFrame({i: np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    # a hash group-by, sorted: much faster than np.unique(axis=0) on millions of rows
    # dropna=False: a row with NaN is a row of its own, not dropped (its result is NaN)
    inverse = frame.groupby(list(frame.columns), sort=True, dropna=False).ngroup().to_numpy()
    _, first = np.unique(inverse, return_index=True)
    counts = np.bincount(inverse).astype(float)
    return [frame[i].to_numpy()[first] for i in frame.columns], counts, inverse
