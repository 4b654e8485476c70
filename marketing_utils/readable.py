"""Settings and small records printed for a reader, not as Python reprs.

A notebook page is read by people who never open a notebook: a printed dict
(``{'rate': 0.2998255560401221, ...}``) shows Python's syntax and seventeen
digits. :func:`readable_mapping` writes ``rate 0.3; positives 5,500``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = ["readable_mapping", "readable_value"]


def readable_value(value, digits: int = 3) -> str:
    """One value for a reader: floats to ``digits`` significant digits, integers with separators.

    Examples
    --------
    >>> readable_value(0.004207988669606638), readable_value(187), readable_value(11198.0)
    ('0.00421', '187', '11,198')
    >>> readable_value(12080.098072838418), readable_value(52.142857142857146), readable_value(1e-05)
    ('12,080', '52.1', '1e-05')
    >>> readable_value(True), readable_value(None), readable_value("purchase_in_horizon")
    ('yes', 'none', 'purchase in horizon')
    """
    if value is None:
        return "none"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        if abs(value) >= 10 ** (digits - 1) or value.is_integer():
            return f"{value:,.0f}"  # money and counts: no exponent, no false digits
        return f"{value:.{digits}g}"
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, Mapping):
        return "(" + readable_mapping(value, digits) + ")"
    if isinstance(value, list | tuple):
        return ", ".join(readable_value(item, digits) for item in value)
    return str(value)


def readable_mapping(mapping: Mapping, digits: int = 3) -> str:
    """``key value; key value`` with underscores as spaces and numbers as :func:`readable_value`.

    Examples
    --------
    >>> readable_mapping({"kind": "purchase_in_horizon", "rate": 0.2998255560401221, "positives": 5500})
    'kind purchase in horizon; rate 0.3; positives 5,500'
    >>> readable_mapping({})
    'none'
    """
    if not mapping:
        return "none"
    return "; ".join(
        f"{str(key).replace('_', ' ')} {readable_value(value, digits)}"
        for key, value in mapping.items()
    )
