"""Stage 07: demand forecasting, backtested against honest baselines.

The notebook ``07_demand_forecasting`` makes three calls into this module:
:func:`demand_series` (revenue and orders per period, in total, by category and
by segment, zeros filled), :func:`forecast_demand` (a rolling-origin backtest
of every model on every series, the best model per series chosen on the
backtest, and its forecast with a prediction interval) and
:meth:`DemandForecast.metrics` (the headline numbers).

The building blocks live in :mod:`.forecast_data` (series),
:mod:`.forecast_models` (the models), :mod:`.forecast_metrics` (MAE, RMSE,
MAPE, sMAPE, MASE) and :mod:`.forecast_backtest` (splits, backtest,
intervals); the ones a notebook needs are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .backtest import (
    METRICS,
    Backtest,
    Split,
    backtest,
    prediction_interval,
    rolling_origin_splits,
)
from .data import (
    FREQUENCIES,
    DemandSeries,
    Frequency,
    demand_series,
    get_frequency,
    period_totals,
)
from .models import MODEL_NAMES, make_models
from .series import SeriesForecast, forecast_series, format_mase, rounded_mase, verdict

__all__ = [
    "FREQUENCIES",
    "METRICS",
    "MODEL_NAMES",
    "Backtest",
    "DemandForecast",
    "DemandSeries",
    "Frequency",
    "SeriesForecast",
    "Split",
    "backtest",
    "demand_series",
    "forecast_demand",
    "forecast_series",
    "format_mase",
    "get_frequency",
    "make_models",
    "measures_phrase",
    "period_totals",
    "prediction_interval",
    "rolling_origin_splits",
    "verdict",
]


def measures_phrase(measures: Sequence[str]) -> str:
    """How the measures of a count of series are named ("revenue and orders counted separately").

    Examples
    --------
    >>> measures_phrase(["revenue"]), measures_phrase(["revenue", "orders"])
    ('revenue', 'revenue and orders counted separately')
    """
    measures = list(measures)
    if len(measures) == 1:
        return measures[0]
    return " and ".join(measures) + " counted separately"


@dataclass(frozen=True)
class DemandForecast:
    """Backtests and forecasts of every demand series.

    Attributes
    ----------
    series : DataFrame
        One row per series (``dimension``, ``group``, ``measure``) with its
        best model, backtest metrics and the baseline's MASE and MAE.
    scores, summary, predictions, forecasts : DataFrame
        The backtest scores per origin, the per-model summaries, the backtest
        predictions and the final forecasts of all series, keyed by
        ``dimension``, ``group`` and ``measure``.
    results : dict
        ``(dimension, group, measure)`` → :class:`SeriesForecast`.
    notes : list of str
    frequency : Frequency
    horizon : int
    """

    series: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    predictions: pd.DataFrame
    forecasts: pd.DataFrame
    results: dict
    notes: list[str]
    frequency: Frequency
    horizon: int

    def total(self, measure: str = "revenue") -> SeriesForecast:
        """The forecast of the total series of ``measure``."""
        return self.results[("total", "all", measure)]

    def _measure_metrics(self, measure: str) -> dict:
        total = self.total(measure)
        summary = total.backtest.summary.set_index("model")
        row = total.summary_row()
        return {
            "best_model": total.best_model,
            "best_mase": float(row["best_mase"]),
            "baseline_mase": float(row["baseline_mase"]),
            "beats_baseline": bool(row["beats_baseline"]),
            "season_length": int(total.season_length),
            "models": {
                str(model): {metric: float(summary.loc[model, metric]) for metric in METRICS}
                for model in summary.index
            },
        }

    def group_series(self) -> pd.DataFrame:
        """The category and segment series (every series but the totals), with their scores."""
        return self.series[self.series["dimension"] != "total"]

    def series_counts(self) -> dict:
        """How many category and segment series beat the baseline, counted honestly.

        Only series whose backtest MASE is defined (best model's and
        baseline's) are compared; a series whose MASE is undefined (its
        in-sample seasonal naive error is 0 at some origin, see
        :attr:`SeriesForecast.undefined_mase`) is neither a success nor a
        failure, and is listed under ``mase_undefined`` with the reason.
        The total series are left out: the headline reports them on their own.

        Returns
        -------
        dict
            ``group_series`` (category and segment series, every measure),
            ``compared`` (those with a defined MASE), ``beating_baseline``
            (of the compared), ``mase_undefined`` (their number) and
            ``mase_undefined_series`` (series name → why).
        """
        groups = self.group_series()
        defined = groups["mase_defined"].astype(bool)
        undefined = {}
        for dimension, group, measure in groups.loc[
            ~defined, ["dimension", "group", "measure"]
        ].itertuples(index=False):
            result = self.results[(dimension, group, measure)]
            undefined[result.name] = result.undefined_mase or (
                "the baseline could not be scored on this series"
            )
        return {
            "group_series": int(len(groups)),
            "compared": int(defined.sum()),
            "beating_baseline": int((groups["beats_baseline"].astype(bool) & defined).sum()),
            "mase_undefined": int((~defined).sum()),
            "mase_undefined_series": undefined,
        }

    def series_verdict(self) -> str:
        """What section 7's counts say, in words: compared, beaten, and left out and why."""
        counts = self.series_counts()
        if not counts["group_series"]:
            return "No category or segment series: only the totals were forecast."
        measures = measures_phrase(dict.fromkeys(self.group_series()["measure"]))
        sentence = (
            f"{counts['beating_baseline']} of the {counts['compared']} category and segment "
            f"series ({measures}) with a defined MASE have a model that beats the seasonal "
            "naive baseline on the backtest (the total series are not counted)."
        )
        if counts["mase_undefined"]:
            # "segment: new (revenue)" and "(orders)" with the same reason read as one group.
            groups: dict[tuple[str, str], list[str]] = {}
            for name, why in counts["mase_undefined_series"].items():
                group, _, measure = name.rpartition(" (")
                groups.setdefault((group, why), []).append(measure.rstrip(")"))
            listed = "; ".join(
                f"{group} ({', '.join(measures)}): {why}"
                for (group, why), measures in groups.items()
            )
            sentence += (
                f" {counts['mase_undefined']} more series have an undefined MASE (the in-sample "
                "seasonal naive error, its denominator, is 0 at a backtest origin) and are not "
                f"counted: {listed}."
            )
        return sentence

    def series_table(self) -> pd.DataFrame:
        """The series table as a reader sees it: MASE rounded as everywhere else."""
        shown = [
            "dimension",
            "group",
            "measure",
            "best_model",
            "best_mase",
            "baseline_mase",
            "beats_baseline",
            "mase_defined",
        ]
        table = self.series[shown]
        return table.assign(
            best_mase=table["best_mase"].map(rounded_mase),
            baseline_mase=table["baseline_mase"].map(rounded_mase),
        )

    def metrics(self) -> dict:
        """Headline metrics (JSON-ready, deterministic for the same data and params).

        The top level describes the total revenue series (or the first measure
        when revenue was not forecast): ``best_model``, ``best_mase``,
        ``baseline_mase``, ``beats_baseline``, ``season_length`` and
        ``models`` (every model's backtest MASE, MAE, RMSE, sMAPE and MAPE);
        the other measures' totals sit under their own name (``"orders"``),
        followed by ``n_series`` (every series, the totals included),
        ``best_model_counts`` (over every series) and the honest counts of
        :meth:`series_counts` (category and segment series with a defined MASE
        only): ``n_group_series``, ``n_series_compared``,
        ``series_beating_baseline``, ``n_series_mase_undefined`` and
        ``mase_undefined_series``.
        """
        measures = list(dict.fromkeys(self.series["measure"]))
        headline = "revenue" if "revenue" in measures else measures[0]
        metrics = {
            "frequency": self.frequency.name,
            "horizon": self.horizon,
            "n_periods": self.total(headline).n_periods,
            "measure": headline,
            **self._measure_metrics(headline),
        }
        for measure in measures:
            if measure != headline:
                metrics[measure] = self._measure_metrics(measure)
        counts = self.series_counts()
        metrics.update(
            {
                "n_series": int(len(self.series)),
                "n_group_series": counts["group_series"],
                "n_series_compared": counts["compared"],
                "series_beating_baseline": counts["beating_baseline"],
                "n_series_mase_undefined": counts["mase_undefined"],
                "mase_undefined_series": counts["mase_undefined_series"],
                "best_model_counts": {
                    str(k): int(v)
                    for k, v in self.series["best_model"].value_counts().sort_index().items()
                },
                "interval_level": self.total(headline).level,
            }
        )
        return metrics


