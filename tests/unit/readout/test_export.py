"""Deploy: the seeded stratified holdout, the import file and the export record."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.readout.export import (
    export_campaign,
    file_sha256,
    holdout_mask,
    read_campaign_source,
    write_campaign_export,
)
from marketing_utils.readout.io import read_export_record, verify_import_file


def test_holdout_mask_draws_the_share_in_each_stratum():
    strata = np.array([0] * 10 + [1] * 25 + [2] * 3)
    mask = holdout_mask(strata, 0.2, np.random.default_rng(1))
    # round(0.2 * n): 2 of 10, 5 of 25, 1 of 3 (0.6 rounds up).
    assert [int(mask[strata == s].sum()) for s in range(3)] == [2, 5, 1]


def test_holdout_mask_is_uniform_within_a_stratum():
    strata = np.zeros(5, dtype=int)
    rng = np.random.default_rng(0)
    counts = sum(holdout_mask(strata, 0.2, rng).astype(int) for _ in range(5000))
    # Each of 5 customers is the one held out in about 1/5 of 5000 draws.
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(5000 * 0.2 * 0.8))


def test_export_of_a_targeting_list(targeting_list):
    export = export_campaign(targeting_list, holdout_share=0.2, seed=3, campaign_start="2025-10-02")
    customers = export.customers
    assert customers["customer_id"].tolist() == targeting_list["customer_id"][:30].tolist()
    assert export.info["stratify_by"] == "decile"
    # 2 of 10 held out in each of the deciles 1-3.
    assert customers.groupby("decile")["treatment"].apply(
        lambda t: int((t == 0).sum())
    ).tolist() == [2, 2, 2]
    assert export.info["n_treated"] == 24 and export.info["n_holdout"] == 6
    assert export.info["campaign_start"] == "2025-10-02"
    assert {"score", "decile", "segment"} <= set(customers.columns)
    assert (
        export.import_table()["customer_id"].tolist()
        == customers.loc[customers["treatment"] == 1, "customer_id"].tolist()
    )


def test_export_is_seeded_and_independent_of_row_order(targeting_list):
    first = export_campaign(targeting_list, seed=5).customers
    again = export_campaign(targeting_list, seed=5).customers
    shuffled = export_campaign(targeting_list.sample(frac=1, random_state=0), seed=5).customers
    other = export_campaign(targeting_list, seed=6).customers
    assert first.equals(again)
    holdout = set(first.loc[first["treatment"] == 0, "customer_id"])
    assert holdout == set(shuffled.loc[shuffled["treatment"] == 0, "customer_id"])
    assert holdout != set(other.loc[other["treatment"] == 0, "customer_id"])


def test_the_holdout_does_not_depend_on_the_pseudonymization_key(targeting_list):
    """Another run's key renames every id (and reorders them); the same customers are held out.

    Scores tied in pairs, as a tree model's are, so ties must not be broken by the id.
    """
    tied = targeting_list.assign(score=[round(0.9 - 0.02 * (i // 2), 2) for i in range(40)])
    renamed = tied.assign(customer_id=[f"cust_{(i * 7) % 40:03d}x" for i in range(40)])
    first = export_campaign(tied, seed=5).customers
    second = export_campaign(renamed, seed=5).customers
    assert first["treatment"].tolist() == second["treatment"].tolist()  # row by row, same rows


def test_export_of_a_campaign_plan_is_stratified_by_offer(campaign_plan):
    export = export_campaign(campaign_plan, holdout_share=0.3, seed=1)
    assert export.info["source_kind"] == "campaign_plan"
    assert export.info["stratify_by"] == "offer"
    assert export.info["by_stratum"] == {
        "call": {"customers": 10, "treated": 7, "holdout": 3},
        "email": {"customers": 20, "treated": 14, "holdout": 6},
    }
    assert export.import_table().columns.tolist() == ["customer_id", "offer"]
    assert "expected_uplift" in export.customers and "expected_profit" in export.customers


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.assign(customer_id=["cust_000"] * 2 + t["customer_id"][2:].tolist()),
            "more than once",
        ),
        (lambda t: t.assign(selected=False), "found none of 40 selected"),
        (lambda t: t.drop(columns=["selected"]), "expected a targeting list"),
        (lambda t: t.assign(selected="maybe"), "expected True/False"),
    ],
)
def test_export_rejects_bad_lists(targeting_list, change, message):
    with pytest.raises(DataValidationError, match=message):
        export_campaign(change(targeting_list))


def test_export_refuses_an_empty_holdout_and_bad_parameters(targeting_list):
    with pytest.raises(DataValidationError, match="at least one holdout customer"):
        export_campaign(targeting_list, holdout_share=0.01)
    with pytest.raises(DataValidationError, match="holdout_share"):
        export_campaign(targeting_list, holdout_share=1.5)
    with pytest.raises(DataValidationError, match="stratify_by"):
        export_campaign(targeting_list, stratify_by="region")


def test_write_and_read_back(targeting_list, tmp_path):
    source = tmp_path / "in" / "targeting_list.csv"
    source.parent.mkdir()
    targeting_list.to_csv(source, index=False)
    before = file_sha256(source)
    export = export_campaign(read_campaign_source(source), seed=2, campaign_start="2025-10-02")
    out, record = write_campaign_export(export, tmp_path / "out" / "import.csv", inputs=(source,))
    assert record.name == "import.export.json"
    assert file_sha256(source) == before  # the input is untouched
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "import.csv",
        "import.export.json",
    ]  # no temporaries
    imported = pd.read_csv(out)
    assert imported["customer_id"].tolist() == export.import_table()["customer_id"].tolist()
    document = json.loads(record.read_text())
    assert document["import_file"]["sha256"] == file_sha256(out)
    assert document["source"]["files"] == [{"name": "targeting_list.csv", "sha256": before}]
    back = read_export_record(record)
    assert back.customers[["customer_id", "treatment"]].equals(
        export.customers[["customer_id", "treatment"]]
    )
    assert back.customers["score"].tolist() == pytest.approx(export.customers["score"].tolist())
    assert verify_import_file(back, out) == file_sha256(out)


def test_write_refuses_inputs_and_existing_records(targeting_list, tmp_path):
    source = tmp_path / "list.csv"
    targeting_list.to_csv(source, index=False)
    export = export_campaign(targeting_list)
    with pytest.raises(DataValidationError, match="inputs are never written"):
        write_campaign_export(export, source, inputs=(source,))
    write_campaign_export(export, tmp_path / "import.csv", inputs=(source,))
    with pytest.raises(DataValidationError, match="may already be deployed"):
        write_campaign_export(export, tmp_path / "import.csv", inputs=(source,))
    write_campaign_export(export, tmp_path / "import.csv", inputs=(source,), overwrite=True)
    with pytest.raises(DataValidationError, match=".csv import file"):
        write_campaign_export(export, tmp_path / "import.parquet")


def test_changed_list_or_record_is_refused(targeting_list, tmp_path):
    export = export_campaign(targeting_list, seed=1)
    out, record = write_campaign_export(export, tmp_path / "import.csv")
    back = read_export_record(record)
    edited = tmp_path / "edited.csv"
    edited.write_text(out.read_text() + "cust_999\n")
    with pytest.raises(DataValidationError, match="sha256"):
        verify_import_file(back, edited)
    document = json.loads(record.read_text())
    document["customers"]["treatment"][0] = 1 - document["customers"]["treatment"][0]
    record.write_text(json.dumps(document))
    with pytest.raises(DataValidationError, match="record was edited"):
        read_export_record(record)
    record.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(DataValidationError, match="expected an export record"):
        read_export_record(record)
