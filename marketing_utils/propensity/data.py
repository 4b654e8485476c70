"""Inputs of the propensity models: the feature list, the label, the segments and the split.

Everything here is checked before a model is fitted, so that a bad model
table fails with a message naming the column and what was found, instead of
deep inside scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..errors import DataValidationError
from ..schema import OUTCOME_COLUMNS

__all__ = [
    "SEGMENT_COLUMNS",
    "FeatureSpec",
    "PreparedData",
    "add_segments",
    "check_folds",
    "check_label",
    "prepare_model_data",
    "select_features",
    "split_train_test",
]

#: Columns of the ``segments`` artifact (stage 02) used as categorical features.
SEGMENT_COLUMNS = ("rfm_segment", "cluster_name")

_ID = "customer_id"


@dataclass(frozen=True)
class FeatureSpec:
    """The columns a propensity model uses, and why the others are left out.

    Attributes
    ----------
    numeric : tuple of str
        Numeric (and boolean) feature columns: imputed by the median and standardized.
    categorical : tuple of str
        Text/categorical feature columns: one-hot encoded, unseen categories ignored.
    excluded : dict
        Column → reason it is not a feature (id, outcome, constant, all missing, ...).
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """All feature columns, numeric first."""
        return [*self.numeric, *self.categorical]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the model's metadata)."""
        return {
            "features": self.columns,
            "numeric_features": list(self.numeric),
            "categorical_features": list(self.categorical),
            "excluded": dict(self.excluded),
        }


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def select_features(
    table: pd.DataFrame,
    *,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
    label: str = "label",
    exclude: tuple[str, ...] | list[str] = (),
    where: str = "model_table",
) -> FeatureSpec:
    """Choose the feature columns of a model table from their types.

    Parameters
    ----------
    table : DataFrame
        The model table (one row per customer).
    numeric, categorical : list of str, optional
        Feature lists as recorded by stage 01 (``preprocessing_info``). When
        omitted, every column that is not excluded is a feature, numeric or
        categorical by its dtype.
    label : str, default "label"
        The label column (never a feature).
    exclude : sequence of str
        Columns to leave out on purpose (for example a known leak).
    where : str
        Name of the table, used in error messages.

    Returns
    -------
    FeatureSpec
        Columns that are the id, the label, known only after the outcome,
        dates, entirely missing or constant are listed in ``excluded`` with the
        reason, never dropped silently.

    Raises
    ------
    DataValidationError
        When a listed feature is not in the table, or when no usable feature is left.
    """
    listed = [*(numeric or []), *(categorical or [])]
    missing = [column for column in listed if column not in table.columns]
    if missing:
        raise DataValidationError(
            where,
            f"expected the feature columns recorded by preprocessing, missing {missing}; "
            f"found columns {list(table.columns)}",
        )
    candidates = listed if (numeric is not None or categorical is not None) else list(table.columns)
    excluded: dict[str, str] = {}
    numeric_out: list[str] = []
    categorical_out: list[str] = []
    for column in candidates:
        series = table[column]
        if column == _ID:
            excluded[column] = "customer id"
        elif column == label or column in OUTCOME_COLUMNS:
            excluded[column] = "known only after the outcome"
        elif column in exclude:
            excluded[column] = "excluded by parameter"
        elif pd.api.types.is_datetime64_any_dtype(series):
            excluded[column] = "a date (use derived day counts instead)"
        elif series.isna().all():
            excluded[column] = "every value is missing"
        elif series.nunique(dropna=False) < 2:
            excluded[column] = "a single value: carries no information"
        elif (column in (categorical or [])) or (categorical is None and not _is_numeric(series)):
            categorical_out.append(column)
        elif _is_numeric(series):
            numeric_out.append(column)
        else:
            categorical_out.append(column)
    if not numeric_out and not categorical_out:
        raise DataValidationError(
            where,
            "expected at least one usable feature column, found none "
            f"(columns left out and why: {excluded or 'the table has no columns'})",
        )
    return FeatureSpec(tuple(numeric_out), tuple(categorical_out), excluded)


