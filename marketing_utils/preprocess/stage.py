"""Stage 01 end to end: clean, pseudonymize, build customer features and the model table.

The notebook ``01_preprocessing`` walks through each step; this module is the
one call it makes, so every step is reachable by tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..compute import ENGINES
from ..errors import DataValidationError
from ..privacy import drop_pii, pseudonymization_key, pseudonymize_ids
from ..schema import OUTCOME_COLUMNS, MarketingData
from .clean import clean_data
from .features import customer_features, make_labels
from .ledger import ledger_summary

__all__ = [
    "ENGINES",
    "OUTCOME_COLUMNS",
    "PreprocessResult",
    "preprocess",
    "resolve_cutoff",
    "to_engine",
]


@dataclass(frozen=True)
class PreprocessResult:
    """Everything stage 01 produces.

    Attributes
    ----------
    clean : MarketingData
        Clean tables with pseudonymized ids and no direct identifiers.
    returns : DataFrame
        Return and cancellation lines (pseudonymized), kept apart from sales.
    ledger : DataFrame
        The cleaning ledger (``table, reason, action, rows``).
    features : DataFrame
        One row per customer: the feature table every later stage uses.
    model_table : DataFrame
        ``features`` plus the binary ``label`` column.
    label : dict
        How the label was made: ``kind`` ("purchase_in_horizon" or
        "campaign_response"), ``cutoff``, ``horizon_days``, ``rate``.
    truth : DataFrame or None
        Synthetic ground truth (pseudonymized), for the notebooks' comparisons.
    info : dict
        Source facts and the feature lists (numeric and categorical).
    """

    clean: MarketingData
    returns: pd.DataFrame
    ledger: pd.DataFrame
    features: pd.DataFrame
    model_table: pd.DataFrame
    label: dict
    truth: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def metrics(self) -> dict:
        """Headline metrics of the stage (JSON-ready, deterministic for a seed)."""
        summary = ledger_summary(self.ledger)
        return {
            "ledger": summary,
            "n_customers": int(len(self.features)),
            "n_features": len(self.info.get("numeric_features", []))
            + len(self.info.get("categorical_features", [])),
            "label": self.label,
            "capabilities": sorted(self.clean.capabilities()),
        }


def resolve_cutoff(
    cutoff: str | None, data: MarketingData, horizon_days: int
) -> pd.Timestamp | None:
    """The cutoff date: given, or ``"auto"``.

    ``"auto"`` takes the source's own cutoff when it has one (the synthetic
    data's ground truth is computed for it), else the last day of the data
    minus ``horizon_days``, so the label window ends where the data ends.
    Returns ``None`` for data without transactions.

    Raises
    ------
    DataValidationError
        When the cutoff leaves no history before it or no full label window after it.
    """
    if data.transactions is None:
        return None
    stamps = data.transactions["timestamp"].dropna()
    end = pd.Timestamp(data.info.get("observation_end", stamps.max())).normalize()
    if cutoff in (None, "auto"):
        if "cutoff" in data.info:
            return pd.Timestamp(data.info["cutoff"]).normalize()
        return end + pd.Timedelta(days=1) - pd.Timedelta(days=horizon_days)
    try:
        value = pd.Timestamp(cutoff).normalize()
    except (ValueError, TypeError) as exc:
        raise DataValidationError(
            "params preprocessing.cutoff", f"expected an ISO date or 'auto', found {cutoff!r}"
        ) from exc
    first = stamps.min().normalize()
    if value <= first:
        raise DataValidationError(
            "params preprocessing.cutoff",
            f"expected a date after the first transaction ({first.date()}) so that there is "
            f"history to learn from, found {value.date()}",
        )
    if value + pd.Timedelta(days=horizon_days) > end + pd.Timedelta(days=1):
        raise DataValidationError(
            "params preprocessing.cutoff",
            f"the label window {value.date()} + {horizon_days} days ends after the data "
            f"({end.date()}); choose an earlier cutoff or a shorter horizon_days",
        )
    return value


def to_engine(frame: pd.DataFrame, engine: str, npartitions: int = 2):
    """Convert a pandas frame to the requested engine's frame."""
    if engine == "pandas":
        return frame
    if engine == "polars":
        import polars as pl

        return pl.from_pandas(frame)
    if engine == "dask":
        import dask.dataframe as dd

        return dd.from_pandas(frame, npartitions=npartitions)
    raise DataValidationError(
        "params preprocessing.engine", f"expected one of {', '.join(ENGINES)}, found {engine!r}"
    )


