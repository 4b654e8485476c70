"""Stage 08's headline figures, decision and actions, from hand-made metrics."""

from __future__ import annotations

import pytest

from marketing_utils.clv.teach import headline, headline_actions, holdout_error, targeting_verdict


def _metrics(**changes):
    metrics = {
        "purchase_model": "pareto_nbd",
        "time_unit": "W",
        "holdout": {
            "periods": 52.0,
            "actual_repeat": 100.0,
            "predicted_repeat": {"bgnbd": 90.0, "pareto_nbd": 108.5},
            "relative_error": {"bgnbd": -0.1, "pareto_nbd": 0.085},
            "mae": {"bgnbd": 1.2, "pareto_nbd": 1.0, "rate_forward": 1.5, "gap_rule": 1.4},
        },
        "truth": {"p_alive_auc": 0.92, "p_alive_auc_by_model": {"bgnbd": 0.33, "pareto_nbd": 0.92}},
        "top20_share_of_holdout_value": 0.45,
        "clv": {"mean": 12.5},
    }
    metrics.update(changes)
    return metrics


def _targeting(fixed, priced, contacted_fixed=100, contacted_clv=130, threshold=0.01):
    gain = priced - fixed
    return {
        "n_scored": 500,
        "contacted_fixed": contacted_fixed,
        "contacted_clv": contacted_clv,
        "overlap": contacted_fixed,
        "expected_clv_fixed": fixed,
        "expected_clv_priced": priced,
        "extra_contacts": contacted_clv - contacted_fixed,
        "gain": gain,
        "relative_gain": gain / fixed,
        "material": gain >= threshold * fixed,
        "material_gain": threshold,
    }


def test_figures_are_those_of_the_chosen_model():
    figures, decision = headline(_metrics(), n_at_risk=7)
    assert [f["label"] for f in figures] == [
        "holdout repeat purchases, predicted vs actual",
        "P(alive) ROC AUC against the truth",
        "holdout spend held by the top 20% by predicted value",
    ]
    # Pareto/NBD is the chosen model: 108.5 / 100 - 1 = +8.5%, not BG/NBD's -10%
    assert figures[0]["value"] == pytest.approx(0.085)
    assert (
        (figures[0]["reading"])
        == "Pareto/NBD predicted 108 repeat purchases in the 52-week holdout; 100 happened"
    )
    assert "1.000 against 1.500" in figures[0]["comparison"]
    assert figures[1]["value"] == 0.92 and "BG/NBD 0.330" in figures[1]["comparison"]
    assert figures[2]["value"] == 0.45
    assert "win back the 7 high-value customers" in decision


def test_decision_states_the_error_of_the_headline_figure_unrounded():
    figures, decision = headline(_metrics(), n_at_risk=7)
    # The figure shows 8.5% (the index formats percent with one decimal); the decision says
    # the same, not "within 8%" (which rounded the error down).
    assert decision.startswith(
        "The value (Pareto/NBD) over-predicted the holdout repeat purchases by 8.5% "
        "(108 predicted, 100 happened)"
    )
    assert "within 8%" not in decision
    assert holdout_error(_metrics()) == ("pareto_nbd", 108.5, 100.0, pytest.approx(0.085))
    low = {**_metrics()["holdout"], "predicted_repeat": {"bgnbd": 96.6, "pareto_nbd": 108.5}}
    _, decision = headline(_metrics(purchase_model="bgnbd", holdout=low), n_at_risk=0)
    assert "(BG/NBD) under-predicted the holdout repeat purchases by 3.4%" in decision


