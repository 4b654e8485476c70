"""``marketing-workbook export-campaign``: files written, settings from params, errors."""

from __future__ import annotations

import json

import pandas as pd

from marketing_utils.readout.export import file_sha256
from marketing_utils.runner.cli import main


def _write_list(targeting_list, folder):
    path = folder / "targeting_list.csv"
    targeting_list.to_csv(path, index=False)
    return path


def test_export_campaign_from_a_targeting_list(targeting_list, tmp_path, capsys):
    source = _write_list(targeting_list, tmp_path)
    before = file_sha256(source)
    out = tmp_path / "deploy" / "import.csv"
    code = main(["export-campaign", "--list", str(source), "--out", str(out), "--holdout-share", "0.3",
                 "--seed", "5", "--campaign-start", "2025-11-01"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "30 customers deployed: 21 to contact" in printed and "9 held out" in printed
    record = json.loads((tmp_path / "deploy" / "import.export.json").read_text())
    assert (
        record["holdout_share"] == 0.3 and record["seed"] == 5 and record["stratify_by"] == "decile"
    )
    assert record["campaign_start"] == "2025-11-01"
    assert record["import_file"]["sha256"] == file_sha256(out)
    assert len(pd.read_csv(out)) == 21
    assert file_sha256(source) == before


def test_export_campaign_takes_share_and_seed_from_params(campaign_plan, tmp_path, capsys):
    source = tmp_path / "campaign_plan.parquet"
    campaign_plan.to_parquet(source)
    params = tmp_path / "run.yaml"
    params.write_text(
        "run_name: t\nseed: 9\ndata:\n  source: synthetic\n  n_customers: 100\n"
        "campaign_readout:\n  holdout_share: 0.1\n"
    )
    out = tmp_path / "import.csv"
    assert (
        main(["export-campaign", "--list", str(source), "--out", str(out), "--params", str(params)])
        == 0
    )
    record = json.loads((tmp_path / "import.export.json").read_text())
    assert (record["holdout_share"], record["seed"], record["stratify_by"]) == (0.1, 9, "offer")
    assert record["n_holdout"] == 3  # 2 of 20 e-mails, 1 of 10 calls
    assert pd.read_csv(out).columns.tolist() == ["customer_id", "offer"]
    # An explicit option wins over the params file.
    out2 = tmp_path / "again.csv"
    main(
        [
            "export-campaign",
            "--list",
            str(source),
            "--out",
            str(out2),
            "--params",
            str(params),
            "--seed",
            "1",
        ]
    )
    assert json.loads((tmp_path / "again.export.json").read_text())["seed"] == 1


def test_export_campaign_errors(targeting_list, tmp_path, capsys):
    source = _write_list(targeting_list, tmp_path)
    assert main(["export-campaign", "--list", str(source), "--out", str(source)]) == 1
    assert "inputs are never written" in capsys.readouterr().err
    out = tmp_path / "import.csv"
    assert main(["export-campaign", "--list", str(source), "--out", str(out)]) == 0
    assert main(["export-campaign", "--list", str(source), "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["export-campaign", "--list", str(source), "--out", str(out), "--force"]) == 0
    assert main(["export-campaign", "--list", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = main(
        [
            "export-campaign",
            "--list",
            str(source),
            "--out",
            str(tmp_path / "x.csv"),
            "--campaign-start",
            "soon",
        ]
    )
    assert bad == 2
