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

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = ["DATA_SOURCES", "OutcomeSpec", "expand_path"]

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
    campaign_offers: int = Field(
        1, ge=1, le=2, description="offers in the campaign: 1 (e-mail) or 2 (e-mail and coupon)"
    )


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


class OutcomeSpec(BaseModel):
    """The outcome column of a customers table (churned, responded, converted).

    ``positive`` is the value (or the values) of ``column`` that mean the
    outcome happened, e.g. ``"Yes"`` or ``1``; every other non-missing value
    is the negative class. ``name`` says what the outcome is ("churn",
    "response", "conversion"): the notebooks use it in their wording, and
    ``"churn"`` turns notebook 04's economics into retention economics.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str = Field(description="the source column holding the outcome")
    positive: str | int | float | bool | list[str | int | float | bool] = Field(
        description="value(s) of the column that mean the outcome happened"
    )
    name: str = Field("outcome", description="what the outcome is, e.g. churn or response")


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
    keep_columns: list[str] = Field(
        default_factory=list,
        description="source columns the mapping does not name that are kept (others are "
        "dropped); refused when they hold e-mails, phones or names",
    )
    outcome: OutcomeSpec | None = Field(
        None, description="customers table only: the outcome column that is the label"
    )


class FilesSource(_Source):
    """Your own CSV or Parquet files, mapped onto the canonical tables."""

    source: Literal["files"]
    customers: TableFile | None = None
    transactions: TableFile | None = None
    campaign: TableFile | None = None
    products: TableFile | None = None
    observation_end: IsoDate | None = Field(None, description="last day the export covers")

    @model_validator(mode="after")
    def _outcome_on_customers_only(self) -> FilesSource:
        for table in ("transactions", "campaign", "products"):
            given = getattr(self, table)
            if given is not None and given.outcome is not None:
                raise ValueError(
                    f"data.{table}.outcome: an outcome column belongs to the customers table "
                    f"(data.customers.outcome), found it on {table}"
                )
        return self


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
