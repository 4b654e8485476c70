"""Where the readout's inputs come from in a report run.

Two ways, chosen by the notebook's parameters:

* **a real campaign**: ``export_record`` (written by ``marketing-workbook
  export-campaign`` when the list was deployed), optionally its
  ``import_file`` (checked against the record's sha256) and
  ``outcomes_path`` (what the campaign produced);
* **synthetic data** (no outcomes file): the list of this run (09's
  ``campaign_plan`` when present, else 04's targeting list) is deployed here
  with a seeded holdout, written and read back like a real export, and the
  campaign is played forward from the ground truth of 01.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataValidationError
from .export import CampaignExport, export_campaign, read_campaign_source, write_campaign_export
from .io import read_export_record, read_outcomes, verify_import_file
from .simulate import simulate_outcomes, true_effects

__all__ = ["ReadoutInputs", "readout_inputs"]


@dataclass(frozen=True)
class ReadoutInputs:
    """The deployed list, the outcomes and (on synthetic data) the true effect."""

    export: CampaignExport
    outcomes: pd.DataFrame
    campaign_start: str
    simulated: bool
    true_effect: dict | None = None
    notes: dict = field(default_factory=dict)


def _order_values(store) -> pd.Series | float:
    if not store.exists("customer_features"):
        return 50.0
    features = store.load("customer_features")
    for column in ("avg_basket", "avg_order_value", "monetary_value"):
        if column in features:
            values = features.set_index("customer_id")[column].astype(float)
            return values[values > 0]
    return 50.0


def _stored_csv(store, name: str):
    """Path of the CSV artifact ``name`` of the run (04's targeting list, 09's plan as CSV)."""
    return store.run_dir / "artifacts" / f"{name}.csv"


def _deployed_source(store, source: str) -> tuple[pd.DataFrame, str]:
    plan_csv = _stored_csv(store, "campaign_plan")
    plan = store.exists("campaign_plan") or plan_csv.is_file()
    listing = _stored_csv(store, "targeting_list")
    if source not in ("auto", "campaign_plan", "targeting_list"):
        raise DataValidationError(
            "parameter source",
            f"expected 'auto', 'campaign_plan' or 'targeting_list', found {source!r}",
        )
    if source == "campaign_plan" or (source == "auto" and plan):
        if store.exists("campaign_plan"):
            return store.load("campaign_plan"), "campaign_plan"
        return read_campaign_source(plan_csv), plan_csv.name
    if not listing.is_file():
        raise FileNotFoundError(f"targeting list {listing} not found: run 04_evaluation first")
    return read_campaign_source(listing), listing.name


def readout_inputs(
    store,
    *,
    seed: int,
    source: str = "auto",
    holdout_share: float = 0.2,
    stratify_by: str = "auto",
    export_record: str = "",
    import_file: str = "",
    outcomes_path: str = "",
    campaign_start: str = "auto",
    window_days: int = 30,
) -> ReadoutInputs:
    """Load (or, on synthetic data, deploy and simulate) what the readout needs.

    Parameters
    ----------
    store : Artifacts
        The run's artifacts.
    seed : int
        Seed of the holdout draw and of the simulated outcomes.
    source, holdout_share, stratify_by :
        What to deploy and how (synthetic deployment only).
    export_record, import_file, outcomes_path : str
        A real campaign's files ("" when not given).
    campaign_start : str
        ISO date, or ``"auto"``: the record's, else the data's cutoff date.
    window_days : int
        Days of the simulated campaign.

    Raises
    ------
    DataValidationError
        Outcomes without an export record; no outcomes and no ground truth.
    """
    info = store.load("preprocessing_info") if store.exists("preprocessing_info") else {}
    cutoff = info.get("source_info", {}).get("cutoff")
    if outcomes_path:
        if not export_record:
            raise DataValidationError(
                "parameter export_record", "expected the export record of the deployed list with outcomes_path, "
                "found none: outcomes can only be read out against the holdout drawn at deployment",
            )  # fmt: skip
        export = read_export_record(export_record)
        notes = (
            {"import_file_sha256": verify_import_file(export, import_file)} if import_file else {}
        )
        start = export.info.get("campaign_start") if campaign_start == "auto" else campaign_start
        return ReadoutInputs(export, read_outcomes(outcomes_path), start, False, None, notes)
    if not store.exists("truth"):
        raise DataValidationError(
            "parameter outcomes_path", "expected the campaign's outcomes file, found none, and the data has no "
            "ground truth to simulate the campaign from",
        )  # fmt: skip
    if export_record:
        export = read_export_record(export_record)
        if import_file:
            verify_import_file(export, import_file)
        notes = {"deployed": "from the given export record"}
    else:
        table, name = _deployed_source(store, source)
        start = cutoff if campaign_start == "auto" else campaign_start
        export = export_campaign(table, holdout_share=holdout_share, stratify_by=stratify_by, seed=seed,
                                 campaign_start=start, where=name)  # fmt: skip
        out, record = write_campaign_export(
            export,
            store.path("campaign_import").with_suffix(".csv"),
            store.path("campaign_export", "json"),
            overwrite=True,
        )
        # Read back and check like a real deployment: the readout uses only what was written.
        export = read_export_record(record)
        notes = {"deployed": name, "import_file_sha256": verify_import_file(export, out)}
    start = (
        (export.info.get("campaign_start") or cutoff)
        if campaign_start == "auto"
        else campaign_start
    )
    truth = store.load("truth")
    values = _order_values(store)
    outcomes = simulate_outcomes(export, truth, seed=seed + 1, campaign_start=start, window_days=window_days,
                                 order_values=values)  # fmt: skip
    effect = true_effects(export, truth, values)
    return ReadoutInputs(export, outcomes, start, True, effect, notes)
