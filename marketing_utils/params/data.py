"""Load the data a params file's ``data`` section names, whatever its source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from .file import parse_data_params

if TYPE_CHECKING:
    from ..schema import MarketingData

__all__ = ["load_data"]


def load_data(data: dict | BaseModel, *, seed: int = 42, horizon_days: int = 90) -> MarketingData:
    """Load a source onto the canonical tables.

    Parameters
    ----------
    data : dict or source model
        The ``data`` section of a params file (as injected into the notebook),
        e.g. ``{"source": "synthetic", "n_customers": 5000}``.
    seed : int
        Seed of the synthetic generator (from params, so runs are reproducible).
    horizon_days : int
        Label window of the synthetic ground truth (matches preprocessing's).

    Returns
    -------
    MarketingData
        Raw tables (with PII and defects); :func:`marketing_utils.clean_data`
        comes next.
    """
    source = data if isinstance(data, BaseModel) else parse_data_params(data)
    name = source.source
    if name == "synthetic":
        from ..datasets.synthetic import make_synthetic

        return make_synthetic(
            source.n_customers,
            seed=seed,
            start=str(source.start),
            end=str(source.end),
            n_products=source.n_products,
            horizon_days=horizon_days,
            dirty=source.dirty,
        )
    if name == "bank_marketing":
        from ..datasets.public import load_bank_marketing

        return load_bank_marketing(source.path, include_duration=source.include_duration)
    if name == "hillstrom":
        from ..datasets.public import load_hillstrom

        return load_hillstrom(source.path, response=source.response)
    if name == "cdnow":
        from ..datasets.public import load_cdnow

        return load_cdnow(source.path)
    from ..datasets.files import load_files

    tables = {
        table: options.model_dump()
        for table in ("customers", "transactions", "campaign", "products")
        if (options := getattr(source, table)) is not None
    }
    end = str(source.observation_end) if source.observation_end else None
    return load_files(**tables, observation_end=end)
