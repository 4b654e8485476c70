"""Cleaning with an exact ledger.

:func:`clean_data` removes or repairs rows of every table and counts each row
under exactly one reason in a ledger, so that for every table
``rows_in == rows_kept + sum(removed)`` holds exactly (it is checked on every
call). Nothing is dropped silently.

Transactions rules, applied in this order; a row with several defects is
counted under the *first* rule that removes it:

1. ``duplicate_rows``: exact duplicates over all columns (the first is kept).
2. ``missing_customer_id``: customer id missing or blank.
3. ``unknown_customer``: id not in the customers table (when there is one).
4. ``missing_timestamp``: timestamp missing.
5. ``future_dated``: timestamp after the observation end (that day included).
6. ``invalid_amount``: amount (or unit price) infinite, or 1e15 or more in
   absolute value: an error upstream (a division by zero, a code read as
   money), never spend.
7. ``return_or_cancellation``: quantity < 0, amount < 0 or ``is_cancelled``;
   these rows are moved, unchanged, to :attr:`CleanResult.returns` (for a
   returns-rate feature) and never counted as spend. A negative amount whose
   unit price is negative (and quantity not negative) is not a return but a
   price error, left to rule 8: nothing came back, the price is wrong.
   Return lines keep their raw category labels (use :func:`normalize_category`).
8. ``nonpositive_price``: unit price <= 0, or amount == 0 when the table has
   no unit price column (free lines say nothing about spend).
9. ``missing_amount``: amount missing.

Rows that are kept but changed (counted separately, not subtracted):

* ``category_label_normalized``: the label changes under strip, collapse of
  inner whitespace and lowercase ("  Home  Garden" -> "home garden").
* ``extreme_quantity_capped``: a quantity above ``outlier_multiplier`` times
  the ``outlier_quantile`` quantile ``q`` of the sale rows left after rules
  1-9 is capped at ``q`` and the amount recomputed as ``q * unit_price``
  (without a unit price: the line's amount / quantity). With the defaults:
  capped at the 0.99 quantile when above 10x it; rows are kept. A return or
  cancellation line above the same limit is capped the same way (sign kept),
  so a capped purchase and its cancellation stay in proportion.

Customers: a missing id removes the row (``missing_customer_id``); a
duplicated id is a load error (:class:`DataValidationError`). Missing cells are
counted as ``missing_<column>``: income gets the median, and region, gender and
channel get the explicit label ``"unknown"`` rather than the mode, because a
mode would hide the missingness inside the largest group, while ``"unknown"``
keeps it visible to segment profiles and lets a model learn from it. Missing
birth and signup dates are left missing and counted with action ``"kept"``: an
imputed date would put every such customer at the same made-up age or tenure,
so the modelling pipeline imputes the derived feature instead (fitted on the
training data only) and can add a missing-value indicator.

A customers table that carries its own outcome (``info["outcome"]``, from
``data.customers.outcome`` in the params) loses the customers whose outcome is
missing or blank (``missing_outcome``, removed: a customer without an outcome
can be neither learnt from nor evaluated). Extra columns of numbers exported as
text (``" "`` or ``"n/a"`` among ``"29.85"``) become numbers: their blank cells
are counted as ``missing_<column>`` (kept missing) and their non-numeric cells
as ``non_numeric_<column>`` (changed to missing), never a category
(:func:`marketing_utils.preprocess.roles.parse_numeric_text`).

Campaign: rows without a customer id are removed; treatment and response must
be 0/1. Products: category labels are normalized like transactions.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.preprocess._features_frames import AMOUNT_BOUND
from marketing_utils.preprocess.ledger import (
    LEDGER_COLUMNS,
    TableLedger,
    ledger_summary,
    ledger_waterfall_data,
)
from marketing_utils.preprocess.outcome import missing_outcome
from marketing_utils.preprocess.roles import parse_numeric_text
from marketing_utils.schema import PII_COLUMNS, TABLE_COLUMNS, MarketingData

__all__ = [
    "CleanResult",
    "clean_data",
    "ledger_summary",
    "ledger_waterfall_data",
    "normalize_category",
]

UNKNOWN_LABEL = "unknown"
IMPUTE_STRATEGIES = ("median_unknown", "median_mode", "none")
_CUSTOMER_NUMERIC = ("income",)
_CUSTOMER_CATEGORICAL = ("region", "gender", "channel")
_CUSTOMER_DATES = ("birth_date", "signup_date")
_CUSTOMER_ORDER = ("income", "region", "gender", "birth_date", "signup_date", "channel")


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean_data` returns.

    Attributes
    ----------
    data : MarketingData
        The clean tables (same source, ``info`` gains ``observation_end``).
    returns : pandas.DataFrame
        Return and cancellation lines, unchanged, with the transactions columns.
    ledger : pandas.DataFrame
        Columns ``table, reason, action, rows``. Actions: ``"in"`` (the
        ``rows_in`` row), ``"removed"``, ``"changed"`` and ``"kept"`` (the
        ``rows_kept`` row, and cells counted but deliberately left missing).
    warnings : list of str
        What the ledger alone would hide: more than 5% of the transaction
        rows removed as unknown customers (with the likely cause: ids that
        match after ignoring spaces, leading zeros or Unicode forms, shown
        masked), or a products table naming under half the products sold.
    """

    data: MarketingData
    returns: pd.DataFrame
    ledger: pd.DataFrame
    warnings: list[str] = dataclasses.field(default_factory=list)


