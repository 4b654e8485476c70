"""The files a path names: one file, a directory of Parquet files, or a glob pattern.

Shared by :mod:`.scan` (lazy scans) and :mod:`.files` (your own files).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from ..errors import DataValidationError

__all__ = ["resolve_files"]

_PARQUET_SUFFIXES = (".parquet", ".pq")
_PARQUET = _PARQUET_SUFFIXES
_CSV = (".csv", ".tsv", ".txt", ".csv.gz")


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    return None


def resolve_files(path: str | os.PathLike) -> tuple[list[Path], str]:
    """The files a path names, and their format (``"parquet"`` or ``"csv"``).

    Parameters
    ----------
    path : str or path-like
        A file, a directory (every Parquet file under it, hive partitions
        included), or a glob pattern such as ``"exports/*.csv"``.

    Raises
    ------
    DataValidationError
        When nothing matches, or the files mix formats or have another extension.
    """
    where = str(path)
    given = Path(path)
    if given.is_dir():
        files = sorted(p for p in given.rglob("*") if p.is_file() and _kind(p) == "parquet")
        if not files:
            raise DataValidationError(
                where, "expected a directory of Parquet files (*.parquet), found none in it"
            )
    elif given.is_file():
        files = [given]
    elif glob.has_magic(where):
        files = sorted(Path(p) for p in glob.glob(where, recursive=True) if Path(p).is_file())
        if not files:
            raise DataValidationError(where, "expected files matching this pattern, found none")
    else:
        raise DataValidationError(
            where, "expected an existing file, directory or glob pattern, found none at this path"
        )
    kinds = {_kind(p) for p in files}
    if None in kinds or len(kinds) > 1:
        odd = [p.name for p in files if _kind(p) != _kind(files[0]) or _kind(p) is None]
        raise DataValidationError(
            where,
            f"expected files of one format, all Parquet ({', '.join(_PARQUET)}) or all "
            f"delimited text ({', '.join(_CSV)}); found {sorted(map(str, kinds))}",
            examples=odd[:5] or [p.name for p in files[:5]],
        )
    return files, kinds.pop()
