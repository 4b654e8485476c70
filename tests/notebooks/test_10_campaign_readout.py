"""10_campaign_readout: papermill on a small synthetic run, and in the ci report."""

from __future__ import annotations

import json

import pandas as pd
import papermill
import pytest
import yaml

from marketing_utils.artifacts import Artifacts
from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.evaluate import assign_deciles
from marketing_utils.params import load_data, load_params
from marketing_utils.preprocess import preprocess
from marketing_utils.preprocess.stage import save_preprocessing
from marketing_utils.readout.export import file_sha256
from marketing_utils.uplift import campaign_uplift
from tests.notebooks.conftest import ROOT

KEYS = ("incremental_rate", "ci_low", "ci_high", "true_effect", "ci_covers_truth")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """01's artifacts of 800 synthetic customers and a targeting list ranked by the true propensity."""
    run_dir = tmp_path_factory.mktemp("readout-run")
    store = Artifacts(run_dir)
    save_preprocessing(preprocess(make_synthetic(800, seed=3), key=b"k" * 32), store)
    truth = store.load("truth")
    truth = truth[truth["acquired_before_cutoff"]]
    score = truth["true_purchase_prob"].to_numpy()
    listing = pd.DataFrame(
        {
            "customer_id": truth["customer_id"],
            "score": score,
            "decile": assign_deciles(score, 10),
            "segment": truth["persona"],
            "selected": score >= 0.1,
        }
    )
    listing.to_csv(run_dir / "artifacts" / "targeting_list.csv", index=False)
    return run_dir, listing


@pytest.fixture(scope="module")
def readout_run(small_run, tmp_path_factory):
    """Notebook 10 run once on the small run (the tests below share it)."""
    run_dir, listing = small_run
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "10_campaign_readout.ipynb"),
        str(tmp_path_factory.mktemp("readout-out") / "out.ipynb"),
        parameters={"run_dir": str(run_dir), "seed": 5, "holdout_share": 0.3, "min_group_size": 10},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    return run_dir, listing


def test_notebook_closes_the_loop_on_synthetic_data(readout_run):
    run_dir, listing = readout_run
    store = Artifacts(run_dir)
    metrics = store.metrics()["readout"]
    for key in KEYS:
        assert key in metrics, key
    assert metrics["ci_low"] <= metrics["incremental_rate"] <= metrics["ci_high"]
    assert metrics["ci_covers_truth"] == (
        metrics["ci_low"] <= metrics["true_effect"] <= metrics["ci_high"]
    )
    # Every selected customer is deployed and accounted for (nothing excluded on simulated outcomes).
    selected = int(listing["selected"].sum())
    assert metrics["n_exported"] == selected == metrics["n_treated"] + metrics["n_holdout"]
    assert metrics["n_excluded"] == 0
    assert metrics["n_holdout"] == pytest.approx(0.3 * selected, abs=10)  # rounding in 10 strata
    # The deployment files, as a real export writes them, and the campaign table fed back.
    artifacts = run_dir / "artifacts"
    record = json.loads((artifacts / "campaign_export.json").read_text())
    assert record["import_file"]["sha256"] == file_sha256(artifacts / "campaign_import.csv")
    feedback = pd.read_csv(artifacts / "campaign_outcomes.csv")
    assert feedback.columns.tolist() == ["customer_id", "treatment", "response", "spend"]
    assert len(feedback) == selected and feedback["treatment"].sum() == metrics["n_treated"]
    assert feedback["response"].mean() == pytest.approx(
        (
            metrics["treated_rate"] * metrics["n_treated"]
            + metrics["holdout_rate"] * metrics["n_holdout"]
        )
        / selected,
        abs=0.02,  # rates are stratum-weighted, the table's mean is pooled
    )


def test_ci_report_records_the_readout(ci_report):
    result, all_metrics = ci_report
    metrics = all_metrics["readout"]
    for key in KEYS:
        assert key in metrics, key
    # A 95% interval misses the truth in 1 run of 20 (the coverage itself is tested over 400
    # simulated campaigns in tests/unit/readout): here, the estimate is within 4 standard errors.
    assert metrics["ci_covers_truth"] == (
        metrics["ci_low"] <= metrics["true_effect"] <= metrics["ci_high"]
    )
    se = (metrics["ci_high"] - metrics["ci_low"]) / (2 * 1.96)
    assert abs(metrics["incremental_rate"] - metrics["true_effect"]) < 4 * se
    assert (
        metrics["n_exported"] == metrics["n_treated"] + metrics["n_holdout"] + metrics["n_excluded"]
    )
    status = {e["stem"]: e["status"] for e in result.notebooks}
    assert status["10_campaign_readout"] == "ran"


