"""Dev-only: fit lifetimes (abandoned; a reference only) on CDNOW and write its parameters.

Run in a separate environment that has lifetimes and an old pandas/numpy, e.g.::

    python3 -m venv /tmp/lifetimes-venv
    /tmp/lifetimes-venv/bin/pip install "lifetimes==0.11.3" "pandas<2" "numpy<1.24" "scipy<1.12"
    /tmp/lifetimes-venv/bin/python benchmarks/clv_lifetimes_reference.py \
        ../shared/datasets/CDNOW_master.txt tests/unit/clv/cdnow_lifetimes_reference.json

It builds the calibration summary with lifetimes' own
``calibration_and_holdout_data`` (days, then recency and T divided by 7:
weeks), fits ``BetaGeoFitter`` (with its conditional-expectation table: mean
holdout purchases by calibration frequency 0..6 and 7+), ``ParetoNBDFitter`` and ``GammaGammaFitter``
(repeat customers with a positive mean spend), and writes the parameters, the
holdout totals and the fit times. ``tests/unit/clv/test_cdnow_reference.py``
checks the workbook's own fits against this file to 3 significant digits.
"""

from __future__ import annotations

import json
import sys
import time

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import calibration_and_holdout_data

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def main(path: str, out: str) -> None:
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str})
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    summary = calibration_and_holdout_data(
        raw,
        "customer_id",
        "date",
        calibration_period_end=CALIBRATION_END,
        observation_period_end=HOLDOUT_END,
        freq="D",
        monetary_value_col="dollar_value",
    )
    for column in ("recency_cal", "T_cal", "duration_holdout"):
        summary[column] = summary[column] / 7.0
    cal = summary.rename(
        columns={"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T"}
    )
    result: dict = {"lifetimes_version": lifetimes.__version__, "n_customers": len(cal)}

    start = time.perf_counter()
    bg = BetaGeoFitter().fit(cal["frequency"], cal["recency"], cal["T"])
    result["bgnbd_seconds"] = time.perf_counter() - start
    result["bgnbd"] = {k: float(v) for k, v in bg.params_.items()}
    duration = float(summary["duration_holdout"].iloc[0])
    predicted = bg.conditional_expected_number_of_purchases_up_to_time(
        duration, cal["frequency"], cal["recency"], cal["T"]
    )
    result["holdout_weeks"] = duration
    result["holdout_predicted_repeat"] = float(np.sum(predicted))
    result["holdout_actual_repeat"] = float(summary["frequency_holdout"].sum())
    # lifetimes' own conditional expectations: mean holdout purchases by calibration frequency
    groups = np.minimum(cal["frequency"].to_numpy(), 7).astype(int)
    table = (
        pd.DataFrame(
            {"group": groups, "actual": summary["frequency_holdout"].to_numpy(), "bgnbd": predicted}
        )
        .groupby("group")[["actual", "bgnbd"]]
        .mean()
    )
    result["conditional_expectations"] = {
        str(k): {"actual": float(row["actual"]), "bgnbd": float(row["bgnbd"])}
        for k, row in table.iterrows()
    }
    result["p_alive_first5"] = bg.conditional_probability_alive(
        cal["frequency"], cal["recency"], cal["T"]
    )[:5].tolist()

    start = time.perf_counter()
    pnbd = ParetoNBDFitter().fit(cal["frequency"], cal["recency"], cal["T"])
    result["pareto_nbd_seconds"] = time.perf_counter() - start
    result["pareto_nbd"] = {k: float(v) for k, v in pnbd.params_.items()}

    spend = cal[(cal["frequency"] > 0) & (cal["monetary_value_cal"] > 0)]
    start = time.perf_counter()
    gg = GammaGammaFitter().fit(spend["frequency"], spend["monetary_value_cal"])
    result["gamma_gamma_seconds"] = time.perf_counter() - start
    result["gamma_gamma"] = {k: float(v) for k, v in gg.params_.items()}
    result["gamma_gamma_n"] = len(spend)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