def _merge_notes(series_by_note: dict[str, list[str]], n_series: int) -> list[str]:
    """One line per distinct note, naming the series it concerns (not 40 copies of it)."""
    merged = []
    for note, names in series_by_note.items():
        if len(names) == n_series > 1:
            who = f"every series ({n_series})"
        elif len(names) <= 3:
            who = ", ".join(names)
        else:
            who = f"{len(names)} series ({', '.join(names[:2])}, ...)"
        merged.append(f"{who}: {note}")
    return merged


def _keyed_concat(parts: list[tuple[dict, pd.DataFrame]]) -> pd.DataFrame:
    """Stack frames, each led by the columns of its key (``{column: value}``).

    The same table as ``pd.concat([f.assign(**k)[[*k, *f.columns]] for k, f in parts])``,
    with the key columns added once to the stacked frame rather than to each of
    the frames (160 small assigns were a tenth of the stage's CPU).
    All keys must have the same columns, in the same order, none of them a
    column of the frames.
    """
    stacked = pd.concat([frame for _, frame in parts], ignore_index=True)
    # One row per key, repeated: each column gets the dtype pandas infers for the
    # key's values, as assign() would give it from the scalar.
    keys = pd.DataFrame([key for key, _ in parts])
    rows = np.repeat(np.arange(len(parts)), [len(frame) for _, frame in parts])
    return pd.concat([keys.iloc[rows].reset_index(drop=True), stacked], axis=1)


