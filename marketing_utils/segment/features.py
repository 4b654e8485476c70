"""Preparing customer features for clustering: choice of columns, transforms, scaling.

Preparation
-----------
Money and count features are skewed: a handful of big spenders would decide
every cluster. Each non-binary column whose skewness exceeds a threshold is
log-transformed (``log1p``; a signed ``log1p`` when it has negative values),
then every column is standardized. Columns that form a composition (the
category shares ``share_*``, which sum to one) are scaled as a block by one
common factor, so that a rarely bought category does not weigh as much as the
main ones. Missing cells are filled with the column median and counted;
constant columns carry no information and are dropped with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError

__all__ = [
    "COMPOSITION_PREFIXES",
    "TRANSACTION_CLUSTER_FEATURES",
    "FeatureMatrix",
    "checked_numbers",
    "default_cluster_columns",
    "prepare_cluster_features",
]

#: Behavioural features clustered for transaction data (recency, frequency, basket value).
TRANSACTION_CLUSTER_FEATURES = ("days_since_last_purchase", "n_orders", "avg_basket")

#: Column-name prefixes of composition blocks, scaled together.
COMPOSITION_PREFIXES = ("share_",)

#: Never clustered: identifiers and anything observed after the outcome.
_NOT_FEATURES = ("customer_id", "label", "response", "spend", "visit", "conversion", "treatment")

#: Calendar fields of a contact (Bank Marketing's day of the month): not customer attributes.
_CALENDAR_FIELDS = ("day", "month", "day_of_week")


@dataclass(frozen=True)
class FeatureMatrix:
    """Customers as rows of a transformed, scaled matrix.

    Attributes
    ----------
    matrix : numpy.ndarray
        ``n_customers x len(columns)`` float matrix, ready for k-means.
    columns : list of str
        The features kept, in matrix order.
    transforms : pandas.DataFrame
        One row per requested feature: ``feature``, ``transform`` ("log1p",
        "signed_log1p", "none" or "dropped"), ``reason``, ``imputed`` (cells
        filled with the median), ``centre`` and ``scale``.
    """

    matrix: np.ndarray
    columns: list[str]
    transforms: pd.DataFrame


def default_cluster_columns(features: pd.DataFrame) -> list[str]:
    """The features to cluster when params say ``"auto"``.

    Transaction data (it has the RFM columns): days since the last purchase,
    number of orders, average basket and the category shares. Other data
    (campaign-only sources such as Bank Marketing or Hillstrom): every numeric
    column except ids, outcomes, the treatment flag and calendar fields of the
    contact (``day``, ``month``, ``day_of_week``), which describe when a call
    happened, not who the customer is.
    """
    if all(column in features for column in TRANSACTION_CLUSTER_FEATURES):
        shares = [c for c in features if str(c).startswith(COMPOSITION_PREFIXES)]
        return [*TRANSACTION_CLUSTER_FEATURES, *shares]
    return [
        str(c)
        for c in features.columns
        if c not in _NOT_FEATURES
        and c not in _CALENDAR_FIELDS
        and (pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c]))
    ]


def _transform_column(values: pd.Series, skew_threshold: float) -> tuple[pd.Series, str, str]:
    if values.isin([0, 1]).all():
        return values, "none", "binary 0/1"
    if str(values.name).startswith(COMPOSITION_PREFIXES):
        return values, "none", "composition share (block-scaled)"
    skewness = float(values.skew())
    if not skewness > skew_threshold:
        return values, "none", f"skewness {skewness:.2f} <= {skew_threshold:g}"
    if values.min() >= 0:
        return np.log1p(values), "log1p", f"skewness {skewness:.2f} > {skew_threshold:g}"
    signed = np.sign(values) * np.log1p(values.abs())
    return signed, "signed_log1p", f"skewness {skewness:.2f} > {skew_threshold:g}, has negatives"


def prepare_cluster_features(
    features: pd.DataFrame,
    columns: Sequence[str],
    *,
    skew_threshold: float = 1.0,
    where: str = "customer_features",
) -> FeatureMatrix:
    """Log-transform skewed columns, fill missing cells and scale, ready for k-means.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer.
    columns : sequence of str
        Numeric (or boolean) columns to cluster on.
    skew_threshold : float, default 1.0
        Non-binary columns more skewed than this are log-transformed.
    where : str
        Name of the table, for error messages.

    Returns
    -------
    FeatureMatrix

    Raises
    ------
    DataValidationError
        When a column is missing, not numeric or holds infinite values, when
        there are fewer than 2 rows, or when no informative column is left.

    Warns
    -----
    UserWarning
        For each column dropped because it is constant or entirely missing.
    """
    columns = list(columns)
    if not columns:
        raise DataValidationError(where, "expected at least one feature to cluster on, found none")
    missing = [c for c in columns if c not in features]
    if missing:
        raise DataValidationError(where, f"expected feature columns {missing}, not in the table")
    if len(features) < 2:
        raise DataValidationError(
            where, f"expected at least 2 customers to cluster, found {len(features)}"
        )
    kept, rows = {}, []
    for name in columns:
        column = checked_numbers(features, name, where, missing_ok=True, what="a numeric feature")
        n_missing = int(column.isna().sum())
        if n_missing == len(column) or column.nunique() <= 1:
            why = "entirely missing" if n_missing == len(column) else "constant"
            warnings.warn(f"feature '{name}' is {why}: dropped from clustering", stacklevel=2)
            rows.append(
                {"feature": name, "transform": "dropped", "reason": why, "imputed": n_missing}
            )
            continue
        filled = column.fillna(column.median())
        transformed, transform, reason = _transform_column(filled, skew_threshold)
        kept[name] = transformed
        rows.append(
            {"feature": name, "transform": transform, "reason": reason, "imputed": n_missing}
        )
    if not kept:
        raise DataValidationError(
            where,
            f"expected at least one informative feature, all of {columns} are constant or missing",
        )
    values = pd.DataFrame(kept).to_numpy(dtype=float)
    centre = values.mean(axis=0)
    scale = values.std(axis=0)
    names = list(kept)
    block = [i for i, n in enumerate(names) if n.startswith(COMPOSITION_PREFIXES)]
    if block:
        # One factor for the whole block: the block's total variance equals its number of columns.
        scale[block] = np.sqrt(np.mean(scale[block] ** 2))
    matrix = (values - centre) / scale
    transforms = pd.DataFrame(rows).set_index("feature")
    transforms["centre"] = pd.Series(dict(zip(names, centre, strict=True)))
    transforms["scale"] = pd.Series(dict(zip(names, scale, strict=True)))
    return FeatureMatrix(matrix, names, transforms.reset_index())


def checked_numbers(
    table: pd.DataFrame, column: str, where: str, *, missing_ok: bool, what: str = "numbers"
) -> pd.Series:
    """``table[column]`` as floats, refused when it is not numeric or not finite.

    Booleans count as numbers. Missing values are refused unless ``missing_ok``.

    Raises
    ------
    DataValidationError
        Naming ``where`` and ``column``, with a few offending values.
    """
    values = table[column]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise DataValidationError(
            where,
            f"expected {what}, found dtype {values.dtype}",
            column=column,
            examples=values.dropna().head(3).tolist(),
        )
    numbers = values.astype(float)
    bad = np.isinf(numbers) | (numbers.isna() if not missing_ok else False)
    if bad.any():
        raise DataValidationError(
            where,
            f"expected finite values{'' if missing_ok else ' with none missing'}, found "
            f"{int(bad.sum())} that are not",
            column=column,
            examples=values[bad].head(3).tolist(),
        )
    return numbers
