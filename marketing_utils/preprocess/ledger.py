"""The cleaning ledger: every removed or changed row, counted by reason.

For every table ``rows_in == rows_kept + sum(removed)`` holds exactly;
:class:`TableLedger` refuses to finish a table whose counts do not add up.
"""

from __future__ import annotations

import pandas as pd

from marketing_utils.errors import DataValidationError

__all__ = [
    "LEDGER_COLUMNS",
    "TableLedger",
    "ledger_against_injected",
    "ledger_summary",
    "ledger_waterfall_data",
]

LEDGER_COLUMNS = ["table", "reason", "action", "rows"]


class TableLedger:
    """Collects the ledger rows of one table and checks that they add up."""

    def __init__(self, table: str, rows_in: int) -> None:
        self.table = table
        self.rows_in = rows_in
        self.entries: list[tuple[str, str, int]] = [("rows_in", "in", rows_in)]

    def add(self, reason: str, action: str, rows: int) -> None:
        self.entries.append((reason, action, int(rows)))

    def finish(self, rows_kept: int) -> list[dict]:
        removed = sum(rows for _, action, rows in self.entries if action == "removed")
        if self.rows_in != rows_kept + removed:
            raise RuntimeError(
                f"cleaning ledger of table '{self.table}' does not add up: rows_in="
                f"{self.rows_in}, rows_kept={rows_kept}, removed={removed} "
                f"({self.entries}); this is a bug in marketing_utils.preprocess.clean"
            )
        self.entries.append(("rows_kept", "kept", rows_kept))
        return [
            {"table": self.table, "reason": reason, "action": action, "rows": rows}
            for reason, action, rows in self.entries
        ]


def _check_ledger(ledger: pd.DataFrame) -> None:
    missing = [column for column in LEDGER_COLUMNS if column not in ledger.columns]
    if missing:
        raise DataValidationError("ledger", f"expected columns {LEDGER_COLUMNS}, missing {missing}")


def ledger_summary(ledger: pd.DataFrame) -> dict[str, dict]:
    """Per-table totals and per-reason counts of a cleaning ledger, JSON-ready.

    Parameters
    ----------
    ledger : pandas.DataFrame
        :attr:`CleanResult.ledger`.

    Returns
    -------
    dict
        ``{table: {"rows_in", "rows_kept", "removed", "changed", "reasons"}}``
        with plain ``int`` values; ``reasons`` maps every reason (removed,
        changed or counted-and-kept) to its row count.
    """
    _check_ledger(ledger)
    summary = {}
    for table, rows in ledger.groupby("table", sort=False):
        counts = dict(zip(rows["reason"], rows["rows"].astype(int), strict=True))
        summary[str(table)] = {
            "rows_in": int(counts["rows_in"]),
            "rows_kept": int(counts["rows_kept"]),
            "removed": int(rows.loc[rows["action"] == "removed", "rows"].sum()),
            "changed": int(rows.loc[rows["action"] == "changed", "rows"].sum()),
            "reasons": {
                str(reason): int(count)
                for reason, count in counts.items()
                if reason not in ("rows_in", "rows_kept")
            },
        }
    return summary


def ledger_waterfall_data(
    ledger: pd.DataFrame, table: str, *, include_zero: bool = False
) -> pd.DataFrame:
    """The ordered steps of a waterfall chart from rows in to rows kept.

    Parameters
    ----------
    ledger : pandas.DataFrame
        :attr:`CleanResult.ledger`.
    table : str
        Which table, e.g. ``"transactions"``.
    include_zero : bool, default False
        Keep removal reasons that removed no row.

    Returns
    -------
    pandas.DataFrame
        Columns ``label`` (reason), ``kind`` (``"total"`` or ``"removed"``),
        ``delta`` (rows in as a positive total, removals as negative numbers,
        rows kept as a positive total) and ``running_total`` (rows left after
        the step), in rule order.
    """
    _check_ledger(ledger)
    rows = ledger[ledger["table"] == table]
    if rows.empty:
        raise DataValidationError(
            "ledger",
            f"expected a table in {ledger['table'].unique().tolist()}, found {table!r}",
            column="table",
        )
    rows_in = int(rows.loc[rows["reason"] == "rows_in", "rows"].iloc[0])
    steps = [("rows_in", "total", rows_in, rows_in)]
    running = rows_in
    for reason, count in rows.loc[rows["action"] == "removed", ["reason", "rows"]].itertuples(
        index=False
    ):
        if count or include_zero:
            running -= int(count)
            steps.append((reason, "removed", -int(count), running))
    rows_kept = int(rows.loc[rows["reason"] == "rows_kept", "rows"].iloc[0])
    steps.append(("rows_kept", "total", rows_kept, rows_kept))
    return pd.DataFrame(steps, columns=["label", "kind", "delta", "running_total"])


def ledger_against_injected(ledger: pd.DataFrame, defects: dict[str, int]) -> pd.DataFrame:
    """Compare the ledger's counts with the synthetic data's injected defect counts.

    Returns one row per injected defect with ``injected``, ``ledger`` and
    ``match`` columns: on synthetic data every row must match.
    """
    counted = ledger[ledger["action"].isin(["removed", "changed", "kept"])]
    by_reason = counted.groupby("reason")["rows"].sum()
    rows = [
        {"defect": reason, "injected": int(n), "ledger": int(by_reason.get(reason, 0))}
        for reason, n in defects.items()
    ]
    table = pd.DataFrame(rows)
    return table.assign(match=table["injected"] == table["ledger"])
