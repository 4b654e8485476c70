"""Deploy: turn a targeting list or a campaign plan into an import file with a seeded holdout.

A readout can only be causal if some listed customers are *not* contacted,
chosen at random when the list is deployed. :func:`export_campaign` draws that
holdout inside the list, stratified (by decile for a targeting list, by offer
for a plan) so that every stratum keeps the same share of holdout customers;
:func:`write_campaign_export` writes

* the **import file** (CSV) the marketing tool loads: the customers to
  contact, ``customer_id`` and, for a plan, ``offer``. The holdout is not in
  it, so the tool cannot contact it by mistake;
* the **export record** (JSON): the parameters of the draw, the group of every
  listed customer and what was predicted for it (score, decile, segment,
  offer, expected uplift and profit), and the sha256 of the import file, so
  that the readout can check it is reading the list that was deployed.

Both are written atomically, never over an input file, and an existing export
record is not replaced unless asked: a list that was already deployed must
keep its holdout.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_output
from ..artifacts import to_jsonable
from ..errors import DataValidationError

__all__ = [
    "RECORD_FORMAT",
    "CampaignExport",
    "export_campaign",
    "file_sha256",
    "holdout_mask",
    "read_campaign_source",
    "write_campaign_export",
]

#: Identifies an export record (and its layout version).
RECORD_FORMAT = "marketing-workbook campaign export v1"

_LIST_COLUMNS = ["customer_id", "score", "decile", "segment", "selected"]
_PLAN_COLUMNS = ["customer_id", "offer", "expected_uplift", "expected_profit"]
#: Predictions kept in the record when the source has them.
PREDICTION_COLUMNS = [
    "score",
    "decile",
    "segment",
    "offer",
    "expected_uplift",
    "expected_profit",
    "expected_value",
]
#: The predictions that order the list before the holdout draw (in this order).
_ORDER_COLUMNS = pd.Index(["score", "expected_uplift", "expected_profit", "expected_value"])


@dataclass(frozen=True)
class CampaignExport:
    """A deployed list: every listed customer with its group and its predictions.

    Attributes
    ----------
    customers : DataFrame
        ``customer_id``, ``treatment`` (1 = contact, 0 = holdout), ``stratum``
        and the predictions the source had (:data:`PREDICTION_COLUMNS`), in
        the source's order.
    info : dict
        ``source_kind`` (``targeting_list`` or ``campaign_plan``),
        ``holdout_share``, ``stratify_by``, ``seed``, ``campaign_start``
        (ISO date or None), counts, and holdout counts by stratum.
    """

    customers: pd.DataFrame
    info: dict

    def import_table(self) -> pd.DataFrame:
        """What the marketing tool imports: the customers to contact (and their offer)."""
        columns = ["customer_id"] + (["offer"] if "offer" in self.customers else [])
        treated = self.customers[self.customers["treatment"] == 1]
        return treated[columns].reset_index(drop=True)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes (read in blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_campaign_source(path: str | os.PathLike) -> pd.DataFrame:
    """Read a targeting list or a campaign plan from CSV or Parquet.

    Raises
    ------
    FileNotFoundError, DataValidationError
        When the file is missing or is neither ``.csv`` nor ``.parquet``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"campaign list {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype={"customer_id": str, "segment": str, "offer": str})
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise DataValidationError(str(path), f"expected a .csv or .parquet file, found '{suffix}'")


def _source_kind(table: pd.DataFrame, where: str) -> str:
    if {"offer", "expected_uplift"} <= set(table.columns):
        missing = [c for c in _PLAN_COLUMNS if c not in table]
        if missing:
            raise DataValidationError(
                where, f"a campaign plan needs columns {_PLAN_COLUMNS}, missing {missing}"
            )
        return "campaign_plan"
    if {"score", "selected"} <= set(table.columns):
        return "targeting_list"
    raise DataValidationError(
        where,
        f"expected a targeting list (04: columns {_LIST_COLUMNS}) or a campaign plan "
        f"(09: columns {_PLAN_COLUMNS}), found columns {list(table.columns)}",
    )


def _selected(values: pd.Series, where: str) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy()
    mapped = values.map(
        lambda v: {True: True, False: False, "True": True, "False": False,
                   "true": True, "false": False, "1": True, "0": False}.get(v)
    )  # fmt: skip
    if mapped.isna().any():
        raise DataValidationError(
            where, "expected True/False (or 1/0)", column="selected",
            examples=values[mapped.isna()].unique()[:5].tolist(),
        )  # fmt: skip
    return mapped.astype(bool).to_numpy()


