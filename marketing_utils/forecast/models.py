"""Forecasting models: two honest baselines, a linear seed model and Holt-Winters.

Every model is a function ``model(history, horizon) -> forecast`` of the
training values only (a 1-d array, oldest first): it cannot see the future,
which is what makes the rolling-origin backtest honest. Options are bound
with :func:`make_models`.

- **seasonal naive**: ŷ_{T+h} = y_{T+h-m(k+1)}, k = ⌊(h-1)/m⌋ (the value one
  season earlier; with m = 1 the naive forecast ŷ_{T+h} = y_T);
- **drift**: ŷ_{T+h} = y_T + h (y_T - y_1) / (T - 1), the line through the
  first and last values;
- **linear**: least squares on a trend t, Fourier terms
  sin(2πkt/P), cos(2πkt/P) for k = 1..K, and lagged values y_{t-ℓ};
  multi-step forecasts feed the model's own forecasts back as lags;
- **Holt-Winters**: statsmodels' exponential smoothing with a damped additive
  trend and a multiplicative season (additive when the history has zeros).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from sklearn.linear_model import LinearRegression

from ..errors import DataValidationError
from ..threads import one_blas_thread
from .data import Frequency, get_frequency

__all__ = [
    "MODEL_NAMES",
    "drift",
    "holt_winters",
    "linear_trend_fourier",
    "make_models",
    "seasonal_naive",
]

#: The models of the workbook, baselines first (ties go to the simpler model).
MODEL_NAMES = ("seasonal_naive", "drift", "linear", "holt_winters")

ModelFn = Callable[[np.ndarray, int], np.ndarray]


def _history(history: Sequence[float] | np.ndarray, horizon: int, minimum: int, model: str):
    values = np.asarray(history, dtype=float)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise DataValidationError(
            "series",
            f"{model}: expected a 1-d history of finite numbers, found shape {values.shape}",
        )
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise DataValidationError(
            "params demand_forecasting.horizon",
            f"expected a positive whole number of periods, found {horizon!r}",
        )
    if len(values) < minimum:
        raise DataValidationError(
            "series",
            f"{model}: expected a history of at least {minimum} periods, found {len(values)}",
        )
    return values


def seasonal_naive(history, horizon: int, *, season_length: int = 1) -> np.ndarray:
    """Repeat the last observed season: ŷ_{T+h} = y_{T+h-m(⌊(h-1)/m⌋+1)}.

    Examples
    --------
    >>> seasonal_naive([1, 2, 3, 10, 20, 30], 4, season_length=3).tolist()
    [10.0, 20.0, 30.0, 10.0]
    >>> seasonal_naive([5, 7], 2).tolist()
    [7.0, 7.0]
    """
    if season_length < 1:
        raise DataValidationError(
            "season_length", f"expected a positive integer, found {season_length}"
        )
    values = _history(history, horizon, season_length, "seasonal naive")
    last_season = values[-season_length:]
    return last_season[np.arange(horizon) % season_length].copy()


def drift(history, horizon: int) -> np.ndarray:
    """Extend the line through the first and last values: ŷ_{T+h} = y_T + h (y_T - y_1)/(T - 1).

    Examples
    --------
    >>> drift([10, 11, 16], 2).tolist()
    [19.0, 22.0]
    """
    values = _history(history, horizon, 2, "drift")
    slope = (values[-1] - values[0]) / (len(values) - 1)
    return values[-1] + slope * np.arange(1, horizon + 1)


def _linear_row(t: int, values: list[float], period: float | None, order: int, lags) -> list:
    row = [float(t)]
    for k in range(1, order + 1):
        angle = 2.0 * np.pi * k * t / period
        row.extend([np.sin(angle), np.cos(angle)])
    row.extend(values[t - lag] for lag in lags)
    return row


def linear_trend_fourier(
    history,
    horizon: int,
    *,
    fourier_period: float | None = None,
    fourier_order: int = 0,
    lags: Sequence[int] = (),
) -> np.ndarray:
    """Linear regression on a trend, Fourier seasonal terms and lags, forecast recursively.

    The model is y_t = β₀ + β₁ t + Σ_k [a_k sin(2πkt/P) + b_k cos(2πkt/P)] + Σ_ℓ φ_ℓ y_{t-ℓ},
    fitted by least squares on the rows t ≥ max(ℓ). Beyond the history the
    lagged values are the model's own earlier forecasts.

    Parameters
    ----------
    history : array-like
        Training values, oldest first (t = 0 is the first value).
    horizon : int
        Number of periods to forecast.
    fourier_period : float, optional
        Season length P in periods (may be fractional: 52.18 weeks a year);
        needed when ``fourier_order`` > 0.
    fourier_order : int
        Number K of sine/cosine pairs (0: no seasonal terms).
    lags : sequence of int
        Lags ℓ ≥ 1 used as regressors.

    Raises
    ------
    DataValidationError
        A bad option, or a history too short to fit the model (fewer rows
        than coefficients plus two).

    Examples
    --------
    >>> linear_trend_fourier([1.0, 3.0, 5.0, 7.0], 2).round(6).tolist()
    [9.0, 11.0]
    """
    lags = sorted({int(lag) for lag in lags})
    if any(lag < 1 for lag in lags):
        raise DataValidationError(
            "params demand_forecasting.lags", f"expected lags of at least 1, found {lags}"
        )
    if fourier_order < 0 or (fourier_order > 0 and not fourier_period):
        raise DataValidationError(
            "params demand_forecasting.fourier_order",
            f"expected a non-negative order and a period when the order is positive, "
            f"found order {fourier_order} and period {fourier_period}",
        )
    n_coefficients = 2 + 2 * fourier_order + len(lags)
    first_row = max(lags, default=0)
    values = _history(history, horizon, first_row + n_coefficients + 2, "linear model")
    series = values.tolist()
    rows = [
        _linear_row(t, series, fourier_period, fourier_order, lags)
        for t in range(first_row, len(series))
    ]
    model = LinearRegression().fit(np.asarray(rows), values[first_row:])
    for t in range(len(values), len(values) + horizon):
        row = _linear_row(t, series, fourier_period, fourier_order, lags)
        # model.predict's own product, without its input checks (one row at a time).
        series.append(float((np.asarray([row]) @ model.coef_ + model.intercept_)[0]))
    return np.asarray(series[len(values) :])


def holt_winters(
    history,
    horizon: int,
    *,
    season_length: int | None = None,
    seasonal: str = "auto",
    damped: bool = True,
) -> np.ndarray:
    """Holt-Winters exponential smoothing (statsmodels) with a damped additive trend.

    Parameters
    ----------
    history : array-like
        Training values, oldest first.
    horizon : int
        Number of periods to forecast.
    season_length : int, optional
        Periods per season; ``None`` or 1 gives Holt's (non-seasonal) method.
        A seasonal model needs at least two full seasons of history.
    seasonal : {"auto", "mul", "add"}
        Multiplicative seasonality (peaks grow with the level) or additive;
        ``"auto"`` takes multiplicative when every value is positive.
    damped : bool
        Damp the trend so that long horizons do not extrapolate it forever.

    Notes
    -----
    Seasonal models start from statsmodels' heuristic initial states (two
    seasons of data, fast) and skip the brute-force starting grid;
    non-seasonal ones estimate their initial states. Optimizer
    convergence warnings are silenced: the backtest, not the optimizer,
    judges the model.

    The fit runs with a single BLAS thread. scipy's L-BFGS-B (the optimizer
    statsmodels uses) calls BLAS on vectors of a handful of parameters, where
    a second thread only costs synchronisation: on the workbook's weekly
    series a fit took about 20 times the CPU time with two OpenBLAS threads
    than with one, and gave bitwise the same forecast.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if seasonal not in ("auto", "mul", "add"):
        raise DataValidationError(
            "seasonal", f"expected 'auto', 'mul' or 'add', found {seasonal!r}"
        )
    is_seasonal = season_length is not None and season_length > 1
    minimum = 2 * season_length if is_seasonal else 4
    values = _history(history, horizon, minimum, "Holt-Winters")
    if is_seasonal:
        kind = ("mul" if values.min() > 0 else "add") if seasonal == "auto" else seasonal
        model = ExponentialSmoothing(
            values,
            trend="add",
            damped_trend=damped,
            seasonal=kind,
            seasonal_periods=season_length,
            initialization_method="heuristic",
        )
    else:
        model = ExponentialSmoothing(
            values, trend="add", damped_trend=damped, initialization_method="estimated"
        )
    with one_blas_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # From the heuristic start, statsmodels' brute-force grid search found the
        # same optimum on the workbook's series at three times the cost.
        fitted = model.fit(use_brute=not is_seasonal)
        # forecast() recomputes the information criteria: log(0) on an all-zero history.
        return np.asarray(fitted.forecast(horizon), dtype=float)


