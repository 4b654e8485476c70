"""Score new customers with a saved propensity model: pseudonymized id, score and decile.

:func:`score_new_customers` is what ``marketing-workbook score`` runs. It
loads the skops model (allow-list checked) with its metadata, reads a
customer feature table or rebuilds the features from transactions (see
:mod:`~marketing_utils.scoring.features`), scores every customer and writes
``customer_id, score, decile`` to Parquet or CSV, atomically.

Engines
-------
pandas and Polars score in memory, in chunks. On Dask the model is applied
partition by partition (``map_partitions``) and the partitions are brought
back to the client in batches: a first pass pseudonymizes the ids and spills
``(id, score)`` to a temporary file next to the output while keeping only the
scores (8 bytes per customer) in memory; the exact global decile edges are
computed from them; a second pass adds the deciles and writes the output.
Rows are scored in whole blocks of 64, so a row's score does not depend on
how the rows are split: Dask gives exactly the in-memory scores. Features
rebuilt from transactions by Polars may differ from pandas' in the last bit
(sums in another order), and so may their scores (by about 1e-16).

Ids
---
Raw ids are replaced by ``cust_`` + 16 hex digits of HMAC-SHA256 under the
key of ``WORKBOOK_PSEUDONYM_KEY``, exactly as notebook 01 does, so scored ids
join with a report's ids when the same key is set. Without the variable a
random key is used and the ids join with nothing. Ids that are already
pseudonymized (a report's artifacts) are kept with ``ids_pseudonymized=True``
after checking that every one looks like a pseudonym: raw ids are never written.
The key stays on the client: Dask workers see only raw ids and scores.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ..model_io import TRUSTED_TYPES
from ..privacy import pseudonymization_key, pseudonymize_ids
from ..propensity.bundle import ScoringModel, load_scoring_model
from .features import data_kind as resolve_data_kind
from .features import feature_table, features_from_transactions
from .io import ENGINES, ChunkWriter, ScoreSpill, output_format, table_columns

__all__ = ["ScoringSummary", "decile_edges", "deciles_from_edges", "score_new_customers"]

ID = "customer_id"
PSEUDONYM = re.compile(r"cust_[0-9a-f]{16}")
KEY_VARIABLE = "WORKBOOK_PSEUDONYM_KEY"


def decile_edges(scores, n_bins: int = 10) -> np.ndarray:
    """Lowest score of deciles 1..n_bins-1 (``inf`` for an empty one), exact and global.

    The deciles are those of :func:`marketing_utils.evaluate.metrics.assign_deciles`
    (1 = highest scores, tied scores never split). Deciles fall as scores
    fall, so these ``n_bins - 1`` numbers assign any chunk of the same scores
    with :func:`deciles_from_edges`, without seeing the other chunks. Needs
    one sorted copy of the scores (8 bytes per customer).

    Examples
    --------
    >>> decile_edges([0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1]).tolist()
    [inf, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.1]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise ValueError(f"n_bins: expected a whole number >= 2, found {n_bins!r}")
    descending = -np.sort(-np.asarray(scores, dtype=float).ravel())
    n = len(descending)
    # Groups of tied scores occupy sorted slots (start, end]; the group goes to the
    # decile of its middle, as in assign_deciles, computed here per group, not per row.
    starts = np.flatnonzero(np.r_[True, descending[1:] != descending[:-1]])
    ends = np.r_[starts[1:], n]
    group_deciles = 1 + (n_bins * (starts + ends)) // (2 * n) if n else starts
    edges = np.full(n_bins - 1, np.inf)
    for decile in range(1, n_bins):
        # Deciles fall as scores fall: the last group with decile <= d holds the edge.
        last = np.searchsorted(group_deciles, decile, side="right") - 1
        if last >= 0:
            edges[decile - 1] = descending[starts[last]]
    return edges


def deciles_from_edges(scores, edges) -> np.ndarray:
    """Decile of each score: 1 + the number of decile edges above it.

    Examples
    --------
    >>> deciles_from_edges([0.9, 0.5, 0.1], decile_edges([0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1]))
    array([2, 6, 9])
    """
    scores = np.asarray(scores, dtype=float)
    ascending = np.sort(np.asarray(edges, dtype=float))
    return (1 + len(ascending) - np.searchsorted(ascending, scores, side="right")).astype("int64")


@dataclass(frozen=True)
class ScoringSummary:
    """What :func:`score_new_customers` wrote.

    Attributes
    ----------
    out : Path
    n_customers : int
    engine, data_kind : str
    as_of : str or None
        The as-of day of features rebuilt from transactions (ISO date).
    horizon_days : int or None
        A score is the probability of the label within this many days from the as-of day.
    ids : str
        How the ids were written (pseudonymized with the environment key, a
        random key, or kept as given).
    decile_edges : list of float
        Lowest score of deciles 1..9.
    mean_score : float
    """

    out: Path
    n_customers: int
    engine: str
    data_kind: str
    as_of: str | None
    horizon_days: int | None
    ids: str
    decile_edges: list[float] = field(default_factory=list)
    mean_score: float = float("nan")

    def describe(self) -> str:
        """A few lines for the command line."""
        when = f" as of {self.as_of}" if self.as_of else ""
        horizon = f" within {self.horizon_days} days" if self.horizon_days else ""
        return (
            f"{self.out}: {self.n_customers:,} customers scored from {self.data_kind}{when} "
            f"on {self.engine} (probability of the label{horizon}; mean {self.mean_score:.4f})\n"
            f"ids: {self.ids}"
        )


