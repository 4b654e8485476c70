"""Stage 08's headline figures and decision, from hand-made metrics."""

from __future__ import annotations

import pytest

from marketing_utils.clv.teach import headline


def _metrics(**changes):
    metrics = {
        "purchase_model": "pareto_nbd",
        "time_unit": "W",
        "holdout": {
            "periods": 52.0,
            "predicted_repeat": 90.0,  # BG/NBD
            "pareto_nbd_predicted_repeat": 110.0,
            "actual_repeat": 100.0,
            "mae": {"bgnbd": 1.2, "pareto_nbd": 1.0, "rate_forward": 1.5, "gap_rule": 1.4},
        },
        "truth": {"p_alive_auc": 0.92, "p_alive_auc_by_model": {"bgnbd": 0.33, "pareto_nbd": 0.92}},
        "top20_share_of_holdout_value": 0.45,
    }
    metrics.update(changes)
    return metrics


def test_figures_are_those_of_the_chosen_model():
    figures, decision = headline(_metrics(), n_at_risk=7)
    assert [f["label"] for f in figures] == [
        "holdout repeat purchases, predicted vs actual",
        "P(alive) ROC AUC against the truth",
        "holdout spend held by the top 20% by predicted value",
    ]
    # Pareto/NBD is the chosen model: 110 / 100 - 1 = +10%, not BG/NBD's -10%
    assert figures[0]["value"] == pytest.approx(0.10)
    assert (
        (figures[0]["reading"])
        == "Pareto/NBD predicted 110 repeat purchases in the 52-week holdout; 100 happened"
    )
    assert "1.000 against 1.500" in figures[0]["comparison"]
    assert figures[1]["value"] == 0.92 and "BG/NBD 0.330" in figures[1]["comparison"]
    assert figures[2]["value"] == 0.45
    assert decision.startswith("The value (Pareto/NBD) predicted the holdout within 10%")
    assert "win back the 7 high-value customers" in decision


def test_bgnbd_without_truth_and_a_large_error():
    figures, decision = headline(_metrics(purchase_model="bgnbd", truth=None), n_at_risk=0)
    assert len(figures) == 2  # no truth on real data: no AUC figure
    assert figures[0]["value"] == pytest.approx(-0.10)
    figures, decision = headline(
        _metrics(
            purchase_model="bgnbd", holdout={**_metrics()["holdout"], "predicted_repeat": 80.0}
        ),
        n_at_risk=0,
    )
    assert figures[0]["value"] == pytest.approx(-0.20)
    assert "above 15%" in decision


def test_record_headline_accepts_the_figures(tmp_path):
    from marketing_utils.artifacts import Artifacts

    store = Artifacts(tmp_path)
    store.record_metrics("customer_lifetime_value", {"n_customers": 1})
    figures, decision = headline(_metrics(), n_at_risk=1)
    store.record_headline("customer_lifetime_value", figures, decision=decision)
