"""Where the readout's inputs come from: a real campaign's files, or the synthetic deployment."""

from __future__ import annotations

import pandas as pd
import pytest

from marketing_utils.artifacts import Artifacts
from marketing_utils.errors import DataValidationError
from marketing_utils.readout.export import export_campaign, write_campaign_export
from marketing_utils.readout.inputs import readout_inputs
from marketing_utils.readout.stage import campaign_readout


def _deployed(targeting_list, folder):
    export = export_campaign(targeting_list, holdout_share=0.2, seed=8, campaign_start="2025-11-01")
    out, record = write_campaign_export(export, folder / "import.csv")
    ids = export.customers["customer_id"]
    outcomes = folder / "outcomes.csv"
    pd.DataFrame(
        {"customer_id": ids, "converted": [1, 0, 0] * 10, "revenue": [20.0, 0.0, 0.0] * 10,
         "date": ["2025-11-03", "", ""] * 10}
    ).to_csv(outcomes, index=False)  # fmt: skip
    return export, out, record, outcomes


def test_a_real_campaign_is_read_from_its_files(targeting_list, tmp_path):
    export, out, record, outcomes = _deployed(targeting_list, tmp_path)
    store = Artifacts(tmp_path / "run")
    inputs = readout_inputs(
        store, seed=1, export_record=str(record), import_file=str(out), outcomes_path=str(outcomes)
    )
    assert not inputs.simulated and inputs.true_effect is None
    assert inputs.campaign_start == "2025-11-01"
    assert inputs.outcomes["date"].notna().sum() == 10
    result = campaign_readout(inputs.export, inputs.outcomes, campaign_start=inputs.campaign_start)
    assert result.overall["customers"] == 30
    assert "true_effect" not in result.metrics()


def test_a_real_campaign_needs_its_record_and_a_matching_list(targeting_list, tmp_path):
    _, out, record, outcomes = _deployed(targeting_list, tmp_path)
    store = Artifacts(tmp_path / "run")
    with pytest.raises(DataValidationError, match="export_record"):
        readout_inputs(store, seed=1, outcomes_path=str(outcomes))
    out.write_text(out.read_text().replace("cust_000", "cust_0x0"))
    with pytest.raises(DataValidationError, match="sha256"):
        readout_inputs(
            store,
            seed=1,
            export_record=str(record),
            import_file=str(out),
            outcomes_path=str(outcomes),
        )


def test_without_outcomes_or_truth_there_is_nothing_to_read_out(tmp_path):
    with pytest.raises(DataValidationError, match="no\\s+ground truth"):
        readout_inputs(Artifacts(tmp_path), seed=1)


def test_synthetic_deployment_prefers_the_plan(campaign_plan, targeting_list, tmp_path):
    store = Artifacts(tmp_path)
    ids = campaign_plan["customer_id"]
    store.save(
        "truth",
        pd.DataFrame({"customer_id": ids, "p_response_control": 0.1, "p_response_treated": 0.3}),
    )
    store.save("preprocessing_info", {"source_info": {"cutoff": "2025-10-02"}})
    store.save("campaign_plan", campaign_plan)
    targeting_list.to_csv(tmp_path / "artifacts" / "targeting_list.csv", index=False)
    inputs = readout_inputs(store, seed=3, holdout_share=0.3)
    assert inputs.simulated and inputs.export.info["source_kind"] == "campaign_plan"
    assert inputs.export.info["stratify_by"] == "offer"
    assert inputs.campaign_start == "2025-10-02"
    assert inputs.true_effect["incremental_rate"] == pytest.approx(0.2)
    assert (tmp_path / "artifacts" / "campaign_import.csv").is_file()
    assert len(inputs.outcomes) == 30
    listing = readout_inputs(store, seed=3, source="targeting_list")
    assert listing.export.info["source_kind"] == "targeting_list"
