"""Artifacts by name, not by path.

A run directory holds every artifact a notebook writes; notebooks ask for
artifacts by name (``"customer_features"``) and never build paths themselves.

Layout of a run directory::

    <run_dir>/artifacts/<name>.parquet   tables
    <run_dir>/artifacts/<name>.json      dicts and lists
    <run_dir>/artifacts/<name>.skops     models (saved by the modelling stages)
    <run_dir>/metrics/<stage>.json       headline metrics of each notebook
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_output

__all__ = ["Artifacts", "to_jsonable"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SUFFIX = {"table": ".parquet", "json": ".json", "model": ".skops", "figure": ".png"}


def to_jsonable(value: Any) -> Any:
    """Convert NumPy/pandas scalars and containers to plain JSON types.

    Non-finite floats become ``None`` so that the JSON stays standard.

    Examples
    --------
    >>> to_jsonable({"auc": np.float64(0.75), "n": np.int64(3), "bad": float("nan")})
    {'auc': 0.75, 'n': 3, 'bad': None}
    """
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(item) for item in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    with atomic_output(path) as temporary:
        temporary.write_bytes(payload)


class Artifacts:
    """Save and load the artifacts of one run by name.

    Parameters
    ----------
    run_dir : str or Path
        The run directory. The runner injects it into every notebook as the
        ``run_dir`` parameter; in JupyterLab it defaults to ``../runs/lab``.

    Examples
    --------
    >>> import tempfile
    >>> store = Artifacts(tempfile.mkdtemp())
    >>> _ = store.save("ledger_summary", {"rows_in": 10})
    >>> store.load("ledger_summary")
    {'rows_in': 10}
    """

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.run_dir = Path(run_dir)

    def __repr__(self) -> str:
        return f"Artifacts({str(self.run_dir)!r})"

    @staticmethod
    def _check_name(name: str) -> str:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"artifact name {name!r}: expected lowercase letters, digits and underscores, "
                "starting with a letter (e.g. 'customer_features')"
            )
        return name

    def path(self, name: str, kind: str = "table") -> Path:
        """Path of the artifact ``name`` of the given kind (table, json, model, figure)."""
        if kind not in _SUFFIX:
            raise ValueError(f"artifact kind {kind!r}: expected one of {sorted(_SUFFIX)}")
        return self.run_dir / "artifacts" / f"{self._check_name(name)}{_SUFFIX[kind]}"

    def exists(self, name: str) -> bool:
        """Whether an artifact of any kind is stored under ``name``."""
        return any(self.path(name, kind).exists() for kind in _SUFFIX)

    def names(self) -> list[str]:
        """Names of all stored artifacts, sorted."""
        folder = self.run_dir / "artifacts"
        if not folder.is_dir():
            return []
        return sorted({p.stem for p in folder.iterdir() if p.suffix in _SUFFIX.values()})

    def save(self, name: str, obj: pd.DataFrame | dict | list) -> Path:
        """Save a DataFrame as Parquet or a dict/list as JSON; return the path."""
        if isinstance(obj, pd.DataFrame):
            path = self.path(name, "table")
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            obj.to_parquet(temporary, index=False)
            os.replace(temporary, path)
            return path
        if isinstance(obj, dict | list):
            path = self.path(name, "json")
            text = json.dumps(to_jsonable(obj), indent=2, sort_keys=True, allow_nan=False)
            _atomic_write_bytes(path, text.encode("utf-8"))
            return path
        raise TypeError(
            f"artifact {name!r}: expected a pandas DataFrame, dict or list, "
            f"found {type(obj).__name__}"
        )

    def save_all(self, objects: dict[str, pd.DataFrame | dict | list]) -> list[str]:
        """Save several artifacts, in order; return their names."""
        for name, obj in objects.items():
            self.save(name, obj)
        return list(objects)

    def load(self, name: str) -> pd.DataFrame | dict | list:
        """Load the artifact ``name`` saved by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            Naming the artifact, the run directory and the artifacts that exist,
            typically because an earlier notebook has not been run.
        """
        table, document = self.path(name, "table"), self.path(name, "json")
        if table.exists():
            return pd.read_parquet(table)
        if document.exists():
            return json.loads(document.read_text(encoding="utf-8"))
        available = ", ".join(self.names()) or "none"
        raise FileNotFoundError(
            f"artifact {name!r} not found in {self.run_dir}: run the notebook that writes it "
            f"first (artifacts present: {available})"
        )

    def record_metrics(self, stage: str, metrics: dict) -> Path:
        """Record the headline metrics of a stage; the runner collects them in metrics.json.

        Calling it again for the same stage merges the new keys into the old ones.
        """
        path = self.run_dir / "metrics" / f"{self._check_name(stage)}.json"
        merged = self.metrics().get(stage, {})
        merged.update(to_jsonable(metrics))
        text = json.dumps(merged, indent=2, sort_keys=True, allow_nan=False)
        _atomic_write_bytes(path, text.encode("utf-8"))
        return path

    #: How a headline figure's value is shown: see :meth:`record_headline`.
    HEADLINE_FORMATS = ("number", "integer", "percent", "points", "currency", "ratio", "text")

    def record_headline(self, stage: str, figures: list[dict], decision: str | None = None) -> Path:
        """Declare the stage's headline figures (and decision) for the report index.

        The stage itself says which 2-4 numbers a reader needs first; they are
        stored in the stage's metrics under ``headline`` (and ``decision``).

        Parameters
        ----------
        stage : str
            The stage name used with :meth:`record_metrics`.
        figures : list of dict
            Each with ``label`` (``"test AUC"``), ``value`` (a number or text),
            ``format`` (one of :attr:`HEADLINE_FORMATS`: ``percent`` shows 0.3
            as 30%, ``points`` 0.007 as +0.7 points, ``ratio`` 3.2 as 3.2x),
            ``reading`` (one plain sentence) and ``comparison`` (what gives the
            number its meaning: a baseline, the best possible, an interval).
        decision : str, optional
            The decision the stage's result supports, in one or two sentences.

        Raises
        ------
        ValueError
            Naming the figure and the key that is missing or wrong.
        """
        required = ("label", "value", "format", "reading", "comparison")
        for position, figure in enumerate(figures, start=1):
            missing = [key for key in required if key not in figure]
            if missing:
                raise ValueError(
                    f"headline figure {position} of stage {stage!r}: missing {', '.join(missing)} "
                    f"(found keys: {', '.join(figure) or 'none'})"
                )
            if figure["format"] not in self.HEADLINE_FORMATS:
                raise ValueError(
                    f"headline figure {figure['label']!r} of stage {stage!r}: format must be one "
                    f"of {', '.join(self.HEADLINE_FORMATS)}, found {figure['format']!r}"
                )
        extra: dict[str, Any] = {"headline": [{k: f[k] for k in required} for f in figures]}
        if decision:
            extra["decision"] = decision
        return self.record_metrics(stage, extra)

    def metrics(self) -> dict[str, dict]:
        """Every recorded metric, by stage."""
        folder = self.run_dir / "metrics"
        if not folder.is_dir():
            return {}
        return {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))
        }
