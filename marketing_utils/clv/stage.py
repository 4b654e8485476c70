"""Stage 08, customer lifetime value: what the notebook calls.

:func:`customer_lifetime_value` runs the whole stage on a clean transaction
log: the calibration/holdout split, the three models, the validation against
the holdout (and the truth on synthetic data), the cohorts, the final fit on
all the data and the per-customer value. Its :class:`ClvResult` carries every
table the notebook shows and :meth:`ClvResult.metrics` the headline numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import marketing_utils as mu

from . import bgnbd, gamma_gamma, pareto_nbd
from .cohorts import cohort_matrix
from .data import to_time_unit
from .mle import ConvergenceError, FitResult
from .tiers import at_risk, gini, lorenz_curve, tier_labels, value_tiers
from .validation import (
    calibration_holdout,
    conditional_expectations,
    holdout_errors,
    naive_baselines,
    resolve_calibration_end,
    tracking_data,
    truth_comparison,
)
from .value import clv_table

__all__ = ["CLV_COLUMNS", "ClvResult", "customer_lifetime_value", "fit_models", "spendable"]

#: Columns of the ``clv`` artifact that stages 04 and 09 read.
CLV_COLUMNS = ["customer_id", "expected_purchases", "p_alive", "expected_spend", "clv"]


@dataclass
class ClvResult:
    """Everything stage 08 computes (see :func:`customer_lifetime_value`)."""

    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    time_unit: str
    calho: pd.DataFrame
    fits: dict[str, FitResult]
    final_fits: dict[str, FitResult]
    predictions: dict[str, np.ndarray]
    holdout: pd.DataFrame
    conditional: pd.DataFrame
    tracking: pd.DataFrame
    validation_clv: pd.DataFrame
    clv: pd.DataFrame
    tiers: pd.DataFrame
    lorenz: pd.DataFrame
    at_risk: pd.DataFrame
    cohorts: pd.DataFrame
    spend_correlation: float
    truth: dict[str, Any] | None = None
    purchase_model: str = "bgnbd"
    notes: list[str] = field(default_factory=list)

    def artifact(self) -> pd.DataFrame:
        """The ``clv`` artifact: :data:`CLV_COLUMNS`, one row per customer."""
        return self.clv[CLV_COLUMNS].copy()

    def metrics(self) -> dict[str, Any]:
        """Headline metrics; nested keys read as ``bgnbd.r``, ``holdout.predicted_repeat.bgnbd``.

        Every holdout figure is keyed by the prediction it belongs to (``bgnbd``,
        ``pareto_nbd`` and the naive baselines ``rate_forward``, ``gap_rule``),
        so that no figure of one model reads as the other's; ``purchase_model``
        names the one behind the value.
        """
        model_row = self.holdout.set_index("prediction")
        models = [m for m in ("bgnbd", "pareto_nbd") if m in model_row.index]
        out: dict[str, Any] = {
            "calibration_end": str(self.calibration_end.date()),
            "holdout_end": str(self.holdout_end.date()),
            "time_unit": self.time_unit,
            "n_customers": len(self.calho),
            "purchase_model": self.purchase_model,
        }
        for name, fit in self.fits.items():
            out[name] = {k: round(v, 6) for k, v in fit.params.items()}
            out[name]["log_likelihood"] = round(fit.log_likelihood, 3)
            out[name]["std_errors"] = {k: round(v, 6) for k, v in fit.std_errors.items()}
        out["holdout"] = {
            "periods": round(float(self.calho["duration_holdout"].iloc[0]), 4),
            "actual_repeat": float(model_row["actual_total"].iloc[0]),
            "predicted_repeat": {
                name: round(float(row["predicted_total"]), 3) for name, row in model_row.iterrows()
            },
            "relative_error": {
                name: round(float(row["relative_error"]), 4) for name, row in model_row.iterrows()
            },
            "mae": {name: round(float(row["mae"]), 5) for name, row in model_row.iterrows()},
        }
        cond = self.conditional.set_index("label")
        out["conditional_expectation_error"] = {
            model: {
                label: round(float(row[model] / row["actual"] - 1), 4) if row["actual"] else None
                for label, row in cond.iterrows()
            }
            for model in models
            if model in cond
        }
        out["spend_frequency_correlation"] = round(self.spend_correlation, 4)
        top = self.tiers.iloc[0]
        out["top20_share_of_holdout_value"] = round(float(top["share_actual"]), 4)
        out["clv"] = {
            "total": round(float(self.clv["clv"].sum()), 2),
            "mean": round(float(self.clv["clv"].mean()), 4),
            "gini": round(gini(self.clv["clv"].to_numpy()), 4),
            "n_at_risk": len(self.at_risk),
        }
        if self.truth is not None:
            out["truth"] = {
                "p_alive_auc": round(self.truth["p_alive_auc"], 4),
                "p_alive_auc_by_model": {
                    k: round(v, 4) for k, v in self.truth["p_alive_auc_by_model"].items()
                },
                "share_alive": round(self.truth["share_alive"], 4),
                "mae": {k: round(v, 5) for k, v in self.truth["mae"].items()},
            }
        out["notes"] = list(self.notes)
        return out


def spendable(summary: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The repeat customers Gamma-Gamma can fit (positive mean spend), and how many were left out."""
    repeat = summary[summary["frequency"] > 0]
    keep = repeat["monetary_value"] > 0
    return repeat[keep], int((~keep).sum())


