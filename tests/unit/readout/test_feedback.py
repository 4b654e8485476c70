"""The outcomes fed back: a canonical campaign table that a next run reads as ``data.campaign``."""

from __future__ import annotations

import pandas as pd

from marketing_utils.datasets.files import load_files
from marketing_utils.readout.export import export_campaign
from marketing_utils.readout.io import campaign_table, write_campaign_table
from marketing_utils.readout.join import join_outcomes


def test_campaign_table_is_read_back_by_the_files_source(targeting_list, tmp_path):
    export = export_campaign(targeting_list, holdout_share=0.3, seed=2)
    ids = export.customers["customer_id"]
    outcomes = pd.DataFrame({"customer_id": ids, "converted": (ids.str[-1] < "5").astype(int)})
    outcomes["revenue"] = outcomes["converted"] * 12.34
    joined, _ = join_outcomes(export, outcomes)
    path = write_campaign_table(campaign_table(joined), tmp_path / "campaign_outcomes.csv")
    data = load_files(campaign={"path": str(path)})
    campaign = data.campaign
    assert len(campaign) == 30
    assert {"campaign", "campaign.treatment", "campaign.response"} <= data.capabilities()
    merged = campaign.merge(joined, on="customer_id")
    assert (merged["treatment_x"] == merged["treatment_y"]).all()
    assert (merged["response"] == merged["converted"]).all()
    assert merged["spend"].tolist() == merged["revenue"].round(2).tolist()
    assert campaign["treatment"].sum() == export.info["n_treated"]
