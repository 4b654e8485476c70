"""CDNOW: the fits against lifetimes (an abandoned library, used as a reference only).

``cdnow_lifetimes_reference.json`` was written by ``benchmarks/clv_lifetimes_reference.py``
in a separate environment (lifetimes 0.11.3, pandas 1.5, numpy 1.23), on lifetimes' own
calibration summary of CDNOW (days, then weeks: calibration 1997-01-01..1997-09-30,
holdout to 1998-06-30). The workbook's own summary and fits must give the same
parameters to 3 significant digits. The test of the feature itself is the hand-worked
unit tests; this is the cross-check with the reference implementation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from marketing_utils.clv import bgnbd, gamma_gamma, pareto_nbd
from marketing_utils.clv.stage import spendable
from marketing_utils.clv.validation import calibration_holdout, conditional_expectations

pytestmark = pytest.mark.datasets

REFERENCE = json.loads((Path(__file__).parent / "cdnow_lifetimes_reference.json").read_text())


@pytest.fixture(scope="module")
def cdnow(datasets_dir):
    from marketing_utils.datasets.public import load_cdnow

    data = load_cdnow(datasets_dir / "CDNOW_master.txt")
    return calibration_holdout(data.transactions, "1997-09-30", "1998-06-30", time_unit="W")


def _same_3_significant(ours: float, theirs: float) -> bool:
    return f"{ours:.3g}" == f"{theirs:.3g}" and abs(ours / theirs - 1) < 1e-3


def test_summary_matches_lifetimes(cdnow):
    assert len(cdnow) == REFERENCE["n_customers"] == 23_570
    assert cdnow["frequency_holdout"].sum() == REFERENCE["holdout_actual_repeat"]
    assert cdnow["duration_holdout"].iloc[0] == REFERENCE["holdout_weeks"] == 39.0


def test_bgnbd_parameters_match_lifetimes(cdnow):
    fit = bgnbd.fit_bgnbd(cdnow)
    for name, theirs in REFERENCE["bgnbd"].items():
        assert _same_3_significant(fit.params[name], theirs), (name, fit.params[name], theirs)
    np.testing.assert_allclose(
        bgnbd.p_alive(fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])[:5],
        REFERENCE["p_alive_first5"],
        rtol=1e-4,
    )
    predicted = bgnbd.conditional_expected_purchases(
        fit, 39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    ).sum()
    assert predicted == pytest.approx(REFERENCE["holdout_predicted_repeat"], rel=1e-4)
    # the target: total holdout repeat purchases within 15% of the actual
    assert abs(predicted / cdnow["frequency_holdout"].sum() - 1) < 0.15


def test_gamma_gamma_parameters_match_lifetimes(cdnow):
    spend, zero = spendable(cdnow)
    assert len(spend) == REFERENCE["gamma_gamma_n"] and zero == 1
    fit = gamma_gamma.fit_gamma_gamma(spend)
    for name, theirs in REFERENCE["gamma_gamma"].items():
        assert _same_3_significant(fit.params[name], theirs), (name, fit.params[name], theirs)


def test_pareto_nbd_parameters_match_lifetimes(cdnow):
    """Within 0.1% of lifetimes, at a likelihood at least as high.

    ``beta`` is 8.8276 here; lifetimes' own Pareto/NBD fit does not repeat exactly from
    run to run (8.8249, 8.8304 and 8.8273 in three runs): the likelihood is flat in
    ``beta`` (standard error 1.46), so the comparison is to 0.1% and on the likelihood.
    """
    fit = pareto_nbd.fit_pareto_nbd(cdnow)
    ref = REFERENCE["pareto_nbd"]
    for name, theirs in ref.items():
        assert abs(fit.params[name] / theirs - 1) < 1e-3, (name, fit.params[name], theirs)
    x, tx, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs_ll = pareto_nbd.log_likelihood([ref[n] for n in pareto_nbd.PARAMS], x, tx, T).sum()
    assert fit.log_likelihood >= theirs_ll - 1e-6


def test_conditional_expectations_are_lifetimes_own(cdnow):
    """The issue's target, within 20% for every calibration frequency 0..6, is missed by the model.

    Measured: BG/NBD under-predicts the customers with 1 and 2 calibration purchases by
    34% and 26% on the full CDNOW cohort (23,570 customers, frequency and holdout both
    in distinct purchase days, holdout 1997-10-01..1998-06-30 = 39 weeks, t = 39), the
    others within 15% (0: -7.9%, 3: -14.0%, 4: -7.5%, 5: -5.6%, 6: -7.1%).

    It is the model on these data, not the summary: lifetimes' own
    ``calibration_and_holdout_data`` + ``BetaGeoFitter`` on the same split gives the same
    table (``conditional_expectations`` in the reference file, asserted equal here to
    1e-4), and on the paper's own 2,357-customer sample (lifetimes' ``CDNOW_sample.txt``,
    whose summary equals Hardie's ``cdnow_customers_summary.csv``) lifetimes also
    under-predicts frequency 1 and 2 by 25% and 25%. Pareto/NBD (lifetimes, full cohort)
    gets 1 and 2 within 21% and 14% but under-predicts frequency 0 by 42%. This test pins
    the measured curve so a change is seen; it does not pretend the target is met.
    """
    fit = bgnbd.fit_bgnbd(cdnow)
    predicted = bgnbd.conditional_expected_purchases(
        fit, 39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    cond = conditional_expectations(cdnow, {"bgnbd": predicted}).set_index("frequency")
    theirs = REFERENCE["conditional_expectations"]
    for group, row in cond.iterrows():
        assert row["actual"] == pytest.approx(theirs[str(group)]["actual"], rel=1e-12), group
        assert row["bgnbd"] == pytest.approx(theirs[str(group)]["bgnbd"], rel=1e-4), group
    error = cond["bgnbd"] / cond["actual"] - 1
    np.testing.assert_allclose(
        error.loc[[0, 1, 2, 3, 4, 5, 6]],
        [-0.0792, -0.3371, -0.2605, -0.1403, -0.0752, -0.0560, -0.0707],
        atol=5e-4,
    )


def test_against_lifetimes_directly_when_installed(cdnow):
    """Runs only where lifetimes is importable (never in the project's own environment)."""
    lifetimes = pytest.importorskip("lifetimes")
    theirs = lifetimes.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    fit = bgnbd.fit_bgnbd(cdnow)
    for name in bgnbd.PARAMS:
        assert _same_3_significant(fit.params[name], float(theirs.params_[name]))
