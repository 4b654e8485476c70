"""How each bad-input case of :mod:`tests.reliability.cases` writes its files and params.

Every builder takes the case's folder and returns ``(params, extra_cli_args)``,
where ``params`` is a mapping (written as YAML) or raw YAML text. Defects are
put into a few known rows, so the expected messages can be written by hand.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from marketing_utils.schema import TABLE_COLUMNS
from tests.reliability.owndata import own_params, own_tables, write_tables

TX_COLUMNS = [name for name, _, _ in TABLE_COLUMNS["transactions"]]
#: The columns of the hand-made rows below (no optional product description).
_ROW_COLUMNS = [name for name in TX_COLUMNS if name != "description"]


@functools.cache
def _base() -> dict[str, pd.DataFrame]:
    tables = own_tables(150, seed=1)
    return {"customers": tables["customers"], "transactions": tables["transactions"]}


def base_tables() -> dict[str, pd.DataFrame]:
    """Fresh copies of the tiny export every case starts from (150 customers)."""
    return {name: frame.copy() for name, frame in _base().items()}


def files(folder: Path, tables: dict, options: dict | None = None, **params_changes):
    paths = write_tables(folder / "data", tables)
    params = own_params(folder, paths, options=options)
    params.update(params_changes)
    return params, []


def params_edit(edit: Callable[[dict, Path], None]):
    def build(folder: Path):
        params, args = files(folder, base_tables())
        edit(params, folder)
        return params, args

    return build


def yaml_text(text: Callable[[Path], str]):
    def build(folder: Path):
        params, _ = files(folder, base_tables())
        return text(folder) if callable(text) else text, []

    return build


def transactions_file(write: Callable[[pd.DataFrame, Path], None], options: dict | None = None):
    def build(folder: Path):
        tables = base_tables()
        params, args = files(folder, tables, options={"transactions": options or {}})
        write(tables["transactions"], folder / "data" / "transactions.csv")
        return params, args

    return build


def with_rows(column: str, values: list[str]):
    """Transactions with ``values`` written into the first rows of ``column``."""

    def write(frame: pd.DataFrame, path: Path) -> None:
        frame = frame.astype({column: "object"})
        for position, value in enumerate(values):
            frame.iloc[position, frame.columns.get_loc(column)] = value
        frame.to_csv(path, index=False)

    return write


def small_history(folder: Path, customers: list[str], purchase_days: list[str]):
    """A hand-made export: each customer buys once on each of ``purchase_days``."""
    base = base_tables()["customers"]
    chosen = base[base["customer_id"].isin(customers)]
    rows = [
        (customer, f"{day} 10:00:00", f"O-{customer}-{day}", "P00001", "home", 1.0, 5.0, 5.0)
        for customer in customers
        for day in purchase_days
    ]
    transactions = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    return files(folder, {"customers": chosen, "transactions": transactions})


def all_prices_zero(folder: Path):
    tables = base_tables()
    tables["customers"] = tables["customers"].head(3)
    rows = [
        (cid, f"2024-05-0{i + 1} 10:00:00", f"O{i}", "P00001", "home", 1.0, 0.0, 0.0)
        for i, cid in enumerate(["C000001", "C000002", "C000003", "C000001", "C000002"])
    ]
    tables["transactions"] = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    return files(folder, tables)


def latin1_customers(folder: Path):
    tables = base_tables()
    params, args = files(folder, tables)
    minimal = pd.DataFrame(
        {"customer_id": ["C000001", "C000002"], "region": ["Île-de-France", "Zürich"]}
    )
    minimal.to_csv(folder / "data" / "customers.csv", index=False, encoding="latin-1")
    return params, args


def duplicate_customer(folder: Path):
    tables = base_tables()
    tables["customers"] = pd.concat([tables["customers"], tables["customers"].iloc[[4]]])
    return files(folder, tables)


def campaign_yes_no(folder: Path):
    tables = base_tables()
    ids = tables["customers"]["customer_id"].head(6)
    tables["campaign"] = pd.DataFrame(
        {"customer_id": ids, "treatment": ["1", "0", "yes", "1", "no", "0"], "response": 0}
    )
    return files(folder, tables)


def missing_input(params: dict, folder: Path) -> None:
    params["data"]["transactions"]["path"] = str(folder / "data" / "orders.csv")


def unset_variable(params: dict, folder: Path) -> None:
    params["data"]["transactions"]["path"] = "${RELIABILITY_UNSET_DIR}/transactions.csv"


# --- issue 15: never destroy, never leak, never silently drop ----------------------------------


def report_over_inputs(folder: Path):
    """``output_dir`` is the case folder and ``run_name`` the inputs' folder ``data``."""
    params, args = files(folder, base_tables())
    params.update(output_dir=str(folder), run_name="data")
    return params, args