#: Share of transaction rows removed as unknown customers above which cleaning warns.
UNKNOWN_CUSTOMER_WARN_SHARE = 0.05


def _id_variants() -> tuple[tuple[str, Callable[[pd.Series], pd.Series]], ...]:
    return (
        ("surrounding spaces", lambda ids: ids.str.strip()),
        ("leading zeros", lambda ids: ids.str.strip().str.lstrip("0")),
        (
            "Unicode forms or letter case",
            lambda ids: ids.map(lambda v: unicodedata.normalize("NFKC", v).strip().casefold()),
        ),
    )


def _unknown_customers_warning(
    ids: pd.Series, unknown: pd.Series, customer_ids: pd.Series, rows_in: int
) -> str | None:
    """A warning when many rows name customers the customers table lacks, with the likely cause."""
    removed = int(unknown.sum())
    if rows_in == 0 or removed / rows_in <= UNKNOWN_CUSTOMER_WARN_SHARE:
        return None
    from ..privacy import mask_value

    message = (
        f"transactions: {removed} of {rows_in} rows ({removed / rows_in:.0%}) were removed as "
        "unknown customers (their id is not in the customers table)"
    )
    lost = pd.Series(ids[unknown].dropna().astype("str").unique())
    known = customer_ids.dropna().astype("str")
    for cause, variant in _id_variants():
        table = dict(zip(variant(known), known, strict=True))
        matched = lost[variant(lost).isin(table.keys())]
        if len(matched):
            example = matched.iloc[0]
            twin = table[variant(pd.Series([example])).iloc[0]]
            return (
                f"{message}; {len(matched)} of those ids match a customer once {cause} are "
                f"ignored (e.g. {mask_value(example)!r} and {mask_value(twin)!r}, masked): "
                "make the ids identical in both files"
            )
    return f"{message}; check that both files come from the same export"


def _split_ids_warning(ids: pd.Series) -> str | None:
    """A warning when transaction ids differ only by spaces, leading zeros or case.

    ``"000005 "``, ``"000005"`` and ``"5"`` are three customers to the
    workbook: it never merges ids on a guess, but says so, since an export
    that writes one customer's id in several ways splits their history.
    """
    distinct = pd.Series(ids.dropna().astype("str").unique())
    if len(distinct) < 2:
        return None
    from ..privacy import mask_value

    for cause, variant in _id_variants():
        variants = variant(distinct)
        clashing = variants.duplicated(keep=False)
        if clashing.any():
            groups = int(variants[clashing].nunique())
            first = variants[clashing].iloc[0]
            pair = distinct[variants == first].iloc[:2].tolist()
            return (
                f"transactions: {groups} customer(s) appear under ids that differ only by "
                f"{cause} (e.g. {mask_value(pair[0])!r} and {mask_value(pair[1])!r}, masked); "
                "they count as different customers: make each customer's id identical "
                "throughout the export"
            )
    return None


