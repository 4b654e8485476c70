"""The ``data`` section of a params file: one pydantic model per data source.

Paths may hold ``${VAR}`` or ``${VAR:-default}``, replaced from the environment,
and are resolved against the current working directory (:func:`expand_path`).
Private to :mod:`marketing_utils.params.file`, which re-exports the public names.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["DATA_SOURCES", "expand_path"]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_path(value: str | Path, base: Path | None = None) -> Path:
    """Expand ``${VAR}``/``${VAR:-default}`` and ``~``, and make the path absolute.

    Raises
    ------
    ValueError
        When a referenced variable is unset and has no default.
    """

    def substitute(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ValueError(f"environment variable {name} is not set (used in path {str(value)!r})")

    text = _ENV_REFERENCE.sub(substitute, str(value))
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path.resolve()


def _iso_date(value: Any) -> Any:
    """A quoted ISO date ("2025-12-31") is a date too; anything else is left to the check."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


#: A date written bare (YAML reads it as a date) or quoted (YAML reads a string).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class _Source(BaseModel):
    model_config = _STRICT


class SyntheticSource(_Source):
    """Built-in synthetic retail data with known ground truth."""

    source: Literal["synthetic"]
    n_customers: int = Field(20_000, ge=50, description="number of customers to simulate")
    n_products: int = Field(500, ge=16, description="size of the product catalogue")
    start: IsoDate = Field(date(2023, 1, 1), description="first day of the simulated history")
    end: IsoDate = Field(date(2025, 12, 31), description="last day of the simulated history")
    dirty: bool = Field(True, description="inject realistic defects with known counts")


class BankMarketingSource(_Source):
    """UCI Bank Marketing (bank-full.csv or bank-additional-full.csv)."""

    source: Literal["bank_marketing"]
    path: str = Field(description="path of bank-full.csv or bank-additional-full.csv")
    include_duration: bool = Field(False, description="keep the leaking call duration column")


class HillstromSource(_Source):
    """Kevin Hillstrom's MineThatData e-mail test."""

    source: Literal["hillstrom"]
    path: str = Field(description="path of hillstrom.csv")
    response: Literal["visit", "conversion"] = Field("visit", description="response column")


class CdnowSource(_Source):
    """The CDNOW purchase log."""

    source: Literal["cdnow"]
    path: str = Field(description="path of CDNOW_master.txt")


class TableFile(BaseModel):
    """One of your own files and how to read it."""

    model_config = _STRICT
    path: str
    columns: dict[str, str] = Field(default_factory=dict, description="canonical → source name")
    delimiter: str | None = None
    encoding: str = "utf-8"
    date_format: str | None = None
    decimal: str = "."
    thousands: str | None = None
    cancelled_prefix: str | None = None


class FilesSource(_Source):
    """Your own CSV or Parquet files, mapped onto the canonical tables."""

    source: Literal["files"]
    customers: TableFile | None = None
    transactions: TableFile | None = None
    campaign: TableFile | None = None
    products: TableFile | None = None
    observation_end: IsoDate | None = Field(None, description="last day the export covers")


DataSource = Annotated[
    SyntheticSource | BankMarketingSource | HillstromSource | CdnowSource | FilesSource,
    Field(discriminator="source"),
]
DATA_SOURCES: dict[str, type[BaseModel]] = {
    "synthetic": SyntheticSource,
    "bank_marketing": BankMarketingSource,
    "hillstrom": HillstromSource,
    "cdnow": CdnowSource,
    "files": FilesSource,
}
