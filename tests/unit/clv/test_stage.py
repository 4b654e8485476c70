"""Stage 08 end to end on a small synthetic log: the metrics interface, the artifacts, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketing_utils.artifacts import Artifacts
from marketing_utils.clv import CLV_COLUMNS, customer_lifetime_value, load_clv, save_clv
from marketing_utils.clv.io import params_table
from marketing_utils.clv.mle import ConvergenceError
from marketing_utils.datasets.synthetic import make_synthetic
from marketing_utils.errors import DataValidationError


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic(3000, seed=11, dirty=False)


@pytest.fixture(scope="module")
def result(synthetic):
    return customer_lifetime_value(synthetic.transactions, truth=synthetic.truth)


def test_metrics_interface(result):
    metrics = result.metrics()
    for key in ("r", "alpha", "a", "b"):
        assert math.isfinite(metrics["bgnbd"][key]) and metrics["bgnbd"][key] > 0
    for key in ("p", "q", "v"):
        assert metrics["gamma_gamma"][key] > 0
    for key in ("r", "alpha", "s", "beta"):
        assert metrics["pareto_nbd"][key] > 0
    holdout = metrics["holdout"]
    actual = result.calho["frequency_holdout"].sum()
    assert holdout["actual_repeat"] == actual
    # Every holdout figure is keyed by the model it belongs to: none reads as another model's.
    assert set(holdout["predicted_repeat"]) == set(result.predictions)
    for name, predicted in result.predictions.items():
        assert holdout["predicted_repeat"][name] == pytest.approx(predicted.sum(), abs=1e-3)
        assert holdout["relative_error"][name] == pytest.approx(
            predicted.sum() / actual - 1, abs=1e-4
        )
    assert holdout["predicted_repeat"]["bgnbd"] != holdout["predicted_repeat"]["pareto_nbd"]
    assert "pareto_nbd_predicted_repeat" not in holdout
    conditional = result.conditional.set_index("label")
    for model in ("bgnbd", "pareto_nbd"):
        errors = metrics["conditional_expectation_error"][model]
        assert errors["1"] == pytest.approx(
            conditional.loc["1", model] / conditional.loc["1", "actual"] - 1, abs=1e-4
        )
    assert metrics["time_unit"] == "W" and metrics["purchase_model"] in ("bgnbd", "pareto_nbd")
    # 2023-01-01 .. 2025-12-31 (last purchase day): calibration the first two thirds
    assert metrics["calibration_end"] == "2024-12-30"


def test_synthetic_targets(result):
    truth = result.truth
    # the model beats both naive baselines, and P(alive) ranks the truly alive first
    best = min(truth["mae"]["bgnbd"], truth["mae"]["pareto_nbd"])
    assert best < truth["mae"]["rate_forward"] and best < truth["mae"]["gap_rule"]
    assert truth["p_alive_auc"] >= 0.85
    assert truth["mae"]["truth_informed"] < best  # knowing the truth helps


def test_artifacts_written_and_read_back(result, tmp_path):
    store = Artifacts(tmp_path)
    names = save_clv(result, store)
    assert "clv" in names and "cohort_matrix" in names
    table = load_clv(store)
    assert list(table.columns) == CLV_COLUMNS
    assert table["customer_id"].is_unique and len(table) == len(result.clv)
    assert (table["p_alive"].between(0, 1)).all() and (table["clv"] >= 0).all()
    params = params_table(result)
    assert set(params["fit"]) == {"calibration", "final"}
    store.save("clv", table.drop(columns="p_alive"))
    with pytest.raises(DataValidationError, match="missing \\['p_alive'\\]"):
        load_clv(store)


def test_value_tiers_hold_more_than_their_share(result):
    top = result.tiers.iloc[0]
    assert top["share_actual"] > 0.2 + 0.1  # the top 20% hold well over 20% of the holdout value
    assert result.lorenz["by_prediction"].iloc[20] == pytest.approx(top["share_actual"], abs=0.01)


def test_a_log_without_repeat_purchases_fails_with_the_reason():
    log = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(40)],
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(40) * 3, unit="D"),
        "amount": 10.0,
    })  # fmt: skip
    # nobody came back: the purchase model has no maximum, and says so (the value is not shown)
    with pytest.raises(
        ConvergenceError, match="BG/NBD: the maximum-likelihood fit did not converge"
    ):
        customer_lifetime_value(log, calibration_end="2024-03-01")


def test_bad_parameters_are_named(synthetic):
    tx = synthetic.transactions
    with pytest.raises(ValueError, match="calibration_end: expected a day inside the data"):
        customer_lifetime_value(tx, calibration_end="2030-01-01")
    with pytest.raises(ValueError, match="holdout_end: expected a holdout of at least one period"):
        customer_lifetime_value(tx, calibration_end="2025-12-27", holdout_end="2025-12-30")
    with pytest.raises(ValueError, match="purchase_model: expected"):
        customer_lifetime_value(tx, purchase_model="nbd")
