"""Lazy reading of transactions from Parquet datasets and CSV files, on every engine."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import polars as pl
import pytest

from marketing_utils.datasets.scan import resolve_files, scan_transactions
from marketing_utils.errors import DataValidationError, ParamsError
from marketing_utils.preprocess.features import customer_features
from tests.unit.preprocess.test_features import assert_same_frames, random_tables

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
ENGINES = ["pandas", "polars", "dask"]
CUTOFF = "2023-10-01"


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return random_tables()[0]


@pytest.fixture(scope="module")
def expected(log) -> pd.DataFrame:
    return customer_features(log, cutoff=CUTOFF)


@pytest.fixture(scope="module")
def export(tmp_path_factory, log):
    """The log as a month-partitioned Parquet dataset and as three CSV files with own names."""
    root = tmp_path_factory.mktemp("export")
    month = log["timestamp"].dt.strftime("%Y-%m")
    for value in sorted(month.unique()):
        folder = root / "parquet" / f"month={value}"
        folder.mkdir(parents=True)
        log[month == value].to_parquet(folder / "part-0.parquet", index=False)
    renamed = log.rename(columns={"customer_id": "Customer", "timestamp": "When"}).drop(
        columns="amount"
    )
    # The amount must then come from quantity x price: split it so that the product is exact.
    renamed = renamed.assign(Qty=1.0, Price=log["amount"])
    renamed = renamed.assign(When=log["timestamp"].dt.strftime("%d/%m/%Y %H:%M:%S"))
    (root / "csv").mkdir()
    for part, rows in enumerate([slice(0, 250), slice(250, 500), slice(500, None)]):
        renamed.iloc[rows].to_csv(root / "csv" / f"orders_{part}.csv", sep=";", index=False)
    return root


CSV_OPTIONS = {
    "columns": {
        "customer_id": "Customer",
        "timestamp": "When",
        "quantity": "Qty",
        "unit_price": "Price",
    },
    "delimiter": ";",
    "date_format": "%d/%m/%Y %H:%M:%S",
}
KIND = {"pandas": pd.DataFrame, "polars": pl.LazyFrame, "dask": dd.DataFrame}


@pytest.mark.parametrize("engine", ENGINES)
def test_parquet_directory_gives_the_in_memory_features(export, expected, engine):
    scanned = scan_transactions(export / "parquet", engine=engine)
    assert isinstance(scanned, KIND[engine])
    if engine == "dask":
        assert scanned.npartitions >= 14  # one per month file: read partition by partition
    result = customer_features(scanned, cutoff=CUTOFF)
    result = result.to_pandas() if isinstance(result, pl.DataFrame) else result
    assert_same_frames(result, expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_glob_with_a_mapping_gives_the_in_memory_features(export, expected, engine):
    scanned = scan_transactions(export / "csv" / "orders_*.csv", engine=engine, **CSV_OPTIONS)
    result = customer_features(scanned, cutoff=CUTOFF)
    result = result.to_pandas() if isinstance(result, pl.DataFrame) else result
    assert_same_frames(result, expected)


def test_only_canonical_columns_are_kept(export):
    scanned = scan_transactions(export / "csv" / "orders_0.csv", engine="pandas", **CSV_OPTIONS)
    assert list(scanned.columns) == [
        "customer_id",
        "timestamp",
        "order_id",
        "category",
        "quantity",
        "unit_price",
        "amount",
    ]
    assert len(scanned) == 250 and str(scanned["customer_id"].dtype) == "str"


def test_resolve_files_finds_partitions_and_rejects_what_it_cannot_read(export, tmp_path):
    files, kind = resolve_files(export / "parquet")
    assert kind == "parquet" and len(files) == len({f.parent.name for f in files})
    with pytest.raises(DataValidationError, match="expected files matching this pattern"):
        resolve_files(tmp_path / "*.parquet")
    with pytest.raises(DataValidationError, match="found none at this path"):
        resolve_files(tmp_path / "missing.parquet")
    with pytest.raises(DataValidationError, match="directory of Parquet files"):
        resolve_files(tmp_path)
    (tmp_path / "a.csv").write_text("x\n1\n")
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataValidationError, match="files of one format") as info:
        resolve_files(tmp_path / "*")
    assert "csv" in str(info.value) and "parquet" in str(info.value)


def test_missing_and_wrongly_mapped_columns_are_named(export):
    first = export / "csv" / "orders_0.csv"
    with pytest.raises(DataValidationError) as info:
        scan_transactions(first, delimiter=";")
    message = str(info.value)
    assert "['customer_id', 'timestamp', 'amount']" in message and "'Customer'" in message
    with pytest.raises(DataValidationError, match="'timestamp' -> 'Date' names a column"):
        scan_transactions(first, delimiter=";", columns={"timestamp": "Date"})
    with pytest.raises(ValueError, match="engine must be one of"):
        scan_transactions(first, engine="spark")


def test_files_source_reads_a_parquet_directory_and_a_csv_glob(export, log):
    from marketing_utils.datasets.files import load_files

    from_directory = load_files(transactions={"path": str(export / "parquet")})
    assert len(from_directory.transactions) == len(log)
    assert from_directory.transactions["amount"].sum() == pytest.approx(log["amount"].sum())
    options = {**CSV_OPTIONS, "path": str(export / "csv" / "orders_*.csv")}
    from_glob = load_files(transactions=options).transactions
    assert len(from_glob) == len(log)
    assert from_glob["timestamp"].tolist() == log["timestamp"].dt.floor("s").tolist()


def test_files_of_a_glob_must_share_their_columns(tmp_path):
    from marketing_utils.datasets.files import load_files

    pd.DataFrame({"customer_id": ["a"], "timestamp": ["2024-01-01"], "amount": [1.0]}).to_csv(
        tmp_path / "t1.csv", index=False
    )
    pd.DataFrame({"customer_id": ["b"], "timestamp": ["2024-01-02"], "total": [2.0]}).to_csv(
        tmp_path / "t2.csv", index=False
    )
    with pytest.raises(DataValidationError, match=r"t2.csv.*expected the columns of t1.csv"):
        load_files(transactions={"path": str(tmp_path / "t*.csv")})


def test_params_accept_a_directory_and_hash_each_of_its_files(export, tmp_path):
    from marketing_utils.params.file import validate_params

    raw = {
        "run_name": "dir",
        "data": {"source": "files", "transactions": {"path": str(export / "parquet")}},
    }
    params = validate_params(raw, [])
    files = params.input_files()
    assert len(files) >= 14 and all(f.suffix == ".parquet" for f in files)
    raw["data"]["transactions"]["path"] = str(tmp_path / "nothing_*.parquet")
    with pytest.raises(ParamsError, match="input file not found"):
        validate_params(raw, [])