def _products_overlap_warning(transactions: pd.DataFrame, products: pd.DataFrame) -> str | None:
    """A warning when the products table describes few of the products sold."""
    if "product_id" not in transactions or "product_id" not in products:
        return None
    sold = pd.Series(transactions["product_id"].dropna().astype("str").unique())
    if not len(sold):
        return None
    listed = sold.isin(products["product_id"].dropna().astype("str"))
    if listed.mean() >= 0.5:
        return None
    return (
        f"products: {int(listed.sum())} of the {len(sold)} product ids in the transactions "
        f"({listed.mean():.0%}) are in the products table; expected most of them: check that "
        "both files use the same product ids (e.g. the same column of the export)"
    )


def normalize_category(series: pd.Series) -> pd.Series:
    """Strip, collapse inner whitespace and lowercase labels; missing stays missing.

    Parameters
    ----------
    series : pandas.Series
        Category labels (non-string values are turned into strings first).

    Returns
    -------
    pandas.Series
        A new series of the normalized labels, same index and name.

    Examples
    --------
    >>> normalize_category(pd.Series(["  Home   Garden ", "TOYS", None])).tolist()
    ['home garden', 'toys', nan]
    """
    labels = series.astype("str")
    return labels.str.strip().str.replace(r"\s+", " ", regex=True).str.lower()


def _blank(series: pd.Series) -> pd.Series:
    """Missing, or a string that is empty once stripped."""
    return series.isna() | series.astype("str").str.strip().eq("")


def _flag(series: pd.Series, where: str, *, allow_missing: bool) -> pd.Series:
    """A 0/1 or boolean column as booleans, or a DataValidationError."""
    present = series.dropna()
    bad = present[~present.isin([0, 1])]
    if len(bad) or (not allow_missing and len(present) < len(series)):
        examples = bad.head().tolist() if len(bad) else ["<missing>"]
        raise DataValidationError(
            where,
            f"expected only 0/1 (or True/False) values, found {len(bad)} other values "
            f"and {len(series) - len(present)} missing",
            column=series.name,
            examples=examples,
        )
    return series.eq(1).fillna(False).astype(bool)


