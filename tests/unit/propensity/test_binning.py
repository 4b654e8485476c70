"""The one-pass weighted binning gives scikit-learn's bins and models bit for bit."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting import binning

from marketing_utils.propensity._binning import (
    _ORIGINAL,
    fast_weighted_binning,
    find_binning_thresholds,
)


@pytest.mark.parametrize("kind", ["normal", "rounded", "ties_and_zeros", "missing"])
@pytest.mark.parametrize("max_bins", [255, 63])
def test_same_thresholds_as_scikit_learn(kind, max_bins):
    rng = np.random.default_rng(3)
    n = 3000
    col = {
        "normal": rng.normal(size=n),
        "rounded": rng.exponential(size=n).round(2),
        "ties_and_zeros": np.concatenate([rng.lognormal(size=n // 2), np.zeros(n - n // 2)]),
        "missing": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 900, size=n) * 1.0),
    }[kind]
    weights = np.where(rng.random(n) < 0.3, 2.5, 0.7)
    weights[rng.random(n) < 0.05] = 0.0
    expected = _ORIGINAL(col, max_bins, sample_weight=weights)
    found = find_binning_thresholds(col, max_bins, sample_weight=weights)
    assert found.dtype == expected.dtype
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(find_binning_thresholds(col, max_bins), _ORIGINAL(col, max_bins))


def test_balanced_gradient_boosting_is_unchanged_and_the_patch_is_undone():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6))
    y = (X[:, 0] + rng.normal(size=1500) > 1).astype(int)
    plain = HistGradientBoostingClassifier(max_iter=20, class_weight="balanced", random_state=0)
    plain.fit(X, y)
    with fast_weighted_binning(), fast_weighted_binning():
        fast = HistGradientBoostingClassifier(max_iter=20, class_weight="balanced", random_state=0)
        fast.fit(X, y)
    assert binning._find_binning_thresholds is _ORIGINAL
    np.testing.assert_array_equal(fast.predict_proba(X), plain.predict_proba(X))
