"""Reading your own CSV or Parquet files: format, delimiter, encoding (private to ``files``)."""

from __future__ import annotations

import csv
import glob
from itertools import chain
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError
from ..privacy import mask_value
from .paths import _PARQUET_SUFFIXES, resolve_files

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")
_LIKELY_DELIMITERS = (",", ";", "\t", "|")
_BOM_REMNANTS = ("\ufeff", "ï»¿")
#: Byte-order marks of UTF-16/32 (the UTF-32 ones first: they start like UTF-16's).
_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: Binary content in a file named like text: what it is and how to fix it.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed", ".gz"),
    (b"PK\x03\x04", "zip-compressed", ".zip"),
    (b"BZh", "bzip2-compressed", ".bz2"),
    (b"\xfd7zXZ\x00", "xz-compressed", ".xz"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", ".zst"),
    (b"PAR1", "Parquet", None),
)


def _refuse_duplicate_names(path: Path, where: str, separator: str, encoding: str) -> None:
    """pandas renames a repeated column "amount" to "amount.1": refuse it instead, naming both."""
    header = pd.read_csv(
        path, sep=separator, encoding=encoding, header=None, nrows=1, dtype="str"
    ).iloc[0]
    names = [str(name).strip() for name in header]
    if names:
        for remnant in _BOM_REMNANTS:
            names[0] = names[0].removeprefix(remnant)
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataValidationError(
                where,
                f"expected distinct column names in the header, found {name!r} twice (columns "
                f"{seen[name]} and {position}); rename or remove one of them",
                column=name,
            )
        seen[name] = position


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _row_text(row) -> str:
    """A row pandas moved into the index, as the text it came from (fields joined by commas)."""
    return ",".join(map(str, row)) if isinstance(row, tuple) else str(row)


def _locate_decode_error(path: Path, encoding: str, delimiter: str) -> tuple[str | None, list]:
    """Line, bytes and (when the line splits cleanly) column of the first undecodable byte."""
    with open(path, "rb") as handle:
        header = handle.readline()
        for number, line in enumerate(chain([header], handle), start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                text = line.decode(encoding, errors="replace").rstrip("\r\n")
                names = header.decode(encoding, errors="replace").strip("\r\n\ufeff")
                names = next(csv.reader([names], delimiter=delimiter))
                fields = line.rstrip(b"\r\n").split(delimiter.encode())
                column = None
                # A quoted delimiter shifts a naive split; only name a column when counts agree.
                if number > 1 and len(fields) == len(names):
                    column = next(
                        (
                            name
                            for name, field in zip(names, fields, strict=True)
                            if not _decodes(field, encoding)
                        ),
                        None,
                    )
                # The line masked (it may hold personal data); the bad bytes as they are.
                return column, [
                    f"line {number}: {mask_value(text)}",
                    exc.object[exc.start : exc.end],
                ]
    return None, []


def _read(path: Path, where: str, delimiter: str | None, encoding: str, read_options: dict):
    """The file as a frame with clean header names, or an error saying what to fix.

    A directory of Parquet files or a glob pattern is read file by file and
    concatenated; every file must have the same columns.
    """
    if not path.is_file() and (path.is_dir() or glob.has_magic(where)):
        files, _ = resolve_files(path)
        frames = [_read(file, str(file), delimiter, encoding, read_options) for file in files]
        for file, frame in zip(files[1:], frames[1:], strict=True):
            if list(frame.columns) != list(frames[0].columns):
                raise DataValidationError(
                    str(file),
                    f"expected the columns of {files[0].name}: {list(frames[0].columns)}; "
                    f"found {list(frame.columns)}",
                )
        return pd.concat(frames, ignore_index=True)
    if not path.is_file():
        raise DataValidationError(where, "expected an existing file, found none at this path")
    if path.stat().st_size == 0:
        raise DataValidationError(where, "expected a header and data rows, found an empty file")
    frame = _read_any(path, where, delimiter, encoding, read_options)
    names = [str(name).strip() for name in frame.columns]
    for remnant in _BOM_REMNANTS:
        if names and names[0].startswith(remnant):
            names[0] = names[0].removeprefix(remnant)
    frame.columns = names
    if len(names) == 1:
        others = [mark for mark in _LIKELY_DELIMITERS if mark in names[0] and mark != delimiter]
        if others:
            raise DataValidationError(
                where,
                f"expected several columns, found one whose name contains {others[0]!r}; "
                f"set the option delimiter={others[0]!r}",
                column=names[0],
            )
    if len(frame) == 0:
        raise DataValidationError(where, f"expected data rows, found only a header: {names}")
    return frame


def _read_any(path: Path, where: str, delimiter: str | None, encoding: str, read_options: dict):
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in _PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataValidationError(
                where, f"expected a Parquet file, could not read it: {exc}"
            ) from None
    if suffix not in _CSV_SUFFIXES:
        raise DataValidationError(
            where,
            f"expected a file ending in one of {_CSV_SUFFIXES + _PARQUET_SUFFIXES}, "
            f"found {path.name!r}",
        )
    separator = delimiter or ("\t" if suffix == ".tsv" else ",")
    compressed = path.suffixes and path.suffixes[-1].lower() in _COMPRESSION_SUFFIXES
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not compressed:
        for magic, kind, extension in _MAGIC:
            if head.startswith(magic):
                fix = (
                    f"rename it to '{path.name}{extension}' or decompress it"
                    if extension
                    else f"rename it to '{path.stem}.parquet'"
                )
                raise DataValidationError(
                    where,
                    f"expected delimited text (the name ends in {suffix!r}), found {kind} "
                    f"content; {fix}",
                )
    try:
        frame = pd.read_csv(path, sep=separator, encoding=encoding, **read_options)
    except UnicodeDecodeError:
        bom = next((name for mark, name in _UNICODE_BOMS if head.startswith(mark)), None)
        if bom is not None and not encoding.lower().replace("-", "").startswith(bom[:5]):
            raise DataValidationError(
                where,
                f"expected text in the encoding {encoding!r}, found a {bom.upper()} byte-order "
                f"mark at the start of the file; set the `encoding` option: encoding={bom!r}",
            ) from None
        column, examples = _locate_decode_error(path, encoding, separator)
        raise DataValidationError(
            where,
            f"expected text in the encoding {encoding!r}, found bytes it cannot decode; "
            "set the `encoding` option, e.g. encoding='latin-1' (Western European exports) "
            "or 'cp1252' (Windows)",
            column=column,
            examples=examples,
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataValidationError(
            where,
            f"could not parse as delimited text with delimiter={separator!r}: {exc}; "
            "check the `delimiter`, `decimal` and `thousands` options",
        ) from None
    _refuse_duplicate_names(path, where, separator, encoding)
    # pandas turns the surplus leading fields of rows longer than the header into an index.
    if not isinstance(frame.index, pd.RangeIndex):
        header = str(frame.columns[0]) if frame.shape[1] == 1 else ""
        others = [mark for mark in _LIKELY_DELIMITERS if mark in header and mark != separator]
        if others:  # one column whose name holds another delimiter: the delimiter is wrong
            raise DataValidationError(
                where,
                f"expected several columns, found one whose name contains {others[0]!r}; "
                f"set the option delimiter={others[0]!r}",
                column=header,
            )
        raise DataValidationError(
            where,
            f"expected at most {frame.shape[1]} fields per row (as in the header), found rows "
            "with more; check the `delimiter` option and the quoting of values",
            # Masked: a row of an export may hold anything, names and e-mails included.
            examples=[mask_value(_row_text(row)) for row in frame.index[:3]],
        )
    return frame
