"""Save and load propensity models with skops, never pickle.

A pickle file runs arbitrary code when it is loaded. skops stores a model as
data and, on loading, lists every type in the file that is not trusted by
default; :func:`load_model` loads a file only when each of those types is on
the workbook's allow-list (:data:`TRUSTED_TYPES`), and refuses otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ._atomic import atomic_output
from .errors import DataValidationError, WorkbookError

__all__ = ["TRUSTED_TYPES", "UntrustedModelError", "load_model", "save_model", "untrusted_types"]

#: Types beyond skops' defaults that the workbook's propensity models contain
#: (scikit-learn internals of calibrated, tree, boosting and neural models).
TRUSTED_TYPES = (
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
)


def _skops_io():
    """skops.io, imported on first use.

    Importing it walks scikit-learn's modules for its default trusted types
    (about 0.6 s of CPU); a notebook that imports a stage only to read its
    tables or plots should not pay that.
    """
    import skops.io

    return skops.io


class UntrustedModelError(WorkbookError, ValueError):
    """A model file holds types outside the allow-list; it was not loaded."""


def untrusted_types(path: str | os.PathLike) -> list[str]:
    """The types in a skops file that skops does not trust by default (nothing is loaded)."""
    return sorted(_skops_io().get_untrusted_types(file=Path(path)))


def save_model(model, path: str | os.PathLike) -> list[str]:
    """Write ``model`` to ``path`` with skops, atomically; return the file's non-default types.

    Raises
    ------
    UntrustedModelError
        When the model holds a type that :func:`load_model` would refuse: the
        file is not written, so a model that cannot be read back is never saved.
    """
    path = Path(path)
    with atomic_output(path) as temporary:
        _skops_io().dump(model, temporary)
        found = untrusted_types(temporary)
        _check_allowed(found, TRUSTED_TYPES, path)
    return found


def _check_allowed(found: list[str], allowed: Iterable[str], path: Path) -> None:
    refused = sorted(set(found) - set(allowed))
    if refused:
        raise UntrustedModelError(
            f"model file {path}: expected only types on the allow-list "
            f"(marketing_utils.model_io.TRUSTED_TYPES), found {len(refused)} other "
            f"type(s): {', '.join(refused)}. The file was not loaded; if you trust its origin, "
            "pass these names in `trusted`."
        )


def load_model(path: str | os.PathLike, *, trusted: Iterable[str] = TRUSTED_TYPES):
    """Load a skops model file after checking its types against an allow-list.

    Parameters
    ----------
    path : str or Path
    trusted : iterable of str
        Allowed type names beyond skops' defaults (default :data:`TRUSTED_TYPES`).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    UntrustedModelError
        When the file holds a type outside ``trusted``; nothing is loaded.
    DataValidationError
        When the file is damaged or truncated (not a readable skops archive).
    TypeError
        When ``trusted`` holds something other than type names.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"model file {path} not found: run the notebook that saves it first "
            "(03_propensity_modeling saves 'propensity_model')"
        )
    trusted = list(trusted)
    strangers = [name for name in trusted if not isinstance(name, str)]
    if strangers:
        raise TypeError(
            f"trusted: expected type names as strings (as UntrustedModelError lists them), "
            f"found {strangers[:3]!r}"
        )
    skops_io = _skops_io()
    try:
        # skops audits the file against the allow-list before it builds anything; a
        # separate get_untrusted_types first would read and audit the file twice.
        return skops_io.load(path, trusted=trusted)
    except skops_io.exceptions.UntrustedTypesFoundException:
        pass  # refused, nothing built: named below, without skops' exception chained
    except Exception as exc:  # zipfile, zlib, json and a failed CRC raise several types
        raise _damaged(path, exc) from None
    try:
        found = untrusted_types(path)
    except Exception as exc:
        raise _damaged(path, exc) from None
    _check_allowed(found, trusted, path)
    # Only a file replaced between the two reads gets here.
    raise _damaged(path, RuntimeError("the file changed while it was read"))


def _damaged(path: Path, exc: Exception) -> DataValidationError:
    return DataValidationError(
        str(path),
        "expected a model file saved by the workbook (a skops zip archive), found a damaged "
        f"or truncated file ({type(exc).__name__}: {exc}); copy the file again from the report "
        "that saved it (artifacts/propensity_model.skops)",
    )
