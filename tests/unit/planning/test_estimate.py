"""Calibration of per-offer uplift on the randomized outcome, pinned by hand."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_utils.errors import DataValidationError
from marketing_utils.planning import calibrate_uplift


def test_calibration_maps_score_bands_to_their_uplift_by_hand():
    # Treated share 1/2: z = 2y for treated, -2y for control.
    # Band 0.1 (rows 0-3): treated y = 1, 0; control y = 1, 0 -> mean z = (2 + 0 - 2 - 0) / 4 = 0.
    # Band 0.9 (rows 4-7): treated y = 1, 1; control y = 0, 1 -> mean z = (2 + 2 - 0 - 2) / 4 = 0.5.
    score = np.array([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9])
    treated = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    response = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    out = calibrate_uplift(
        score, treated, response, fit_rows=np.arange(8), apply_rows=np.array([0, 4, 5])
    )
    np.testing.assert_allclose(out, [0.0, 0.5, 0.5])


def test_calibration_pools_a_noisy_inversion_and_clips():
    # Scores 0.2 < 0.5 but the z means are 1.0 and -1.0 (treated share 1/2): isotonic pools
    # them to 0.0; a score above the fitted range takes the last value (clip), below the first.
    score = np.array([0.2, 0.2, 0.5, 0.5])
    treated = np.array([1, 0, 1, 0], dtype=bool)
    response = np.array([1, 0, 0, 1])  # z = 2, 0, 0, -2
    out = calibrate_uplift(
        np.array([0.2, 0.2, 0.5, 0.5, 0.9, -1.0]),
        np.r_[treated, False, False],
        np.r_[response, 0, 0],
        fit_rows=np.arange(4),
        apply_rows=np.array([0, 2, 4, 5]),
    )
    np.testing.assert_allclose(out, [0.0, 0.0, 0.0, 0.0])
    assert score.tolist() == [0.2, 0.2, 0.5, 0.5]  # input untouched


def test_calibration_needs_both_groups():
    with pytest.raises(DataValidationError, match="treated and control"):
        calibrate_uplift(
            np.array([0.1, 0.2]),
            np.array([True, True]),
            np.array([1, 0]),
            fit_rows=np.arange(2),
            apply_rows=np.arange(2),
        )