def test_bgnbd_without_truth_and_a_large_error():
    figures, decision = headline(_metrics(purchase_model="bgnbd", truth=None), n_at_risk=0)
    assert len(figures) == 2  # no truth on real data: no AUC figure
    assert figures[0]["value"] == pytest.approx(-0.10)
    holdout = {**_metrics()["holdout"], "predicted_repeat": {"bgnbd": 80.0, "pareto_nbd": 110.0}}
    figures, decision = headline(_metrics(purchase_model="bgnbd", holdout=holdout), n_at_risk=0)
    assert figures[0]["value"] == pytest.approx(-0.20)
    assert "under-predicted the holdout repeat purchases by 20.0%" in decision
    assert "above 15%" in decision


def test_negligible_targeting_gain_is_not_recommended():
    # +0.2% (1,340,311 against 1,337,580) for 815 more contacts: keep 04's list
    targeting = _targeting(1_337_580.27, 1_340_311.40, contacted_fixed=9457, contacted_clv=10272)
    assert not targeting["material"]
    _, decision = headline(_metrics(targeting=targeting), n_at_risk=7)
    assert "Price targeting in lifetime value" not in decision
    assert decision.endswith(
        "Keep 04's targeting: pricing it in lifetime value changes the expected value by a "
        "negligible +0.2%, contacting 815 more customers."
    )
    assert targeting_verdict(targeting) == (
        "Keep 04's targeting: pricing it in lifetime value changes the expected value by a "
        "negligible +2,731 currency units (+0.2%) (under the 1% that counts as material), "
        "1,340,311 against 1,337,580 of expected net lifetime value, contacting 10,272 "
        "customers instead of 9,457 (+815)."
    )
    assert headline_actions(_metrics(targeting=targeting), 7)[-1] == targeting_verdict(targeting)


def test_material_targeting_gain_is_recommended_and_a_loss_is_not():
    targeting = _targeting(1000.0, 1100.0)  # +10%
    _, decision = headline(_metrics(targeting=targeting), n_at_risk=7)
    assert decision.endswith(
        "Price targeting in lifetime value: +10.0% expected value, contacting 30 more customers."
    )
    assert targeting_verdict(targeting).startswith(
        "Price targeting in lifetime value (p x CLV >= cost): it adds +100 currency units (+10.0%)"
    )
    loss = _targeting(1000.0, 900.0, contacted_clv=80)
    _, decision = headline(_metrics(targeting=loss), n_at_risk=7)
    assert decision.endswith(
        "Keep 04's targeting: pricing it in lifetime value changes the expected value by "
        "-10.0%, contacting 20 fewer customers."
    )
    # Without the comparison (no scores) the decision recommends nothing about targeting.
    _, decision = headline(_metrics(), n_at_risk=7)
    assert "targeting" not in decision


def test_record_headline_accepts_the_figures(tmp_path):
    from marketing_utils.artifacts import Artifacts

    store = Artifacts(tmp_path)
    store.record_metrics("customer_lifetime_value", {"n_customers": 1})
    figures, decision = headline(_metrics(), n_at_risk=1)
    store.record_headline("customer_lifetime_value", figures, decision=decision)


def test_an_unchecked_or_large_error_gives_no_targeting_advice_in_decision_or_actions():
    targeting = _targeting(1_000.0, 1_200.0)  # a material +20%
    nothing = {**_metrics()["holdout"], "actual_repeat": 0.0,
               "predicted_repeat": {"bgnbd": 5.0, "pareto_nbd": 5.0}}  # fmt: skip
    for holdout, reason in (
        (nothing, "the values could not be checked against a holdout"),
        ({**_metrics()["holdout"], "predicted_repeat": {"bgnbd": 90.0, "pareto_nbd": 130.0}},
         "the holdout error is above 15%"),
    ):  # fmt: skip
        metrics = _metrics(holdout=holdout, targeting=targeting)
        _, decision = headline(metrics, n_at_risk=3)
        actions = headline_actions(metrics, n_at_risk=3)
        assert reason in decision and reason in actions[0]
        assert not any("targeting" in text for text in [decision, *actions])
    trusted = headline_actions(_metrics(targeting=targeting), n_at_risk=3)
    assert trusted[-1].startswith("Price targeting in lifetime value")
