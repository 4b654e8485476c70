"""Reading scoring inputs on any engine, and writing the scores atomically.

Inputs are Parquet (a file, or a directory of ``.parquet`` files) or CSV.
They are read lazily where the engine can (Polars ``scan_*``, Dask), so a
transaction log larger than memory is never loaded whole. Ids and text
columns are read as strings (``"00123"`` must not become ``123``); date
columns of CSV files are parsed (ISO dates).

Outputs are written to a temporary file in the output's folder and renamed
into place, so a reader never sees half a file and a failed run leaves the
previous output untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .._atomic import temporary_beside
from ..compute import ENGINES
from ..errors import DataValidationError

__all__ = [
    "ENGINES",
    "ChunkWriter",
    "ScoreSpill",
    "file_format",
    "output_format",
    "read_table",
    "table_columns",
]

_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".csv.gz")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*_PARQUET_SUFFIXES, *_CSV_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def file_format(path: str | os.PathLike, where: str) -> str:
    """``"parquet"`` or ``"csv"`` from a path's suffix; a directory holds Parquet files.

    Raises
    ------
    FileNotFoundError
        When the path does not exist.
    DataValidationError
        When it is neither a Parquet nor a CSV file, or a directory without Parquet files.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{where} {path} not found")
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise DataValidationError(
                f"{where} {path}",
                "expected a Parquet file, a CSV file or a directory of .parquet files; "
                "found a directory without .parquet files",
            )
        return "parquet"
    suffix = _suffix(path)
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    raise DataValidationError(
        f"{where} {path}",
        f"expected a .parquet or .csv file (or a directory of .parquet files), found {suffix!r}",
    )


def output_format(path: str | os.PathLike) -> str:
    """``"parquet"`` or ``"csv"`` from the output path's suffix."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise DataValidationError(
        f"output {path}", f"expected a file name ending in .parquet or .csv, found {suffix!r}"
    )


def _parquet_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.parquet")) if path.is_dir() else [path]


def table_columns(path: str | os.PathLike, where: str) -> list[str]:
    """Column names of a Parquet or CSV input, reading only its schema or header.

    Raises
    ------
    DataValidationError
        When the file cannot be read as the format its name says.
    """
    path = Path(path)
    fmt = file_format(path, where)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(_parquet_files(path)[0]).names)
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(
            f"{where} {path}",
            f"expected a readable {fmt.upper()} file, found an unreadable one ({exc})",
        ) from None


def read_table(
    path: str | os.PathLike,
    engine: str,
    *,
    where: str,
    columns: Sequence[str] | None = None,
    string_columns: Iterable[str] = (),
    date_columns: Iterable[str] = (),
) -> Any:
    """Read a Parquet or CSV input with the given engine, lazily where it can.

    Parameters
    ----------
    path : str or Path
    engine : {"pandas", "polars", "dask"}
    where : str
        What the file is ("data", "customers"), for error messages.
    columns : sequence of str, optional
        Only these columns (default: all).
    string_columns : iterable of str
        Columns read or cast as strings (those present).
    date_columns : iterable of str
        Columns parsed as datetimes when the file is a CSV (those present).

    Returns
    -------
    pandas.DataFrame, polars.LazyFrame or dask.dataframe.DataFrame
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, found {engine!r}")
    path = Path(path)
    fmt = file_format(path, where)
    present = table_columns(path, where)
    wanted = list(columns) if columns is not None else present
    strings = [c for c in dict.fromkeys(string_columns) if c in wanted]
    dates = [c for c in dict.fromkeys(date_columns) if c in wanted]
    try:
        frame = _read(path, fmt, engine, wanted, strings, dates)
    except (OSError, ValueError) as exc:
        raise DataValidationError(
            f"{where} {path}", f"expected a readable {fmt.upper()} file, found an error ({exc})"
        ) from None
    # Parquet keeps the writer's types: ids stored as integers become strings here too.
    lazy = nw.from_native(frame)
    schema = lazy.collect_schema()
    casts = [nw.col(c).cast(nw.String) for c in strings if schema[c] != nw.String]
    return lazy.with_columns(*casts).to_native() if casts else frame


