"""Stage 10, campaign readout: deploy a list with a holdout, read out what the campaign did.

* :mod:`.export`: the import file and export record with a seeded, stratified holdout;
* :mod:`.simulate`: outcomes played forward from the synthetic ground truth;
* :mod:`.join`: outcomes joined to the export, exclusions in a ledger;
* :mod:`.estimates`: treated against holdout with Newcombe / Wald intervals;
* :mod:`.power`: minimum detectable lift and sample size for the next test;
* :mod:`.io`: reading records and outcomes, the campaign table fed back;
* :mod:`.inputs`: a real campaign's files, or the synthetic deployment of a report run;
* :mod:`.stage`: :func:`campaign_readout`, what the notebook calls; :mod:`.plots`: its figures.
"""

from .estimates import (
    effect_table,
    newcombe_interval,
    stratified_newcombe_interval,
    wald_difference_interval,
    wilson_interval,
)
from .export import CampaignExport, export_campaign, read_campaign_source, write_campaign_export
from .inputs import ReadoutInputs, readout_inputs
from .io import (
    campaign_table,
    check_outcomes,
    read_export_record,
    read_outcomes,
    verify_import_file,
    write_campaign_table,
)
from .join import join_outcomes
from .power import mde_by_holdout_share, minimum_detectable_lift, required_customers
from .simulate import coverage_study, export_coverage, simulate_outcomes, true_effects
from .stage import ReadoutResult, campaign_readout

__all__ = [
    "CampaignExport",
    "ReadoutInputs",
    "ReadoutResult",
    "campaign_readout",
    "campaign_table",
    "check_outcomes",
    "coverage_study",
    "effect_table",
    "export_campaign",
    "export_coverage",
    "join_outcomes",
    "mde_by_holdout_share",
    "minimum_detectable_lift",
    "newcombe_interval",
    "read_campaign_source",
    "read_export_record",
    "read_outcomes",
    "readout_inputs",
    "required_customers",
    "simulate_outcomes",
    "stratified_newcombe_interval",
    "true_effects",
    "verify_import_file",
    "wald_difference_interval",
    "wilson_interval",
    "write_campaign_export",
    "write_campaign_table",
]
