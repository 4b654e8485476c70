"""Calibration/holdout validation as the papers do it, with naive baselines and the truth.

- :func:`calibration_holdout`: split a transaction log by date into the
  calibration RFM summary and what each of its customers did in the holdout.
- :func:`tracking_data`: repeat transactions per period across both periods,
  actual against the model's expectation for the calibration customers.
- :func:`conditional_expectations`: mean holdout purchases by number of
  calibration purchases, actual against predicted and the baselines.
- :func:`naive_baselines`: the calibration rate carried forward, and the same
  but zero for customers inactive longer than their usual gap.
- :func:`truth_comparison`: on synthetic data, predictions against each
  customer's true purchase rate and whether the customer had dropped out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

import marketing_utils as mu
from marketing_utils.errors import DataValidationError

from .data import TIME_UNITS, to_time_unit
from .mle import FitResult
from .value import purchase_model

__all__ = [
    "calibration_holdout",
    "conditional_expectations",
    "holdout_errors",
    "naive_baselines",
    "resolve_calibration_end",
    "tracking_data",
    "truth_comparison",
]

_DAY = pd.Timedelta(days=1)


def _day(value: Any, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: expected an ISO date such as '1997-09-30', found {value!r}"
        ) from None
    if stamp is pd.NaT:
        raise ValueError(f"{name}: expected an ISO date such as '1997-09-30', found {value!r}")
    return stamp.tz_localize(None).normalize() if stamp.tz is not None else stamp.normalize()


def _check_transactions(transactions: pd.DataFrame) -> None:
    for column in ("customer_id", "timestamp", "amount"):
        if column not in transactions:
            raise DataValidationError(
                "transactions",
                f"expected a column {column!r}, found columns {list(transactions.columns)}",
            )
    if len(transactions) == 0:
        raise DataValidationError("transactions", "expected dated transactions, found none")


def resolve_calibration_end(
    transactions: pd.DataFrame, calibration_end: Any = "auto", holdout_end: Any = "auto"
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calibration end and holdout end days from the parameters.

    ``holdout_end="auto"`` is the last transaction day; ``calibration_end="auto"``
    leaves the last third of the days from the first transaction to the holdout
    end as the holdout.

    Raises
    ------
    ValueError
        Naming ``calibration_end`` when it is not a date strictly inside the
        data (after the first and before the last transaction day), and
        ``holdout_end`` when it is before ``calibration_end`` or after the data.
    """
    _check_transactions(transactions)
    days = pd.to_datetime(transactions["timestamp"]).dt.normalize()
    first, last = days.min(), days.max()
    end = last if holdout_end == "auto" else _day(holdout_end, "holdout_end")
    if end > last:
        raise ValueError(
            f"holdout_end: expected a day on or before the last transaction day "
            f"{last.date()}, found {end.date()}"
        )
    if calibration_end == "auto":
        cal = first + pd.Timedelta(days=int((end - first).days * 2 // 3))
    else:
        cal = _day(calibration_end, "calibration_end")
    if not first < cal < last:
        raise ValueError(
            f"calibration_end: expected a day inside the data, after the first transaction "
            f"day {first.date()} and before the last {last.date()}; found {cal.date()}"
        )
    if end <= cal:
        raise ValueError(
            f"holdout_end: expected a day after calibration_end {cal.date()}, found {end.date()}"
        )
    return cal, end


def calibration_holdout(
    transactions: pd.DataFrame,
    calibration_end: Any,
    holdout_end: Any,
    *,
    time_unit: str = "W",
) -> pd.DataFrame:
    """The calibration RFM summary with each customer's holdout behaviour.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Clean transactions: ``customer_id``, ``timestamp``, ``amount``.
    calibration_end, holdout_end : date or str
        Last day of the calibration period and of the holdout (inclusive).
    time_unit : {"W", "D"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase up to ``calibration_end``:
        ``customer_id``, ``frequency``, ``recency``, ``T``, ``monetary_value``
        (calibration, as :func:`~marketing_utils.rfm_summary`),
        ``first_day`` (first purchase day), ``calibration_spend``,
        ``frequency_holdout`` (distinct purchase days in the holdout),
        ``spend_holdout`` and ``duration_holdout``.

    Raises
    ------
    ValueError
        If the holdout is shorter than one ``time_unit`` or a day is not a date.
    """
    _check_transactions(transactions)
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit: expected one of {sorted(TIME_UNITS)}, found {time_unit!r}")
    cal = _day(calibration_end, "calibration_end")
    end = _day(holdout_end, "holdout_end")
    holdout_days = (end - cal).days
    if holdout_days < TIME_UNITS[time_unit]:
        raise ValueError(
            f"holdout_end: expected a holdout of at least one period ({time_unit}: "
            f"{TIME_UNITS[time_unit]:g} days) after calibration_end {cal.date()}, "
            f"found {holdout_days} days (holdout_end {end.date()})"
        )
    tx = transactions[["customer_id", "timestamp", "amount"]].copy()
    tx["day"] = pd.to_datetime(tx["timestamp"]).dt.normalize()
    in_cal = tx[tx["day"] <= cal]
    summary = to_time_unit(
        mu.rfm_summary(in_cal[["customer_id", "timestamp", "amount"]], observation_period_end=cal),
        time_unit,
    )
    first = in_cal.groupby("customer_id")["day"].min().rename("first_day")
    spent = in_cal.groupby("customer_id")["amount"].sum().rename("calibration_spend")
    hold = tx[(tx["day"] > cal) & (tx["day"] <= end)]
    hold_freq = hold.groupby("customer_id")["day"].nunique().rename("frequency_holdout")
    hold_spend = hold.groupby("customer_id")["amount"].sum().rename("spend_holdout")
    out = summary.join(first, on="customer_id").join(spent, on="customer_id")
    out = out.join(hold_freq, on="customer_id").join(hold_spend, on="customer_id")
    out["frequency_holdout"] = out["frequency_holdout"].fillna(0.0).astype(float)
    out["spend_holdout"] = out["spend_holdout"].fillna(0.0).astype(float)
    out["duration_holdout"] = holdout_days / TIME_UNITS[time_unit]
    return out.reset_index(drop=True)


def naive_baselines(calho: pd.DataFrame) -> pd.DataFrame:
    """Two naive predictions of the holdout purchases.

    - ``rate_forward``: the calibration rate carried forward,
      ``frequency / T * duration_holdout``;
    - ``gap_rule``: the same, but 0 for customers whose time since the last
      purchase ``T - recency`` exceeds their usual gap ``recency / frequency``
      (customers without a repeat purchase have no gap and get 0, as their
      rate already is).
    """
    x, tx, T = (calho[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    duration = calho["duration_holdout"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(T > 0, x / T, 0.0) * duration
        gap = np.where(x > 0, tx / x, 0.0)
    inactive = (x == 0) | ((T - tx) > gap)
    return pd.DataFrame({"rate_forward": rate, "gap_rule": np.where(inactive, 0.0, rate)})


def holdout_errors(calho: pd.DataFrame, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Total, bias and mean absolute error of each prediction of the holdout purchases."""
    actual = calho["frequency_holdout"].to_numpy(dtype=float)
    rows = []
    for name, predicted in predictions.items():
        predicted = np.asarray(predicted, dtype=float)
        rows.append(
            {
                "prediction": name,
                "predicted_total": float(predicted.sum()),
                "actual_total": float(actual.sum()),
                "relative_error": float(predicted.sum() / actual.sum() - 1)
                if actual.sum()
                else np.nan,
                "mae": float(np.mean(np.abs(predicted - actual))),
                "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
            }
        )
    return pd.DataFrame(rows)


def conditional_expectations(
    calho: pd.DataFrame, predictions: dict[str, np.ndarray], *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency (the last group is ``max_frequency+``)."""
    group = np.minimum(calho["frequency"].to_numpy(dtype=float), max_frequency).astype(int)
    frame = pd.DataFrame({"frequency": group, "actual": calho["frequency_holdout"].to_numpy()})
    for name, values in predictions.items():
        frame[name] = np.asarray(values, dtype=float)
    out = frame.groupby("frequency").agg(
        customers=("actual", "size"), **{c: (c, "mean") for c in frame.columns[1:]}
    )
    out = out.reset_index()
    out["label"] = (
        out["frequency"].astype(str).where(out["frequency"] < max_frequency, f"{max_frequency}+")
    )
    return out


def tracking_data(
    transactions: pd.DataFrame,
    calho: pd.DataFrame,
    fit: FitResult,
    *,
    model: str = "bgnbd",
    calibration_end: Any,
    holdout_end: Any,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Repeat transactions per period of the calibration customers, actual and expected.

    Periods are ``time_unit`` long from the first purchase day. A customer's
    expected cumulative repeat purchases ``d`` days after the first purchase is
    the model's unconditional :math:`E[X(d)]`; summed over customers (grouped
    by first purchase day), then differenced per period.

    Returns
    -------
    pandas.DataFrame
        ``period`` (0, 1, ...), ``start`` (first day), ``actual``, ``expected``,
        ``actual_cumulative``, ``expected_cumulative`` and ``holdout`` (whether
        the period starts after ``calibration_end``).
    """
    module = purchase_model(model)
    unit = TIME_UNITS[time_unit]
    cal, end = _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end")
    origin = calho["first_day"].min()
    n_periods = int(np.ceil(((end - origin).days + 1) / unit))
    # actual: purchase days after each calibration customer's first day
    tx = transactions[["customer_id", "timestamp"]].copy()
    tx["day"] = pd.to_datetime(tx["timestamp"]).dt.normalize()
    tx = tx[tx["day"] <= end].drop_duplicates(["customer_id", "day"])
    tx = tx.merge(calho[["customer_id", "first_day"]], on="customer_id", how="inner")
    repeat = tx[tx["day"] > tx["first_day"]]
    period = ((repeat["day"] - origin).dt.days // unit).astype(int)
    actual = np.bincount(period, minlength=n_periods)[:n_periods].astype(float)
    # expected: sum over first days of n * E[X(t - first)]
    firsts = calho.groupby("first_day").size()
    offset = ((firsts.index - origin).days.to_numpy()).astype(float)
    ends = (np.arange(1, n_periods + 1) * unit - 1).astype(float)  # last day of each period
    ends = np.minimum(ends, (end - origin).days)
    t = np.clip(ends[None, :] - offset[:, None], 0, None) / unit
    cumulative = (
        firsts.to_numpy()[:, None] * np.where(t > 0, module.expected_purchases(fit, t), 0.0)
    ).sum(0)
    expected = np.diff(np.concatenate([[0.0], cumulative]))
    starts = origin + pd.to_timedelta(np.arange(n_periods) * unit, unit="D")
    return pd.DataFrame(
        {
            "period": np.arange(n_periods),
            "start": starts,
            "actual": actual,
            "expected": expected,
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": cumulative,
            "holdout": starts > cal,
        }
    )


def truth_comparison(
    calho: pd.DataFrame,
    truth: pd.DataFrame,
    predictions: dict[str, np.ndarray],
    p_alive: np.ndarray,
    *,
    calibration_end: Any,
    holdout_end: Any,
) -> dict[str, Any]:
    """Predictions against the generator's truth (synthetic data).

    A customer is truly alive at the end of calibration when the generator's
    ``dropout_date`` (the last order before leaving) is missing or after
    ``calibration_end``. The *truth-informed* prediction knows that and the
    true purchase rate: ``alive * purchase_rate / 365.25 * holdout days``
    (it does not know who drops out during the holdout, nor the season): a
    practical bound on what a model of these data can reach.

    Returns
    -------
    dict
        ``mae`` (by prediction, plus ``truth_informed``), ``p_alive_auc`` (ROC
        AUC of P(alive) against the true alive flag), ``share_alive`` and
        ``mean_p_alive``, ``n_customers``.

    Raises
    ------
    DataValidationError
        If ``truth`` lacks ``customer_id``, ``purchase_rate`` or ``dropout_date``,
        or a calibration customer has no truth row.
    """
    needed = ["customer_id", "purchase_rate", "dropout_date"]
    missing = [c for c in needed if c not in truth]
    if missing:
        raise DataValidationError("truth", f"expected columns {needed}, missing {missing}")
    merged = calho[["customer_id", "frequency_holdout", "duration_holdout"]].merge(
        truth[needed], on="customer_id", how="left", indicator=True
    )
    absent = merged["_merge"] != "both"
    if absent.any():
        raise DataValidationError(
            "truth",
            f"expected a truth row for every customer, found {int(absent.sum())} without",
            column="customer_id",
            examples=merged.loc[absent, "customer_id"].head(),
        )
    cal = _day(calibration_end, "calibration_end")
    dropout = pd.to_datetime(merged["dropout_date"])
    alive = (dropout.isna() | (dropout >= cal + _DAY)).to_numpy()
    days = float((_day(holdout_end, "holdout_end") - cal).days)
    actual = merged["frequency_holdout"].to_numpy(dtype=float)
    informed = alive * merged["purchase_rate"].to_numpy(dtype=float) / 365.25 * days
    mae = {n: float(np.mean(np.abs(np.asarray(p) - actual))) for n, p in predictions.items()}
    mae["truth_informed"] = float(np.mean(np.abs(informed - actual)))
    auc = float(roc_auc_score(alive, p_alive)) if 0 < alive.sum() < len(alive) else float("nan")
    return {
        "mae": mae,
        "p_alive_auc": auc,
        "share_alive": float(alive.mean()),
        "mean_p_alive": float(np.mean(p_alive)),
        "n_customers": len(alive),
    }