def fit_models(
    summary: pd.DataFrame,
    notes: list[str],
    models: tuple[str, ...] = ("bgnbd", "pareto_nbd"),
    initial: dict[str, FitResult] | None = None,
) -> dict[str, FitResult]:
    """The purchase ``models`` and Gamma-Gamma on one summary.

    BG/NBD and Gamma-Gamma must converge: their :class:`ConvergenceError`
    propagates. A Pareto/NBD that does not converge is left out with a note
    (it is the comparison model) unless it is the only purchase model asked for.
    ``initial`` gives starting values (e.g. the calibration fits).
    """
    start = {k: v.params for k, v in (initial or {}).items()}
    fits = {}
    if "bgnbd" in models:
        fits["bgnbd"] = bgnbd.fit_bgnbd(summary, initial=start.get("bgnbd"))
    if "pareto_nbd" in models:
        first = start.get("pareto_nbd")
        if first is None and "bgnbd" in fits:
            bg = fits["bgnbd"].params
            first = {"r": bg["r"], "alpha": bg["alpha"], "s": 1.0, "beta": bg["alpha"]}
        try:
            fits["pareto_nbd"] = pareto_nbd.fit_pareto_nbd(summary, initial=first)
        except ConvergenceError as error:
            if models == ("pareto_nbd",):
                raise
            notes.append(f"Pareto/NBD left out: {error}")
    spend, zero = spendable(summary)
    if zero:
        notes.append(
            f"{zero} repeat customers with a mean repeat spend of 0 left out of the Gamma-Gamma "
            "fit (the model needs positive amounts); their expected spend is the model's "
            "shrunk estimate"
        )
    fits["gamma_gamma"] = gamma_gamma.fit_gamma_gamma(spend, initial=start.get("gamma_gamma"))
    return fits


def choose_purchase_model(requested: str, holdout: pd.DataFrame, notes: list[str]) -> str:
    """``requested``, or for ``"auto"`` the model with the lower holdout MAE."""
    if requested not in ("auto", "bgnbd", "pareto_nbd"):
        raise ValueError(
            f"purchase_model: expected 'auto', 'bgnbd' or 'pareto_nbd', found {requested!r}"
        )
    mae = holdout.set_index("prediction")["mae"]
    if requested != "auto":
        if requested not in mae.index:
            raise ConvergenceError(requested, "the requested purchase model did not converge")
        return requested
    candidates = [m for m in ("bgnbd", "pareto_nbd") if m in mae.index]
    chosen = min(candidates, key=lambda m: mae[m])
    others = ", ".join(f"{m} {mae[m]:.4f}" for m in candidates)
    notes.append(f"purchase model for the value: {chosen} (lower holdout MAE; {others})")
    return chosen