def test_notebook_records_its_headline_and_decision(readout_run):
    run_dir, _ = readout_run
    metrics = Artifacts(run_dir).metrics()
    readout, section = metrics["readout"], metrics["campaign_readout"]
    figures = section["headline"]
    assert 2 <= len(figures) <= 4
    labels = [f["label"] for f in figures]
    assert labels[:2] == ["incremental conversion rate", "return on spend (on margin)"]
    assert figures[0]["value"] == pytest.approx(readout["incremental_rate"])
    # On the notebook's default margin (0.3, as 08's): margin, not revenue, per unit spent.
    assert readout["margin"] == 0.3
    assert figures[1]["value"] == pytest.approx(readout["return_on_spend"])
    assert readout["return_on_spend"] == pytest.approx(0.3 * readout["revenue_per_unit_spent"])
    assert "1.0 pays back the contacts" in figures[1]["comparison"]
    assert ("covers it" if readout["ci_covers_truth"] else "misses it") in figures[0]["comparison"]
    # The list is ranked by the true propensity: the ranking check is recorded and shown.
    assert figures[2]["label"] == "predicted ranking held"
    assert figures[2]["value"] == readout["ranking_held"] in ("yes", "no", "not clear")
    assert labels[3] in ("customers for the next test", "smallest lift this test detects")
    if (
        labels[3] == "customers for the next test"
    ):  # sized for half the lift measured, not all of it
        assert readout["next_test_min_effect"] == pytest.approx(0.5 * readout["incremental_rate"])
        assert "(half of the" in figures[3]["reading"]
    # The outcomes were simulated from the synthetic ground truth: the decision says so first.
    assert readout["outcomes"] == "simulated"
    assert section["decision"].startswith(
        "In a simulated readout (outcomes drawn from the synthetic ground truth, not a real "
        "campaign): the campaign added"
    )
    assert section["complete_metrics"] == "readout"
    assert section["incremental_rate"] == readout["incremental_rate"]
    assert abs(readout["true_effect_z"]) < 4


def test_campaign_table_feeds_the_next_run(readout_run, tmp_path):
    """Feedback: the written campaign table is the next run's data.campaign, and 01 + 05 learn from it.

    The next run is a ``files`` params file (the run's transactions, under the pseudonyms the list
    was deployed with, and ``campaign_outcomes.csv``); it runs 01's and 05's package calls with the
    parameters the runner would inject (papermill is not run again: the suite's budget).
    """
    run_dir, _ = readout_run
    store = Artifacts(run_dir)
    feedback_path = run_dir / "artifacts" / "campaign_outcomes.csv"
    feedback = pd.read_csv(feedback_path, dtype={"customer_id": str})
    transactions = tmp_path / "transactions.csv"
    store.load("transactions_clean").to_csv(transactions, index=False)
    params_file = tmp_path / "next.yaml"
    params_file.write_text(
        yaml.safe_dump(
            {
                "run_name": "next",
                "output_dir": str(tmp_path / "reports"),
                "seed": 7,
                "data": {
                    "source": "files",
                    "observation_end": "2025-12-31",
                    "transactions": {"path": str(transactions)},
                    "campaign": {"path": str(feedback_path)},
                },
                "campaign_uplift": {"models": ["t_learner"], "n_bootstrap": 20, "cv_folds": 2},
            }
        )
    )
    params = load_params(params_file)
    # 01, as its notebook calls it
    section = params.sections["preprocessing"]
    raw = load_data(params.data, seed=params.seed, horizon_days=section["horizon_days"])
    assert {"campaign.treatment", "campaign.response"} <= raw.capabilities()
    result = preprocess(raw, cutoff=section["cutoff"], horizon_days=section["horizon_days"],
                        seed=params.seed, key=b"n" * 32)  # fmt: skip
    campaign = result.clean.campaign
    assert len(campaign) == len(feedback)  # every customer of the table is read back
    assert campaign["treatment"].sum() == feedback["treatment"].sum()
    assert campaign["response"].sum() == feedback["response"].sum()
    # 05 learns the uplift model from the fed-back campaign.
    u = params.sections["campaign_uplift"]
    uplift = campaign_uplift(
        result.features, campaign, numeric=result.info["numeric_features"],
        categorical=result.info["categorical_features"], arm=u["arm"], models=tuple(u["models"]),
        base_learner=u["base_learner"], test_size=u["test_size"], cv_folds=u["cv_folds"],
        top_share=u["top_share"], n_bootstrap=u["n_bootstrap"], min_group_size=u["min_group_size"],
        seed=params.seed,
    )  # fmt: skip
    ate = uplift.metrics()["ate"]
    by_group = feedback.groupby("treatment")["response"].mean()
    assert ate["ate"] == pytest.approx(by_group[1] - by_group[0])  # the campaign's own contrast
