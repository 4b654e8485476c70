"""Using the value: tiers and the Lorenz curve, at-risk customers, segments and targeting.

- :func:`value_tiers`: customers ranked by predicted CLV; what share of the
  holdout value the top tiers held (measured, not predicted).
- :func:`lorenz_curve`: cumulative share of value against share of customers,
  ranked by the prediction, by the actual value (the best any ranking can do),
  and the diagonal (a random ranking).
- :func:`at_risk`: high past value, low probability of being alive.
- :func:`clv_by_segment`: the CLV joined to stage 02's segments, small groups merged.
- :func:`clv_priced_targeting`: stage 04's decision rule priced in lifetime
  value instead of a fixed value per conversion, and whether the difference
  is material; :func:`targeting_table` shows the two rules side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.privacy import suppress_small_groups

__all__ = [
    "MATERIAL_GAIN",
    "TIERS",
    "at_risk",
    "clv_by_segment",
    "clv_priced_targeting",
    "gini",
    "lorenz_curve",
    "targeting_table",
    "tier_labels",
    "value_tiers",
]

#: Tier names and the share of customers (ranked by predicted CLV) in each.
TIERS = (("top 20%", 0.2), ("next 30%", 0.3), ("bottom 50%", 0.5))

#: Smallest gain of the CLV-priced targeting, as a share of the fixed rule's
#: expected value, that is worth changing a list for (see :func:`clv_priced_targeting`).
MATERIAL_GAIN = 0.01


def _need(frame: pd.DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise DataValidationError(
            where, f"expected columns {columns}, missing {missing} (found {list(frame.columns)})"
        )


def _ranked(values: np.ndarray) -> np.ndarray:
    """Order from highest to lowest, ties broken by position (stable)."""
    return np.argsort(-np.asarray(values, dtype=float), kind="stable")


def value_tiers(
    frame: pd.DataFrame, *, predicted: str = "clv", actual: str = "spend_holdout"
) -> pd.DataFrame:
    """Share of customers, predicted value and actual value in each tier of :data:`TIERS`.

    Returns
    -------
    pandas.DataFrame
        ``tier``, ``customers``, ``share_customers``, ``mean_predicted``,
        ``share_predicted``, ``share_actual`` (of the total ``actual``).
    """
    _need(frame, [predicted, actual], "clv table")
    order = _ranked(frame[predicted].to_numpy())
    pred = frame[predicted].to_numpy(dtype=float)[order]
    act = frame[actual].to_numpy(dtype=float)[order]
    n = len(order)
    bounds = np.round(np.cumsum([0.0] + [s for _, s in TIERS]) * n).astype(int)
    rows = []
    for (name, _), lo, hi in zip(TIERS, bounds[:-1], bounds[1:], strict=True):
        rows.append(
            {
                "tier": name,
                "customers": int(hi - lo),
                "share_customers": (hi - lo) / n,
                "mean_predicted": float(pred[lo:hi].mean()) if hi > lo else np.nan,
                "share_predicted": float(pred[lo:hi].sum() / pred.sum()) if pred.sum() else np.nan,
                "share_actual": float(act[lo:hi].sum() / act.sum()) if act.sum() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def tier_labels(values: np.ndarray) -> np.ndarray:
    """The :data:`TIERS` name of every customer, by rank of ``values`` (highest first)."""
    order = _ranked(values)
    n = len(order)
    labels = np.empty(n, dtype=object)
    bounds = np.round(np.cumsum([0.0] + [s for _, s in TIERS]) * n).astype(int)
    for (name, _), lo, hi in zip(TIERS, bounds[:-1], bounds[1:], strict=True):
        labels[order[lo:hi]] = name
    return labels


def lorenz_curve(
    frame: pd.DataFrame, *, predicted: str = "clv", actual: str = "spend_holdout", points: int = 101
) -> pd.DataFrame:
    """Cumulative share of ``actual`` value captured by the top share of customers.

    Returns
    -------
    pandas.DataFrame
        ``share_customers`` (0..1), ``by_prediction`` (ranked by ``predicted``),
        ``best`` (ranked by ``actual`` itself) and ``random`` (the diagonal).
    """
    _need(frame, [predicted, actual], "clv table")
    act = frame[actual].to_numpy(dtype=float)
    total = act.sum()
    if total <= 0:
        raise DataValidationError(
            "clv table", f"expected a positive total of {actual!r}, found {total}", column=actual
        )
    grid = np.linspace(0, 1, points)
    n = len(act)
    idx = np.round(grid * n).astype(int)

    def curve(order: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(act[order])]) / total
        return cum[idx]

    return pd.DataFrame(
        {
            "share_customers": grid,
            "by_prediction": curve(_ranked(frame[predicted].to_numpy())),
            "best": curve(_ranked(act)),
            "random": grid,
        }
    )


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal, 1: one holds everything).

    Examples
    --------
    >>> round(gini(np.array([0.0, 0.0, 0.0, 1.0])), 6)
    0.75
    """
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n == 0 or v.sum() == 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * v).sum()) / (n * v.sum()) - (n + 1) / n)


