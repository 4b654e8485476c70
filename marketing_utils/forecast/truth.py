"""How close to the best possible forecast: the models against the true expected demand.

On synthetic data the generator knows each customer's true purchase rate,
the seasonality, and when each customer arrived and left, so it knows the
expected demand of every day
(:func:`marketing_utils.datasets.synthetic_demand.expected_daily_demand`).
Used as a forecast of the realized series, that expectation is the best
anyone could do: what is left of its error is pure chance (the noise floor),
which no model beats in expectation. :func:`truth_expected_demand` sums it
over the same periods as the demand series, and :func:`oracle_comparison`
scores it over the same backtest origins, horizons and MASE scale as the
models, so the best model can be placed between the seasonal naive
baseline and that floor: the share of the gap it closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..datasets.synthetic_demand import expected_daily_demand
from ..errors import DataValidationError
from .backtest import METRICS, backtest
from .data import Frequency, get_frequency
from .series import BASELINE, SeriesForecast, format_mase

__all__ = [
    "ORACLE",
    "OracleComparison",
    "aggregate_expected",
    "oracle_comparison",
    "oracle_verdict",
    "truth_expected_demand",
]

#: The name of the true expected demand used as a forecast.
ORACLE = "true_expected"


def aggregate_expected(
    daily: pd.DataFrame, periods: pd.Index, frequency: str | Frequency = "weekly"
) -> pd.DataFrame:
    """Sum daily expectations over the periods of a demand series.

    Parameters
    ----------
    daily : DataFrame
        ``date`` and numeric columns (``orders``, ``revenue``, ...), one row per day.
    periods : Index
        The demand series' period starts (complete periods only).
    frequency : {"daily", "weekly", "monthly"}

    Returns
    -------
    DataFrame
        Indexed by ``periods``, the sums of every numeric column.

    Raises
    ------
    DataValidationError
        When a period is not wholly covered by ``daily``.
    """
    spec = get_frequency(frequency)
    dates = pd.DatetimeIndex(pd.to_datetime(daily["date"]))
    starts = dates.to_period(spec.rule).start_time
    values = daily.drop(columns="date").set_axis(starts)
    sums = values.groupby(level=0).sum()
    days = pd.Series(1, index=starts).groupby(level=0).sum()
    wanted = pd.DatetimeIndex(periods)
    lengths = pd.Series(
        [(p.end_time.normalize() - p.start_time).days + 1 for p in wanted.to_period(spec.rule)],
        index=wanted,
    )
    covered = days.reindex(wanted, fill_value=0)
    short = wanted[covered.to_numpy() < lengths.to_numpy()]
    if len(short):
        raise DataValidationError(
            "truth",
            f"expected the true expected demand on every day of every {spec.unit} of the "
            f"series, found {len(short)} {spec.unit}s not covered (first {short[0].date()})",
        )
    return sums.reindex(wanted).rename_axis("period")


def truth_expected_demand(
    truth: pd.DataFrame,
    source_info: Mapping,
    products: pd.DataFrame | None,
    periods: pd.Index,
    *,
    frequency: str | Frequency = "weekly",
) -> pd.DataFrame:
    """The generator's true expected orders and revenue per period of a demand series.

    Parameters
    ----------
    truth : DataFrame
        Stage 01's ``truth`` artifact (synthetic data only).
    source_info : mapping
        ``preprocessing_info["source_info"]`` (the generator's ``info``).
    products : DataFrame or None
        ``products_clean`` (``product_id``, ``price``); without it no revenue.
    periods : Index
        The demand series' period starts.
    frequency : {"daily", "weekly", "monthly"}

    Returns
    -------
    DataFrame
        Indexed by period: ``orders``, ``orders_variance`` and (with products)
        ``revenue``, conditional on the realized population (see
        :func:`~marketing_utils.datasets.synthetic_demand.expected_daily_demand`).
    """
    daily = expected_daily_demand(truth, source_info, products)
    return aggregate_expected(daily, periods, frequency)


@dataclass(frozen=True)
class OracleComparison:
    """The best model, the baseline and the true expected demand on one backtest.

    Attributes
    ----------
    scores : DataFrame
        One row per origin and forecaster (the best model, the baseline and
        :data:`ORACLE`): ``origin``, ``model`` and every metric.
    predictions : DataFrame
        The oracle's backtest forecasts: ``origin``, ``period``, ``step``,
        ``actual``, ``forecast``, ``error``.
    best_model : str
    best_mase, baseline_mase, oracle_mase : float
        Mean backtest MASE over the origins.
    oracle_mae : float
    gap_closed_share : float
        ``(baseline - best) / (baseline - oracle)`` in MASE: 1 means the best
        model is as good as the truth, 0 no better than the baseline (NaN when
        the oracle is not better than the baseline).
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame
    best_model: str
    best_mase: float
    baseline_mase: float
    oracle_mase: float
    oracle_mae: float
    gap_closed_share: float

    def metrics(self) -> dict:
        """JSON-ready numbers for metrics.json."""

        def number(value: float) -> float | None:
            return float(value) if np.isfinite(value) else None

        return {
            "best_model": self.best_model,
            "oracle_mase": number(self.oracle_mase),
            "oracle_mae": number(self.oracle_mae),
            "best_model_mase": number(self.best_mase),
            "baseline_mase": number(self.baseline_mase),
            "gap_closed_share": number(self.gap_closed_share),
        }


def oracle_comparison(
    result: SeriesForecast, history: pd.Series, expected: pd.Series
) -> OracleComparison:
    """Score the true expected demand like the models, over the same backtest.

    Parameters
    ----------
    result : SeriesForecast
        The series' backtest and best model.
    history : Series
        The realized series the backtest ran on (indexed by period).
    expected : Series
        The true expected value per period (same index).

    Returns
    -------
    OracleComparison
        The oracle is scored at each origin on the same test periods, with the
        same MASE scale (the seasonal naive in-sample error of that origin's
        training window), and the scores averaged over origins.

    Raises
    ------
    DataValidationError
        When ``expected`` does not cover every period of ``history``.
    """
    expected = expected.reindex(history.index)
    if expected.isna().any():
        raise DataValidationError(
            "truth",
            f"expected a true expected value for every period of {result.name}, "
            f"found {int(expected.isna().sum())} missing",
        )
    # The oracle is one more model of the same backtest: same origins, horizon and scale.
    best_rows = result.backtest.predictions
    best_rows = best_rows[best_rows["model"] == result.best_model]
    first_periods = best_rows.groupby("origin", sort=True)["period"].min()
    train_ends = history.index.get_indexer(pd.DatetimeIndex(first_periods))
    truth = expected.to_numpy(dtype=float)
    oracle_backtest = backtest(
        history,
        {ORACLE: lambda train, horizon: truth[len(train) : len(train) + horizon]},
        horizon=int(best_rows["step"].max()),
        n_origins=len(train_ends),
        step=int(np.diff(train_ends)[0]) if len(train_ends) > 1 else 1,
        season_length=result.season_length,
    )
    models = [result.best_model] + ([BASELINE] if result.best_model != BASELINE else [])
    model_scores = result.backtest.scores
    model_scores = model_scores[model_scores["model"].isin(models)]
    columns = ["origin", "model", *METRICS]
    table = pd.concat([model_scores[columns], oracle_backtest.scores[columns]], ignore_index=True)
    mean = table.groupby("model")[list(METRICS)].mean()
    best = float(mean.loc[result.best_model, "mase"])
    baseline = float(mean.loc[BASELINE, "mase"]) if BASELINE in mean.index else np.nan
    oracle = float(mean.loc[ORACLE, "mase"])
    gap = baseline - oracle
    closed = (baseline - best) / gap if np.isfinite(gap) and gap > 0 else np.nan
    return OracleComparison(
        scores=table,
        predictions=oracle_backtest.predictions.drop(columns="model"),
        best_model=result.best_model,
        best_mase=best,
        baseline_mase=baseline,
        oracle_mase=oracle,
        oracle_mae=float(mean.loc[ORACLE, "mae"]),
        gap_closed_share=float(closed),
    )


def oracle_verdict(comparison: OracleComparison, name: str = "the series") -> str:
    """One sentence placing the best model between the baseline and the best possible."""
    c = comparison
    if not np.isfinite(c.gap_closed_share):
        return (
            f"On {name} the true expected demand (MASE {format_mase(c.oracle_mase)}) does not beat the "
            f"seasonal naive baseline (MASE {format_mase(c.baseline_mase)}) on this backtest: chance "
            "dominates the test windows, and the gap cannot be measured."
        )
    if c.best_model == BASELINE:
        place = "no model beats the baseline, so none of the gap is closed"
    else:
        place = (
            f"{c.best_model} closes {c.gap_closed_share:.0%} of the gap from the baseline to "
            "the best possible"
        )
    return (
        f"On {name}: best model ({c.best_model}) MASE {format_mase(c.best_mase)}, true expected demand "
        f"(the best possible forecast) {format_mase(c.oracle_mase)}, seasonal naive "
        f"{format_mase(c.baseline_mase)}: {place}."
    )