def _read(
    path: Path, fmt: str, engine: str, columns: list[str], strings: list[str], dates: list[str]
) -> Any:
    if engine == "polars":
        import polars as pl

        if fmt == "parquet":
            return pl.scan_parquet(path).select(columns)
        lazy = pl.scan_csv(path, schema_overrides={c: pl.String for c in strings}).select(columns)
        schema = lazy.collect_schema()
        parsed = [pl.col(c).str.to_datetime() for c in dates if schema[c] == pl.String]
        return lazy.with_columns(parsed) if parsed else lazy
    if engine == "dask":
        import dask.dataframe as dd

        if fmt == "parquet":
            return dd.read_parquet(path, columns=columns)
        return dd.read_csv(
            path, usecols=columns, dtype={c: "str" for c in strings}, parse_dates=dates
        )
    if fmt == "parquet":
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, usecols=columns, dtype={c: "str" for c in strings}, parse_dates=dates)


class ChunkWriter:
    """Write a table chunk by chunk to a temporary file, then rename it into place.

    Parameters
    ----------
    path : str or Path
        The final output (``.parquet`` or ``.csv``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with ChunkWriter(folder / "out.csv") as writer:
    ...     writer.write(pd.DataFrame({"a": [1, 2]}))
    ...     writer.write(pd.DataFrame({"a": [3]}))
    >>> pd.read_csv(folder / "out.csv")["a"].tolist()
    [1, 2, 3]
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        self._temporary: Path | None = None
        self._parquet = None
        self._csv = None
        self.rows = 0

    def __enter__(self) -> ChunkWriter:
        self._temporary = temporary_beside(self.path)
        return self

    def write(self, chunk: pd.DataFrame) -> None:
        """Append a chunk (the same columns and types every time)."""
        if self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._temporary, table.schema)
            self._parquet.write_table(table)
        else:
            if self._csv is None:
                self._csv = open(self._temporary, "w", encoding="utf-8", newline="")  # noqa: SIM115
                chunk.to_csv(self._csv, index=False)
            else:
                chunk.to_csv(self._csv, index=False, header=False)
        self.rows += len(chunk)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._close()
        try:
            if exc_type is None:
                if self._parquet is None and self._csv is None:
                    raise ValueError(f"output {self.path}: no rows were written; nothing replaced")
                os.replace(self._temporary, self.path)
        finally:
            self._temporary.unlink(missing_ok=True)


def iter_parquet_batches(path: Path) -> Iterator[pd.DataFrame]:
    """The row groups of a Parquet file, one pandas frame at a time."""
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(path)
    for index in range(reader.num_row_groups):
        yield reader.read_row_group(index).to_pandas()


class ScoreSpill:
    """Scored chunks kept between two passes: in memory, or in a temporary Parquet file.

    Only the scores stay in memory on disk mode (8 bytes per customer); the
    chunks (pseudonymized ids and scores, never raw ids) are read back from a
    temporary file next to the output, removed on exit.
    """

    def __init__(self, out: Path, *, on_disk: bool) -> None:
        self._out = out
        self._on_disk = on_disk
        self._kept: list[pd.DataFrame] = []
        self._scores: list[np.ndarray] = []
        self._path: Path | None = None
        self._writer = None

    def __enter__(self) -> ScoreSpill:
        if self._on_disk:
            self._path = temporary_beside(self._out, ".pass1.tmp")
        return self

    def add(self, chunk: pd.DataFrame) -> None:
        self._scores.append(chunk["score"].to_numpy())
        if not self._on_disk:
            self._kept.append(chunk)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, table.schema)
        self._writer.write_table(table)

    def scores(self) -> np.ndarray:
        return np.concatenate(self._scores) if self._scores else np.empty(0)

    def chunks(self) -> Iterator[pd.DataFrame]:
        if not self._on_disk:
            yield from self._kept
            return
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            yield from iter_parquet_batches(self._path)

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
