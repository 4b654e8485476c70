"""Join the outcomes to the exported list, counting every exclusion in a ledger.

Every exported customer ends up in exactly one place: counted as treated,
counted as holdout, or excluded with a reason; every outcome row is either
joined or excluded with a reason. Nothing is dropped without a line in the
ledger, and the counts add up (:func:`join_outcomes` checks it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .export import CampaignExport
from .io import check_outcomes

__all__ = ["MISSING_OUTCOMES", "join_outcomes"]

#: What to do with exported customers that have no outcome row.
MISSING_OUTCOMES = ("not_converted", "exclude")


def join_outcomes(
    export: CampaignExport,
    outcomes: pd.DataFrame,
    *,
    campaign_start: str | pd.Timestamp | None = None,
    missing_outcomes: str = "not_converted",
    where: str = "outcomes",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The exported customers with their outcomes, and the ledger of what was excluded.

    Parameters
    ----------
    export : CampaignExport
        From :func:`read_export_record` (or :func:`export_campaign`).
    outcomes : DataFrame
        Outcomes; checked and put in canonical form by :func:`check_outcomes`.
    campaign_start : date, optional
        Default: the record's. Outcomes dated before it are excluded (the
        campaign cannot have caused them); needs a start when dates are given.
    missing_outcomes : {"not_converted", "exclude"}
        Exported customers without an outcome row: counted as not converted
        (an outcomes file that lists only conversions), or excluded.
    where : str
        Name of the outcomes file in messages.

    Returns
    -------
    joined : DataFrame
        One row per counted customer: the export's columns plus
        ``converted``, ``revenue``, ``date``.
    ledger : DataFrame
        ``table`` (``exported customers`` or ``outcome rows``), ``line`` and
        ``count``; within each table the exclusions and the counted rows add
        up to the total line.

    Raises
    ------
    DataValidationError
        Duplicated ids in the outcomes; no outcome row for any holdout
        customer; outcome dates without a campaign start; no treated or no
        holdout customer left to compare.
    """
    if missing_outcomes not in MISSING_OUTCOMES:
        raise DataValidationError(
            "parameter missing_outcomes",
            f"expected one of {MISSING_OUTCOMES}, found {missing_outcomes!r}",
        )
    outcomes = check_outcomes(outcomes, where)
    ids = outcomes["customer_id"]
    duplicated = ids[ids.duplicated(keep=False)]
    if len(duplicated):
        raise DataValidationError(
            where, f"expected one row per customer, found {duplicated.nunique()} ids on more than one row "
            f"({len(duplicated)} rows); sum each customer's conversions and revenue first",
            column="customer_id", examples=duplicated.unique()[:5].tolist(),
        )  # fmt: skip
    customers = export.customers
    exported = set(customers["customer_id"])
    known = ids.isin(exported).to_numpy()
    holdout_ids = set(customers.loc[customers["treatment"] == 0, "customer_id"])
    n_holdout_rows = int(ids.isin(holdout_ids).sum())
    if holdout_ids and n_holdout_rows == 0:
        raise DataValidationError(
            where, f"expected outcomes of the holdout customers too, found none of the {len(holdout_ids):,} "
            "holdout ids: without them there is nothing to compare the contacted customers with (measure the "
            "holdout's conversions in the order system, not in the campaign tool)",
        )  # fmt: skip
    start = campaign_start if campaign_start is not None else export.info.get("campaign_start")
    dated = outcomes["date"].notna()
    if dated.any() and start is None:
        raise DataValidationError(
            "parameter campaign_start", "expected the campaign's first day to check the outcome dates, found none "
            "(neither given nor in the export record)",
        )  # fmt: skip
    too_early = (
        (dated & (outcomes["date"] < pd.Timestamp(start))).to_numpy()
        if start is not None
        else np.zeros(len(outcomes), bool)
    )
    usable = outcomes[known & ~too_early]
    joined = customers.merge(usable, on="customer_id", how="left", validate="one_to_one")
    early_ids = set(outcomes.loc[known & too_early, "customer_id"])
    is_early = joined["customer_id"].isin(early_ids).to_numpy()
    no_row = joined["converted"].isna().to_numpy() & ~is_early
    keep = ~is_early & (~no_row if missing_outcomes == "exclude" else True)
    joined = (
        joined[keep]
        .assign(
            converted=lambda t: t["converted"].fillna(0).astype(np.int64),
            revenue=lambda t: t["revenue"].fillna(0.0).astype(float),
        )
        .reset_index(drop=True)
    )
    n_treated = int((joined["treatment"] == 1).sum())
    n_holdout = len(joined) - n_treated
    lines = [
        ("exported customers", "exported", len(customers)),
        ("exported customers", "excluded: outcome dated before the campaign start", int(is_early.sum())),
        ("exported customers", "excluded: no outcome row", int(no_row.sum()) if missing_outcomes == "exclude" else 0),
        ("exported customers", "counted: treated (contacted)", n_treated),
        ("exported customers", "counted: holdout", n_holdout),
        ("exported customers", "of which without an outcome row, counted as not converted",
         int(no_row.sum()) if missing_outcomes == "not_converted" else 0),
        ("outcome rows", "read", len(outcomes)),
        ("outcome rows", "excluded: customer never exported", int((~known).sum())),
        ("outcome rows", "excluded: dated before the campaign start", int((known & too_early).sum())),
        ("outcome rows", "joined", len(usable)),
    ]  # fmt: skip
    ledger = pd.DataFrame(lines, columns=["table", "line", "count"])
    counts = dict(zip(ledger["line"], ledger["count"], strict=True))
    assert counts["exported"] == sum(
        v
        for k, v in counts.items()
        if k.startswith(("excluded: outcome dated", "excluded: no outcome", "counted:"))
    ), "every exported customer is counted once"
    if n_treated == 0 or n_holdout == 0:
        group = "treated" if n_treated == 0 else "holdout"
        raise DataValidationError(
            where, f"expected both treated and holdout customers after the exclusions, found no {group} customer "
            f"(ledger: {counts})",
        )  # fmt: skip
    return joined, ledger
