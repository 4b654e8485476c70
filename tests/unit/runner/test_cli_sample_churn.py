"""``marketing-workbook sample-data --churn`` writes the churn table once, never over a file."""

from __future__ import annotations

import pandas as pd

from marketing_utils.runner.cli import main


def test_sample_data_churn_writes_the_table_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["sample-data", str(tmp_path), "--churn", "--customers", "200", "--seed", "1"]) == 0
    path = tmp_path / "synthetic_churn.csv"
    assert capsys.readouterr().out.strip() == str(path)
    table = pd.read_csv(path)
    assert set(table["churned"]) == {"Yes", "No"} and table["customer_id"].is_unique
    before = path.read_bytes()
    assert main(["sample-data", str(tmp_path), "--churn", "--customers", "200"]) == 1
    assert "exists; never written over a file" in capsys.readouterr().err
    assert path.read_bytes() == before