def make_models(
    frequency: str | Frequency = "weekly",
    *,
    seasonal: bool = True,
    fourier_order: int = 5,
    lags: Sequence[int] = (1,),
    seasonal_lag: bool = True,
) -> dict[str, ModelFn]:
    """The workbook's four models, with their options bound, by name.

    Parameters
    ----------
    frequency : {"daily", "weekly", "monthly"}
        Sets the season length m and the Fourier period P.
    seasonal : bool
        ``False`` (a history shorter than two seasons) turns every model
        non-seasonal: the naive forecast (m = 1), a linear model without
        Fourier terms or seasonal lag, and Holt's damped trend.
    fourier_order : int
        Number of Fourier pairs of the linear model.
    lags : sequence of int
        Lags of the linear model (in periods).
    seasonal_lag : bool
        Add the lag of one season (m) to the linear model's lags.

    Returns
    -------
    dict
        ``MODEL_NAMES`` → ``model(history, horizon) -> forecast``.
    """
    spec = get_frequency(frequency)
    m = spec.season_length if seasonal else 1
    linear_lags = sorted({*lags, *([m] if seasonal and seasonal_lag else [])})
    return {
        "seasonal_naive": partial(seasonal_naive, season_length=m),
        "drift": drift,
        "linear": partial(
            linear_trend_fourier,
            fourier_period=spec.fourier_period,
            fourier_order=fourier_order if seasonal else 0,
            lags=linear_lags,
        ),
        "holt_winters": partial(holt_winters, season_length=m if seasonal else None),
    }