def at_risk(
    frame: pd.DataFrame,
    *,
    past_value: str = "past_value",
    value_quantile: float = 0.75,
    p_alive_below: float = 0.5,
) -> pd.DataFrame:
    """Customers with a high past value and a low probability of being alive.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``customer_id``, ``p_alive``, ``clv`` and ``past_value``.
    value_quantile : float, default 0.75
        "High value" means ``past_value`` at or above this quantile.
    p_alive_below : float, default 0.5
        "At risk" means ``p_alive`` below this.

    Returns
    -------
    pandas.DataFrame
        The at-risk customers, highest past value first (a new frame).
    """
    _need(frame, ["customer_id", "p_alive", "clv", past_value], "clv table")
    for name, value in (("value_quantile", value_quantile), ("p_alive_below", p_alive_below)):
        if not 0 < value < 1:
            raise ValueError(f"{name}: expected a number between 0 and 1, found {value!r}")
    threshold = frame[past_value].quantile(value_quantile)
    mask = (frame[past_value] >= threshold) & (frame["p_alive"] < p_alive_below)
    return (
        frame.loc[mask]
        .sort_values(past_value, ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def clv_by_segment(
    clv: pd.DataFrame, segments: pd.DataFrame, *, segment_column: str, min_customers: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the CLV to stage 02's segments and summarize it per segment.

    Returns
    -------
    joined : pandas.DataFrame
        ``clv`` with the segment column (``"unsegmented"`` for customers stage
        02 did not segment: they first bought after its cutoff).
    summary : pandas.DataFrame
        Per segment: ``customers``, ``share``, ``mean_clv``, ``total_clv``,
        ``mean_p_alive``; segments under ``min_customers`` merged (privacy).
    """
    _need(segments, ["customer_id", segment_column], "segments")
    _need(clv, ["customer_id", "clv", "p_alive"], "clv table")
    joined = clv.merge(segments[["customer_id", segment_column]], on="customer_id", how="left")
    joined[segment_column] = joined[segment_column].astype(object).fillna("unsegmented")
    summary = (
        joined.groupby(segment_column, sort=False)
        .agg(
            customers=("clv", "size"),
            mean_clv=("clv", "mean"),
            total_clv=("clv", "sum"),
            mean_p_alive=("p_alive", "mean"),
        )
        .reset_index()
        .sort_values("mean_clv", ascending=False)
    )
    summary["share"] = summary["customers"] / summary["customers"].sum()
    summary = suppress_small_groups(
        summary,
        count_col="customers",
        min_size=min_customers,
        label_col=segment_column,
        sum_cols=["total_clv"],
        share_col="share",
    )
    return joined, summary.reset_index(drop=True)


def clv_priced_targeting(
    scores: pd.DataFrame,
    clv: pd.DataFrame,
    *,
    cost_per_contact: float,
    value_per_conversion: float,
    material_gain: float = MATERIAL_GAIN,
) -> dict:
    """Stage 04's break-even rule, priced in lifetime value instead of one order.

    04 contacts a customer when ``p * v >= c`` (``p`` the calibrated purchase
    probability, ``v`` a fixed value per conversion, ``c`` the contact cost).
    Priced in lifetime value, a conversion is worth the customer's CLV, so the
    rule becomes ``p * CLV >= c``: it drops customers whose orders are cheap or
    who will soon leave, and adds valuable ones with a lower probability.

    Both lists are valued the same way (expected lifetime value of the
    responders net of the contact costs), so their difference is what pricing
    in lifetime value adds. A difference below ``material_gain`` of the fixed
    rule's value is called negligible: the lifetime values themselves carry
    the purchase model's holdout error (several percent), so a gain of a
    fraction of a percent is no reason to change a list.

    Parameters
    ----------
    scores : pandas.DataFrame
        Stage 03's ``scores`` (``customer_id``, ``score``).
    clv : pandas.DataFrame
        The ``clv`` table (``customer_id``, ``clv``).
    cost_per_contact, value_per_conversion : float
        Stage 04's ``c`` and ``v``.
    material_gain : float, default 0.01
        Smallest gain, as a share of the fixed rule's expected value, that
        counts as a material difference.

    Returns
    -------
    dict
        ``n_scored`` (customers with both a score and a CLV), ``contacted_fixed``,
        ``contacted_clv``, ``overlap``, the expected lifetime value of the
        responders per contacted list net of the contact costs
        (``expected_clv_fixed``, ``expected_clv_priced``), ``extra_contacts``
        (priced minus fixed), ``gain`` (priced minus fixed value),
        ``relative_gain`` (``gain`` over the fixed value; None when that is
        not positive), ``material`` (``gain`` at least ``material_gain``
        of the fixed value; any positive gain when that is not positive) and
        ``material_gain`` itself.
    """
    _need(scores, ["customer_id", "score"], "scores")
    _need(clv, ["customer_id", "clv"], "clv table")
    if not cost_per_contact >= 0 or not value_per_conversion > 0:
        raise ValueError(
            "cost_per_contact, value_per_conversion: expected >= 0 and > 0, found "
            f"{cost_per_contact!r}, {value_per_conversion!r}"
        )
    if not 0 <= material_gain < 1:
        raise ValueError(f"material_gain: expected a share in [0, 1), found {material_gain!r}")
    latest = scores.drop_duplicates("customer_id", keep="last")
    both = latest[["customer_id", "score"]].merge(clv[["customer_id", "clv"]], on="customer_id")
    p, value = both["score"].to_numpy(dtype=float), both["clv"].to_numpy(dtype=float)
    fixed = p * value_per_conversion >= cost_per_contact
    priced = p * value >= cost_per_contact

    def net(mask: np.ndarray) -> float:
        return float((p[mask] * value[mask]).sum() - cost_per_contact * mask.sum())

    value_fixed, value_priced = net(fixed), net(priced)
    gain = value_priced - value_fixed
    base = value_fixed if value_fixed > 0 else None
    return {
        "n_scored": len(both),
        "contacted_fixed": int(fixed.sum()),
        "contacted_clv": int(priced.sum()),
        "overlap": int((fixed & priced).sum()),
        "expected_clv_fixed": value_fixed,
        "expected_clv_priced": value_priced,
        "extra_contacts": int(priced.sum() - fixed.sum()),
        "gain": gain,
        "relative_gain": gain / base if base is not None else None,
        "material": bool(gain >= material_gain * base if base is not None else gain > 0),
        "material_gain": float(material_gain),
    }


def targeting_table(priced: dict) -> pd.DataFrame:
    """The two targeting rules side by side, from :func:`clv_priced_targeting`'s result.

    One row per rule (``fixed value per conversion (04)``, ``priced in lifetime
    value``) and their difference; columns ``contacts``, ``expected_net_value``
    (the responders' lifetime value net of the contact costs) and
    ``value_per_contact`` (NaN for a rule that contacts nobody).
    """
    contacts = np.array([priced["contacted_fixed"], priced["contacted_clv"]])
    value = np.array([priced["expected_clv_fixed"], priced["expected_clv_priced"]], dtype=float)
    per_contact = np.divide(value, contacts, out=np.full(2, np.nan), where=contacts > 0)
    return pd.DataFrame(
        {
            "contacts": [*contacts, contacts[1] - contacts[0]],
            "expected_net_value": [*value, value[1] - value[0]],
            "value_per_contact": [*per_contact, per_contact[1] - per_contact[0]],
        },
        index=pd.Index(
            [
                "fixed value per conversion (04)",
                "priced in lifetime value",
                "difference (priced - fixed)",
            ],
            name="targeting rule",
        ),
    )