def _to_pandas(frame) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    return frame.compute()


def _split_features(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric, categorical = [], []
    for column in features.columns:
        if column == "customer_id" or column in OUTCOME_COLUMNS:
            continue
        if pd.api.types.is_bool_dtype(features[column]) or pd.api.types.is_numeric_dtype(
            features[column]
        ):
            numeric.append(column)
        elif pd.api.types.is_datetime64_any_dtype(features[column]):
            continue
        else:
            categorical.append(column)
    return numeric, categorical


def _campaign_features(data: MarketingData) -> tuple[pd.DataFrame, pd.Series]:
    campaign = data.campaign
    extra = [c for c in campaign.columns if c not in OUTCOME_COLUMNS and c != "treatment"]
    table = campaign[extra]
    if data.customers is not None:
        customers = data.customers.drop(columns=["signup_date", "birth_date"], errors="ignore")
        table = customers.merge(table, on="customer_id", how="inner", validate="one_to_one")
    label = campaign.set_index("customer_id")["response"].reindex(table["customer_id"])
    return table.reset_index(drop=True), label.astype(int).reset_index(drop=True)


def _check_rows_left(raw: MarketingData, clean: MarketingData, ledger: pd.DataFrame) -> None:
    """Cleaning that removes every row is a data problem to report, never an empty report."""
    for table in ("transactions", "campaign", "customers"):
        before, after = getattr(raw, table), getattr(clean, table)
        if before is None or len(before) == 0 or (after is not None and len(after)):
            continue
        removed = ledger[(ledger["table"] == table) & (ledger["action"] == "removed")]
        reasons = {str(r.reason): int(r.rows) for r in removed.itertuples() if r.rows}
        raise DataValidationError(
            table,
            f"cleaning removed all {len(before)} rows (by reason: {reasons}); expected some "
            "rows to survive: check the file against the cleaning rules in the ledger",
        )


def _check_label(label: pd.Series, info: dict) -> None:
    """A model needs at least two customers and both label values."""
    if info["kind"] == "purchase_in_horizon":
        meaning = (
            f"purchase within horizon_days={info['horizon_days']} of the cutoff {info['cutoff']}"
        )
        fix = "choose another cutoff or horizon_days"
    else:
        meaning = f"the campaign's {info['column']!r} column"
        fix = "a response column needs both responders (1) and non-responders (0)"
    if len(label) < 2:
        raise DataValidationError(
            "label",
            f"expected at least 2 customers to learn from, found {len(label)}; the data "
            "has too few customers for the workbook",
        )
    classes = sorted(int(value) for value in label.unique())
    if len(classes) < 2:
        raise DataValidationError(
            "label",
            f"expected both values 0 and 1 in the label ({meaning}), found only {classes[0]} "
            f"for all {len(label)} customers; {fix}",
        )


def preprocess(
    data: MarketingData,
    *,
    cutoff: str | None = "auto",
    horizon_days: int = 90,
    windows: tuple[int, ...] = (30, 90, 365),
    engine: str = "pandas",
    outlier_quantile: float = 0.99,
    outlier_multiplier: float = 10.0,
    key: bytes | None = None,
) -> PreprocessResult:
    """Clean, pseudonymize and build the customer feature and model tables.

    Parameters
    ----------
    data : MarketingData
        Raw tables from :func:`marketing_utils.load_data`.
    cutoff : str or None
        First day of the label window (ISO date) or ``"auto"``; features use
        only events strictly before it.
    horizon_days : int
        Length of the label window: the label is "purchased in
        [cutoff, cutoff + horizon_days)". For campaign data without
        transactions the label is the campaign's response column instead.
    windows : tuple of int
        Recent-activity windows (days) for spend and order counts.
    engine : {"pandas", "polars", "dask"}
        Engine of the feature computation; results are identical.
    outlier_quantile, outlier_multiplier : float
        Quantities above ``multiplier * quantile`` are capped at the quantile.
    key : bytes, optional
        Pseudonymization key (default: :func:`pseudonymization_key`).

    Returns
    -------
    PreprocessResult
    """
    if engine not in ENGINES:
        raise DataValidationError(
            "params preprocessing.engine", f"expected one of {', '.join(ENGINES)}, found {engine!r}"
        )
    if horizon_days < 1:
        raise DataValidationError(
            "params preprocessing.horizon_days",
            f"expected a positive number of days, found {horizon_days}",
        )
    cleaned = clean_data(
        data, outlier_quantile=outlier_quantile, outlier_multiplier=outlier_multiplier
    )
    clean = cleaned.data
    _check_rows_left(data, clean, cleaned.ledger)
    cut = resolve_cutoff(cutoff, clean, horizon_days)
    label_info: dict
    if clean.transactions is not None and len(clean.transactions):
        transactions = to_engine(clean.transactions, engine)
        returns = to_engine(cleaned.returns, engine) if len(cleaned.returns) else None
        features = _to_pandas(
            customer_features(
                transactions,
                cutoff=cut,
                windows=tuple(windows),
                customers=clean.customers,
                returns=returns,
            )
        )
        if features.empty:
            raise DataValidationError(
                "transactions",
                f"no customer has a purchase before the cutoff {cut.date()}; choose a later cutoff",
                column="timestamp",
            )
        labels = _to_pandas(make_labels(transactions, cutoff=cut, horizon_days=horizon_days))
        labels = labels.set_index("customer_id")["label"].reindex(features["customer_id"]).fillna(0)
        label = labels.astype(int).reset_index(drop=True)
        label_info = {
            "kind": "purchase_in_horizon",
            "cutoff": str(cut.date()),
            "horizon_days": horizon_days,
        }
    elif clean.campaign is not None and "response" in clean.campaign:
        features, label = _campaign_features(clean)
        label_info = {"kind": "campaign_response", "column": data.info.get("response", "response")}
    else:
        raise DataValidationError(
            data.source,
            "expected dated transactions or a campaign table with a response column to build a label, "
            f"found tables: {', '.join(clean.tables()) or 'none'}",
        )
    _check_label(label, label_info)
    # Rows are ordered by the raw id before pseudonymization, so that the order
    # (and every seeded split made on it later) does not depend on the key.
    model_table = (
        drop_pii(features)
        .assign(label=label.to_numpy())
        .sort_values("customer_id", kind="stable")
        .reset_index(drop=True)
    )
    features = model_table.drop(columns="label")
    label_info["rate"] = float(model_table["label"].mean())
    label_info["positives"] = int(model_table["label"].sum())

    key = key if key is not None else pseudonymization_key()
    mapping_source = pd.concat(
        [t["customer_id"] for t in clean.tables().values() if "customer_id" in t], ignore_index=True
    )
    unique_ids = pd.Series(mapping_source.dropna().unique())
    pseudonyms = dict(zip(unique_ids, pseudonymize_ids(unique_ids, key=key), strict=True))

    def publish(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        frame = drop_pii(frame)
        if "customer_id" in frame:
            frame = frame.assign(customer_id=frame["customer_id"].map(pseudonyms))
        return frame

    numeric, categorical = _split_features(features)
    truth = getattr(data, "truth", None)
    info = {
        "source": data.source,
        "source_info": {
            k: v for k, v in data.info.items() if isinstance(v, str | int | float | list | bool)
        },
        "numeric_features": numeric,
        "categorical_features": categorical,
        "engine": engine,
    }
    published = MarketingData(
        **{name: publish(t) for name, t in clean.tables().items()},
        source=clean.source,
        info=clean.info,
    )
    return PreprocessResult(
        clean=published,
        returns=publish(cleaned.returns),
        ledger=cleaned.ledger,
        features=publish(features),
        model_table=publish(model_table),
        label=label_info,
        truth=publish(truth) if truth is not None else None,
        info=info,
    )


def save_preprocessing(result: PreprocessResult, store) -> list[str]:
    """Write every artifact of stage 01 by name; returns the names written.

    Only pseudonymized tables are written: ``result`` holds no raw ids or
    direct identifiers.
    """
    tables = {f"{name}_clean": table for name, table in result.clean.tables().items()}
    tables |= {
        "returns": result.returns,
        "cleaning_ledger": result.ledger,
        "customer_features": result.features,
        "model_table": result.model_table,
    }
    if result.truth is not None:
        tables["truth"] = result.truth
    tables["capabilities"] = sorted(result.clean.capabilities())
    tables["preprocessing_info"] = {**result.info, "label": result.label}
    return store.save_all(tables)
