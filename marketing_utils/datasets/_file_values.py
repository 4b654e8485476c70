"""Parsing the values of your own files: ids, dates, amounts, 0/1 flags (private to ``files``)."""

from __future__ import annotations

import pandas as pd

from ..errors import DataValidationError

_FLOAT_LIKE_ID = r"^(\d+)\.0*$"
_CURRENCY_SYMBOLS = "$€£¥₹₽₩₺"


def _shown(values: pd.Series) -> list[object]:
    return values.drop_duplicates().head(5).tolist()


def _normalize_ids(values: pd.Series) -> pd.Series:
    """Ids as strings; whole numbers read as floats ("13085.0") lose the ".0"."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        whole = values.dropna()
        if (whole == whole.round()).all():
            values = values.astype("Int64")
    text = values.astype("str").where(values.notna())
    return text.str.replace(_FLOAT_LIKE_ID, r"\1", regex=True)


def _parse_dates(values: pd.Series, date_format: str | None, where: str, column: str):
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype("str").where(values.notna()).str.strip()
        fmt = date_format or "ISO8601"
        try:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        except ValueError:  # mixed UTC offsets cannot share one dtype without utc=True
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
        bad = text.notna() & (text != "") & parsed.isna()
        if bad.any():
            raise DataValidationError(
                where,
                f"expected dates in the format {fmt!r}, found {int(bad.sum())} value(s) that do "
                "not parse; set the `date_format` option (e.g. date_format='%d/%m/%Y %H:%M')",
                column=column,
                examples=_shown(text[bad]),
            )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(None)
    return parsed


def _parse_numbers(
    values: pd.Series, decimal: str, thousands: str | None, where: str, column: str
) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values
    text = values.astype("str").where(values.notna()).str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (text != "") & parsed.isna()
    symbols = sorted(set(text[bad].str.cat()) & set(_CURRENCY_SYMBOLS)) if bad.any() else []
    if symbols:
        # Stripping a symbol would silently mix currencies; the export must say what it holds.
        raise DataValidationError(
            where,
            f"expected plain numbers, found {int(bad.sum())} value(s) with a currency symbol "
            f"({', '.join(symbols)}); export the column without currency symbols (amounts are "
            "taken to be in one currency)",
            column=column,
            examples=_shown(text[bad]),
        )
    if bad.any():
        raise DataValidationError(
            where,
            f"expected numbers (decimal={decimal!r}, thousands={thousands!r}), found "
            f"{int(bad.sum())} value(s) that are not; set the `thousands` option for values "
            "like '1,234.50' or `decimal=','` for '12,50', and remove currency symbols",
            column=column,
            examples=_shown(text[bad]),
        )
    return parsed


def _parse_binary(values: pd.Series, where: str, column: str) -> pd.Series:
    numbers = pd.to_numeric(values.astype("str").where(values.notna()), errors="coerce")
    if pd.api.types.is_bool_dtype(values):
        numbers = values.astype("int64")
    bad = ~numbers.isin([0, 1])
    if bad.any():
        raise DataValidationError(
            where,
            f"expected 0 or 1 in every row, found {int(bad.sum())} other or missing value(s)",
            column=column,
            examples=_shown(values[bad].astype("object")),
        )
    return numbers.astype("int64")
