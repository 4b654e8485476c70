"""Rolling-origin backtest: forecast from several past origins, score on what followed.

With origins o_1 < ... < o_k, origin i trains on periods [0, o_i) only and
forecasts the ``horizon`` periods [o_i, o_i + horizon). The last origin's test
window ends at the last period, and consecutive origins are ``step`` periods
apart (an *expanding* window: each origin sees all history before it)::

    origin 1: train ██████████████░░░░ test ▒▒▒▒
    origin 2: train ████████████████████░░░░ test ▒▒▒▒
    origin 3: train ██████████████████████████ test ▒▒▒▒

Scores are averaged over origins, and the best model is the one with the
lowest mean MASE (MAE when MASE is undefined): chosen on data none of the
models saw, never on the final fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .metrics import forecast_scores

__all__ = [
    "METRICS",
    "Backtest",
    "Split",
    "backtest",
    "prediction_interval",
    "rolling_origin_splits",
]

#: The metrics every backtest reports, in display order.
METRICS = ("mase", "mae", "rmse", "smape", "mape")


@dataclass(frozen=True)
class Split:
    """One origin of a rolling-origin backtest, as positions in the series.

    The training window is ``[0, train_end)`` and the test window
    ``[train_end, test_end)``.
    """

    origin: int
    train_end: int
    test_end: int

    @property
    def train(self) -> range:
        """Positions of the training periods."""
        return range(0, self.train_end)

    @property
    def test(self) -> range:
        """Positions of the test periods."""
        return range(self.train_end, self.test_end)


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise DataValidationError(
            f"params demand_forecasting.{name}",
            f"expected a positive whole number, found {value!r}",
        )


def rolling_origin_splits(
    n_periods: int, *, horizon: int, n_origins: int, step: int, min_train: int = 2
) -> list[Split]:
    """The origins of a rolling-origin backtest, oldest first.

    Parameters
    ----------
    n_periods : int
        Length of the series.
    horizon : int
        Periods forecast from each origin.
    n_origins : int
        Number of origins.
    step : int
        Periods between consecutive origins.
    min_train : int
        Shortest training window allowed (and never shorter than ``horizon``).

    Raises
    ------
    DataValidationError
        When an option is not a positive whole number, the horizon is longer
        than the history, or the first origin would train on fewer than
        ``max(min_train, horizon)`` periods.

    Examples
    --------
    >>> [(s.train_end, s.test_end) for s in rolling_origin_splits(10, horizon=2, n_origins=3, step=2)]
    [(4, 6), (6, 8), (8, 10)]
    """
    for name, value in (("horizon", horizon), ("n_origins", n_origins), ("origin_step", step)):
        _positive(name, value)
    if horizon >= n_periods:
        raise DataValidationError(
            "params demand_forecasting.horizon",
            f"the horizon ({horizon} periods) is longer than the history ({n_periods} periods) "
            "minus one: nothing would be left to train on; choose a shorter horizon",
        )
    first_train = n_periods - horizon - (n_origins - 1) * step
    needed = max(min_train, horizon)
    if first_train < needed:
        raise DataValidationError(
            "params demand_forecasting",
            f"with horizon={horizon}, n_origins={n_origins} and origin_step={step} the first "
            f"origin trains on {first_train} of the {n_periods} periods; expected at least "
            f"{needed}: use fewer origins, a smaller step or a shorter horizon",
        )
    return [
        Split(
            origin=i + 1,
            train_end=first_train + i * step,
            test_end=first_train + i * step + horizon,
        )
        for i in range(n_origins)
    ]


@dataclass(frozen=True)
class Backtest:
    """What a rolling-origin backtest measured.

    Attributes
    ----------
    predictions : DataFrame
        ``origin``, ``model``, ``period``, ``step`` (1 = first period after
        the origin), ``actual``, ``forecast``, ``error`` (actual - forecast).
    scores : DataFrame
        One row per origin and model: ``origin``, ``origin_period`` (first
        forecast period), ``model`` and every metric of :data:`METRICS`.
    summary : DataFrame
        One row per model, metrics averaged over origins (NaN when a metric is
        undefined at any origin), sorted best first; ``rank`` 1 is the best.
    excluded : dict
        Models that could not be fitted on the shortest training window, with why.
    """

    predictions: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    excluded: dict

    @property
    def best_model(self) -> str:
        """Name of the model ranked first."""
        return str(self.summary["model"].iloc[0])


def _rank(summary: pd.DataFrame) -> pd.DataFrame:
    key = "mase" if summary["mase"].notna().all() else "mae"
    ranked = summary.assign(_order=np.arange(len(summary))).sort_values(
        [key, "_order"], kind="stable", na_position="last"
    )
    return ranked.drop(columns="_order").assign(rank=np.arange(1, len(ranked) + 1))


def _predictions(
    series: pd.Series, splits: list[Split], names: list[str], forecasts: list, horizon: int
) -> pd.DataFrame:
    """The predictions table of :class:`Backtest`: model by model, origin by origin.

    ``forecasts`` holds one array of ``horizon`` values per kept model and
    split, in the order of ``names`` then ``splits``.
    """
    positions = np.concatenate([np.arange(split.train_end, split.test_end) for split in splits])
    positions = np.tile(positions, len(names))
    values = series.to_numpy(dtype=float)
    actual = values[positions]
    forecast = np.concatenate(forecasts) if forecasts else np.empty(0)
    n_rows = len(splits) * horizon
    return pd.DataFrame(
        {
            "origin": np.tile(np.repeat([split.origin for split in splits], horizon), len(names)),
            "model": np.repeat(np.asarray(names, dtype=object), n_rows),
            "period": series.index[positions],
            "step": np.tile(np.arange(1, horizon + 1), len(splits) * len(names)),
            "actual": actual,
            "forecast": forecast,
            "error": actual - forecast,
        }
    )


def backtest(
    series: pd.Series,
    models: Mapping,
    *,
    horizon: int,
    n_origins: int,
    step: int,
    season_length: int,
    nonnegative: bool = True,
) -> Backtest:
    """Score every model at every origin of a rolling-origin backtest.

    Parameters
    ----------
    series : Series
        The values, oldest first, indexed by period start.
    models : mapping
        Name → ``model(history, horizon) -> forecast``. Each call receives
        only the training values of its origin.
    horizon, n_origins, step : int
        See :func:`rolling_origin_splits`.
    season_length : int
        The seasonal lag m of the MASE scale (1 when the series is too short
        for seasonal models).
    nonnegative : bool
        Clip forecasts at 0 (revenue and order counts cannot be negative).

    Raises
    ------
    DataValidationError
        Bad options, or no model can be fitted on the shortest training window.
    """
    values = series.to_numpy(dtype=float)
    splits = rolling_origin_splits(
        len(values), horizon=horizon, n_origins=n_origins, step=step, min_train=season_length + 1
    )
    excluded = {}
    # Forecasts are gathered as arrays and become one frame at the end: building
    # a frame per origin and model cost more CPU than the baseline models themselves.
    kept_names, kept_forecasts, scores = [], [], []
    actuals = [values[split.train_end : split.test_end] for split in splits]
    for name, model in models.items():
        try:
            model_forecasts, model_scores = [], []
            for split, actual in zip(splits, actuals, strict=True):
                history = values[: split.train_end]
                forecast = np.asarray(model(history, horizon), dtype=float)
                if nonnegative:
                    forecast = np.clip(forecast, 0.0, None)
                model_forecasts.append(forecast)
                model_scores.append(
                    {
                        "origin": split.origin,
                        "origin_period": series.index[split.train_end],
                        "model": name,
                        **forecast_scores(actual, forecast, history, season_length),
                    }
                )
        except DataValidationError as exc:
            # A model the history is too short for is left out, and the reason kept.
            excluded[name] = str(exc)
            continue
        kept_names.append(name)
        kept_forecasts.extend(model_forecasts)
        scores.extend(model_scores)
    if not scores:
        raise DataValidationError(
            "series", f"no model could be fitted on the shortest training window: {excluded}"
        )
    score_table = pd.DataFrame(scores)
    summary = (
        score_table.groupby("model", sort=False)[list(METRICS)]
        .agg(lambda column: column.mean(skipna=False))
        .reset_index()
    )
    return Backtest(
        predictions=_predictions(series, splits, kept_names, kept_forecasts, horizon),
        scores=score_table[["origin", "origin_period", "model", *METRICS]],
        summary=_rank(summary),
        excluded=excluded,
    )


def prediction_interval(
    forecast: np.ndarray, errors: np.ndarray, *, level: float = 0.8, nonnegative: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """An interval around a forecast from the model's own backtest errors.

    The half-width is the ``level`` quantile of the absolute backtest errors
    (pooled over origins and steps, rounded up to an observed error): an
    empirical, distribution-free interval that is as wide at every step.

    Examples
    --------
    >>> lower, upper = prediction_interval(np.array([10.0]), np.array([-1.0, 2.0, -3.0, 4.0]), level=0.5)
    >>> lower.tolist(), upper.tolist()
    ([7.0], [13.0])
    """
    if not 0 < level < 1:
        raise DataValidationError(
            "params demand_forecasting.interval_level",
            f"expected a level strictly between 0 and 1, found {level}",
        )
    errors = np.abs(np.asarray(errors, dtype=float))
    if errors.size == 0:
        raise DataValidationError("errors", "expected at least one backtest error, found none")
    half_width = float(np.quantile(errors, level, method="higher"))
    lower, upper = forecast - half_width, forecast + half_width
    if nonnegative:
        lower = np.clip(lower, 0.0, None)
    return lower, upper
