"""The bad-input cases of the end-to-end suite, and the README troubleshooting table.

Each case writes its own files into a folder and says what the user must see:
the exit code and the exact message on stderr (``<dir>`` stands for the
case's folder). The expected messages are written from the rows each case
breaks on purpose (a few rows, so counts and examples are known by hand),
not copied from a run.

``python -m tests.reliability.cases`` prints the README table; a test keeps
the README's copy equal to it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from tests.reliability.owndata import RUN_NAME, own_params, own_tables, write_tables

TX_COLUMNS = [
    "customer_id",
    "timestamp",
    "order_id",
    "product_id",
    "category",
    "quantity",
    "unit_price",
    "amount",
]


@functools.cache
def _base() -> dict[str, pd.DataFrame]:
    tables = own_tables(150, seed=1)
    return {"customers": tables["customers"], "transactions": tables["transactions"]}


def base_tables() -> dict[str, pd.DataFrame]:
    """Fresh copies of the tiny export every case starts from (150 customers)."""
    return {name: frame.copy() for name, frame in _base().items()}


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, and what the user sees.

    Attributes
    ----------
    name : str
        Test id.
    problem : str
        The case as the README names it.
    build : callable
        ``build(folder) -> (params, extra_cli_args)``; ``params`` is a mapping
        (written as YAML) or raw YAML text.
    stage : str
        Where it fails: ``"params"`` (validation, nothing runs), ``"runner"``
        or a notebook stem.
    message : str
        The message after ``error: `` (for a notebook, after the notebook and
        cell), with ``<dir>`` for the case's folder.
    """

    name: str
    problem: str
    build: Callable[[Path], tuple[dict | str, list[str]]]
    stage: str
    message: str
    args: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 2 if self.stage == "params" else 1

    def expected_stderr(self) -> str:
        """The whole stderr (kernel log lines aside), with ``<dir>``, ``<n>``, ``<code>``, ``<time>``."""
        if self.stage == "params":
            return f"error: <dir>/params.yaml: invalid params\n  - {self.message}"
        if self.stage == "runner":
            return f"error: {self.message}"
        return (
            f"error: notebook {self.stage} failed in cell <n> (starting <code>): {self.message}\n"
            f"The previous report (if any) is unchanged: <dir>/reports/{RUN_NAME}\n"
            f"Partly executed notebooks kept for debugging: "
            f"<dir>/reports/.failed/{RUN_NAME}-<time>/notebooks"
        )


# --- builders -------------------------------------------------------------------------------


def _files(folder: Path, tables: dict, options: dict | None = None, **params_changes):
    paths = write_tables(folder / "data", tables)
    params = own_params(folder, paths, options=options)
    params.update(params_changes)
    return params, []


def _params_edit(edit: Callable[[dict, Path], None]):
    def build(folder: Path):
        params, args = _files(folder, base_tables())
        edit(params, folder)
        return params, args

    return build


def _yaml_text(text: Callable[[Path], str]):
    def build(folder: Path):
        params, _ = _files(folder, base_tables())
        return text(folder) if callable(text) else text, []

    return build


def _transactions_file(write: Callable[[pd.DataFrame, Path], None], options: dict | None = None):
    def build(folder: Path):
        tables = base_tables()
        params, args = _files(folder, tables, options={"transactions": options or {}})
        write(tables["transactions"], folder / "data" / "transactions.csv")
        return params, args

    return build


def _with_rows(column: str, values: list[str]):
    """Transactions with ``values`` written into the first rows of ``column``."""

    def write(frame: pd.DataFrame, path: Path) -> None:
        frame = frame.astype({column: "object"})
        for position, value in enumerate(values):
            frame.iloc[position, frame.columns.get_loc(column)] = value
        frame.to_csv(path, index=False)

    return write


def _small_history(folder: Path, customers: list[str], purchase_days: list[str]):
    """A hand-made export: each customer buys once on each of ``purchase_days``."""
    base = base_tables()["customers"]
    chosen = base[base["customer_id"].isin(customers)]
    rows = [
        (customer, f"{day} 10:00:00", f"O-{customer}-{day}", "P00001", "home", 1.0, 5.0, 5.0)
        for customer in customers
        for day in purchase_days
    ]
    transactions = pd.DataFrame(rows, columns=TX_COLUMNS)
    return _files(folder, {"customers": chosen, "transactions": transactions})


