"""Load your own CSV or Parquet files into the canonical tables.

A new user points the workbook at an export with a column mapping and nothing
else, e.g. a typical retail export::

    load_files(transactions={
        "path": "online_retail.csv",
        "columns": {"customer_id": "Customer ID", "timestamp": "InvoiceDate",
                    "order_id": "Invoice", "product_id": "StockCode",
                    "quantity": "Quantity", "unit_price": "Price"},
        "cancelled_prefix": "C",
    })

Everything is checked at load: every problem raises
:class:`~marketing_utils.errors.DataValidationError` naming the file, the
column, what was expected and what was found, with a few example values, and
names the option that fixes it. Nothing is dropped or repaired silently: rows
with a missing customer id or a cancelled order are kept (cleaning moves and
counts them). The only rewrites are of representation: ids read as floats
(``"13085.0"``) become ``"13085"``, and timestamps with a UTC offset are
converted to UTC without the offset (in a column that mixes offsets, values
without one are taken as UTC). Input files are only ever read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from ..errors import DataValidationError
from ..privacy import contact_data_in, personal_data_in
from ..schema import PII_COLUMNS, TABLE_COLUMNS, MarketingData, raw_schema
from ._file_reading import _read
from ._file_values import _normalize_ids, _parse_binary, _parse_dates, _parse_numbers, _shown

__all__ = ["load_files", "load_table_file", "validate_raw_table"]

_ID_COLUMNS = ("customer_id", "order_id", "product_id")
_BINARY_COLUMNS = ("treatment", "response")
# A UTF-8 byte-order mark read with a single-byte encoding such as latin-1.
# A plain pattern string keeps the replacement vectorized (Arrow); a compiled re runs per row.
_TABLE_FILE_OPTIONS = ("path", "columns", "delimiter", "encoding", "date_format")
_TABLE_FILE_OPTIONS += ("decimal", "thousands", "cancelled_prefix", "keep_columns", "outcome")
_OUTCOME_KEYS = ("column", "positive", "name")


def validate_raw_table(frame: pd.DataFrame, table: str, *, where: str) -> pd.DataFrame:
    """Check a loaded table against its raw schema and coerce the canonical dtypes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, with canonical column names; extra columns are allowed.
    table : {"customers", "transactions", "products", "campaign"}
    where : str
        The file or table named in an error message.

    Returns
    -------
    pandas.DataFrame
        A new frame with the canonical columns coerced to their dtypes.

    Raises
    ------
    DataValidationError
        For the first failed check, with the offending values as examples.
    """
    try:
        return raw_schema(table).validate(frame.copy(), lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0]
        same = cases[(cases["column"] == first["column"]) & (cases["check"] == first["check"])]
        raise DataValidationError(
            where,
            f"failed the raw '{table}' schema check {first['check']}",
            column=str(first["column"]),
            examples=_shown(same["failure_case"]),
        ) from None


def _source_columns(
    found: list[str], table: str, columns: Mapping[str, str], where: str
) -> dict[str, str]:
    """Source column → canonical name, for every canonical column the file provides."""
    allowed = [name for name, _, _ in TABLE_COLUMNS[table]] + list(PII_COLUMNS)
    unknown = [key for key in columns if key not in allowed]
    if unknown:
        raise DataValidationError(
            where,
            f"option `columns` maps unknown canonical names; expected keys among {allowed}",
            examples=unknown,
        )
    renames = {}
    for canonical, source in columns.items():
        if source not in found:
            raise DataValidationError(
                where,
                f"the mapping {canonical!r} -> {source!r} names a column the file does not "
                f"have; columns found: {found}",
                column=source,
            )
        if source in renames:
            raise DataValidationError(
                where,
                f"option `columns` maps {renames[source]!r} and {canonical!r} to the same "
                "source column; map each canonical column to its own source column",
                column=source,
            )
        if canonical in found and canonical != source:
            raise DataValidationError(
                where,
                f"the file has a column named {canonical!r} and the mapping also maps "
                f"{canonical!r} -> {source!r}; expected one of the two, found both",
                column=canonical,
            )
        renames[source] = canonical
    mapped = set(renames.values())
    for name in allowed:
        if name in found and name not in mapped and name not in renames:
            renames[name] = name
    return renames


def load_table_file(
    path: str | os.PathLike,
    table: str,
    *,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    date_format: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    cancelled_prefix: str | None = None,
    keep_columns: list[str] | tuple[str, ...] = (),
    outcome: Mapping | None = None,
) -> pd.DataFrame:
    """Read one CSV or Parquet file as a canonical table, validated at load.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.tsv``/``.txt`` (optionally compressed, e.g. ``.csv.gz``) or
        ``.parquet`` file. The format is chosen by extension. Never written.
    table : {"customers", "transactions", "products", "campaign"}
        The canonical table the file holds.
    columns : mapping, optional
        Canonical name → source column name, e.g. ``{"customer_id": "Customer ID"}``.
        Keys are the table's canonical columns or PII columns (name, email,
        phone, address). A source column already named like a canonical
        column is used as-is. Every other source column is dropped, unless
        ``keep_columns`` names it.
    delimiter : str, optional
        Field separator of a text file; ``","`` (``"\\t"`` for ``.tsv``) if not set.
    encoding : str, default "utf-8"
        Text encoding; a UTF-8 byte-order mark is handled in any case.
    date_format : str, optional
        :func:`~datetime.datetime.strptime` format of the date columns; ISO 8601
        if not set. Empty values become NaT (left for cleaning).
    decimal, thousands : str
        Decimal and thousands separators of numbers in a text file.
    cancelled_prefix : str, optional
        Orders whose ``order_id`` starts with it get ``is_cancelled = True``
        (e.g. ``"C"`` in retail exports); needs an ``order_id`` column.
    keep_columns : list of str, optional
        Source columns the mapping does not name that are kept as extra
        columns (under their own names). A kept text column holding e-mail
        addresses, phone numbers or personal names is refused.
    outcome : mapping, optional
        Customers table only: ``{"column", "positive", "name"}``, the column
        holding the outcome (read as text, kept under its own name) and the
        value(s) that mean it happened; the column must exist and must not be
        mapped onto a canonical column.

    Returns
    -------
    pandas.DataFrame
        A new frame: canonical columns first, coerced to the dtypes of
        :func:`marketing_utils.schema.raw_schema` (ids as strings), then the
        kept columns; ``attrs["dropped_columns"]`` lists the source columns
        left out. ``amount`` is ``quantity * unit_price`` when the file
        has those and no amount.

    Raises
    ------
    DataValidationError
        On an empty or header-only file, a wrong delimiter or encoding, a
        missing or wrongly mapped column, unparseable dates or numbers,
        treatment/response values other than 0/1, duplicate customer ids
        in a customers table, or personal data in a kept column.
    """
    if table not in TABLE_COLUMNS:
        raise DataValidationError(
            "load_table_file",
            f"parameter 'table': expected one of {list(TABLE_COLUMNS)}, found {table!r}",
        )
    path, where = Path(path), str(path)
    columns = dict(columns or {})
    dtypes = {name: dtype for name, dtype, _ in TABLE_COLUMNS[table]}
    # Ids, texts, flags and dates are read as text so that leading zeros and formats survive.
    textual = [name for name, dtype in dtypes.items() if dtype != "float64"] + list(PII_COLUMNS)
    read_options = {
        "decimal": decimal,
        "thousands": thousands,
        "dtype": {columns.get(name, name): "str" for name in textual},
    }
    outcome_column = _outcome_column(outcome, table, columns, where)
    if outcome_column is not None:
        read_options["dtype"][outcome_column] = "str"
    frame = _read(path, where, delimiter, encoding, read_options)
    found = list(frame.columns)
    keep = list(keep_columns or ())
    absent = [name for name in keep if name not in found]
    if absent:
        raise DataValidationError(
            where,
            f"option `keep_columns` names column(s) the file does not have; columns found: {found}",
            column=absent[0],
        )
    if outcome_column is not None:
        # A customer table with its own outcome is the modelling table: its columns are
        # the attributes the user brings, so all are kept (and scanned for personal data
        # below, like any kept column); the outcome itself is the label, never a feature.
        keep += [name for name in found if name not in keep]
    if outcome_column is not None and outcome_column not in found:
        raise DataValidationError(
            where,
            f"option `outcome`: expected the outcome column {outcome_column!r} in the file, "
            f"found columns {found}",
            column=outcome_column,
        )
    renames = _source_columns(found, table, columns, where)
    frame = frame.rename(columns=renames)
    present = set(renames.values())
    missing = [name for name, _, required in TABLE_COLUMNS[table] if required]
    missing = [name for name in missing if name not in present]
    if "amount" in missing and {"quantity", "unit_price"} <= present:
        missing.remove("amount")
    if missing:
        raise DataValidationError(
            where,
            f"expected the required '{table}' column(s) {missing} (map them with the "
            f"`columns` option), found columns {found} with the mapping {columns}",
            column=missing[0],
        )

    for name in [name for name in dtypes if name in present]:
        if name in _ID_COLUMNS:
            frame[name] = _normalize_ids(frame[name])
        elif name in _BINARY_COLUMNS:
            frame[name] = _parse_binary(frame[name], where, name)
        elif dtypes[name].startswith("datetime"):
            frame[name] = _parse_dates(frame[name], date_format, where, name)
        elif dtypes[name] == "float64":
            frame[name] = _parse_numbers(frame[name], decimal, thousands, where, name)
    if "amount" not in frame and {"quantity", "unit_price"} <= present:
        frame["amount"] = frame["quantity"] * frame["unit_price"]
    _check_customer_ids(frame, table, where)
    if cancelled_prefix is not None:
        if "order_id" not in frame:
            raise DataValidationError(
                where,
                f"option `cancelled_prefix` needs an order id column; found columns {found}",
                column="order_id",
            )
        cancelled = frame["order_id"].str.startswith(cancelled_prefix)
        frame["is_cancelled"] = cancelled.fillna(False).astype(bool)

    leading = [name for name in [*dtypes, *PII_COLUMNS, "is_cancelled"] if name in frame]
    extras = [name for name in frame.columns if name not in leading and name in keep]
    dropped = [name for name in frame.columns if name not in leading and name not in keep]
    for name in extras:
        # The broad rules for the columns the user named; the strict ones for the columns
        # an outcome table keeps without being asked (timestamps, city names pass).
        _refuse_personal_data(frame[name], where, name, broad=name in (keep_columns or ()))
    for name in _FREE_TEXT_COLUMNS:
        if name in frame:
            _refuse_contact_data(frame[name], where, name)
    result = validate_raw_table(frame[leading + extras], table, where=where)
    result.attrs["dropped_columns"] = dropped
    return result


#: Mapped columns of free text that reach the artifacts as they are.
_FREE_TEXT_COLUMNS = ("description", "category")


def _refuse_contact_data(values: pd.Series, where: str, column: str) -> None:
    """Product text must not carry e-mails or phones (it reaches the artifacts and 06's lists)."""
    _refuse(
        contact_data_in(values), where, column, "product text without personal data",
        "remove them from the column in the export (it reaches the artifacts and the "
        "recommendation lists as it is)",
    )  # fmt: skip


def _refuse_personal_data(values: pd.Series, where: str, column: str, *, broad: bool) -> None:
    """A kept column must not carry direct identifiers (they would reach the artifacts)."""
    _refuse(
        personal_data_in(values, broad=broad), where, column,
        "no personal data in a column listed in `keep_columns`",
        "remove the column from `keep_columns`, or map it as name/email/phone/address in "
        "`columns` (such columns are dropped before anything is saved)",
    )  # fmt: skip


def _refuse(found, where: str, column: str, expected: str, remedy: str) -> None:
    """Raise when ``found`` (a detector's ``(kind, count, masked example)``) is not None."""
    if found is not None:
        kind, count, example = found
        raise DataValidationError(
            where,
            f"expected {expected}, found {kind} in {count} row(s) (example, masked: "
            f"{example!r}); {remedy}",
            column=column,
        )


def _outcome_column(
    outcome: Mapping | None, table: str, columns: Mapping[str, str], where: str
) -> str | None:
    """The outcome column's source name, after checking the ``outcome`` option's shape."""
    if outcome is None:
        return None
    if table != "customers":
        raise DataValidationError(
            where,
            f"option `outcome`: expected it on the customers table only, found it on {table!r}",
        )
    if not isinstance(outcome, Mapping) or "column" not in outcome or "positive" not in outcome:
        raise DataValidationError(
            where,
            "option `outcome`: expected a mapping with `column` and `positive` (and optionally "
            f"`name`), e.g. {{column: Churn, positive: 'Yes', name: churn}}, found {outcome!r}",
        )
    unknown = [key for key in outcome if key not in _OUTCOME_KEYS]
    if unknown:
        raise DataValidationError(
            where,
            f"option `outcome`: unknown keys; expected among {_OUTCOME_KEYS}",
            examples=unknown,
        )
    column = str(outcome["column"])
    mapped = [canonical for canonical, source in columns.items() if source == column]
    known = [name for name, _, _ in TABLE_COLUMNS[table]] + list(PII_COLUMNS)
    if mapped or column in known:
        raise DataValidationError(
            where,
            f"option `outcome`: the outcome column {column!r} is also a canonical customers "
            f"column ({(mapped or [column])[0]!r}); expected a column of its own",
            column=column,
        )
    return column


def _check_customer_ids(frame: pd.DataFrame, table: str, where: str) -> None:
    """Customers and campaign rows are about one known customer each."""
    if table not in ("customers", "campaign"):
        return
    missing = frame.index[frame["customer_id"].isna()]
    if len(missing):
        raise DataValidationError(
            where,
            f"expected a customer id in every row of a {table} table, found {len(missing)} "
            "row(s) without one (data row numbers, counting from 1)",
            column="customer_id",
            examples=(missing[:5] + 1).tolist(),
        )
    duplicated = frame.loc[frame["customer_id"].duplicated(keep=False), "customer_id"]
    if table == "customers" and len(duplicated):
        raise DataValidationError(
            where,
            f"expected one row per customer, found {duplicated.nunique()} customer ids "
            "on several rows",
            column="customer_id",
            examples=_shown(duplicated),
        )


def load_files(
    *,
    customers: Mapping | None = None,
    transactions: Mapping | None = None,
    campaign: Mapping | None = None,
    products: Mapping | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> MarketingData:
    """Load your own files, one per canonical table, into :class:`MarketingData`.

    Parameters
    ----------
    customers, transactions, campaign, products : mapping, optional
        Options of :func:`load_table_file` for that table, including ``path``,
        e.g. ``{"path": "orders.csv", "columns": {...}, "cancelled_prefix": "C"}``.
    observation_end : str or Timestamp, optional
        Last day the data covers (later stages measure recency and churn up to
        it). If not set and there are transactions, the date of the last
        transaction is used and ``info["observation_end_inferred"]`` is True.

    Returns
    -------
    MarketingData
        ``source="files"``; ``info`` holds ``files`` (table → path) and
        ``observation_end`` (``"YYYY-MM-DD"``) when known.

    Raises
    ------
    DataValidationError
        When no table is given, an option is unknown, ``observation_end`` is not
        a date, or a file fails a check of :func:`load_table_file`.
    """
    given = dict(customers=customers, transactions=transactions, campaign=campaign)
    given = {
        table: options
        for table, options in {**given, "products": products}.items()
        if options is not None
    }
    if not given:
        raise DataValidationError(
            "load_files", f"expected options for at least one table among {list(TABLE_COLUMNS)}"
        )
    tables, files, dropped = {}, {}, {}
    for table, options in given.items():
        if not isinstance(options, Mapping) or "path" not in options:
            raise DataValidationError(
                "load_files",
                f"parameter '{table}': expected a mapping with a 'path', found {options!r}",
            )
        unknown = [key for key in options if key not in _TABLE_FILE_OPTIONS]
        if unknown:
            raise DataValidationError(
                "load_files",
                f"parameter '{table}': unknown options; expected keys among {_TABLE_FILE_OPTIONS}",
                examples=unknown,
            )
        options = dict(options)
        path = options.pop("path")
        tables[table] = load_table_file(path, table, **options)
        files[table] = str(path)
        dropped[table] = tables[table].attrs.pop("dropped_columns", [])

    info: dict = {"files": files, "dropped_columns": dropped}
    outcome = (customers or {}).get("outcome") if isinstance(customers, Mapping) else None
    if outcome is not None:
        info["outcome"] = {
            "column": str(outcome["column"]),
            "positive": outcome["positive"],
            "name": str(outcome.get("name") or "outcome"),
        }
    if observation_end is not None:
        try:
            end = pd.Timestamp(observation_end)
            if pd.isna(end):
                raise ValueError(observation_end)
        except (TypeError, ValueError):
            raise DataValidationError(
                "load_files",
                f"parameter 'observation_end': expected a date, found {observation_end!r}",
            ) from None
        info["observation_end"] = end.strftime("%Y-%m-%d")
        info["observation_end_inferred"] = False
    elif "transactions" in tables and tables["transactions"]["timestamp"].notna().any():
        info["observation_end"] = tables["transactions"]["timestamp"].max().strftime("%Y-%m-%d")
        info["observation_end_inferred"] = True
    return MarketingData(**tables, source="files", info=info)
