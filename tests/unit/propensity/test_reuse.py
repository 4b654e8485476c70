"""Stage 03 without waste: the reused fits give exactly what fitting each step on its own gives."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV, cross_validate
from sklearn.pipeline import Pipeline

from marketing_utils.propensity import fit_prepared, fit_propensity, models
from marketing_utils.propensity.calibration import (
    calibrate_fitted,
    choose_calibration,
    fit_calibrated,
)
from marketing_utils.propensity.data import FeatureSpec, prepare_model_data
from marketing_utils.propensity.models import (
    SCORING,
    _compare_class_weights,
    _ece_scorer,
    build_pipeline,
    compare_models,
    cross_fit,
    cv_splitter,
    fold_metrics,
    race_screen,
    resolve_jobs,
    select_class_weight,
)
from marketing_utils.propensity.search import racing_plan, search_space, tune_model


def _table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    table = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "signal": signal,
            "noise": rng.normal(size=n),
            "visits": rng.integers(0, 5, n),
            "region": pd.Series(rng.choice(["n", "s", "e"], n), dtype="str"),
        }
    )
    table["label"] = (rng.random(n) < 1 / (1 + np.exp(-(2 * signal - 1)))).astype(int)
    return table


@pytest.fixture(scope="module")
def prepared():
    return prepare_model_data(_table(), cv_folds=3, seed=7)


@pytest.mark.parametrize("family", ["logistic", "random_forest", "hist_gradient_boosting"])
def test_cross_fit_scores_are_those_of_cross_validate(prepared, family):
    X, y = prepared.part("train")
    pipeline = build_pipeline(prepared.spec, family, seed=7)
    ours = cross_fit([pipeline], X, y, cv_folds=3, seed=7)[0]
    theirs = cross_validate(
        pipeline, X, y, cv=cv_splitter(3, 7), scoring={**SCORING, "ece": _ece_scorer()}
    )
    for name in [*SCORING, "ece"]:
        np.testing.assert_array_equal(ours.scores[f"test_{name}"], theirs[f"test_{name}"])
    assert ours.proba.shape == (len(y),)
    assert (ours.decision is None) == (family == "random_forest")


def test_cross_fit_in_parallel_is_the_same(prepared):
    X, y = prepared.part("train")
    pipelines = [build_pipeline(prepared.spec, f, seed=7) for f in ("logistic", "random_forest")]
    one = cross_fit(pipelines, X, y, cv_folds=3, seed=7, n_jobs=1)
    two = cross_fit(pipelines, X, y, cv_folds=3, seed=7, n_jobs=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.proba, b.proba)
        np.testing.assert_array_equal(a.scores["test_roc_auc"], b.scores["test_roc_auc"])


def test_search_chooses_what_randomized_search_chooses(prepared):
    X, y = prepared.part("train")
    family = "hist_gradient_boosting"
    ours = tune_model(prepared, family, n_iter=4, cv_folds=3, seed=7)
    search = RandomizedSearchCV(
        build_pipeline(prepared.spec, family, seed=7), search_space(family), n_iter=4,
        scoring="roc_auc", cv=cv_splitter(3, 7), random_state=7, refit=True,
    ).fit(X, y)  # fmt: skip
    assert ours.cv_roc_auc == search.best_score_
    assert ours.params == {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
    expected = np.sort(search.cv_results_["mean_test_score"])[::-1]
    np.testing.assert_array_equal(ours.table["roc_auc_mean"].to_numpy(), expected)
    np.testing.assert_array_equal(
        ours.estimator.predict_proba(X), search.best_estimator_.predict_proba(X)
    )
    # The search keeps the winner's out-of-fold probabilities: the calibration choice reads them.
    fresh = choose_calibration(ours.estimator, X, y, cv_folds=3, seed=7)
    reused = choose_calibration(
        ours.estimator, X, y, cv_folds=3, seed=7, oof_scores=ours.out_of_fold.proba
    )
    np.testing.assert_array_equal(fresh.oof_scores, reused.oof_scores)
    pd.testing.assert_frame_equal(fresh.table, reused.table)


@pytest.mark.parametrize(
    ("family", "method"),
    [("hist_gradient_boosting", "sigmoid"), ("random_forest", "isotonic")],
)
def test_calibrating_the_fitted_model_predicts_what_a_full_fit_predicts(prepared, family, method):
    X, y = prepared.part("train")
    pipeline = build_pipeline(prepared.spec, family, seed=7)
    full = fit_calibrated(pipeline, X, y, method=method, cv_folds=3, seed=7)
    fit = cross_fit([pipeline], X, y, cv_folds=3, seed=7)[0]
    predictions = fit.proba if fit.decision is None else fit.decision
    fitted = build_pipeline(prepared.spec, family, seed=7).fit(X, y)
    reused = calibrate_fitted(fitted, X, y, predictions, method=method, cv_folds=3, seed=7)
    X_test, _ = prepared.part("test")
    np.testing.assert_array_equal(reused.predict_proba(X_test), full.predict_proba(X_test))


def test_calibrate_fitted_refuses_an_unknown_method(prepared):
    X, y = prepared.part("train")
    with pytest.raises(ValueError, match="calibration"):
        calibrate_fitted(None, X, y, np.zeros(len(y)), method="beta")


def test_choose_calibration_refuses_out_of_fold_scores_of_another_length(prepared):
    X, y = prepared.part("train")
    with pytest.raises(ValueError, match="oof_scores"):
        choose_calibration(None, X, y, cv_folds=3, oof_scores=np.zeros(3))


def test_resolve_jobs():
    assert resolve_jobs(3) == 3
    assert resolve_jobs(0) == resolve_jobs(-1) == resolve_jobs(None) >= 1
    with pytest.raises(ValueError, match="n_jobs"):
        resolve_jobs(-4)


def _counting(monkeypatch) -> Counter:
    """Count the fits of model pipelines (the calibrators' one-feature fits are not model fits).

    A fold fit of :func:`fit_folds` fits the pipeline's model on the fold's
    shared preprocessing: it counts as one fit of that pipeline.
    """
    counts: Counter = Counter()
    original = Pipeline.fit
    original_model = models._fit_model

    def fit(self, *args, **kwargs):
        if is_classifier(self):
            counts[type(self.steps[-1][1]).__name__] += 1
        return original(self, *args, **kwargs)

    def fit_model(model, *args, **kwargs):
        counts[type(model).__name__] += 1
        return original_model(model, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "fit", fit)
    monkeypatch.setattr(models, "_fit_model", fit_model)
    return counts


def test_fit_propensity_fits_each_fold_once(monkeypatch):
    counts = _counting(monkeypatch)
    result = fit_propensity(
        _table(), models=("logistic", "hist_gradient_boosting"), cv_folds=3, search_iter=2, seed=7
    )
    folds, families, candidates = 3, 2, 2
    # The balanced arm is raced: on the first two folds it loses to no weights here, so it is
    # not fitted on the third; the unweighted arm is the comparison's.
    balanced = result.class_weights.set_index("class_weight").loc["balanced"]
    assert balanced["folds"] == 2 and result.class_weight is None
    weights = 2
    search = candidates * folds + 1  # folds of each candidate + one refit (or the untuned fit)
    final_logistic = 1  # for the odds ratios
    # No calibration folds and no refit for the final model: both reuse the search's work.
    assert sum(counts.values()) == families * folds + weights + search + final_logistic
    assert result.calibration.method in ("sigmoid", "isotonic")


def test_class_weight_race_drops_balanced_weights_that_lose_on_the_first_folds(monkeypatch):
    """Five folds: balanced weights on folds 1-2 only when no weights beat them there."""
    prepared = prepare_model_data(_table(), cv_folds=5, seed=7)
    X, y = prepared.part("train")
    family = "logistic"
    balanced = build_pipeline(prepared.spec, family, seed=7, class_weight="balanced")
    full = cross_fit([balanced], X, y, cv_folds=5, seed=7)[0]
    pr_auc = full.scores["test_pr_auc"]
    unweighted = compare_models(prepared, [family], cv_folds=5, seed=7)
    # Unweighted PR AUC of 1 on every fold: balanced loses on folds 1-2, two fits, dropped.
    counts = _counting(monkeypatch)
    args = {"unweighted": unweighted, "cv_folds": 5, "seed": 7, "n_jobs": 1}
    race = {"unweighted_pr_auc": np.ones(5)}
    table, fits = _compare_class_weights(prepared, family, **args, **race)
    rows = table.set_index("class_weight")
    assert sum(counts.values()) == 2  # the unweighted arm is the comparison's
    assert rows.loc["balanced", "folds"] == 2 and rows.loc["none", "folds"] == 5
    assert rows.loc["balanced", "pr_auc_mean"] == pytest.approx(pr_auc[:2].mean(), abs=1e-15)
    assert not fits  # nothing fitted on every fold
    # Even with a full-fold mean far above no weights, a dropped row is never chosen.
    assert select_class_weight(rows.reset_index().assign(pr_auc_std=0.0), cv_folds=5) is None
    # Unweighted PR AUC of 0: balanced wins on folds 1-2 and runs all five, as cross_fit does.
    counts.clear()
    table, fits = _compare_class_weights(prepared, family, **args, unweighted_pr_auc=np.zeros(5))
    assert sum(counts.values()) == 5
    assert table.set_index("class_weight").loc["balanced", "folds"] == 5
    np.testing.assert_array_equal(fits["balanced"].proba, full.proba)
    np.testing.assert_array_equal(fits["balanced"].scores["test_pr_auc"], pr_auc)


def test_racing_plan():
    # Six candidates, five folds: all on two folds, the best two on the other three.
    assert racing_plan(6, 5) == (2, 2)
    assert racing_plan(10, 5) == (2, 4)
    assert racing_plan(4, 3) == (2, 2)
    # Nothing to race: every candidate would be kept, or no fold would be left.
    assert racing_plan(2, 5) == (5, 2)
    assert racing_plan(6, 2) == (2, 6)
    # The first stage of every race: two of five folds, two of three, four of ten.
    assert [race_screen(k) for k in (3, 5, 10)] == [2, 2, 4]


def test_racing_is_the_exhaustive_search_minus_the_dropped_folds(prepared, monkeypatch):
    """Survivors: the best two on the first folds; the choice: the best survivor on every fold."""
    X, y = prepared.part("train")
    family = "logistic"
    full = tune_model(prepared, family, n_iter=6, cv_folds=3, seed=7, method="random")
    counts = _counting(monkeypatch)
    raced = tune_model(prepared, family, n_iter=6, cv_folds=3, seed=7, method="racing")
    # 6 candidates on 2 folds, the best 2 on the third, one refit: 15 fits instead of 19.
    assert sum(counts.values()) == 6 * 2 + 2 * 1 + 1
    # Each candidate's fold ROC AUCs, computed directly on the same seeded folds.
    pipeline = build_pipeline(prepared.spec, family, seed=7)
    Cs = full.table["C"].tolist()
    candidates = [clone(pipeline).set_params(model__C=C) for C in Cs]
    fits = cross_fit(candidates, X, y, cv_folds=3, seed=7)
    first_two = np.array([fit.scores["test_roc_auc"][:2].mean() for fit in fits])
    survivors = {Cs[i] for i in np.argsort(-first_two, kind="stable")[:2]}
    table = raced.table.set_index("C")
    assert set(table.index[table["folds"] == 3]) == survivors
    for C, fit in zip(Cs, fits, strict=True):
        folds = 3 if C in survivors else 2
        assert table.loc[C, "folds"] == folds
        expected = fit.scores["test_roc_auc"][:folds].mean()
        assert table.loc[C, "roc_auc_mean"] == pytest.approx(expected, abs=1e-15)
    # Survivors rank 1 and 2 (by their full means), the dropped ones after them.
    assert sorted(table.loc[list(survivors), "rank"]) == [1, 2]
    assert (table.loc[table["folds"] == 2, "rank"] > 2).all()
    best = max(survivors, key=lambda C: fits[Cs.index(C)].scores["test_roc_auc"].mean())
    assert raced.params == {"C": best}
    assert raced.cv_roc_auc == pytest.approx(fits[Cs.index(best)].scores["test_roc_auc"].mean())
    np.testing.assert_array_equal(raced.out_of_fold.proba, fits[Cs.index(best)].proba)


def test_fit_prepared_is_fit_propensity_without_the_second_check():
    table = _table()
    kwargs = {"models": ("logistic",), "cv_folds": 3, "search_iter": 2, "seed": 7}
    direct = fit_propensity(table, **kwargs)
    checked = prepare_model_data(table, cv_folds=3, seed=7)
    reused = fit_prepared(checked, **kwargs)
    assert reused.metrics() == direct.metrics()
    pd.testing.assert_frame_equal(reused.scores, direct.scores)


def test_fold_metrics_by_hand():
    """One prediction pass gives every fold score; the ranking scores use the decision function."""
    y, proba = [0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]
    m = fold_metrics(y, proba)
    # Pairs (buyer, non-buyer): (0.4, 0.1) right, (0.4, 0.6) wrong, both 0.9 pairs right: 3/4.
    assert m["roc_auc"] == pytest.approx(0.75)
    # Ranked 0.9 (buyer), 0.6, 0.4 (buyer), 0.1: precision 1 at recall 1/2, 2/3 at recall 1.
    assert m["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    # Losses negated, as scikit-learn's scorers report them.
    assert m["brier"] == pytest.approx(-(0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert m["log_loss"] == pytest.approx((2 * np.log(0.9) + 2 * np.log(0.4)) / 4)
    # One customer per bin: |0 - 0.1|, |0 - 0.6|, |1 - 0.4|, |1 - 0.9|, averaged: 0.35.
    assert m["ece"] == pytest.approx(-0.35)
    # A decision function that ranks both buyers first: perfect ranking, same losses.
    ranked = fold_metrics(y, proba, decision=[-2.0, 1.0, 3.0, 4.0])
    assert ranked["roc_auc"] == ranked["pr_auc"] == 1.0
    assert ranked["brier"] == m["brier"] and ranked["ece"] == m["ece"]


def test_fit_folds_preprocesses_each_fold_once_and_scores_as_the_whole_pipelines(
    prepared, monkeypatch
):
    """Pipelines differing only in their model share one preprocessing per fold, bit for bit."""
    X, y = prepared.part("train")
    before = X.copy()
    folds = list(cv_splitter(3, 7).split(X, y))
    shared = [
        build_pipeline(prepared.spec, "logistic", seed=7),
        build_pipeline(prepared.spec, "hist_gradient_boosting", seed=7),
        build_pipeline(prepared.spec, "random_forest", seed=7, class_weight="balanced"),
    ]
    # Another preprocessing (one numeric column fewer) and a pipeline without one.
    narrow = FeatureSpec(numeric=prepared.spec.numeric[1:], categorical=prepared.spec.categorical)
    other = build_pipeline(narrow, "logistic", seed=7)
    bare = Pipeline([("model", LogisticRegression(max_iter=2000))])
    numeric = X[list(prepared.spec.numeric)]
    transformed = monkeypatch_counter(monkeypatch, models, "_transform_fold")
    done = models.fit_folds([*shared, other], X, y, folds)
    assert transformed["calls"] == 2 * len(folds)  # two distinct preprocessings
    for pipeline, part in zip([*shared, other], done, strict=True):
        whole = [models._fit_fold(clone(pipeline), X, np.asarray(y), tr, te) for tr, te in folds]
        for ours, theirs in zip(part, whole, strict=True):
            assert ours[0] == theirs[0]  # every fold metric, exactly
            np.testing.assert_array_equal(ours[2], theirs[2])
            if theirs[3] is None:
                assert ours[3] is None
            else:
                np.testing.assert_array_equal(ours[3], theirs[3])
    # A pipeline without preprocessing steps is fitted whole.
    transformed["calls"] = 0
    part = models.fit_folds([bare], numeric, y, folds)[0]
    assert transformed["calls"] == 0
    whole = [models._fit_fold(clone(bare), numeric, np.asarray(y), tr, te) for tr, te in folds]
    assert [p[0] for p in part] == [w[0] for w in whole]
    pd.testing.assert_frame_equal(X, before)  # the input is not changed


def monkeypatch_counter(monkeypatch, module, name: str) -> dict:
    """Count the calls of ``module.name`` (in this process: ``n_jobs=1``)."""
    counter = {"calls": 0}
    original = getattr(module, name)

    def counted(*args, **kwargs):
        counter["calls"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return counter


def test_limited_threads_is_one_native_thread_whatever_the_jobs():
    """Parallel work runs in worker processes; the process's own OpenMP and BLAS stay at one."""
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(2):  # whatever the pools held before (the suite runs on one)
        for n_jobs in (1, 2, 8):
            with models.limited_threads(n_jobs):
                assert {pool["num_threads"] for pool in threadpool_info()} == {1}
        assert {pool["num_threads"] for pool in threadpool_info()} == {2}