def check_label(
    table: pd.DataFrame, label: str = "label", where: str = "model_table"
) -> np.ndarray:
    """The label as an int array of 0/1, after checking it can train a classifier.

    Raises
    ------
    DataValidationError
        When the label column is absent, has missing values, holds values
        other than 0 and 1, or holds only one class.

    Examples
    --------
    >>> check_label(pd.DataFrame({"label": [0, 1, 1]})).tolist()
    [0, 1, 1]
    """
    if label not in table.columns:
        raise DataValidationError(
            where, f"expected a label column {label!r}, found columns {list(table.columns)}"
        )
    values = table[label]
    if values.isna().any():
        rows = np.flatnonzero(values.isna().to_numpy())
        raise DataValidationError(
            where,
            f"expected a label for every customer, found {len(rows)} missing values "
            "(row positions shown)",
            column=label,
            examples=rows[:5].tolist(),
        )
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | ~numbers.isin([0, 1])
    if bad.any():
        raise DataValidationError(
            where,
            f"expected a binary label (0 or 1), found {int(bad.sum())} other values",
            column=label,
            examples=values[bad].unique()[:5].tolist(),
        )
    classes = sorted(numbers.unique().tolist())
    if len(classes) < 2:
        raise DataValidationError(
            where,
            f"expected both classes 0 and 1 in the label to train a classifier, found only "
            f"{int(classes[0])} in all {len(numbers)} rows",
            column=label,
        )
    return numbers.to_numpy(dtype=int)


def add_segments(
    table: pd.DataFrame, segments: pd.DataFrame | None
) -> tuple[pd.DataFrame, list[str]]:
    """Join stage 02's segments onto the model table as categorical features.

    Customers without a segment get a missing value (imputed as ``"missing"``
    by the model's preprocessing). Segments are unsupervised (they never saw
    the label), so using them as features does not leak the outcome.

    Parameters
    ----------
    table : DataFrame
        The model table with ``customer_id``.
    segments : DataFrame or None
        The ``segments`` artifact (``customer_id`` plus some of ``rfm_segment``,
        ``cluster_name``); ``None`` returns the table unchanged.

    Returns
    -------
    (DataFrame, list of str)
        The new table and the segment columns added.

    Raises
    ------
    DataValidationError
        When the segments table has no ``customer_id`` or repeats a customer.
    """
    if segments is None:
        return table, []
    if _ID not in segments.columns:
        raise DataValidationError(
            "segments", f"expected a {_ID!r} column, found {list(segments.columns)}"
        )
    repeated = segments[_ID][segments[_ID].duplicated()]
    if len(repeated):
        raise DataValidationError(
            "segments",
            f"expected one row per customer, found {len(repeated)} repeated ids",
            column=_ID,
            examples=repeated.head().tolist(),
        )
    columns = [c for c in SEGMENT_COLUMNS if c in segments.columns and c not in table.columns]
    if not columns:
        return table, []
    lookup = segments.set_index(_ID)[columns].astype("str")
    joined = lookup.reindex(table[_ID].to_numpy()).reset_index(drop=True)
    joined.index = table.index
    return table.assign(**{c: joined[c] for c in columns}), columns


def split_train_test(labels: np.ndarray, *, test_size: float = 0.25, seed: int = 42) -> np.ndarray:
    """A seeded, stratified split: an array of ``"train"``/``"test"``, one per row.

    Raises
    ------
    ValueError
        When ``test_size`` is not strictly between 0 and 1, or a class has too
        few rows to appear in both parts.
    """
    if not 0 < test_size < 1:
        raise ValueError(
            f"params propensity_modeling.test_size: expected a share strictly between 0 and 1, "
            f"found {test_size}"
        )
    labels = np.asarray(labels)
    counts = pd.Series(labels).value_counts()
    if counts.min() < 2:
        raise DataValidationError(
            "model_table",
            f"expected at least 2 rows of each class to split into train and test, found "
            f"class counts {counts.to_dict()}",
            column="label",
        )
    positions = np.arange(len(labels))
    _, test = train_test_split(positions, test_size=test_size, stratify=labels, random_state=seed)
    split = np.full(len(labels), "train", dtype=object)
    split[test] = "test"
    return split


