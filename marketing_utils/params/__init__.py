"""The params file: its model and validation, the notebooks' parameter cells, the data section.

:mod:`.file` validates a params file against the notebooks' parameter cells
(:mod:`.notebooks`); :mod:`.sources` models the ``data`` section and
:func:`load_data` (:mod:`.data`) loads what it names.
"""

from .data import load_data
from .file import (
    DATA_SOURCES,
    ComputeOptions,
    WorkbookParams,
    expand_path,
    load_params,
    parse_data_params,
    validate_params,
)
from .notebooks import (
    RUNNER_PARAMETERS,
    NotebookSpec,
    Parameter,
    default_notebooks_dir,
    discover_notebooks,
    read_notebook_spec,
)

__all__ = [
    "ComputeOptions",
    "DATA_SOURCES",
    "NotebookSpec",
    "Parameter",
    "RUNNER_PARAMETERS",
    "WorkbookParams",
    "default_notebooks_dir",
    "discover_notebooks",
    "expand_path",
    "load_data",
    "load_params",
    "parse_data_params",
    "read_notebook_spec",
    "validate_params",
]