def draw_order(table: pd.DataFrame) -> np.ndarray:
    """Positions of a deployed list's rows in the order its seeded draws use.

    By the predictions (score, expected uplift, profit, value), best first;
    customers with equal predictions keep the list's order. Never by the
    customer id: a run without ``WORKBOOK_PSEUDONYM_KEY`` pseudonymizes with a
    random key, which renames and so reorders the ids, and the same params
    must give the same holdout and the same simulated outcomes. The list's
    order comes from the stage that wrote it and does not depend on the key.

    Examples
    --------
    >>> draw_order(pd.DataFrame({"customer_id": ["b", "a", "c"], "score": [0.2, 0.9, 0.2]}))
    array([1, 0, 2])
    """
    columns = list(_ORDER_COLUMNS.intersection(table.columns, sort=False))
    if not columns:
        return np.arange(len(table))
    ordered = table[columns].reset_index(drop=True)
    return ordered.sort_values(columns, ascending=False, kind="stable").index.to_numpy()


def holdout_mask(strata: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Draw a holdout of ``round(share * n_s)`` customers at random in each stratum ``s``.

    Parameters
    ----------
    strata : ndarray of int, shape (n,)
        Stratum code of each customer.
    share : float
        Holdout share, in (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of bool
        True for holdout customers. Within a stratum every subset of the
        stratum's holdout size is equally likely.

    Examples
    --------
    >>> mask = holdout_mask(np.array([0] * 10 + [1] * 20), 0.2, np.random.default_rng(0))
    >>> int(mask[:10].sum()), int(mask[10:].sum())
    (2, 4)
    """
    strata = np.asarray(strata)
    codes, inverse = np.unique(strata, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(codes))
    wanted = np.floor(share * counts + 0.5).astype(np.int64)
    keys = rng.random(len(strata))
    order = np.lexsort((keys, inverse))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(strata)) - starts[inverse[order]]
    mask = np.empty(len(strata), dtype=bool)
    mask[order] = rank < wanted[inverse[order]]
    return mask


def export_campaign(
    source: pd.DataFrame,
    *,
    holdout_share: float = 0.2,
    stratify_by: str = "auto",
    seed: int = 42,
    campaign_start: str | pd.Timestamp | None = None,
    where: str = "campaign list",
) -> CampaignExport:
    """Choose the customers to contact and draw the seeded, stratified holdout.

    Parameters
    ----------
    source : DataFrame
        A targeting list (04's ``targeting_list.csv``: only ``selected``
        customers are deployed) or a campaign plan (09's ``campaign_plan``:
        every row is deployed with its offer).
    holdout_share : float
        Share of the deployed customers kept as holdout, in (0, 1).
    stratify_by : str
        ``"auto"`` (``decile`` for a targeting list, ``offer`` for a plan),
        ``"none"``, or a column of ``source``.
    seed : int
        Seed of the draw; the draw does not depend on the order of the rows.
    campaign_start : date, optional
        First day of the campaign, kept in the record for the readout.
    where : str
        Name of the source in error messages (its file name).

    Returns
    -------
    CampaignExport

    Raises
    ------
    DataValidationError
        Unknown source layout, missing or duplicated customer ids, no selected
        customer, an unknown stratification column, or a holdout that would be
        empty.
    """
    if not (isinstance(holdout_share, int | float) and 0 < holdout_share < 1):
        raise DataValidationError(
            "parameter holdout_share",
            f"expected a share strictly between 0 and 1, found {holdout_share!r}",
        )
    kind = _source_kind(source, where)
    source = source.reset_index(drop=True)
    ids = source["customer_id"]
    if ids.isna().any():
        raise DataValidationError(
            where,
            f"expected a customer id on every row, found {int(ids.isna().sum())} missing",
            column="customer_id",
        )
    duplicated = ids[ids.duplicated(keep=False)]
    if len(duplicated):
        raise DataValidationError(
            where, f"expected each customer once, found {duplicated.nunique()} ids listed more than once "
            "(a customer cannot be both contacted and held out)",
            column="customer_id", examples=duplicated.unique()[:5].tolist(),
        )  # fmt: skip
    table = source
    if kind == "targeting_list":
        table = source[_selected(source["selected"], where)]
        if table.empty:
            raise DataValidationError(
                where,
                f"expected selected customers to deploy, found none of {len(source):,} selected",
                column="selected",
            )
    stratify = (
        {"targeting_list": "decile", "campaign_plan": "offer"}[kind]
        if stratify_by == "auto"
        else stratify_by
    )
    if stratify != "none" and stratify not in table:
        raise DataValidationError(
            "parameter stratify_by",
            f"expected 'auto', 'none' or a column of {where} ({list(source.columns)}), found {stratify!r}",
        )
    table = table.iloc[draw_order(table)]
    strata = (
        np.zeros(len(table), dtype=np.int64) if stratify == "none"
        else pd.factorize(table[stratify].astype(str), sort=True)[0]
    )  # fmt: skip
    holdout = holdout_mask(strata, float(holdout_share), np.random.default_rng(int(seed)))
    if not holdout.any():
        raise DataValidationError(
            where, f"expected at least one holdout customer, found none: {len(table)} customers x share "
            f"{holdout_share} rounds to 0 in every stratum; raise holdout_share or deploy more customers",
        )  # fmt: skip
    customers = pd.DataFrame(
        {
            "customer_id": table["customer_id"].astype(str).to_numpy(),
            "treatment": (~holdout).astype(np.int64),
            "stratum": "all" if stratify == "none" else table[stratify].astype(str).to_numpy(),
        },
        index=table.index,
    )
    for column in PREDICTION_COLUMNS:
        if column in table:
            customers[column] = table[column].to_numpy()
    customers = customers.sort_index().reset_index(drop=True)  # back to the source's order
    by_stratum = customers.groupby("stratum")["treatment"].agg(customers="size", treated="sum")
    by_stratum["holdout"] = by_stratum["customers"] - by_stratum["treated"]
    info = {
        "source_kind": kind,
        "holdout_share": float(holdout_share),
        "stratify_by": stratify,
        "seed": int(seed),
        "campaign_start": None
        if campaign_start is None
        else pd.Timestamp(campaign_start).date().isoformat(),
        "n_listed": len(source),
        "n_deployed": len(customers),
        "n_treated": int(customers["treatment"].sum()),
        "n_holdout": int((customers["treatment"] == 0).sum()),
        "by_stratum": {
            str(k): {c: int(v) for c, v in row.items()} for k, row in by_stratum.iterrows()
        },
    }
    return CampaignExport(customers=customers, info=info)


def _customers_digest(customers: dict) -> str:
    text = json.dumps(customers, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_record(
    export: CampaignExport, import_name: str, import_sha256: str, source: dict | None = None
) -> dict:
    """The export record as a JSON-ready dict (see :func:`write_campaign_export`)."""
    customers = {c: to_jsonable(export.customers[c].tolist()) for c in export.customers.columns}
    return {
        "format": RECORD_FORMAT,
        **export.info,
        "source": source or {},
        "import_file": {
            "name": import_name,
            "sha256": import_sha256,
            "rows": export.info["n_treated"],
        },
        "customers_sha256": _customers_digest(customers),
        "customers": customers,
    }


def _refuse_inputs(targets: dict[str, Path], inputs: list[Path]) -> None:
    resolved = {p.resolve() for p in inputs}
    for name, target in targets.items():
        if target.resolve() in resolved:
            raise DataValidationError(
                f"parameter {name}",
                f"expected a new file, found the input {target}: inputs are never written",
            )
    if targets["out"].resolve() == targets["record"].resolve():
        raise DataValidationError(
            "parameter record", "expected a path different from the import file's"
        )


def write_campaign_export(
    export: CampaignExport,
    out: str | os.PathLike,
    record: str | os.PathLike | None = None,
    *,
    inputs: tuple[str | os.PathLike, ...] = (),
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write the import file (CSV) and the export record (JSON), atomically.

    Parameters
    ----------
    export : CampaignExport
    out : path
        The import file (``.csv``).
    record : path, optional
        The export record; default ``<out without suffix>.export.json``.
    inputs : paths
        Input files; writing onto any of them is refused.
    overwrite : bool
        Replace an existing export record. Off by default: re-drawing the
        holdout of a list that was already deployed breaks its readout.

    Returns
    -------
    (Path, Path)
        The import file and the record.
    """
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise DataValidationError(
            "parameter out", f"expected a .csv import file, found '{out.name}'"
        )
    record = Path(record) if record is not None else out.with_name(f"{out.stem}.export.json")
    source_paths = [Path(p) for p in inputs]
    _refuse_inputs({"out": out, "record": record}, source_paths)
    if record.exists() and not overwrite:
        raise DataValidationError(
            str(record), "expected no export record here, found one: this list may already be deployed with "
            "its holdout; choose another path, or overwrite on purpose (--force)",
        )  # fmt: skip
    source = {
        "files": [{"name": p.name, "sha256": file_sha256(p)} for p in source_paths if p.is_file()]
    }
    with atomic_output(out) as import_tmp, atomic_output(record) as record_tmp:
        export.import_table().to_csv(import_tmp, index=False, lineterminator="\n")
        document = export_record(export, out.name, file_sha256(import_tmp), source)
        record_tmp.write_text(json.dumps(document, indent=1, allow_nan=False), encoding="utf-8")
    return out, record