def report_over_user_folder(folder: Path):
    """The report path is a user's folder (``<dir>/home/Documents``) holding a letter."""
    params, args = files(folder, base_tables())
    documents = folder / "home" / "Documents"
    documents.mkdir(parents=True)
    (documents / "letter.txt").write_text("Dear Sir,\n", encoding="utf-8")
    params.update(output_dir=str(folder / "home"), run_name="Documents")
    return params, args


def report_path_is_a_link(folder: Path):
    """``<dir>/out/tiny`` is a symbolic link to the user's folder ``<dir>/elsewhere``."""
    params, args = files(folder, base_tables())
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n", encoding="utf-8")
    (folder / "out").mkdir()
    (folder / "out" / "tiny").symlink_to(elsewhere, target_is_directory=True)
    params.update(output_dir=str(folder / "out"))
    return params, args


def output_dir_is_a_file(folder: Path):
    params, args = files(folder, base_tables())
    (folder / "notes.txt").write_text("not a folder\n", encoding="utf-8")
    params.update(output_dir=str(folder / "notes.txt"))
    return params, args


def duplicate_seed(folder: Path):
    params, _ = files(folder, base_tables())
    rest = {key: value for key, value in params.items() if key != "seed"}
    return "seed: 1\nseed: 2\n" + yaml.safe_dump(rest, sort_keys=False), []


def alias_bomb(folder: Path):
    """A 9-level "billion laughs" inside a list parameter (9**9 strings once expanded)."""
    params, _ = files(folder, base_tables())
    params.pop("segmentation")
    levels = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"&{name} [{','.join([f'*{previous}'] * 9)}]")
    text = yaml.safe_dump(params, sort_keys=False)
    return text + f"segmentation:\n  features: [{', '.join(levels)}]\n", []


def synthetic_billion(params: dict, folder: Path) -> None:
    params["data"] = {"source": "synthetic", "n_customers": 1_000_000_000}


def mixed_format_directory(folder: Path):
    """Transactions split in two halves: ``part1.csv`` and ``part2.parquet``."""
    tables = base_tables()
    params, args = files(folder, tables)
    directory = folder / "data" / "transactions"
    directory.mkdir()
    half = len(tables["transactions"]) // 2
    tables["transactions"].iloc[:half].to_csv(directory / "part1.csv", index=False)
    tables["transactions"].iloc[half:].to_parquet(directory / "part2.parquet", index=False)
    (folder / "data" / "transactions.csv").unlink()
    params["data"]["transactions"]["path"] = str(directory)
    return params, args


def kept_contact_column(folder: Path):
    """Customers with a ``contact`` column of e-mails, listed under ``keep_columns``."""
    tables = base_tables()
    customers = tables["customers"]
    tables["customers"] = customers.assign(
        contact=[f"customer{i}@example.com" for i in range(len(customers))]
    )
    return files(folder, tables, options={"customers": {"keep_columns": ["contact"]}})


def gzip_named_csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode("utf-8"), mtime=0))


def duplicate_amount_column(frame: pd.DataFrame, path: Path) -> None:
    frame.assign(**{"amount.copy": frame["amount"]}).rename(
        columns={"amount.copy": "amount"}
    ).to_csv(path, index=False)


def utf16_customers(folder: Path):
    tables = base_tables()
    params, args = files(folder, tables)
    tables["customers"].to_csv(folder / "data" / "customers.csv", index=False, encoding="utf-16")
    return params, args


#: A hand-made customer table with its own outcome (6 customers, 2 churned).
CHURN_ROWS = pd.DataFrame(
    {
        "customer_id": ["K1", "K2", "K3", "K4", "K5", "K6"],
        "plan": ["basic", "basic", "premium", "basic", "premium", "premium"],
        "tenure_months": [3, 40, 12, 7, 55, 30],
        "churned": ["Yes", "No", "No", "Yes", "No", "No"],
    }
)


def churn_table(churned: list[str] | None = None, positive="Yes"):
    """The hand-made churn table as the only file, with ``churned`` as its outcome."""

    def build(folder: Path):
        table = CHURN_ROWS.copy()
        if churned is not None:
            table["churned"] = churned
        paths = write_tables(folder / "data", {"customers": table})
        outcome = {"column": "churned", "positive": positive, "name": "churn"}
        params = own_params(folder, paths, options={"customers": {"outcome": outcome}})
        return params, []

    return build
