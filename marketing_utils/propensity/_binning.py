"""Gradient boosting's weighted binning in one pass instead of one pass per bin edge.

scikit-learn 1.8 and 1.9 find the 254 bin edges of each feature of a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` fitted with sample
weights (``class_weight="balanced"`` is sample weights) by calling
``_weighted_percentile`` once per edge, sorting the column each time. On the
ten thousand rows of a fold that was a third of the fit (about 0.5 s of a
1.2 s fit; scikit-learn issue 34304, fixed upstream by pull request 34248).

:func:`fast_weighted_binning` swaps in :func:`find_binning_thresholds`,
which does what that loop does, operation for operation, for every edge at
once: the same sort, the same cumulative weights, the same search and the
same averaging, so the edges (hence the fitted model) are the same bit for
bit (``tests/unit/propensity/test_binning.py`` checks it against the
original). Unweighted binning, and any scikit-learn outside 1.8 and 1.9, are
left alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import sklearn
from sklearn.ensemble._hist_gradient_boosting import binning as _binning

__all__ = ["fast_weighted_binning", "find_binning_thresholds"]

_ORIGINAL = _binning._find_binning_thresholds
_X_DTYPE = _binning.X_DTYPE
_ALMOST_INF = _binning.ALMOST_INF
#: scikit-learn versions whose weighted binning loops over the bin edges.
_PATCHED_VERSIONS = ("1.8.", "1.9.")


def _weighted_edges(sorted_col: np.ndarray, sorted_weight: np.ndarray, max_bins: int) -> np.ndarray:
    """``[_weighted_percentile(sorted_col, sorted_weight, p, average=True) for p in percentiles]``.

    Each line is the one ``_weighted_percentile`` runs for one percentile
    (1-D data, no NaN, no zero weight), applied to every percentile at once.
    """
    percentiles = np.linspace(0, 100, num=max_bins + 1)[1:-1]
    array = np.asarray(sorted_col, dtype=np.float64).reshape(-1, 1)
    weight = np.tile(np.asarray(sorted_weight, dtype=np.float64), (1, 1)).T
    ranks = np.asarray(percentiles, dtype=np.float64)
    sorted_idx = np.argsort(array, axis=0)[:, 0]
    cdf = np.cumsum(np.take_along_axis(weight, sorted_idx[:, None], axis=0).T, axis=1)[0]
    adjusted = ranks / 100 * cdf[-1]
    zero = adjusted == 0
    adjusted[zero] = np.nextafter(adjusted[zero], adjusted[zero] + 1)
    max_idx = sorted_idx.shape[0] - 1
    indices = np.clip(np.searchsorted(cdf, adjusted), 0, max_idx)
    at = sorted_idx[indices]
    is_fraction_above = (cdf[indices] - adjusted) > np.finfo(np.float64).eps
    above = sorted_idx[np.clip(indices + 1, 0, max_idx)]
    values = array[:, 0]
    return np.where(is_fraction_above, values[at], (values[at] + values[above]) / 2)


def find_binning_thresholds(col_data, max_bins, sample_weight=None):
    """scikit-learn's ``_find_binning_thresholds``, with the weighted edges found in one pass.

    Without weights (or with weights and at most ``max_bins`` distinct
    values) it is scikit-learn's function itself.
    """
    if sample_weight is None:
        return _ORIGINAL(col_data, max_bins)
    # From here on, scikit-learn 1.9's code for weights, except the edges.
    missing_mask = np.isnan(col_data)
    if missing_mask.any():
        col_data = col_data[~missing_mask]
        sample_weight = sample_weight[~missing_mask]
    nnz_sw = sample_weight != 0
    col_data = col_data[nnz_sw]
    sample_weight = sample_weight[nnz_sw]
    sort_idx = np.argsort(col_data)
    col_data = col_data[sort_idx]
    sample_weight = sample_weight[sort_idx]
    distinct_values = np.unique(col_data).astype(_X_DTYPE)
    if len(distinct_values) <= max_bins:
        # One value, or midpoints between the distinct values: no percentile, no loop.
        return _ORIGINAL(col_data, max_bins, sample_weight=sample_weight)
    bin_thresholds = _weighted_edges(col_data, sample_weight, max_bins)
    assert bin_thresholds.shape[0] == max_bins - 1
    unique_bin_values = np.unique(bin_thresholds)
    if unique_bin_values.shape[0] != bin_thresholds.shape[0]:
        bin_thresholds = unique_bin_values
    np.clip(bin_thresholds, a_min=None, a_max=_ALMOST_INF, out=bin_thresholds)
    return bin_thresholds


@contextlib.contextmanager
def fast_weighted_binning() -> Iterator[None]:
    """Within the block, gradient boosting with sample weights bins with :func:`find_binning_thresholds`.

    Restores whatever was there before on leaving (blocks nest). A no-op for
    scikit-learn versions other than 1.8 and 1.9.
    """
    if not sklearn.__version__.startswith(_PATCHED_VERSIONS):
        yield
        return
    previous = _binning._find_binning_thresholds
    _binning._find_binning_thresholds = find_binning_thresholds
    try:
        yield
    finally:
        _binning._find_binning_thresholds = previous
