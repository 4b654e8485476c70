"""Point-forecast accuracy metrics: MAE, RMSE, MAPE, sMAPE and MASE.

Definitions follow Hyndman and Athanasopoulos, *Forecasting: Principles and
Practice* (3rd ed., section 5.8) and the M4 competition:

- MAE  = mean |y - ŷ|, RMSE = sqrt(mean (y - ŷ)²), in the series' units;
- MAPE = 100 · mean |y - ŷ| / |y|, in percent; undefined (NaN) when any actual is 0;
- sMAPE = 100 · mean 2 |y - ŷ| / (|y| + |ŷ|), in percent (0 to 200); a point
  where both actual and forecast are 0 is a perfect forecast and counts 0;
- MASE = MAE / scale, where scale is the in-sample MAE of the seasonal naive
  forecast on the training history: mean over t > m of |y_t - y_{t-m}|.
  MASE < 1 means the forecast beats, out of sample, what the seasonal naive
  forecast achieved in sample; it is undefined (NaN) when the history is
  constant at lag m (scale 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["forecast_scores", "mae", "mape", "mase", "mase_scale", "rmse", "smape"]

ArrayLike = Sequence[float] | np.ndarray


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if y.ndim != 1 or f.ndim != 1 or len(y) != len(f):
        raise ValueError(
            f"actual and forecast: expected two 1-d arrays of the same length, "
            f"found shapes {y.shape} and {f.shape}"
        )
    if len(y) == 0:
        raise ValueError("actual and forecast: expected at least one value, found none")
    if not (np.isfinite(y).all() and np.isfinite(f).all()):
        raise ValueError("actual and forecast: expected finite numbers, found NaN or infinity")
    return y, f


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute error, in the units of the series.

    Examples
    --------
    >>> mae([10, 20, 30], [12, 18, 30])
    1.3333333333333333
    """
    y, f = _pair(actual, forecast)
    return float(np.mean(np.abs(y - f)))


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Root mean squared error, in the units of the series.

    Examples
    --------
    >>> rmse([10, 20, 30], [13, 16, 30])
    2.886751345948129
    """
    y, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error (%); NaN when any actual is zero.

    Examples
    --------
    >>> mape([10, 20], [12, 15])
    22.5
    >>> mape([0, 20], [1, 15])
    nan
    """
    y, f = _pair(actual, forecast)
    if np.any(y == 0):
        return float("nan")
    return float(100.0 * np.mean(np.abs(y - f) / np.abs(y)))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric mean absolute percentage error (%), between 0 and 200.

    A point where actual and forecast are both zero counts as a perfect forecast.

    Examples
    --------
    >>> smape([10, 0, 0], [30, 5, 0])
    100.0
    """
    y, f = _pair(actual, forecast)
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(2.0 * np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(100.0 * np.mean(terms))


def mase_scale(history: ArrayLike, season_length: int) -> float:
    """In-sample MAE of the seasonal naive forecast: mean over t > m of |y_t - y_{t-m}|.

    Parameters
    ----------
    history : array-like
        The training values, oldest first.
    season_length : int
        The seasonal lag m (1 gives the ordinary naive forecast).

    Raises
    ------
    ValueError
        When ``season_length`` is below 1 or the history has ``season_length``
        values or fewer (no seasonal difference can be formed).

    Examples
    --------
    >>> mase_scale([10, 12, 11, 15], 1)
    2.3333333333333335
    """
    h = np.asarray(history, dtype=float)
    if season_length < 1:
        raise ValueError(f"season_length: expected a positive integer, found {season_length}")
    if len(h) <= season_length:
        raise ValueError(
            f"history: expected more than season_length={season_length} values to form a "
            f"seasonal difference, found {len(h)}"
        )
    return float(np.mean(np.abs(h[season_length:] - h[:-season_length])))


def mase(actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, season_length: int) -> float:
    """Mean absolute scaled error: out-of-sample MAE over the in-sample seasonal naive MAE.

    NaN when the scale is zero (a history constant at lag ``season_length``).

    Examples
    --------
    >>> mase([16, 14], [15, 15], history=[10, 12, 11, 15], season_length=1)
    0.42857142857142855
    """
    scale = mase_scale(history, season_length)
    if scale == 0:
        return float("nan")
    return mae(actual, forecast) / scale


def forecast_scores(
    actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, season_length: int
) -> dict[str, float]:
    """Every metric of one forecast: ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``."""
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mape": mape(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, history, season_length),
    }