def check_folds(labels: np.ndarray, cv_folds: int, where: str = "train split") -> None:
    """Check that every class has at least ``cv_folds`` rows, so each fold sees both classes.

    Raises
    ------
    ValueError
        When ``cv_folds`` < 2 or a class is smaller than ``cv_folds``.
    """
    if int(cv_folds) != cv_folds or cv_folds < 2:
        raise ValueError(
            f"params propensity_modeling.cv_folds: expected an integer >= 2, found {cv_folds}"
        )
    counts = pd.Series(np.asarray(labels)).value_counts().reindex([0, 1], fill_value=0)
    if counts.min() < cv_folds:
        raise DataValidationError(
            where,
            f"too small for {cv_folds}-fold cross-validation: expected at least {cv_folds} rows "
            f"of each class, found {counts.to_dict()}; lower "
            "params propensity_modeling.cv_folds or use more data",
            column="label",
        )


@dataclass(frozen=True)
class PreparedData:
    """The model table split and checked, ready for fitting.

    Attributes
    ----------
    table : DataFrame
        The model table with any segment columns, in its original row order.
    spec : FeatureSpec
    labels : ndarray of int
    split : ndarray of str
        ``"train"`` or ``"test"`` per row.
    """

    table: pd.DataFrame
    spec: FeatureSpec
    labels: np.ndarray
    split: np.ndarray

    def part(self, name: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Features and labels of the ``"train"`` or ``"test"`` part."""
        mask = self.split == name
        return self.table.loc[mask, self.spec.columns].reset_index(drop=True), self.labels[mask]

    @property
    def X(self) -> pd.DataFrame:
        """Features of every row (for scoring all customers)."""
        return self.table[self.spec.columns].reset_index(drop=True)


def prepare_model_data(
    model_table: pd.DataFrame,
    *,
    info: dict | None = None,
    segments: pd.DataFrame | None = None,
    exclude: tuple[str, ...] | list[str] = (),
    label: str = "label",
    test_size: float = 0.25,
    cv_folds: int = 5,
    seed: int = 42,
) -> PreparedData:
    """Check the label, choose the features, add segments and split train/test.

    Parameters
    ----------
    model_table : DataFrame
        Stage 01's ``model_table``.
    info : dict, optional
        Stage 01's ``preprocessing_info`` (its ``numeric_features`` and
        ``categorical_features`` are used when present).
    segments : DataFrame, optional
        Stage 02's ``segments``; its segment columns become categorical features.
    exclude : sequence of str
        Columns never to use as features.
    label : str
    test_size : float
        Share of customers held out for the test (stratified, seeded).
    cv_folds : int
        Number of cross-validation folds the training part must support.
    seed : int

    Returns
    -------
    PreparedData
    """
    labels = check_label(model_table, label)
    table, segment_columns = add_segments(model_table, segments)
    info = info or {}
    numeric = info.get("numeric_features")
    categorical = info.get("categorical_features")
    if numeric is not None or categorical is not None:
        categorical = [*(categorical or []), *segment_columns]
        numeric = list(numeric or [])
    spec = select_features(
        table, numeric=numeric, categorical=categorical, label=label, exclude=exclude
    )
    split = split_train_test(labels, test_size=test_size, seed=seed)
    check_folds(labels[split == "train"], cv_folds)
    return PreparedData(table=table.reset_index(drop=True), spec=spec, labels=labels, split=split)
