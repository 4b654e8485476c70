"""The model's features for new customers: checked from a feature table, or rebuilt from transactions.

Two kinds of input are accepted:

- a **feature table**, one row per customer with ``customer_id`` and the
  model's feature columns (for example a report's ``customer_features``
  artifact joined with its ``segments``);
- a **transaction log** in the canonical layout (``customer_id``,
  ``timestamp``, ``amount`` and, when the model was trained with them,
  ``order_id`` and ``category``), plus an optional customers table. The
  features are rebuilt with :func:`~marketing_utils.preprocess.features.customer_features`
  and the settings recorded with the model (see :mod:`~marketing_utils.propensity.bundle`),
  as of a day: the events strictly before it are used. When the model uses
  notebook 02's segments, they are assigned with the segmentation notebook 02
  saved (:func:`~marketing_utils.segment.model.assign_segments`): the
  training population's RFM edges and clusters, not a new segmentation of
  the new customers.

Transactions are expected clean (as notebook 01 makes them); lines with a
negative amount are treated as returns (they feed ``returns_rate``), and
category labels are normalized as notebook 01 does (trimmed, inner spaces
collapsed, lowercase) so that ``"Books "`` counts as ``books``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd

from ..errors import DataValidationError
from ..preprocess.features import customer_features
from ..propensity.bundle import ScoringModel, file_sha256
from ..segment.io import load_segmentation_model
from ..segment.model import assign_segments
from .io import read_table, table_columns

__all__ = [
    "DATA_KINDS",
    "data_kind",
    "feature_table",
    "features_from_transactions",
    "load_segmentation",
]

DATA_KINDS = ("auto", "features", "transactions")
ID = "customer_id"
_TRANSACTIONS = ("customer_id", "timestamp", "amount")


def data_kind(columns: list[str], requested: str, where: str) -> str:
    """``"features"`` or ``"transactions"``: as requested, or a table with ``timestamp`` is a log."""
    if requested not in DATA_KINDS:
        raise ValueError(f"data_kind: expected one of {', '.join(DATA_KINDS)}, found {requested!r}")
    if requested != "auto":
        return requested
    return "transactions" if "timestamp" in columns else "features"


def _missing(where: str, expected: list[str], present: list[str], hint: str = "") -> None:
    absent = [c for c in expected if c not in present]
    if absent:
        raise DataValidationError(
            where,
            f"expected the columns {absent} (missing){hint}; found columns {present}",
        )


def feature_table(bundle: ScoringModel, path, engine: str) -> Any:
    """Read a customer feature table with the model's features, lazily where the engine can.

    Raises
    ------
    DataValidationError
        Naming the missing feature columns, or numeric features stored as text.
    """
    where = f"data {path}"
    present = table_columns(path, "data")
    segments = [f for f in bundle.features if f in ("rfm_segment", "cluster_name")]
    hint = (
        f" -- {', '.join(segments)} come from notebook 02's 'segments' artifact: join it on "
        "customer_id"
        if any(f not in present for f in segments)
        else ""
    )
    _missing(where, [ID, *bundle.features], present, hint)
    frame = read_table(
        path,
        engine,
        where="data",
        columns=[ID, *bundle.features],
        string_columns=[ID, *bundle.categorical],
    )
    schema = nw.from_native(frame).collect_schema()
    wrong = [c for c in bundle.numeric if not (schema[c].is_numeric() or schema[c] == nw.Boolean)]
    if wrong:
        raise DataValidationError(
            where,
            f"expected numbers in the numeric features {wrong}, found types "
            f"{[str(schema[c]) for c in wrong]}",
        )
    return frame


def _settings(bundle: ScoringModel) -> dict:
    scoring = bundle.scoring
    where = f"model metadata for {bundle.path.name}"
    if scoring is None:
        raise DataValidationError(
            where,
            "expected the feature-building settings (its 'scoring' section) to rebuild features "
            "from transactions; found metadata written before they were recorded. Rerun notebook "
            "03, or score a customer feature table instead (--data-kind features)",
        )
    if scoring["feature_source"] != "transactions":
        raise DataValidationError(
            where,
            f"the model was trained on {scoring.get('label_kind')} data, whose features are "
            "columns of the customer table, not built from transactions: score a customer "
            f"table with the columns {bundle.features} (--data-kind features)",
        )
    return scoring


def _with_segments(features: pd.DataFrame, segmentation, used: list[str], where: str):
    """The features with the segment columns the model uses, from notebook 02's saved rules."""
    if segmentation is None:
        return features
    segments = assign_segments(segmentation, features, where=where)
    return features.assign(**{column: segments[column].set_axis(features.index) for column in used})


def _normalized_category() -> nw.Expr:
    # The same normalization as marketing_utils.preprocess.clean.normalize_category.
    text = nw.col("category").cast(nw.String).str.strip_chars()
    return text.str.replace_all(r"\s+", " ").str.to_lowercase().alias("category")


def _as_of(sales: nw.DataFrame | nw.LazyFrame, as_of: Any, where: str) -> pd.Timestamp:
    if as_of is not None:
        timestamp = pd.Timestamp(as_of)
        if timestamp != timestamp.normalize():
            raise ValueError(f"as_of must be a calendar day (a date), found {as_of!r}")
        return timestamp
    last = sales.select(nw.col("timestamp").max())
    last = (last.collect() if isinstance(last, nw.LazyFrame) else last).item()
    if last is None or pd.isna(last):
        raise DataValidationError(where, "expected at least one purchase, found none")
    stamp = pd.Timestamp(last)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize() + pd.Timedelta(days=1)