def _check_output(out: Path, inputs: Iterable[Path | None]) -> Path:
    output_format(out)
    target = out.resolve()
    if target.is_dir():
        raise DataValidationError(f"output {out}", "expected a file name, found a directory")
    for path in inputs:
        if path is None:
            continue
        source = Path(path).resolve()
        if target == source or (source.is_dir() and source in target.parents):
            raise DataValidationError(
                f"output {out}",
                f"expected a path outside the inputs, found it would overwrite or sit inside "
                f"the input {path}; inputs are never written",
            )
    return out


#: Rows are scored in whole blocks of this many (see _score_chunk).
_BLOCK_ROWS = 64


def _score_chunk(frame: pd.DataFrame, model, features: list[str], categorical: list[str]):
    X = frame[features].reset_index(drop=True)
    if categorical:
        X = X.assign(**{c: X[c].astype("str") for c in categorical})
    n = len(X)
    # BLAS rounds the rows of a partial last tile of a matrix product differently
    # (1 ulp), so a linear model's score would depend on where a chunk ends. Padding
    # each chunk to whole blocks (with copies of its first row, then dropped) makes
    # every row's score independent of the chunking: Dask partitions give the
    # in-memory scores exactly.
    padding = (-n) % _BLOCK_ROWS
    if n and padding:
        X = pd.concat([X, X.iloc[[0] * padding]], ignore_index=True)
    scores = model.predict_proba(X)[:n, 1] if n else np.empty(0)
    ids = frame[ID].astype("str").reset_index(drop=True)
    return pd.DataFrame({ID: ids, "score": np.asarray(scores, dtype="float64")})


def _publish_ids(ids: pd.Series, *, keep: bool, key: bytes | None, where: str) -> pd.Series:
    missing = int(ids.isna().sum())
    if missing:
        raise DataValidationError(
            where, f"expected an id on every row, found {missing} missing", column=ID
        )
    looks_pseudonymized = ids.str.fullmatch(PSEUDONYM.pattern)
    if keep:
        raw = int((~looks_pseudonymized).sum())
        if raw:
            # No examples: they would be raw ids, printed to a terminal or a log.
            raise DataValidationError(
                where,
                f"expected pseudonymized ids (cust_ + 16 hex digits) because they are to be "
                f"kept as given, found {raw} that are not; nothing was written",
                column=ID,
            )
        return ids
    if looks_pseudonymized.any():
        raise DataValidationError(
            where,
            f"found {int(looks_pseudonymized.sum())} ids that are already pseudonymized "
            "(cust_ + 16 hex digits, e.g. a report's artifact); keep them as they are "
            "(--ids-pseudonymized) instead of hashing them twice",
            column=ID,
        )
    return pseudonymize_ids(ids, key=key)


@contextmanager
def _dask_scheduler(scheduler: str | None):
    import dask

    if scheduler:
        from ..compute import dask_client

        with dask_client(scheduler, where="--scheduler") as client:
            yield client
    else:
        with dask.config.set(scheduler="threads"):
            yield None


def _dask_batches(frame, batch: int) -> Iterator[pd.DataFrame]:
    """Compute a Dask frame's partitions in order, ``batch`` at a time."""
    import dask

    for start in range(0, frame.npartitions, batch):
        stop = min(start + batch, frame.npartitions)
        yield from dask.compute(*[frame.get_partition(i) for i in range(start, stop)])


def _chunks(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), rows):
        yield frame.iloc[start : start + rows]


def _scored_chunks(
    features, bundle: ScoringModel, engine: str, partition_rows: int, batch: int = 2
):
    """(raw id, score) chunks, in the order of the features; Dask computes ``batch`` at a time."""
    args = (bundle.model, bundle.features, bundle.categorical)
    if engine != "dask":
        for chunk in _chunks(features, partition_rows):
            yield _score_chunk(chunk, *args)
        return
    import dask.dataframe as dd

    if isinstance(features, pd.DataFrame):
        features = dd.from_pandas(features, chunksize=partition_rows, sort=False)
    meta = pd.DataFrame({ID: pd.Series(dtype="str"), "score": pd.Series(dtype="float64")})
    scored = features.map_partitions(_score_chunk, *args, meta=meta)
    yield from _dask_batches(scored, batch=batch)