def customer_lifetime_value(
    transactions: pd.DataFrame,
    *,
    calibration_end: Any = "auto",
    holdout_end: Any = "auto",
    time_unit: str = "W",
    prediction_periods: float = 52,
    clv_months: int = 12,
    margin: float = 0.3,
    annual_discount_rate: float = 0.1,
    risk_value_quantile: float = 0.75,
    risk_p_alive: float = 0.5,
    purchase_model: str = "auto",
    truth: pd.DataFrame | None = None,
) -> ClvResult:
    """Run stage 08 on a clean transaction log.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Clean transactions (``customer_id``, ``timestamp``, ``amount``).
    calibration_end, holdout_end : str or date, default "auto"
        See :func:`~marketing_utils.clv.validation.resolve_calibration_end`.
    time_unit : {"W", "D"}
        Unit of the models' time (weeks or days).
    prediction_periods : float, default 52
        Window of ``expected_purchases`` in the ``clv`` artifact, in ``time_unit``.
    clv_months, margin, annual_discount_rate :
        Horizon, margin share and yearly discount rate of the CLV.
    risk_value_quantile, risk_p_alive :
        "At risk": past value at or above this quantile and P(alive) below this.
    purchase_model : {"auto", "bgnbd", "pareto_nbd"}, default "auto"
        The model behind the value; ``"auto"`` takes the one with the lower
        holdout mean absolute error (BG/NBD gives every customer without a
        repeat purchase P(alive) = 1; Pareto/NBD does not, which matters where
        many one-time buyers never come back).
    truth : pandas.DataFrame, optional
        The synthetic generator's truth (``purchase_rate``, ``dropout_date``).

    Returns
    -------
    ClvResult

    Raises
    ------
    ValueError
        For a calibration end outside the data, a holdout shorter than one
        period, or an invalid time unit, margin, rate or horizon.
    DataValidationError
        For bad transactions, or no repeat customers for Gamma-Gamma.
    ConvergenceError
        If BG/NBD or Gamma-Gamma does not converge.
    """
    notes: list[str] = []
    cal, end = resolve_calibration_end(transactions, calibration_end, holdout_end)
    calho = calibration_holdout(transactions, cal, end, time_unit=time_unit)
    fits = fit_models(calho, notes)

    x, tx, T = (calho[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    duration = float(calho["duration_holdout"].iloc[0])
    predictions = {"bgnbd": bgnbd.conditional_expected_purchases(fits["bgnbd"], duration, x, tx, T)}
    if "pareto_nbd" in fits:
        predictions["pareto_nbd"] = pareto_nbd.conditional_expected_purchases(
            fits["pareto_nbd"], duration, x, tx, T
        )
    predictions |= {k: v.to_numpy() for k, v in naive_baselines(calho).items()}
    holdout = holdout_errors(calho, predictions)
    conditional = conditional_expectations(calho, predictions)
    tracking = tracking_data(
        transactions,
        calho,
        fits["bgnbd"],
        calibration_end=cal,
        holdout_end=end,
        time_unit=time_unit,
    )
    chosen = choose_purchase_model(purchase_model, holdout, notes)
    spend, _ = spendable(calho)
    correlation = float(np.corrcoef(spend["frequency"], spend["monetary_value"])[0, 1])

    common = {
        "prediction_periods": prediction_periods,
        "months": clv_months,
        "margin": margin,
        "annual_discount_rate": annual_discount_rate,
        "time_unit": time_unit,
    }
    validation_clv = clv_table(calho, fits[chosen], fits["gamma_gamma"], model=chosen, **common)
    validation_clv["spend_holdout"] = calho["spend_holdout"].to_numpy()
    tiers = value_tiers(validation_clv)
    lorenz = lorenz_curve(validation_clv)

    truth_result = None
    if truth is not None:
        modules = {"bgnbd": bgnbd, "pareto_nbd": pareto_nbd}
        alive = {m: modules[m].p_alive(fits[m], x, tx, T) for m in modules if m in fits}
        truth_result = truth_comparison(
            calho, truth, predictions, alive[chosen], calibration_end=cal, holdout_end=end
        )
        truth_result["p_alive_auc_by_model"] = {
            m: truth_comparison(calho, truth, {}, p, calibration_end=cal, holdout_end=end)[
                "p_alive_auc"
            ]
            for m, p in alive.items()
        }

    # The value going forward: refit on everything up to the holdout end.
    upto = transactions[pd.to_datetime(transactions["timestamp"]).dt.normalize() <= end]
    full = to_time_unit(
        mu.rfm_summary(upto[["customer_id", "timestamp", "amount"]], observation_period_end=end),
        time_unit,
    )
    final_notes: list[str] = []
    final_fits = fit_models(full, final_notes, (chosen,), initial=fits)
    notes += [f"final fit: {note}" for note in final_notes]
    clv = clv_table(full, final_fits[chosen], final_fits["gamma_gamma"], model=chosen, **common)
    past = upto.groupby("customer_id")["amount"].sum()
    clv["past_value"] = clv["customer_id"].map(past).to_numpy(dtype=float)
    clv["value_tier"] = tier_labels(clv["clv"].to_numpy())
    risky = at_risk(clv, value_quantile=risk_value_quantile, p_alive_below=risk_p_alive)
    return ClvResult(
        calibration_end=cal,
        holdout_end=end,
        time_unit=time_unit,
        calho=calho,
        fits=fits,
        final_fits=final_fits,
        predictions=predictions,
        holdout=holdout,
        conditional=conditional,
        tracking=tracking,
        validation_clv=validation_clv,
        clv=clv,
        tiers=tiers,
        lorenz=lorenz,
        at_risk=risky,
        cohorts=cohort_matrix(transactions[["customer_id", "timestamp", "amount"]]),
        spend_correlation=correlation,
        truth=truth_result,
        purchase_model=chosen,
        notes=notes,
    )