def features_from_transactions(
    bundle: ScoringModel, path, engine: str, *, customers=None, as_of=None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Rebuild the model's features from a transaction log, as of a day.

    Parameters
    ----------
    bundle : ScoringModel
    path : str or Path
        Transactions (Parquet file or directory, or CSV).
    engine : {"pandas", "polars", "dask"}
    customers : str or Path, optional
        Customers table; needed when the model uses tenure, age or demographics.
    as_of : date or str, optional
        The first day not observed (features use the events strictly before
        it); default the day after the last transaction.

    Returns
    -------
    (pandas.DataFrame, pandas.Timestamp)
        One row per customer with a purchase before the as-of day, sorted by
        id (with the segment columns the model uses, assigned by notebook 02's
        saved segmentation), and the as-of day used.
    """
    settings = _settings(bundle)
    where = f"data {path}"
    # A missing or stale segmentation fails before any work.
    segmentation = load_segmentation(bundle) if settings["segment_features"] else None
    needed = list(_TRANSACTIONS)
    if settings["uses_order_id"]:
        needed.append("order_id")
    if settings["categories"]:
        needed.append("category")
    present = table_columns(path, "data")
    _missing(where, needed, present, " to rebuild the model's features")
    lazy = nw.from_native(read_table(path, engine, where="data", columns=needed,
                                     string_columns=[ID, "order_id", "category"],
                                     date_columns=["timestamp"]))  # fmt: skip
    if lazy.collect_schema()["amount"].is_numeric():
        is_return = (nw.col("amount") < 0).fill_null(value=False)
    else:
        is_return = nw.lit(value=False)  # customer_features reports the bad type
    if settings["categories"]:
        lazy = lazy.with_columns(_normalized_category())
    sales = lazy.filter(~is_return)
    returns = None
    if settings["uses_returns"]:
        returns = lazy.filter(is_return).select(*_TRANSACTIONS).to_native()
    people = None
    if settings["customer_columns"]:
        if customers is None:
            raise DataValidationError(
                where,
                f"the model uses customer attributes built from the columns "
                f"{settings['customer_columns']} of a customers table: pass one (--customers)",
            )
        _missing(f"customers {customers}", [ID, *settings["customer_columns"]],
                 table_columns(customers, "customers"))  # fmt: skip
        people = read_table(
            customers, engine, where="customers",
            columns=[ID, *settings["customer_columns"]],
            string_columns=[ID, "gender", "region", "channel"],
            date_columns=["signup_date", "birth_date"],
        )  # fmt: skip
    day = _as_of(lazy, as_of, where)  # the day after the last line, returns included
    features = customer_features(
        sales.to_native(),
        cutoff=day,
        windows=settings["windows"],
        customers=people,
        returns=returns,
        categories=settings["categories"] or None,
    )
    features = nw.from_native(features).to_pandas()
    if features.empty:
        raise DataValidationError(
            where,
            f"expected customers with a purchase before the as-of day {day.date()}, found none",
            column="timestamp",
        )
    rebuilt = f"features rebuilt from {where}"
    return _with_segments(features, segmentation, settings["segment_features"], rebuilt), day


def load_segmentation(bundle: ScoringModel):
    """Notebook 02's segmentation the model was trained with, to segment new customers.

    Read from the file the model's metadata names, in the model's folder.

    Returns
    -------
    marketing_utils.segment.model.SegmentationModel

    Raises
    ------
    DataValidationError
        When the metadata records no segmentation (a model trained before
        notebook 02 saved one), or the file is not the one the model was
        trained with (notebook 02 was rerun after notebook 03).
    FileNotFoundError
        When the segmentation files are not next to the model.
    """
    scoring = bundle.scoring or {}
    used = scoring.get("segment_features", [])
    record = scoring.get("segmentation")
    where = f"model metadata for {bundle.path.name}"
    if not record:
        raise DataValidationError(
            where,
            f"the model uses {used} from notebook 02's segments, and its metadata records no "
            "saved segmentation to assign them to new customers (notebook 02 did not save "
            "'segmentation_model' before notebook 03 ran). Rerun notebooks 02 and 03, or "
            "retrain without them (propensity_modeling.use_segments: false), or score a "
            "feature table that carries them (--data-kind features)",
        )
    path = bundle.path.with_name(Path(record["file"]).name)
    if not path.is_file():
        raise FileNotFoundError(
            f"segmentation {path} not found: the model uses {used} from notebook 02's "
            f"segments, assigned to new customers with {path.name} and "
            "segmentation_kmeans.skops, which notebook 02 saves next to the model: copy them "
            "along with it"
        )
    if file_sha256(path) != record["sha256"]:
        raise DataValidationError(
            f"segmentation {path}",
            f"expected the segmentation the model was trained with (sha256 "
            f"{record['sha256'][:12]}...), found another one: notebook 02 was rerun after "
            "notebook 03. Rerun notebook 03 so that the model and the segments agree",
        )
    return load_segmentation_model(path, trusted=bundle.trusted)
