"""What the readout reads (export records, import files, outcomes) and what it writes.

The outcomes file is what the campaign produced, one row per customer:
``customer_id``, ``converted`` (0/1 or true/false), optionally ``revenue``
(>= 0, currency units; missing means 0) and ``date`` (of the conversion;
outcomes dated before the campaign start cannot have been caused by it).
The readout writes the outcomes back as a **campaign table** in the
canonical form (``customer_id, treatment, response, spend``), which a next
report run reads as ``data.campaign`` to learn response and uplift models
from the campaign.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_output
from ..errors import DataValidationError
from .export import RECORD_FORMAT, CampaignExport, _customers_digest, file_sha256

__all__ = [
    "OUTCOME_COLUMNS",
    "campaign_table",
    "check_outcomes",
    "read_export_record",
    "read_outcomes",
    "verify_import_file",
    "write_campaign_table",
]

#: Columns of an outcomes file; ``revenue`` and ``date`` are optional.
OUTCOME_COLUMNS = ["customer_id", "converted", "revenue", "date"]


def read_export_record(path: str | os.PathLike) -> CampaignExport:
    """Read an export record written by :func:`write_campaign_export` and check it is intact.

    Raises
    ------
    DataValidationError
        Not an export record, or its customer block was edited after the
        export (its sha256 no longer matches).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"export record {path} does not exist")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataValidationError(
            str(path), f"expected JSON, found invalid text ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != RECORD_FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise DataValidationError(
            str(path), f"expected an export record ({RECORD_FORMAT!r}), found {found!r}"
        )
    customers = document["customers"]
    digest = _customers_digest(customers)
    if digest != document.get("customers_sha256"):
        raise DataValidationError(
            str(path), "expected the customers of the record to be as exported (sha256 "
            f"{document.get('customers_sha256')}), found sha256 {digest}: the record was edited",
        )  # fmt: skip
    info = {k: v for k, v in document.items() if k not in ("customers", "format")}
    return CampaignExport(customers=pd.DataFrame(customers), info=info)


def verify_import_file(export: CampaignExport, path: str | os.PathLike) -> str:
    """Check that ``path`` is the import file of this export (same sha256); return the hash.

    Raises
    ------
    DataValidationError
        When the hashes differ: the list the tool imported is not the one
        this record describes (edited, re-exported or another campaign's).
    """
    expected = export.info.get("import_file", {}).get("sha256")
    found = file_sha256(path)
    if found != expected:
        raise DataValidationError(
            str(path), f"expected the import file of this export record (sha256 {expected}), found "
            f"sha256 {found}: the list was changed after the export, or belongs to another export",
        )  # fmt: skip
    return found


def read_outcomes(path: str | os.PathLike) -> pd.DataFrame:
    """Read an outcomes file (CSV or Parquet) and check it with :func:`check_outcomes`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"outcomes file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = pd.read_csv(path, dtype={"customer_id": str})
    elif suffix in (".parquet", ".pq"):
        table = pd.read_parquet(path)
    else:
        raise DataValidationError(
            str(path), f"expected a .csv or .parquet outcomes file, found '{suffix}'"
        )
    return check_outcomes(table, path.name)


def _converted(values: pd.Series, where: str) -> np.ndarray:
    mapping = {True: 1, False: 0, "1": 1, "0": 0,  # 1, 1.0 == True; 0, 0.0 == False
               "true": 1, "false": 0, "True": 1, "False": 0, "yes": 1, "no": 0}  # fmt: skip
    mapped = values.map(lambda v: mapping.get(v))
    if mapped.isna().any():
        raise DataValidationError(
            where, "expected 0/1 (or true/false)", column="converted",
            examples=values[mapped.isna()].astype(str).unique()[:5].tolist(),
        )  # fmt: skip
    return mapped.astype(np.int64).to_numpy()


def check_outcomes(table: pd.DataFrame, where: str = "outcomes") -> pd.DataFrame:
    """Validate an outcomes table and return it in canonical form (a new frame).

    Returns
    -------
    DataFrame
        ``customer_id`` (str), ``converted`` (0/1), ``revenue`` (float, 0
        where missing) and ``date`` (datetime, NaT where missing).

    Raises
    ------
    DataValidationError
        Naming ``where`` and the column: a required column is missing, ids
        are missing, ``converted`` is not 0/1, ``revenue`` is negative or not
        a number, a date cannot be read.
    """
    missing = [c for c in ("customer_id", "converted") if c not in table]
    if missing:
        raise DataValidationError(
            where,
            f"expected columns {OUTCOME_COLUMNS} (revenue and date optional), missing {missing}; found {list(table.columns)}",
        )
    ids = table["customer_id"]
    if ids.isna().any():
        raise DataValidationError(
            where,
            f"expected an id on every row, found {int(ids.isna().sum())} missing",
            column="customer_id",
        )
    revenue = pd.Series(0.0, index=table.index)
    if "revenue" in table:
        revenue = pd.to_numeric(table["revenue"], errors="coerce")
        bad = revenue.isna() & table["revenue"].notna()
        if bad.any() or (revenue < 0).any():
            examples = table["revenue"][bad | (revenue < 0)].astype(str).unique()[:5].tolist()
            raise DataValidationError(
                where, "expected amounts >= 0", column="revenue", examples=examples
            )
        revenue = revenue.fillna(0.0)
    date = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    if "date" in table:
        date = pd.to_datetime(table["date"], errors="coerce")
        bad = date.isna() & table["date"].notna()
        if bad.any():
            examples = table["date"][bad].astype(str).unique()[:5].tolist()
            raise DataValidationError(
                where, "expected dates (e.g. 2025-10-15)", column="date", examples=examples
            )
    return pd.DataFrame(
        {
            "customer_id": ids.astype(str).to_numpy(),
            "converted": _converted(table["converted"], where),
            "revenue": revenue.astype(float).to_numpy(),
            "date": date.to_numpy(),
        }
    )


def campaign_table(joined: pd.DataFrame) -> pd.DataFrame:
    """The campaign's outcomes in the canonical ``campaign`` form.

    ``customer_id``, ``treatment`` (1 contacted, 0 holdout), ``response``
    (converted) and ``spend`` (revenue), one row per customer the readout
    counted; a next run reads it as ``data.campaign``.
    """
    return pd.DataFrame(
        {
            "customer_id": joined["customer_id"].astype(str).to_numpy(),
            "treatment": joined["treatment"].astype(np.int64).to_numpy(),
            "response": joined["converted"].astype(np.int64).to_numpy(),
            "spend": joined["revenue"].astype(float).to_numpy(),
        }
    )


def write_campaign_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the campaign table as CSV, atomically; returns the path."""
    path = Path(path)
    with atomic_output(path) as temporary:
        table.to_csv(temporary, index=False, lineterminator="\n", float_format="%.2f")
    return path