def _require(table: pd.DataFrame, where: str, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise DataValidationError(
            where,
            f"expected columns {list(columns)}, missing {missing}; found {list(table.columns)}",
        )


def _normalize_categories(table: pd.DataFrame, ledger: TableLedger) -> pd.DataFrame:
    if "category" not in table:
        ledger.add("category_label_normalized", "changed", 0)
        return table
    labels = table["category"]
    normalized = normalize_category(labels)
    changed = labels.notna() & normalized.ne(labels.astype("str"))
    ledger.add("category_label_normalized", "changed", int(changed.sum()))
    return table.assign(category=normalized)


def _future_cutoff(observation_end: pd.Timestamp, timestamps: pd.Series) -> pd.Timestamp:
    """First instant after the observation end day, in the timestamps' time zone."""
    cutoff = observation_end.normalize() + pd.Timedelta(days=1)
    zone = getattr(timestamps.dtype, "tz", None)
    if zone is not None and cutoff.tzinfo is None:
        return cutoff.tz_localize(zone)
    if zone is None and cutoff.tzinfo is not None:
        return cutoff.tz_convert(None)
    return cutoff


def _clean_transactions(
    transactions: pd.DataFrame,
    customer_ids: pd.Series | None,
    observation_end: pd.Timestamp,
    outlier_quantile: float,
    outlier_multiplier: float,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    where = "transactions"
    _require(transactions, where, ("customer_id", "timestamp", "amount"))
    if not pd.api.types.is_datetime64_any_dtype(transactions["timestamp"]):
        raise DataValidationError(
            where,
            f"expected datetime64 values, found dtype {transactions['timestamp'].dtype}",
            column="timestamp",
            examples=transactions["timestamp"].head().tolist(),
        )
    ledger = TableLedger(where, len(transactions))
    remaining = transactions

    def remove(reason: str, mask: pd.Series) -> pd.DataFrame:
        # Masks are computed on the rows still remaining, so first rule wins.
        nonlocal remaining
        mask = mask.fillna(False).astype(bool)
        ledger.add(reason, "removed", int(mask.sum()))
        removed, remaining = remaining[mask], remaining[~mask]
        return removed

    remove("duplicate_rows", remaining.duplicated(keep="first"))
    remove("missing_customer_id", _blank(remaining["customer_id"]))
    warning = None
    if customer_ids is not None:
        known = remaining["customer_id"].astype("str").isin(customer_ids.astype("str"))
        warning = _unknown_customers_warning(
            remaining["customer_id"], ~known, customer_ids, len(transactions)
        )
        remove("unknown_customer", ~known)
    else:
        ledger.add("unknown_customer", "removed", 0)
    warning = warning or _split_ids_warning(remaining["customer_id"])
    remove("missing_timestamp", remaining["timestamp"].isna())
    cutoff = _future_cutoff(observation_end, remaining["timestamp"])
    remove("future_dated", remaining["timestamp"] >= cutoff)
    invalid = remaining["amount"].abs().ge(AMOUNT_BOUND)
    if "unit_price" in remaining:
        # Capping recomputes an amount from the unit price: it must be usable too.
        invalid |= remaining["unit_price"].abs().ge(AMOUNT_BOUND)
    remove("invalid_amount", invalid)

    is_return = remaining["amount"].lt(0)
    if "unit_price" in remaining:
        # A negative amount from a negative unit price is a price error (rule 8).
        is_return &= ~remaining["unit_price"].lt(0)
    if "quantity" in remaining:
        is_return |= remaining["quantity"].lt(0)
    if "is_cancelled" in remaining:
        is_return |= _flag(remaining["is_cancelled"], where, allow_missing=True)
    returns = remove("return_or_cancellation", is_return).reset_index(drop=True)
    if "unit_price" in remaining:
        remove("nonpositive_price", remaining["unit_price"].le(0))
    else:
        remove("nonpositive_price", remaining["amount"].eq(0))
    remove("missing_amount", remaining["amount"].isna())

    sales = _normalize_categories(remaining, ledger)
    capped = 0
    if "quantity" in sales:
        sales, capped, cap = _cap_quantity(sales, outlier_quantile, outlier_multiplier)
        if capped and "quantity" in returns:
            # A capped purchase's cancellation is capped with it (same cap, sign kept),
            # or the return would outweigh every purchase left.
            returns, capped_returns = _cap_returns(returns, outlier_multiplier * cap, cap)
            capped += capped_returns
    ledger.add("extreme_quantity_capped", "changed", capped)

    sales = sales.reset_index(drop=True)
    return sales, returns, ledger.finish(len(sales)), warning


def _cap_quantity(
    sales: pd.DataFrame, outlier_quantile: float, outlier_multiplier: float
) -> tuple[pd.DataFrame, int]:
    quantity = sales["quantity"].astype("float64")
    cap = quantity.quantile(outlier_quantile) if quantity.notna().any() else np.nan
    # A zero cap would flag every positive quantity; there is nothing to cap against.
    if not np.isfinite(cap) or cap <= 0:
        return sales, 0, cap
    extreme = quantity.gt(outlier_multiplier * cap)
    if not extreme.any():
        return sales, 0, cap
    if "unit_price" in sales:
        unit_price = sales["unit_price"].astype("float64")
        unit_price = unit_price.fillna(sales["amount"] / quantity)
    else:
        unit_price = sales["amount"] / quantity
    capped = sales.assign(
        quantity=quantity.mask(extreme, cap),
        amount=sales["amount"].astype("float64").mask(extreme, cap * unit_price),
    )
    return capped, int(extreme.sum()), cap


def _cap_returns(returns: pd.DataFrame, limit: float, cap: float) -> tuple[pd.DataFrame, int]:
    """Return lines whose quantity exceeds ``limit`` in size get ``-cap`` (amount rescaled)."""
    quantity = returns["quantity"].astype("float64")
    extreme = quantity.abs().gt(limit)
    if not extreme.any():
        return returns, 0
    scale = cap / quantity.abs()
    capped = returns.assign(
        quantity=quantity.mask(extreme, np.sign(quantity) * cap),
        amount=returns["amount"].astype("float64").mask(extreme, returns["amount"] * scale),
    )
    return capped, int(extreme.sum())


def _clean_customers(
    customers: pd.DataFrame, impute: str, outcome: str | None = None
) -> tuple[pd.DataFrame, list[dict]]:
    where = "customers"
    _require(customers, where, ("customer_id",) + ((outcome,) if outcome else ()))
    ledger = TableLedger(where, len(customers))
    no_id = _blank(customers["customer_id"])
    ledger.add("missing_customer_id", "removed", int(no_id.sum()))
    kept = customers[~no_id]
    if outcome is not None:
        no_outcome = missing_outcome(kept[outcome])
        ledger.add("missing_outcome", "removed", int(no_outcome.sum()))
        kept = kept[~no_outcome]
    duplicated = kept["customer_id"].duplicated(keep=False)
    if duplicated.any():
        raise DataValidationError(
            where,
            f"expected one row per customer, found {int(duplicated.sum())} rows sharing "
            f"{kept.loc[duplicated, 'customer_id'].nunique()} ids (a load error, not cleaning)",
            column="customer_id",
            examples=kept.loc[duplicated, "customer_id"].unique()[:5].tolist(),
        )
    repaired = {}
    for column in _CUSTOMER_ORDER:
        if column not in kept:
            continue
        values = kept[column]
        missing = _blank(values) if column in _CUSTOMER_CATEGORICAL else values.isna()
        fill = None
        if impute != "none" and column in _CUSTOMER_NUMERIC:
            if not pd.api.types.is_numeric_dtype(values):
                raise DataValidationError(
                    where,
                    f"expected numbers, found dtype {values.dtype}",
                    column=column,
                    examples=values.dropna().head().tolist(),
                )
            fill = values.median()
        elif impute != "none" and column in _CUSTOMER_CATEGORICAL:
            modes = values[~missing].mode()
            use_mode = impute == "median_mode" and len(modes)
            fill = modes.iloc[0] if use_mode else UNKNOWN_LABEL
        # "kept": counted but left missing (dates, impute="none", or nothing to impute from).
        imputes = fill is not None and not pd.isna(fill)
        ledger.add(f"missing_{column}", "changed" if imputes else "kept", int(missing.sum()))
        if imputes and missing.any():
            repaired[column] = values.mask(missing, fill)
    canonical = {name for name, _, _ in TABLE_COLUMNS["customers"]} | set(PII_COLUMNS)
    for column in kept.columns:
        if column in canonical or column == outcome:
            continue
        parsed = parse_numeric_text(kept[column])
        if parsed is None:
            continue
        repaired[column], blank, non_numeric = parsed
        ledger.add(f"missing_{column}", "kept", blank)
        ledger.add(f"non_numeric_{column}", "changed", non_numeric)
    clean = kept.assign(**repaired).reset_index(drop=True)
    return clean, ledger.finish(len(clean))


def _clean_campaign(campaign: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    where = "campaign"
    _require(campaign, where, ("customer_id", "treatment", "response"))
    ledger = TableLedger(where, len(campaign))
    no_id = _blank(campaign["customer_id"])
    ledger.add("missing_customer_id", "removed", int(no_id.sum()))
    kept = campaign[~no_id]
    flags = {
        column: _flag(kept[column], where, allow_missing=False).astype("int64")
        for column in ("treatment", "response")
    }
    clean = kept.assign(**flags).reset_index(drop=True)
    return clean, ledger.finish(len(clean))


def _clean_products(products: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    ledger = TableLedger("products", len(products))
    clean = _normalize_categories(products, ledger).reset_index(drop=True)
    return clean, ledger.finish(len(clean))


def _resolve_observation_end(observation_end, info: dict) -> pd.Timestamp:
    value = observation_end if observation_end is not None else info.get("observation_end")
    if value is None:
        return pd.Timestamp.now()
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            "observation_end", f"expected a date, found {value!r} ({error})"
        ) from None


def clean_data(
    data: MarketingData,
    *,
    observation_end=None,
    outlier_quantile: float = 0.99,
    outlier_multiplier: float = 10.0,
    impute: str = "median_unknown",
) -> CleanResult:
    """Clean every table and count each removed or changed row in a ledger.

    The rules and their order are listed in the module docstring. The input
    is never modified.

    Parameters
    ----------
    data : MarketingData
        Loaded (raw) tables; extra source-specific columns are kept.
    observation_end : date-like, optional
        Last day of observation (included). Defaults to
        ``data.info["observation_end"]``, else the time of cleaning.
    outlier_quantile : float, default 0.99
        Quantile of sale quantities used as the cap (strictly between 0 and 1).
    outlier_multiplier : float, default 10.0
        A quantity is capped when above this multiple of the quantile.
    impute : {"median_unknown", "median_mode", "none"}, default "median_unknown"
        Customer attributes: median income and the label ``"unknown"`` for
        missing categories; or the most frequent label instead of
        ``"unknown"``; or no imputation (missing cells are still counted).

    Returns
    -------
    CleanResult
        Clean tables, the return lines and the ledger.

    Raises
    ------
    DataValidationError
        Missing required columns, duplicated customer ids, a timestamp column
        that is not datetime, or treatment/response values other than 0/1.
    RuntimeError
        If the ledger does not add up (a bug, never expected).
    """
    for valid, expected, found in (
        (0 < outlier_quantile < 1, "0 < outlier_quantile < 1", outlier_quantile),
        (outlier_multiplier >= 1, "outlier_multiplier >= 1", outlier_multiplier),
        (impute in IMPUTE_STRATEGIES, f"impute in {IMPUTE_STRATEGIES}", impute),
    ):
        if not valid:
            raise DataValidationError("clean_data", f"expected {expected}, found {found!r}")
    end = _resolve_observation_end(observation_end, data.info)
    changes: dict[str, pd.DataFrame | dict] = {}
    ledger_rows: list[dict] = []
    warnings: list[str] = []
    customer_ids = None
    if data.customers is not None:
        outcome = (data.info.get("outcome") or {}).get("column")
        changes["customers"], rows = _clean_customers(data.customers, impute, outcome)
        customer_ids = changes["customers"]["customer_id"]
        ledger_rows += rows
    returns = pd.DataFrame(columns=[name for name, _, _ in TABLE_COLUMNS["transactions"]])
    if data.transactions is not None:
        changes["transactions"], returns, rows, warning = _clean_transactions(
            data.transactions, customer_ids, end, outlier_quantile, outlier_multiplier
        )
        ledger_rows += rows
        warnings += [warning] if warning else []
    if data.products is not None:
        changes["products"], rows = _clean_products(data.products)
        ledger_rows += rows
        if data.transactions is not None:
            warning = _products_overlap_warning(data.transactions, data.products)
            warnings += [warning] if warning else []
    if data.campaign is not None:
        changes["campaign"], rows = _clean_campaign(data.campaign)
        ledger_rows += rows
    changes["info"] = {**data.info, "observation_end": end.date().isoformat()}
    ledger = pd.DataFrame(ledger_rows, columns=LEDGER_COLUMNS).astype({"rows": "int64"})
    return CleanResult(
        data=data.replace(**changes), returns=returns, ledger=ledger, warnings=warnings
    )
