"""Loaders for the public marketing datasets, mapped onto the canonical tables.

- :func:`load_bank_marketing`: UCI Bank Marketing (phone campaign, label ``y``).
- :func:`load_hillstrom`: Kevin Hillstrom's MineThatData e-mail test (two
  treatment arms and a randomised control group).
- :func:`load_cdnow`: the CDNOW purchase log (dated transactions).

Each loader reads the file as published (see ``PUBLIC_DATASETS`` in
:mod:`marketing_utils.datasets.download` for where to get it), checks that the
expected columns and values are there, and raises
:class:`~marketing_utils.errors.DataValidationError` naming the file and column
otherwise. Values are kept as published (e.g. ``"unknown"`` categories and
``pdays = -1`` in Bank Marketing): cleaning decides what to do with them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ..schema import MarketingData
from .files import validate_raw_table

__all__ = ["load_bank_marketing", "load_cdnow", "load_hillstrom"]

# Column groups as documented in UCI's bank-names.txt / bank-additional-names.txt.
_BANK_CLIENT = ["age", "job", "marital", "education", "default", "balance", "housing", "loan"]
_BANK_CONTACT = [
    "contact",
    "day",
    "day_of_week",
    "month",
    "campaign",
    "pdays",
    "previous",
    "poutcome",
]
# Social and economic context at the time of the call (bank-additional only).
_BANK_CONTEXT = ["emp_var_rate", "cons_price_idx", "cons_conf_idx", "euribor3m", "nr_employed"]
_BANK_FULL = [
    "age",
    "job",
    "marital",
    "education",
    "default",
    "balance",
    "housing",
    "loan",
    "contact",
    "day",
    "month",
    "duration",
    "campaign",
    "pdays",
    "previous",
    "poutcome",
    "y",
]
_BANK_ADDITIONAL = [
    "age",
    "job",
    "marital",
    "education",
    "default",
    "housing",
    "loan",
    "contact",
    "month",
    "day_of_week",
    "duration",
    "campaign",
    "pdays",
    "previous",
    "poutcome",
    "emp_var_rate",
    "cons_price_idx",
    "cons_conf_idx",
    "euribor3m",
    "nr_employed",
    "y",
]

_HILLSTROM_CUSTOMER = [
    "recency",
    "history_segment",
    "history",
    "mens",
    "womens",
    "zip_code",
    "newbie",
    "channel",
]
_HILLSTROM_COLUMNS = [*_HILLSTROM_CUSTOMER, "segment", "visit", "conversion", "spend"]
_HILLSTROM_ARMS = {"Mens E-Mail": "mens", "Womens E-Mail": "womens", "No E-Mail": "control"}
_HILLSTROM_RESPONSES = ("visit", "conversion")

_CDNOW_COLUMNS = ["customer_id", "date", "number_of_cds", "dollar_value"]
#: The CDNOW cohort was followed until this day (Fader and Hardie).
CDNOW_OBSERVATION_END = "1998-06-30"


def _require_columns(frame: pd.DataFrame, expected: list[str], where: str) -> None:
    missing = [name for name in expected if name not in frame.columns]
    if missing:
        raise DataValidationError(
            where,
            f"expected the columns {expected}, found {list(frame.columns)}; {len(missing)} missing",
            column=missing[0],
            examples=missing,
        )


def _check_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(str(path), "expected an existing file, found none at this path")
    return path


def _row_ids(prefix: str, count: int) -> pd.Series:
    """Stable pseudo ids in file order: prefix-000001, prefix-000002, ..."""
    numbers = pd.Series(np.arange(1, count + 1)).astype("str").str.zfill(6)
    return (prefix + "-" + numbers).astype("str")


def _yes_no(values: pd.Series, where: str, column: str) -> pd.Series:
    mapped = values.map({"yes": 1, "no": 0})
    if mapped.isna().any():
        raise DataValidationError(
            where,
            "expected 'yes' or 'no' in every row",
            column=column,
            examples=values[mapped.isna()].drop_duplicates().head(5).tolist(),
        )
    return mapped.astype("int64")


def load_bank_marketing(
    path: str | os.PathLike, *, include_duration: bool = False
) -> MarketingData:
    """Load UCI Bank Marketing (``bank-full.csv`` or ``bank-additional-full.csv``).

    The variant is detected from the header: ``bank-full.csv`` (17 columns,
    with ``balance`` and ``day``) or ``bank-additional-full.csv`` (21 columns,
    with ``day_of_week`` and five economic indicators). Dots in column names
    become underscores (``emp.var.rate`` → ``emp_var_rate``).

    Parameters
    ----------
    path : str or path-like
        The ``;``-separated file as published by UCI.
    include_duration : bool, default False
        Keep ``duration``, the length of the call. It is only known after the
        call and all but decides the outcome (a 0-second call is always
        "no"), so it leaks the label; keep it only for benchmarks that say so.

    Returns
    -------
    MarketingData
        ``customers``: ``customer_id`` (``"bank-000001"``, … in file order: the
        data has no client id) and the client attributes (``age`` numeric,
        job, marital, education, default, balance, housing, loan).
        ``campaign``: ``customer_id``, ``treatment`` = 1 for everyone (every
        client was called; there is no control group), ``response`` (``y``:
        yes → 1, no → 0) and the contact attributes (contact, day or
        day_of_week, month, campaign, pdays, previous, poutcome, and the
        economic indicators of the additional variant). ``info`` holds the
        label, the excluded leaky columns and the variant.

    Raises
    ------
    DataValidationError
        If the file lacks a column of its variant or ``y`` is not yes/no.
    """
    path = _check_file(path)
    where = str(path)
    raw = pd.read_csv(path, sep=";", quotechar='"')
    raw.columns = [str(name).strip().replace(".", "_") for name in raw.columns]
    variant = "bank-additional" if "day_of_week" in raw.columns else "bank-full"
    _require_columns(raw, _BANK_ADDITIONAL if variant == "bank-additional" else _BANK_FULL, where)

    customer_id = _row_ids("bank", len(raw))
    client = [name for name in _BANK_CLIENT if name in raw.columns]
    customers = raw[client].assign(customer_id=customer_id)[["customer_id", *client]]
    contact = [name for name in [*_BANK_CONTACT, *_BANK_CONTEXT] if name in raw.columns]
    if include_duration:
        contact.append("duration")
    campaign = raw[contact].assign(
        customer_id=customer_id, treatment=1, response=_yes_no(raw["y"], where, "y")
    )[["customer_id", "treatment", "response", *contact]]

    info = {
        "label": "response",
        "leakage_excluded": [] if include_duration else ["duration"],
        "variant": variant,
        "note": (
            "Everyone was called (treatment = 1, no control group), so the data supports "
            "response models, not uplift. 'duration' is only known after the call and leaks "
            "the label; it is "
            + ("included on request." if include_duration else "left out.")
            + " pdays = "
            + ("999" if variant == "bank-additional" else "-1")
            + " means the client was not contacted before."
        ),
    }
    return MarketingData(
        customers=validate_raw_table(customers, "customers", where=where),
        campaign=validate_raw_table(campaign, "campaign", where=where),
        source="bank_marketing",
        info=info,
    )


def load_hillstrom(path: str | os.PathLike, *, response: str = "visit") -> MarketingData:
    """Load the Hillstrom MineThatData e-mail test (64,000 customers, three arms).

    Parameters
    ----------
    path : str or path-like
        The comma-separated file as published (CRLF line ends and a missing
        final newline are fine).
    response : {"visit", "conversion"}, default "visit"
        The outcome copied into the canonical ``response`` column.

    Returns
    -------
    MarketingData
        ``customers``: ``customer_id`` (``"hill-000001"``, … in file order) and
        recency, history_segment, history, mens, womens, zip_code, newbie,
        channel. ``campaign``: ``customer_id``, ``arm`` ("mens", "womens" or
        "control", from ``segment``), ``treatment`` (1 for either e-mail, 0 for
        no e-mail), ``response``, visit, conversion and ``spend``. ``info``
        names the arms, the control arm and the response column.

    Raises
    ------
    DataValidationError
        If ``response`` is not "visit" or "conversion", a column is missing or
        ``segment`` holds an unknown arm.
    """
    if response not in _HILLSTROM_RESPONSES:
        raise DataValidationError(
            "load_hillstrom",
            f"parameter 'response': expected one of {list(_HILLSTROM_RESPONSES)}, "
            f"found {response!r}",
        )
    path = _check_file(path)
    where = str(path)
    raw = pd.read_csv(path)
    raw.columns = [str(name).strip() for name in raw.columns]
    _require_columns(raw, _HILLSTROM_COLUMNS, where)
    arm = raw["segment"].map(_HILLSTROM_ARMS)
    if arm.isna().any():
        raise DataValidationError(
            where,
            f"expected one of {list(_HILLSTROM_ARMS)} in every row",
            column="segment",
            examples=raw.loc[arm.isna(), "segment"].drop_duplicates().head(5).tolist(),
        )

    customer_id = _row_ids("hill", len(raw))
    customers = raw[_HILLSTROM_CUSTOMER].assign(customer_id=customer_id)
    campaign = pd.DataFrame(
        {
            "customer_id": customer_id,
            "arm": arm.astype("str"),
            "treatment": (arm != "control").astype("int64"),
            "response": raw[response],
            "visit": raw["visit"],
            "conversion": raw["conversion"],
            "spend": raw["spend"],
        }
    )
    info = {
        "arms": list(_HILLSTROM_ARMS.values()),
        "control": "control",
        "response": response,
        "note": "Randomised test: arms 'mens' and 'womens' got an e-mail, 'control' none.",
    }
    return MarketingData(
        customers=validate_raw_table(
            customers[["customer_id", *_HILLSTROM_CUSTOMER]], "customers", where=where
        ),
        campaign=validate_raw_table(campaign, "campaign", where=where),
        source="hillstrom",
        info=info,
    )


def load_cdnow(path: str | os.PathLike) -> MarketingData:
    """Load the CDNOW purchase log (``CDNOW_master.txt``) as transactions.

    Parameters
    ----------
    path : str or path-like
        The whitespace-separated file with the header
        ``customer_id date number_of_cds dollar_value``.

    Returns
    -------
    MarketingData
        ``transactions`` only: ``customer_id`` (a string keeping its leading
        zeros), ``timestamp`` (from the ``YYYYMMDD`` date), ``order_id``
        (``"cdnow-000001"``, … one per row: the log has no order id, and one
        customer can have several rows on one day), ``quantity`` (number of
        CDs), ``amount`` (dollar value) and ``unit_price`` = amount / quantity
        where quantity > 0, else NaN. Zero-amount rows are kept.
        ``info["observation_end"]`` is ``"1998-06-30"``.

    Raises
    ------
    DataValidationError
        If a column is missing or a date or number does not parse.
    """
    path = _check_file(path)
    where = str(path)
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": "str", "date": "str"})
    _require_columns(raw, _CDNOW_COLUMNS, where)
    timestamp = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
    if timestamp.isna().any():
        raise DataValidationError(
            where,
            "expected dates as YYYYMMDD in every row",
            column="date",
            examples=raw.loc[timestamp.isna(), "date"].head(5).tolist(),
        )
    for column in ("number_of_cds", "dollar_value"):
        if not pd.api.types.is_numeric_dtype(raw[column]):
            raise DataValidationError(
                where,
                "expected numbers in every row",
                column=column,
                examples=raw.loc[pd.to_numeric(raw[column], errors="coerce").isna(), column]
                .head(5)
                .tolist(),
            )
    quantity = raw["number_of_cds"].astype("float64")
    amount = raw["dollar_value"].astype("float64")
    transactions = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "timestamp": timestamp,
            "order_id": _row_ids("cdnow", len(raw)),
            "quantity": quantity,
            "unit_price": (amount / quantity).where(quantity > 0),
            "amount": amount,
        }
    )
    return MarketingData(
        transactions=validate_raw_table(transactions, "transactions", where=where),
        source="cdnow",
        info={"observation_end": CDNOW_OBSERVATION_END},
    )
