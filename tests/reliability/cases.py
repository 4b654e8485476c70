"""The bad-input cases of the end-to-end suite, and the troubleshooting table (docs/troubleshooting.md).

Each case writes its own files into a folder and says what the user must see:
the exit code and the exact message on stderr (``<dir>`` stands for the
case's folder). The expected messages are written from the rows each case
breaks on purpose (a few rows, so counts and examples are known by hand),
not copied from a run.

``python -m tests.reliability.cases`` prints the troubleshooting table; a test keeps
the copy in docs/troubleshooting.md equal to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from marketing_utils.params.file import _Top
from marketing_utils.params.notebooks import discover_notebooks
from marketing_utils.runner.safety import REPORT_MARKER
from tests.reliability.builders import (
    alias_bomb,
    all_prices_zero,
    base_tables,
    campaign_yes_no,
    churn_table,
    duplicate_amount_column,
    duplicate_customer,
    duplicate_seed,
    gzip_named_csv,
    kept_contact_column,
    latin1_customers,
    missing_input,
    mixed_format_directory,
    output_dir_is_a_file,
    params_edit,
    report_over_inputs,
    report_over_user_folder,
    report_path_is_a_link,
    small_history,
    synthetic_billion,
    transactions_file,
    unset_variable,
    utf16_customers,
    with_rows,
    yaml_text,
)
from tests.reliability.owndata import RUN_NAME


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, and what the user sees.

    Attributes
    ----------
    name : str
        Test id.
    problem : str
        The case as the troubleshooting table names it.
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


# The columns the tiny export's transactions file has (the schema's optional ones may be absent).
WRITTEN_TX = list(base_tables()["transactions"].columns)
HEADER = ", ".join(repr(c) for c in WRITTEN_TX)
# Derived, not copied: the messages list whatever notebooks and top-level keys exist.
NOTEBOOKS = ", ".join(spec.stem for spec in discover_notebooks())
TOP_KEYS = ", ".join([*_Top.model_fields, *(spec.section for spec in discover_notebooks())])

CASES: list[Case] = [
    # --- the params file: validated whole before anything runs (exit code 2) -----------------
    Case(
        "yaml_does_not_parse",
        "params file that is not valid YAML",
        yaml_text("run_name: tiny\ndata: {source: files\n"),
        "params",
        "line 3, column 1: not valid YAML (expected ',' or '}', but got '<stream end>')",
    ),
    Case(
        "params_not_a_mapping",
        "params file that is a list, not keys",
        yaml_text("- run_name: tiny\n"),
        "params",
        "expected a mapping of keys at the top, found [{'run_name': 'tiny'}] (list)",
    ),
    Case(
        "unknown_top_key",
        "misspelled top-level key",
        params_edit(lambda p, f: p.update(sead=3)),
        "params",
        f"top level: unknown key 'sead'; did you mean 'seed'? (accepted keys: {TOP_KEYS})",
    ),
    Case(
        "unknown_notebook_key",
        "misspelled key in a notebook's section",
        params_edit(lambda p, f: p["segmentation"].update(k_maxx=4)),
        "params",
        "segmentation (notebook 02_segmentation.ipynb): unknown key 'k_maxx'; did you mean "
        "'k_max'? (accepted keys: features, k_min, k_max, n_clusters, min_cluster_stability, "
        "n_bootstrap, selection_sample, silhouette_sample, minibatch_threshold, "
        "min_segment_size, segment_map, revenue_column, compare_gmm)",
    ),
    Case(
        "wrong_type_in_section",
        "wrong type for a notebook parameter",
        params_edit(lambda p, f: p.update(preprocessing={"horizon_days": "ninety"})),
        "params",
        "preprocessing (notebook 01_preprocessing.ipynb): 'horizon_days' expected int "
        "(like the default 90), found 'ninety' (str)",
    ),
    Case(
        "wrong_type_top",
        "wrong type for a top-level key",
        params_edit(lambda p, f: p.update(seed="forty-two")),
        "params",
        "seed: Input should be a valid integer, found 'forty-two' (str)",
    ),
    Case(
        "unknown_source",
        "unknown data source",
        params_edit(lambda p, f: p["data"].update(source="excel")),
        "params",
        "data.source: expected one of synthetic, bank_marketing, hillstrom, cdnow, files, "
        "found 'excel' (str)",
    ),
    Case(
        "unknown_file_option",
        "unknown option of an input file",
        params_edit(lambda p, f: p["data"]["transactions"].update(sep=";")),
        "params",
        "data.transactions: unknown key 'sep' (accepted keys: path, columns, delimiter, "
        "encoding, date_format, decimal, thousands, cancelled_prefix, keep_columns, outcome)",
    ),
    Case(
        "input_file_missing",
        "input path that does not exist",
        params_edit(missing_input),
        "params",
        "data.transactions.path: input file not found: <dir>/data/orders.csv "
        "(given as '<dir>/data/orders.csv')",
    ),
    Case(
        "unset_environment_variable",
        "path using an unset environment variable",
        params_edit(unset_variable),
        "params",
        "data.transactions.path: environment variable RELIABILITY_UNSET_DIR is not set "
        "(used in path '${RELIABILITY_UNSET_DIR}/transactions.csv')",
    ),
    Case(
        "date_not_iso",
        "date in the params not written YYYY-MM-DD",
        params_edit(lambda p, f: p["data"].update(observation_end="31/12/2025")),
        "params",
        "data.observation_end: expected a date written YYYY-MM-DD, found '31/12/2025' (str)",
    ),
    Case(
        "bad_run_name",
        "run name with a path separator",
        params_edit(lambda p, f: p.update(run_name="../elsewhere")),
        "params",
        "run_name: String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]*$'",
    ),
    # --- where the report goes: never over something the workbook did not create (issue 15) ---
    Case(
        "report_path_holds_the_inputs",
        "report path that is the inputs' folder (`output_dir: .`, `run_name: data`)",
        report_over_inputs,
        "params",
        "run_name: the report path <dir>/data contains the input <dir>/data/customers.csv; "
        "expected a report path apart from every input (a run replaces its report); choose "
        "another run_name or output_dir",
    ),
    Case(
        "report_path_is_a_user_folder",
        "report path that is a folder of yours (`run_name: Documents`)",
        report_over_user_folder,
        "params",
        "run_name: the report path <dir>/home/Documents exists and is not a report of the "
        f"workbook (found a directory without the {REPORT_MARKER} marker); a run replaces its "
        "report, so it never writes over a folder it did not create; choose another run_name or "
        "output_dir, or move that folder",
    ),
    Case(
        "report_path_is_a_user_folder_with_only",
        "the same with `--only`",
        report_over_user_folder,
        "params",
        "run_name: the report path <dir>/home/Documents exists and is not a report of the "
        f"workbook (found a directory without the {REPORT_MARKER} marker); a run replaces its "
        "report, so it never writes over a folder it did not create; choose another run_name or "
        "output_dir, or move that folder",
        args=["--only", "01_preprocessing"],
    ),
    Case(
        "report_path_is_a_link",
        "report path that is a symbolic link",
        report_path_is_a_link,
        "params",
        "run_name: the report path <dir>/out/tiny is a symbolic link (to <dir>/elsewhere); "
        "expected a directory the workbook created or nothing; choose another run_name or "
        "output_dir",
    ),
    Case(
        "output_dir_is_a_file",
        "`output_dir` that is a file",
        output_dir_is_a_file,
        "params",
        "output_dir: expected a directory (or a path to create), found a regular file at "
        "<dir>/notes.txt",
    ),
    Case(
        "duplicate_key",
        "a key written twice (`seed: 1`, then `seed: 2`)",
        yaml_text(lambda folder: duplicate_seed(folder)[0]),
        "params",
        "line 2, column 1: duplicate key 'seed' (first at line 1); expected each key once in a "
        "mapping, found it twice",
    ),
    Case(
        "alias_bomb",
        "YAML aliases nested to billions of values",
        yaml_text(lambda folder: alias_bomb(folder)[0]),
        "params",
        "expected at most 100,000 values once aliases (*name) are expanded, found more (aliases "
        "nested inside aliases); write the values out instead",
    ),
    Case(
        "horizon_days_zero",
        "`horizon_days: 0`",
        params_edit(lambda p, f: p.update(preprocessing={"horizon_days": 0})),
        "params",
        "preprocessing (notebook 01_preprocessing.ipynb): 'horizon_days' expected a number of "
        "days of at least 1, found 0 (int)",
    ),
    Case(
        "synthetic_too_large",
        "`n_customers: 1000000000` (synthetic)",
        params_edit(synthetic_billion),
        "params",
        "data.n_customers: expected at most 2,000,000 synthetic customers (they are simulated in "
        "memory), found 1,000,000,000; for larger data, write it as Parquet files and use "
        "`source: files` with `compute.engine: polars` or `dask`",
    ),
    Case(
        "unknown_notebook_in_only",
        "`--only` names no notebook",
        params_edit(lambda p, f: None),
        "runner",
        f"--only: unknown notebook 'segmentaton'; notebooks: {NOTEBOOKS}",
        args=["--only", "segmentaton"],
    ),
    Case(
        "unknown_notebook_in_repeated_only",
        "`--only` repeated, one name misspelled",
        params_edit(lambda p, f: None),
        "runner",
        f"--only: unknown notebook 'segmentaton'; notebooks: {NOTEBOOKS}",
        args=["--only", "segmentaton", "--only", "01_preprocessing"],
    ),
    # --- the data: checked at load in 01 (exit code 1) ------------------------------------------
    Case(
        "mixed_format_directory",
        "a directory of CSV and Parquet files",
        mixed_format_directory,
        "params",
        "data.transactions.path: <dir>/data/transactions: expected a directory of Parquet files "
        "only (read whole), found 1 other file(s) beside 1 Parquet file(s); move them out, or "
        "point `path` at a glob of one format (e.g. 'folder/*.csv') Examples: 'part1.csv'.",
    ),
    Case(
        "personal_data_in_kept_column",
        "e-mails in a column listed under `keep_columns`",
        kept_contact_column,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv, column 'contact': expected no personal "
        "data in a column listed in `keep_columns`, found e-mail addresses in 150 row(s) "
        "(example, masked: 'cu*******@e******.com'); remove the column from `keep_columns`, or "
        "map it as name/email/phone/address in `columns` (such columns are dropped before "
        "anything is saved)",
    ),
    Case(
        "gzip_named_csv",
        "gzip content in a file named `.csv`",
        transactions_file(gzip_named_csv),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv: expected delimited text (the name "
        "ends in '.csv'), found gzip-compressed content; rename it to 'transactions.csv.gz' or "
        "decompress it",
    ),
    Case(
        "duplicate_column_names",
        "two columns of the same name",
        transactions_file(duplicate_amount_column),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'amount': expected distinct "
        "column names in the header, found 'amount' twice (columns "
        f"{WRITTEN_TX.index('amount') + 1} and {len(WRITTEN_TX) + 1}); rename or remove one of "
        "them",
    ),
    Case(
        "utf16_file",
        "UTF-16 file read as UTF-8",
        utf16_customers,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv: expected text in the encoding 'utf-8', "
        "found a UTF-16 byte-order mark at the start of the file; set the `encoding` option: "
        "encoding='utf-16'",
    ),
    Case(
        "empty_file",
        "empty file",
        transactions_file(lambda frame, path: path.write_bytes(b"")),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv: expected a header and data rows, "
        "found an empty file",
    ),
    Case(
        "header_only",
        "header only",
        transactions_file(lambda frame, path: frame.head(0).to_csv(path, index=False)),
        "01_preprocessing",
        f"DataValidationError: <dir>/data/transactions.csv: expected data rows, found only a "
        f"header: [{HEADER}]",
    ),
    Case(
        "wrong_delimiter",
        "wrong delimiter (`;` read as `,`)",
        transactions_file(lambda frame, path: frame.to_csv(path, index=False, sep=";")),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column '"
        + ";".join(WRITTEN_TX)
        + "': expected several columns, found one whose name contains ';'; set the option "
        "delimiter=';'",
    ),
    Case(
        "wrong_encoding",
        "wrong encoding (Latin-1 file read as UTF-8)",
        latin1_customers,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv, column 'region': expected text in the "
        "encoding 'utf-8', found bytes it cannot decode; set the `encoding` option, e.g. "
        "encoding='latin-1' (Western European exports) or 'cp1252' (Windows) "
        "Examples: 'line 2: C0*****,\ufffd**-**-****ce', b'\\xce'.",
    ),
    Case(
        "missing_required_column",
        "missing required column",
        transactions_file(
            lambda frame, path: frame.drop(columns="timestamp").to_csv(path, index=False)
        ),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'timestamp': expected the "
        "required 'transactions' column(s) ['timestamp'] (map them with the `columns` option), "
        f"found columns {[c for c in WRITTEN_TX if c != 'timestamp']} with the mapping {{}}",
    ),
    Case(
        "mapping_names_absent_column",
        "column mapping names a column the file lacks",
        transactions_file(
            lambda frame, path: frame.to_csv(path, index=False),
            options={"columns": {"customer_id": "Customer ID"}},
        ),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'Customer ID': the mapping "
        f"'customer_id' -> 'Customer ID' names a column the file does not have; columns found: "
        f"{WRITTEN_TX}",
    ),
    Case(
        "unparseable_dates",
        "unparseable dates",
        transactions_file(with_rows("timestamp", ["31/12/2024 10:00", "yesterday"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'timestamp': expected dates in "
        "the format 'ISO8601', found 2 value(s) that do not parse; set the `date_format` option "
        "(e.g. date_format='%d/%m/%Y %H:%M') Examples: '31/12/2024 10:00', 'yesterday'.",
    ),
    Case(
        "thousands_separators",
        "amounts with thousands separators",
        transactions_file(with_rows("amount", ["1,234.50", "2,000.00"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'amount': expected numbers "
        "(decimal='.', thousands=None), found 2 value(s) that are not; set the `thousands` "
        "option for values like '1,234.50' or `decimal=','` for '12,50', and remove currency "
        "symbols Examples: '1,234.50', '2,000.00'.",
    ),
    Case(
        "currency_symbols",
        "amounts with currency symbols",
        transactions_file(with_rows("amount", ["$12.00", "€7.50", "$3.10"])),
        "01_preprocessing",
        "DataValidationError: <dir>/data/transactions.csv, column 'amount': expected plain "
        "numbers, found 3 value(s) with a currency symbol ($, €); export the column without "
        "currency symbols (amounts are taken to be in one currency) "
        "Examples: '$12.00', '€7.50', '$3.10'.",
    ),
    Case(
        "duplicate_customer_ids",
        "customer table with duplicate ids",
        duplicate_customer,
        "01_preprocessing",
        "DataValidationError: <dir>/data/customers.csv, column 'customer_id': expected one row "
        "per customer, found 1 customer ids on several rows Examples: 'C000005'.",
    ),
    Case(
        "treatment_not_binary",
        "campaign flag that is not 0/1",
        campaign_yes_no,
        "01_preprocessing",
        "DataValidationError: <dir>/data/campaign.csv, column 'treatment': expected 0 or 1 in "
        "every row, found 2 other or missing value(s) Examples: 'yes', 'no'.",
    ),
    # --- what is left after cleaning -------------------------------------------------------------
    Case(
        "all_rows_cleaned_away",
        "all rows cleaned away",
        all_prices_zero,
        "01_preprocessing",
        "DataValidationError: transactions: cleaning removed all 5 rows (by reason: "
        "{'nonpositive_price': 5}); expected some rows to survive: check the file against the "
        "cleaning rules in the ledger",
    ),
    Case(
        "label_with_one_class",
        "a label with one class",
        # Nobody buys after the automatic cutoff 2025-12-31 + 1 day - 90 days = 2025-10-03.
        lambda folder: small_history(
            folder, ["C000001", "C000002", "C000003", "C000004"], ["2025-01-10", "2025-06-01"]
        ),
        "01_preprocessing",
        "DataValidationError: label: expected both values 0 and 1 in the label (purchase within "
        "horizon_days=90 of the cutoff 2025-10-03), found only 0 for all 4 customers; choose "
        "another cutoff or horizon_days",
    ),
    Case(
        "outcome_positive_matches_nothing",
        "customer table whose outcome.positive matches no value",
        churn_table(positive="Churned"),
        "01_preprocessing",
        "DataValidationError: customers, column 'churned': outcome.positive 'Churned' matches "
        "no value of the outcome column; values found: ['No', 'Yes']",
    ),
    Case(
        "outcome_with_one_class",
        "customer table whose outcome has one class",
        churn_table(churned=["Yes"] * 6),
        "01_preprocessing",
        "DataValidationError: customers, column 'churned': expected both outcomes in the outcome "
        "column, found only the positive value(s) 'Yes' in all 6 rows; values found: ['Yes']",
    ),
    Case(
        "outcome_all_missing",
        "customer table whose outcome is blank in every row",
        churn_table(churned=[""] * 6),
        "01_preprocessing",
        "DataValidationError: customers: cleaning removed all 6 rows (by reason: "
        "{'missing_outcome': 6}); expected some rows to survive: check the file against the "
        "cleaning rules in the ledger",
    ),
    Case(
        "one_customer",
        "a 1-customer dataset",
        lambda folder: small_history(folder, ["C000001"], ["2025-01-10", "2025-11-01"]),
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
        "columns the mapping does not name (e.g. e-mails in `contact`)",
        "dropped, and listed in metrics.json (`preprocessing.dropped_columns`); keep one by "
        "naming it under "
        "`keep_columns` (refused when it holds e-mails, phone numbers or names)",
    ),
    (
        "over 5% of transaction rows naming customers absent from the customers table",
        "a warning in 01 and on stderr, naming the likely cause (spaces, leading zeros, "
        "Unicode forms) with masked examples",
    ),
    ("`--only a --only b`", "both notebooks run"),
    (
        "campaign with no control group",
        "the run succeeds; 05 is skipped with the reason 'needs a campaign table with a "
        "treatment flag and a control group'",
    ),
    (
        "customer table with blank outcome cells",
        "nothing to set: those customers are removed and counted as `missing_outcome` in the "
        "ledger",
    ),
]


def readme_table() -> str:
    """The troubleshooting table of docs/troubleshooting.md, generated from the cases."""
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