def score_new_customers(
    model: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    customers: str | os.PathLike | None = None,
    data_kind: str = "auto",
    as_of=None,
    engine: str = "pandas",
    scheduler: str | None = None,
    ids_pseudonymized: bool = False,
    key: bytes | None = None,
    model_info: str | os.PathLike | None = None,
    trusted: Iterable[str] = TRUSTED_TYPES,
    partition_rows: int = 250_000,
) -> ScoringSummary:
    """Score the customers of a file with a saved model and write id, score and decile.

    Parameters
    ----------
    model : str or Path
        The skops model saved by notebook 03 (``artifacts/propensity_model.skops``).
    data : str or Path
        A customer feature table or a transaction log: Parquet (file or
        directory of files) or CSV.
    out : str or Path
        Output file; ``.parquet`` or ``.csv`` decides the format. Written
        atomically; never one of the inputs.
    customers : str or Path, optional
        Customers table for features built from transactions (tenure, age, demographics).
    data_kind : {"auto", "features", "transactions"}
        What ``data`` holds; ``"auto"``: a table with a ``timestamp`` column is a transaction log.
    as_of : date or str, optional
        For transactions: the first day not observed (features use the events
        strictly before it). Default: the day after the last transaction.
    engine : {"pandas", "polars", "dask"}
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default:
        Dask's threaded scheduler on this machine.
    ids_pseudonymized : bool, default False
        The ids are already pseudonymized (a report's artifacts): keep them.
    key : bytes, optional
        Pseudonymization key; default :func:`~marketing_utils.privacy.pseudonymization_key`
        (``WORKBOOK_PSEUDONYM_KEY``, else random for this process).
    model_info : str or Path, optional
        The model's metadata; default ``<model stem>_info.json`` next to it.
    trusted : iterable of str
        Types allowed in the model file beyond skops' defaults.
    partition_rows : int
        Rows scored at a time in memory, and rows per Dask partition when the
        features were built from transactions (a feature table read by Dask
        keeps Dask's own partitions: files or row groups).

    Returns
    -------
    ScoringSummary

    Raises
    ------
    FileNotFoundError
        A missing model, metadata or data file.
    UntrustedModelError
        The model holds types off the allow-list (nothing is loaded).
    DataValidationError
        Wrong file type, unreadable file, missing feature columns (named),
        missing or doubly pseudonymized ids, an output that would overwrite an input.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, found {engine!r}")
    as_of = _as_of_day(as_of)
    out = _check_output(Path(out), [data, customers, model, model_info])
    bundle = load_scoring_model(model, info_path=model_info, trusted=trusted)
    _check_output(out, [bundle.path.with_name(f"{bundle.path.stem}_info.json")])
    kind = resolve_data_kind(table_columns(data, "data"), data_kind, f"data {data}")
    if ids_pseudonymized:
        ids = "kept as given (already pseudonymized)"
    elif key is not None:
        ids = "pseudonymized with the given key"
    elif os.environ.get(KEY_VARIABLE):
        ids = f"pseudonymized with {KEY_VARIABLE}: they join with reports made with the same key"
    else:
        ids = f"pseudonymized with a random key: they join with nothing (set {KEY_VARIABLE})"
    if not ids_pseudonymized and key is None:
        key = pseudonymization_key(KEY_VARIABLE)
    day = None
    with _dask_scheduler(scheduler) if engine == "dask" else _nothing() as client:
        # As many partitions at a time as there are threads to compute them.
        threads = sum(client.nthreads().values()) if client is not None else os.cpu_count()
        if kind == "transactions":
            features, day = features_from_transactions(
                bundle, data, engine, customers=customers, as_of=as_of
            )
            _check_unique(features[ID], f"data {data}")
        else:
            features = feature_table(bundle, data, engine)
            if engine == "polars":
                features = features.collect().to_pandas()
            if engine != "dask":  # a global check would cost Dask a shuffle
                _check_unique(features[ID], f"data {data}")
        chunks = _scored_chunks(features, bundle, engine, partition_rows, max(2, threads or 2))
        where = f"data {data}"
        with ScoreSpill(out, on_disk=engine == "dask") as spill:
            for chunk in chunks:
                published = _publish_ids(chunk[ID], keep=ids_pseudonymized, key=key, where=where)
                spill.add(chunk.assign(**{ID: published}))
            scores = spill.scores()
            if not len(scores):
                raise DataValidationError(where, "expected at least one customer, found none")
            edges = decile_edges(scores)
            with ChunkWriter(out) as writer:
                for chunk in spill.chunks():
                    writer.write(chunk.assign(decile=deciles_from_edges(chunk["score"], edges)))
    return ScoringSummary(
        out=out, n_customers=int(len(scores)), engine=engine, data_kind=kind,
        as_of=str(day.date()) if day is not None else None,
        horizon_days=bundle.horizon_days, ids=ids,
        decile_edges=edges.tolist(), mean_score=float(scores.mean()),
    )  # fmt: skip


def _as_of_day(value) -> pd.Timestamp | None:
    """The as-of day, checked before any work: a calendar date."""
    if value is None:
        return None
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day) or day != day.normalize():
        raise ValueError(f"as_of: expected a calendar date such as 2026-01-31, found {value!r}")
    return day


@contextmanager
def _nothing():
    yield None


def _check_unique(ids: pd.Series, where: str) -> None:
    repeated = int(ids.duplicated().sum())
    if repeated:
        raise DataValidationError(
            where,
            f"expected one row per customer in a feature table, found {repeated} repeated ids",
            column=ID,
        )