def _all_prices_zero(folder: Path):
    tables = base_tables()
    tables["customers"] = tables["customers"].head(3)
    rows = [
        (cid, f"2024-05-0{i + 1} 10:00:00", f"O{i}", "P00001", "home", 1.0, 0.0, 0.0)
        for i, cid in enumerate(["C000001", "C000002", "C000003", "C000001", "C000002"])
    ]
    tables["transactions"] = pd.DataFrame(rows, columns=TX_COLUMNS)
    return _files(folder, tables)


def _latin1_customers(folder: Path):
    tables = base_tables()
    params, args = _files(folder, tables)
    minimal = pd.DataFrame(
        {"customer_id": ["C000001", "C000002"], "region": ["Île-de-France", "Zürich"]}
    )
    minimal.to_csv(folder / "data" / "customers.csv", index=False, encoding="latin-1")
    return params, args


def _duplicate_customer(folder: Path):
    tables = base_tables()
    tables["customers"] = pd.concat([tables["customers"], tables["customers"].iloc[[4]]])
    return _files(folder, tables)


def _campaign_yes_no(folder: Path):
    tables = base_tables()
    ids = tables["customers"]["customer_id"].head(6)
    tables["campaign"] = pd.DataFrame(
        {"customer_id": ids, "treatment": ["1", "0", "yes", "1", "no", "0"], "response": 0}
    )
    return _files(folder, tables)


def _missing_input(params: dict, folder: Path) -> None:
    params["data"]["transactions"]["path"] = str(folder / "data" / "orders.csv")


def _unset_variable(params: dict, folder: Path) -> None:
    params["data"]["transactions"]["path"] = "${RELIABILITY_UNSET_DIR}/transactions.csv"


HEADER = ", ".join(repr(c) for c in TX_COLUMNS)
NOTEBOOKS = "01_preprocessing, 02_segmentation, 03_propensity_modeling, 04_evaluation, 05_campaign_uplift, 07_demand_forecasting"

