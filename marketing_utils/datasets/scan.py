"""Read transactions lazily, on any engine, from a file, a directory or a glob of files.

For logs larger than memory: Polars and Dask read nothing until the feature
computation asks for it, and then only the columns it needs, file by file or
partition by partition::

    from marketing_utils.datasets.scan import scan_transactions
    from marketing_utils import customer_features

    log = scan_transactions("s3-export/transactions/", engine="polars",
                            columns={"customer_id": "CustomerNo", "timestamp": "InvoiceDate",
                                     "amount": "Revenue"})
    features = customer_features(log, cutoff="2025-01-01")

A directory is read as a (possibly hive-partitioned) Parquet dataset; a glob
such as ``"exports/2024-*.csv"`` picks files of one format. pandas has no
lazy frames: with ``engine="pandas"`` the files are read into memory, but only
the canonical columns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..compute import ENGINES as _ENGINES
from ..errors import DataValidationError
from ..schema import TABLE_COLUMNS
from .paths import resolve_files

__all__ = ["TRANSACTION_COLUMNS", "resolve_files", "scan_transactions"]

#: Canonical transaction columns a scan keeps (when the files have them).
TRANSACTION_COLUMNS = tuple(name for name, _, _ in TABLE_COLUMNS["transactions"])
_TEXT = ("customer_id", "order_id", "product_id", "category")


def _column_map(found: list[str], columns: Mapping[str, str], where: str) -> dict[str, str]:
    """Source → canonical name for the canonical transaction columns the files provide."""
    unknown = [key for key in columns if key not in TRANSACTION_COLUMNS]
    if unknown:
        raise DataValidationError(
            where,
            f"option `columns` maps unknown canonical names; expected keys among "
            f"{list(TRANSACTION_COLUMNS)}",
            examples=unknown,
        )
    renames = {}
    for canonical in TRANSACTION_COLUMNS:
        source = columns.get(canonical, canonical)
        if source in found:
            renames[source] = canonical
        elif canonical in columns:
            raise DataValidationError(
                where,
                f"the mapping {canonical!r} -> {source!r} names a column the files do not "
                f"have; columns found: {found}",
                column=source,
            )
    present = set(renames.values())
    required = ["customer_id", "timestamp"]
    if not ({"amount"} <= present or {"quantity", "unit_price"} <= present):
        required.append("amount")
    missing = [name for name in required if name not in present]
    if missing:
        raise DataValidationError(
            where,
            f"expected the transaction column(s) {missing} (map them with the `columns` "
            f"option; amount may come from quantity and unit_price), found columns {found}",
            column=missing[0],
        )
    return renames


def scan_transactions(
    path: str | os.PathLike,
    *,
    engine: str = "polars",
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
) -> Any:
    """Transactions from Parquet or CSV files as a lazy frame of the chosen engine.

    Parameters
    ----------
    path : str or path-like
        A file, a directory of Parquet files or a glob (see :func:`resolve_files`).
    engine : {"polars", "dask", "pandas"}, default "polars"
        ``"polars"`` gives a ``polars.LazyFrame``, ``"dask"`` a Dask DataFrame
        (one partition per file or row group), ``"pandas"`` a pandas DataFrame
        read into memory.
    columns : mapping, optional
        Canonical name → source column name, e.g. ``{"customer_id": "Customer ID"}``.
    delimiter : str, optional
        Field separator of delimited text (``","``; ``"\\t"`` for ``.tsv``).
    date_format : str, optional
        ``strptime`` format of a textual timestamp; ISO 8601 if not set.

    Returns
    -------
    DataFrame
        The canonical columns the files have (see ``TRANSACTION_COLUMNS``):
        ids and categories as strings, a datetime ``timestamp``, numbers as
        floats, and ``amount = quantity * unit_price`` when the files have no amount.
        Values are checked when computed (e.g. by
        :func:`~marketing_utils.preprocess.features.customer_features`).

    Raises
    ------
    DataValidationError
        When no file matches, the formats mix, or a required column is missing.
    ValueError
        For an unknown engine.
    """
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {', '.join(_ENGINES)}; got {engine!r}")
    files, kind = resolve_files(path)
    where = str(path)
    separator = delimiter or ("\t" if files[0].name.lower().endswith(".tsv") else ",")
    found = _source_columns(files[0], kind, separator)
    renames = _column_map(found, dict(columns or {}), where)
    text = [source for source, canonical in renames.items() if canonical in _TEXT]
    reader = {"pandas": _read_pandas, "polars": _scan_polars, "dask": _read_dask}[engine]
    return reader(files, kind, separator, renames, text, date_format)


def _source_columns(first: Path, kind: str, separator: str) -> list[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(first).names)
    import pandas as pd

    return [str(name).strip() for name in pd.read_csv(first, sep=separator, nrows=0).columns]


def _read_pandas(files, kind, separator, renames, text, date_format):
    import pandas as pd

    if kind == "parquet":
        parts = [pd.read_parquet(f, columns=list(renames)) for f in files]
    else:
        dtypes = dict.fromkeys(text, "str")
        parts = [pd.read_csv(f, sep=separator, usecols=list(renames), dtype=dtypes) for f in files]
    frame = pd.concat(parts, ignore_index=True).rename(columns=renames)
    frame = frame.astype({c: "str" for c in _TEXT if c in frame})
    if not pd.api.types.is_datetime64_any_dtype(frame["timestamp"]):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], format=date_format or "ISO8601")
    return _with_amount(frame)


def _scan_polars(files, kind, separator, renames, text, date_format):
    import polars as pl

    if kind == "parquet":
        lazy = pl.scan_parquet(files)
    else:
        lazy = pl.scan_csv(
            files, separator=separator, schema_overrides=dict.fromkeys(text, pl.String)
        )
    lazy = lazy.select(list(renames)).rename(renames)
    schema = lazy.collect_schema()
    casts = [pl.col(c).cast(pl.String) for c in _TEXT if c in schema and schema[c] != pl.String]
    if schema["timestamp"] == pl.String:
        casts.append(pl.col("timestamp").str.to_datetime(format=date_format, time_unit="ns"))
    if "amount" not in schema:
        casts.append((pl.col("quantity") * pl.col("unit_price")).alias("amount"))
    return lazy.with_columns(casts) if casts else lazy


def _read_dask(files, kind, separator, renames, text, date_format):
    import dask.dataframe as dd

    names = [str(f) for f in files]
    if kind == "parquet":
        # Partitions of at most 64 MiB of Parquet (whole row groups), whatever the file sizes,
        # so that a worker summarizes about a million rows at a time.
        frame = dd.read_parquet(
            names, columns=list(renames), split_row_groups="adaptive", blocksize="64MiB"
        )
    else:
        frame = dd.read_csv(
            names, sep=separator, usecols=list(renames), dtype=dict.fromkeys(text, "str")
        )
    # Renamed per partition: dask-expr's optimizer loses renamed columns in later group-bys.
    frame = frame.map_partitions(
        lambda part: part.rename(columns=renames), meta=frame._meta.rename(columns=renames)
    )
    frame = frame.astype({c: "str" for c in _TEXT if c in frame.columns})
    if frame["timestamp"].dtype.kind != "M":
        frame["timestamp"] = dd.to_datetime(frame["timestamp"], format=date_format or "ISO8601")
    return _with_amount(frame)


def _with_amount(frame):
    """``amount = quantity * unit_price`` when there is no amount column (pandas, Dask)."""
    if "amount" in frame.columns:
        return frame
    return frame.assign(amount=frame["quantity"] * frame["unit_price"])