def forecast_demand(
    demand: DemandSeries,
    *,
    measures: Sequence[str] = ("revenue", "orders"),
    horizon: int = 13,
    n_origins: int = 3,
    origin_step: int = 13,
    interval_level: float = 0.8,
    fourier_order: int = 5,
    lags: Sequence[int] = (1,),
    seasonal_lag: bool = True,
) -> DemandForecast:
    """Backtest and forecast every series of ``demand`` for every measure.

    Parameters
    ----------
    demand : DemandSeries
        From :func:`demand_series`.
    measures : sequence of {"revenue", "orders"}
    horizon, n_origins, origin_step, interval_level, fourier_order, lags, seasonal_lag
        See :func:`forecast_series`.

    Returns
    -------
    DemandForecast
    """
    unknown = [m for m in measures if m not in ("revenue", "orders")]
    if unknown or not measures:
        raise DataValidationError(
            "params demand_forecasting.measures",
            f"expected a non-empty list of 'revenue' and/or 'orders', found {list(measures)}",
        )
    options = {
        "frequency": demand.frequency,
        "horizon": horizon,
        "n_origins": n_origins,
        "origin_step": origin_step,
        "interval_level": interval_level,
        "fourier_order": fourier_order,
        "lags": lags,
        "seasonal_lag": seasonal_lag,
    }
    results, rows, series_by_note = {}, [], {}
    frames: dict[str, list[tuple[dict, pd.DataFrame]]] = {
        "scores": [],
        "summary": [],
        "predictions": [],
        "forecasts": [],
    }
    keys = demand.table[["dimension", "group"]].drop_duplicates().itertuples(index=False)
    for dimension, group in keys:
        for measure in measures:
            result = forecast_series(demand.series(dimension, group, measure), **options)
            key = {"dimension": dimension, "group": group, "measure": measure}
            results[(dimension, group, measure)] = result
            rows.append({**key, **result.summary_row()})
            for note in result.notes:
                series_by_note.setdefault(note, []).append(result.name)
            parts = {
                "scores": result.backtest.scores,
                "summary": result.backtest.summary,
                "predictions": result.backtest.predictions,
                "forecasts": result.forecast.assign(model=result.best_model),
            }
            for name, frame in parts.items():
                frames[name].append((key, frame))
    tables = {name: _keyed_concat(parts) for name, parts in frames.items()}
    return DemandForecast(
        series=pd.DataFrame(rows),
        results=results,
        notes=[*demand.notes, *_merge_notes(series_by_note, len(rows))],
        frequency=demand.frequency,
        horizon=horizon,
        **tables,
    )