CASES: list[Case] = [
    # --- the params file: validated whole before anything runs (exit code 2) -----------------
    Case(
        "yaml_does_not_parse",
        "params file that is not valid YAML",
        _yaml_text("run_name: tiny\ndata: {source: files\n"),
        "params",
        "line 3, column 1: not valid YAML (expected ',' or '}', but got '<stream end>')",
    ),
    Case(
        "params_not_a_mapping",
        "params file that is a list, not keys",
        _yaml_text("- run_name: tiny\n"),
        "params",
        "expected a mapping of keys at the top, found [{'run_name': 'tiny'}] (list)",
    ),
    Case(
        "unknown_top_key",
        "misspelled top-level key",
        _params_edit(lambda p, f: p.update(sead=3)),
        "params",
        "top level: unknown key 'sead'; did you mean 'seed'? (accepted keys: run_name, "
        "output_dir, seed, data, report, preprocessing, segmentation, propensity_modeling, "
        "evaluation, campaign_uplift, demand_forecasting)",
    ),
    Case(
        "unknown_notebook_key",
        "misspelled key in a notebook's section",
        _params_edit(lambda p, f: p["segmentation"].update(k_maxx=4)),
        "params",
        "segmentation (notebook 02_segmentation.ipynb): unknown key 'k_maxx'; did you mean "
        "'k_max'? (accepted keys: features, k_min, k_max, n_clusters, min_cluster_stability, "
        "n_bootstrap, selection_sample, silhouette_sample, minibatch_threshold, "
        "min_segment_size, segment_map, revenue_column, compare_gmm)",
    ),
    Case(
        "wrong_type_in_section",
        "wrong type for a notebook parameter",
        _params_edit(lambda p, f: p.update(preprocessing={"horizon_days": "ninety"})),
        "params",
        "preprocessing (notebook 01_preprocessing.ipynb): 'horizon_days' expected int "
        "(like the default 90), found 'ninety' (str)",
    ),
    Case(
        "wrong_type_top",
        "wrong type for a top-level key",
        _params_edit(lambda p, f: p.update(seed="forty-two")),
        "params",
        "seed: Input should be a valid integer, found 'forty-two' (str)",
    ),
    Case(
        "unknown_source",
        "unknown data source",
        _params_edit(lambda p, f: p["data"].update(source="excel")),
        "params",
        "data.source: expected one of synthetic, bank_marketing, hillstrom, cdnow, files, "
        "found 'excel' (str)",
    ),
    Case(
        "unknown_file_option",
        "unknown option of an input file",
        _params_edit(lambda p, f: p["data"]["transactions"].update(sep=";")),
        "params",
        "data.transactions: unknown key 'sep' (accepted keys: path, columns, delimiter, "
        "encoding, date_format, decimal, thousands, cancelled_prefix)",
    ),
    Case(
        "input_file_missing",
        "input path that does not exist",
        _params_edit(_missing_input),
        "params",
        "data.transactions.path: input file not found: <dir>/data/orders.csv "
        "(given as '<dir>/data/orders.csv')",
    ),
    Case(
        "unset_environment_variable",
        "path using an unset environment variable",
        _params_edit(_unset_variable),
        "params",
        "data.transactions.path: environment variable RELIABILITY_UNSET_DIR is not set "
        "(used in path '${RELIABILITY_UNSET_DIR}/transactions.csv')",
    ),
    Case(
        "date_not_iso",
        "date in the params not written YYYY-MM-DD",
        _params_edit(lambda p, f: p["data"].update(observation_end="31/12/2025")),
        "params",
        "data.observation_end: expected a date written YYYY-MM-DD, found '31/12/2025' (str)",
    ),
    Case(
        "bad_run_name",
        "run name with a path separator",
        _params_edit(lambda p, f: p.update(run_name="../elsewhere")),
        "params",
        "run_name: String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]*$'",
    ),
    Case(
        "unknown_notebook_in_only",
        "`--only` names no notebook",
        _params_edit(lambda p, f: None),
        "runner",
        f"--only: unknown notebook 'segmentaton'; notebooks: {NOTEBOOKS}",
        args=["--only", "segmentaton"],
    ),
    # --- the data: checked at load in 01 (exit code 1) ------------------------------------------
    Case(
        "empty_file",
        "empty file",
        _transactions_file(lambda frame, path: path.write_bytes(b"")),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv: expected a header and data rows, "
        "found an empty file",
    ),
    Case(
        "header_only",
        "header only",
        _transactions_file(lambda frame, path: frame.head(0).to_csv(path, index=False)),
        "01_preprocessing",
        f"DataValidationError: <dir>/data/transactions.csv: expected data rows, found only a "
        f"header: [{HEADER}]",
    ),
    Case(
        "wrong_delimiter",
        "wrong delimiter (`;` read as `,`)",
        _transactions_file(lambda frame, path: frame.to_csv(path, index=False, sep=";")),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column '"
        + ";".join(TX_COLUMNS)
        + "': expected several columns, found one whose name contains ';'; set the option "
        "delimiter=';'",
    ),
    Case(
        "wrong_encoding",
        "wrong encoding (Latin-1 file read as UTF-8)",
        _latin1_customers,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv, column 'region': expected text in the "
        "encoding 'utf-8', found bytes it cannot decode; set the `encoding` option, e.g. "
        "encoding='latin-1' (Western European exports) or 'cp1252' (Windows) "
        "Examples: 'line 2: C000001,\ufffdle-de-France', b'\\xce'.",
    ),
    Case(
        "missing_required_column",
        "missing required column",
        _transactions_file(
            lambda frame, path: frame.drop(columns="timestamp").to_csv(path, index=False)
        ),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'timestamp': expected the "
        "required 'transactions' column(s) ['timestamp'] (map them with the `columns` option), "
        f"found columns {[c for c in TX_COLUMNS if c != 'timestamp']} with the mapping {{}}",
    ),
    Case(
        "mapping_names_absent_column",
        "column mapping names a column the file lacks",
        _transactions_file(
            lambda frame, path: frame.to_csv(path, index=False),
            options={"columns": {"customer_id": "Customer ID"}},
        ),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'Customer ID': the mapping "
        f"'customer_id' -> 'Customer ID' names a column the file does not have; columns found: "
        f"{TX_COLUMNS}",
    ),
    Case(
        "unparseable_dates",
        "unparseable dates",
        _transactions_file(_with_rows("timestamp", ["31/12/2024 10:00", "yesterday"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'timestamp': expected dates in "
        "the format 'ISO8601', found 2 value(s) that do not parse; set the `date_format` option "
        "(e.g. date_format='%d/%m/%Y %H:%M') Examples: '31/12/2024 10:00', 'yesterday'.",
    ),
    Case(
        "thousands_separators",
        "amounts with thousands separators",
        _transactions_file(_with_rows("amount", ["1,234.50", "2,000.00"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'amount': expected numbers "
        "(decimal='.', thousands=None), found 2 value(s) that are not; set the `thousands` "
        "option for values like '1,234.50' or `decimal=','` for '12,50', and remove currency "
        "symbols Examples: '1,234.50', '2,000.00'.",
    ),
    Case(
        "currency_symbols",
        "amounts with currency symbols",
        _transactions_file(_with_rows("amount", ["$12.00", "€7.50", "$3.10"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'amount': expected plain "
        "numbers, found 3 value(s) with a currency symbol ($, €); export the column without "
        "currency symbols (amounts are taken to be in one currency) "
        "Examples: '$12.00', '€7.50', '$3.10'.",
    ),
    Case(
        "duplicate_customer_ids",
        "customer table with duplicate ids",
        _duplicate_customer,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv, column 'customer_id': expected one row "
        "per customer, found 1 customer ids on several rows Examples: 'C000005'.",
    ),
    Case(
        "treatment_not_binary",
        "campaign flag that is not 0/1",
        _campaign_yes_no,
        "01_preprocessing",
        "DataValidationError: <dir>/data/campaign.csv, column 'treatment': expected 0 or 1 in "
        "every row, found 2 other or missing value(s) Examples: 'yes', 'no'.",
    ),
    # --- what is left after cleaning -------------------------------------------------------------
    Case(
        "all_rows_cleaned_away",
        "all rows cleaned away",
        _all_prices_zero,
        "01_preprocessing",
        "DataValidationError: transactions: cleaning removed all 5 rows (by reason: "
        "{'nonpositive_price': 5}); expected some rows to survive: check the file against the "
        "cleaning rules in the ledger",
    ),
    Case(
        "label_with_one_class",
        "a label with one class",
        # Nobody buys after the automatic cutoff 2025-12-31 + 1 day - 90 days = 2025-10-03.
        lambda folder: _small_history(
            folder, ["C000001", "C000002", "C000003", "C000004"], ["2025-01-10", "2025-06-01"]
        ),
        "01_preprocessing",
        "DataValidationError: label: expected both values 0 and 1 in the label (purchase within "
        "horizon_days=90 of the cutoff 2025-10-03), found only 0 for all 4 customers; choose "
        "another cutoff or horizon_days",
    ),
    Case(
        "one_customer",
        "a 1-customer dataset",
        lambda folder: _small_history(folder, ["C000001"], ["2025-01-10", "2025-11-01"]),
        "01_preprocessing",
        "DataValidationError: label: expected at least 2 customers to learn from, found 1; the "
        "data has too few customers for the workbook",
    ),
]

#: Inputs the workbook handles when told how (these runs succeed).
HANDLED = [
    ("Latin-1 file with accented names", "set `encoding: latin-1` on the file"),
    ("UTF-8 file with a byte-order mark (BOM)", "nothing to set: the BOM is dropped"),
    ("amounts like `1,234.50`", 'set `thousands: ","` on the file'),
    ('date in the params written in quotes (`"2025-12-31"`)', "nothing to set"),
    (
        "campaign with no control group",
        "the run succeeds; 05 is skipped with the reason 'needs a campaign table with a "
        "treatment flag and a control group'",
    ),
]


def readme_table() -> str:
    """The troubleshooting table of the README, generated from the cases."""
    lines = ["| case | what you see (exit code) |", "|---|---|"]
    for case in CASES:
        message = case.message.replace("<dir>/", "").replace("|", "\\|")
        where = {"params": "params check", "runner": "runner"}.get(case.stage, case.stage)
        # Double backticks: a message may quote an option in single ones.
        lines.append(f"| {case.problem} | `` {message} `` ({where}, exit {case.exit_code}) |")
    for problem, outcome in HANDLED:
        lines.append(f"| {problem} | {outcome} (exit 0) |")
    return "\n".join(lines)


def write_case(case: Case, folder: Path) -> tuple[Path, list[str]]:
    """Write the case's files and params into ``folder``; returns the params path and CLI args."""
    params, args = case.build(folder)
    path = folder / "params.yaml"
    text = params if isinstance(params, str) else yaml.safe_dump(params, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path, [*args, *case.args]


if __name__ == "__main__":
    print(readme_table())
