"""A notebook may require a capability or a parameter the user set (``parameter:<name>``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from marketing_utils.params.notebooks import NotebookSpec
from marketing_utils.runner.run import _parameters_given, _skip_reason

SPEC = NotebookSpec(
    path=Path("10_campaign_readout.ipynb"),
    stem="10_campaign_readout",
    section="campaign_readout",
    requires=["ground_truth | parameter:outcomes_path"],
)


def test_parameters_given_lists_non_empty_parameters():
    params = SimpleNamespace(
        sections={"campaign_readout": {"outcomes_path": "out.csv", "export_record": ""}}
    )
    assert _parameters_given(params, SPEC) == {"parameter:outcomes_path"}
    assert _parameters_given(SimpleNamespace(sections={}), SPEC) == set()


def test_skip_reason_names_the_capability_and_the_parameter():
    assert _skip_reason(SPEC, {"ground_truth"}) is None
    assert _skip_reason(SPEC, {"parameter:outcomes_path", "transactions"}) is None
    reason = _skip_reason(SPEC, {"transactions"})
    assert "synthetic data with its ground truth" in reason
    assert "the parameter campaign_readout.outcomes_path" in reason
    assert reason.endswith("the data provides: transactions")


def test_papermill_parses_every_parameter_of_every_notebook(caplog):
    # papermill reads `name = value  # help` lines with a regular expression; an "=" in the
    # help text makes it skip the line and print "Unable to parse line ..." on every run.
    import logging

    import papermill

    from marketing_utils.params.notebooks import discover_notebooks

    for spec in discover_notebooks(None):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            parsed = papermill.inspect_notebook(str(spec.path))
        assert not caplog.records, (spec.stem, [r.getMessage() for r in caplog.records])
        assert set(spec.parameters) <= set(parsed), spec.stem
