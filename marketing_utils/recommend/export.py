"""Hand-offs: the recommendation list and the "whom to contact with what" plan.

The recommendation export has one row per customer and offer (pseudonymized
id, rank, product, score). When stage 04 has written its targeting list, the
contact plan joins the two: every customer 04 selects for the campaign, with
the best ``offers_per_customer`` products to put in the message.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "TARGETING_LIST_FILE",
    "contact_plan",
    "read_targeting_list",
    "write_csv",
]

#: Where stage 04 writes its targeting list, relative to the run directory.
TARGETING_LIST_FILE = Path("artifacts") / "targeting_list.csv"

_TARGETING_COLUMNS = ("customer_id", "score", "decile", "selected")


def read_targeting_list(run_dir: str | Path) -> pd.DataFrame | None:
    """Stage 04's targeting list of this run, or ``None`` when 04 has not written one."""
    path = Path(run_dir) / TARGETING_LIST_FILE
    if not path.exists():
        return None
    table = pd.read_csv(path, dtype={"customer_id": "str", "segment": "str"})
    missing = [c for c in _TARGETING_COLUMNS if c not in table.columns]
    if missing:
        raise DataValidationError(
            str(path),
            f"expected the columns {', '.join(_TARGETING_COLUMNS)} of stage 04's targeting list, "
            f"found {', '.join(table.columns)}",
            column=missing[0],
        )
    return table


def contact_plan(
    recommendations: pd.DataFrame,
    targeting: pd.DataFrame,
    *,
    offers_per_customer: int = 3,
    selected_only: bool = True,
) -> tuple[pd.DataFrame, dict]:
    """Whom to contact (stage 04) with what (this stage's top products).

    Parameters
    ----------
    recommendations : DataFrame
        ``customer_id``, ``rank``, ``product_id``, ``score``, ``source``.
    targeting : DataFrame
        Stage 04's list: ``customer_id``, ``score`` (propensity), ``decile``,
        ``selected`` and optionally ``segment``.
    offers_per_customer : int
        Products per contacted customer.
    selected_only : bool
        Keep only the customers 04 selected.

    Returns
    -------
    (DataFrame, dict)
        The plan, one row per customer and offer, best customers first:
        ``customer_id``, ``propensity``, ``decile``, ``selected``,
        ``offer_rank``, ``product_id``, ``offer_score``, ``offer_source``;
        and counts: customers in the plan, and targeted customers without
        any recommendation (not known at the cutoff), who stay in the plan
        with an empty offer.
    """
    if isinstance(offers_per_customer, bool) or offers_per_customer < 1:
        raise DataValidationError(
            "params recommendations.offers_per_customer",
            f"expected an integer >= 1, found {offers_per_customer!r}",
        )
    targets = targeting
    if selected_only:
        targets = targets[targets["selected"].astype(bool)]
    targets = targets.rename(columns={"score": "propensity"})
    columns = ["customer_id", "propensity", "decile", "selected"]
    columns += ["segment"] if "segment" in targets.columns else []
    offers = recommendations[recommendations["rank"] <= offers_per_customer].rename(
        columns={"rank": "offer_rank", "score": "offer_score", "source": "offer_source"}
    )
    plan = targets[columns].merge(offers, on="customer_id", how="left")
    plan = plan.sort_values(
        ["propensity", "customer_id", "offer_rank"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    without = int(plan.loc[plan["product_id"].isna(), "customer_id"].nunique())
    counts = {
        "customers": int(plan["customer_id"].nunique()),
        "offers": int(plan["product_id"].notna().sum()),
        "customers_without_offers": without,
    }
    return plan, counts


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV without index, creating the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.6f")
    return path
