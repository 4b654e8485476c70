"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATASETS_ENV = "WORKBOOK_DATASETS_DIR"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """Directory of the real public datasets (see ../shared/datasets/README.md)."""
    value = os.environ.get(DATASETS_ENV)
    if not value:
        pytest.skip(f"{DATASETS_ENV} is not set; the real public datasets are not available")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{DATASETS_ENV}={value} is not a directory")
    return path
