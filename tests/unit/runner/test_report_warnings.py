"""The report index shows a "too good to be true" warning above the metrics."""

from __future__ import annotations

from marketing_utils.runner.report import render_index


def _index(metrics: dict) -> str:
    return render_index(
        title="t", run_name="r", notebooks=[], metrics=metrics, manifest={"data_source": "files"}
    )


def test_a_too_good_model_is_flagged_on_the_index():
    warning = "too good to be true: test ROC AUC 1.0000 > 0.99; check <Churn>"
    page = _index(
        {"propensity_modeling": {"test_roc_auc": 1.0, "too_good_to_be_true_warning": warning}}
    )
    flagged = page.split("<h2>Headline metrics</h2>")[0]
    assert (
        "propensity_modeling: too good to be true: test ROC AUC 1.0000 &gt; 0.99; check &lt;Churn&gt;"
        in flagged
    )


def test_no_warning_for_a_plausible_model():
    page = _index({"propensity_modeling": {"test_roc_auc": 0.8, "too_good_to_be_true": False}})
    assert "too good to be true" not in page
