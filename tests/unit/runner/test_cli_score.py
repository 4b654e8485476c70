"""``marketing-workbook score``: end to end in a subprocess, and its error messages."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from marketing_utils.privacy import assert_no_pii, pseudonymize_ids
from marketing_utils.runner.cli import main
from tests.unit.scoring_helpers import KEY, train_small_model

pytestmark = pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("cli-score"), n_customers=300)


def _cli(*args, key: str | None = KEY.decode()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WORKBOOK_PSEUDONYM_KEY"}
    if key is not None:
        env["WORKBOOK_PSEUDONYM_KEY"] = key
    command = [sys.executable, "-W", "ignore::FutureWarning", "-m", "marketing_utils", "score"]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=300, env=env
    )


def _args(trained, data, out, *extra):
    return [str(a) for a in ("--model", trained["model"], "--data", data, "--out", out, *extra)]


def test_score_writes_parquet_and_csv_with_pseudonymized_ids(
    trained, tmp_path, capsys, monkeypatch
):
    raw = trained["raw"]
    as_of = ["--as-of", trained["cutoff"]]
    # The installed entry point once, in a subprocess; the CSV run on Dask in this process.
    parquet = _cli(*_args(trained, raw / "transactions.parquet", tmp_path / "s.parquet",
                          "--customers", raw / "customers.parquet", *as_of))  # fmt: skip
    assert parquet.returncode == 0, parquet.stderr
    monkeypatch.setenv("WORKBOOK_PSEUDONYM_KEY", KEY.decode())
    code = main(["score", *_args(trained, raw / "transactions.csv", tmp_path / "s.csv",
                                 "--customers", raw / "customers.csv", "--engine", "dask", *as_of)])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "customers scored from transactions as of " + trained["cutoff"] in parquet.stdout
    assert "WORKBOOK_PSEUDONYM_KEY" in parquet.stdout and "on dask" in printed.out

    from_parquet = pd.read_parquet(tmp_path / "s.parquet")
    from_csv = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": "str"})
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_exact=True)
    report = trained["store"].load("scores").set_index("customer_id")["score"]
    scores = from_parquet.set_index("customer_id")["score"]
    assert sorted(scores.index) == sorted(report.index)  # the report's ids: same key
    assert (scores - report.reindex(scores.index)).abs().max() < 1e-12
    assert from_parquet["decile"].value_counts().sort_index().index.tolist() == list(range(1, 11))
    raw_ids = pd.Series(trained["data"].transactions["customer_id"].unique())
    for output in (from_parquet, parquet.stdout, printed.out, (tmp_path / "s.csv").read_text()):
        assert_no_pii(output, raw_ids)
    assert set(scores.index) <= set(pseudonymize_ids(raw_ids, key=KEY))


def test_raw_ids_without_a_key_are_refused_before_any_work(trained, tmp_path):
    out = _cli(*_args(trained, trained["raw"] / "transactions.parquet", tmp_path / "s.csv"),
               key=None)  # fmt: skip
    assert out.returncode == 1
    assert "WORKBOOK_PSEUDONYM_KEY" in out.stderr and "--ids-pseudonymized" in out.stderr
    assert not (tmp_path / "s.csv").exists()


def test_report_features_with_ids_pseudonymized_need_no_key(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WORKBOOK_PSEUDONYM_KEY", raising=False)
    features = trained["store"].path("customer_features")
    code = main(["score", *_args(trained, features, tmp_path / "s.csv", "--ids-pseudonymized")])
    assert code == 0, capsys.readouterr().err
    out = pd.read_csv(tmp_path / "s.csv")
    assert out["customer_id"].tolist() == pd.read_parquet(features)["customer_id"].tolist()
    assert "kept as given" in capsys.readouterr().out


def test_error_messages(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBOOK_PSEUDONYM_KEY", KEY.decode())
    features = pd.read_parquet(trained["store"].path("customer_features"))
    features.drop(columns=["frequency"]).to_parquet(tmp_path / "f.parquet")
    flag = "--ids-pseudonymized"
    assert main(["score", *_args(trained, tmp_path / "f.parquet", tmp_path / "o.csv", flag)]) == 1
    assert "['frequency'] (missing)" in capsys.readouterr().err
    assert main(["score", *_args(trained, tmp_path / "nothing.csv", tmp_path / "o.csv")]) == 2
    assert "nothing.csv not found" in capsys.readouterr().err
    data = trained["raw"] / "transactions.parquet"
    assert main(["score", *_args(trained, data, tmp_path / "o.csv", "--as-of", "soon")]) == 2
    assert "soon" in capsys.readouterr().err
    assert main(["score", *_args(trained, data, tmp_path / "o.xlsx")]) == 1
    assert "ending in .parquet or .csv" in capsys.readouterr().err
    assert not list(tmp_path.glob("o.*"))
