"""Params files: one YAML per report run, validated whole before anything runs.

A params file has ``run_name``, ``output_dir``, ``seed``, ``data`` (the source
and its options), an optional ``report`` section, and one section per notebook,
named after the notebook without its number (``preprocessing`` configures
``01_preprocessing.ipynb``). The keys a notebook section accepts, their types
and defaults are read from that notebook's ``parameters`` cell, so the notebook
stays the single place where a stage's parameters are declared.

Relative paths are resolved against the current working directory, and
``${VAR}`` or ``${VAR:-default}`` in a path is replaced from the environment
(the public datasets are found through ``${WORKBOOK_DATASETS_DIR}``).
"""

from __future__ import annotations

import difflib
import glob
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..compute import ComputeOptions, DaskOptions
from ..errors import ParamsError
from .notebooks import NotebookSpec, discover_notebooks
from .sources import DATA_SOURCES, DataSource, SyntheticSource, TableFile, expand_path
from .yaml_loader import ParamsYamlError, load_params_yaml

__all__ = [
    "DATA_SOURCES",
    "ComputeOptions",
    "WorkbookParams",
    "expand_path",
    "load_params",
    "parse_data_params",
    "validate_params",
]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
# pydantic errors whose message does not show the value found.
_SHOW_INPUT = ("literal_error", "greater_than_equal", "less_than_equal")


class ReportOptions(BaseModel):
    """How the HTML report is rendered."""

    model_config = _STRICT
    hide_code: bool = Field(False, description="hide code cells (a report for stakeholders)")
    title: str | None = Field(None, description="title of the report index")


class _Top(BaseModel):
    model_config = _STRICT
    run_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)
    output_dir: str = "reports"
    seed: int = Field(42, ge=0)
    data: DataSource
    report: ReportOptions = ReportOptions()
    compute: ComputeOptions = ComputeOptions()


class WorkbookParams(BaseModel):
    """A validated params file, ready for the runner.

    Attributes
    ----------
    sections : dict
        Section name → the complete parameters of that notebook (defaults
        filled in from the notebook, overridden by the file).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    source: str
    run_name: str
    output_dir: Path
    seed: int
    data: dict[str, Any]
    report: ReportOptions
    sections: dict[str, dict[str, Any]]
    compute: ComputeOptions = ComputeOptions()

    def notebook_parameters(self, spec: NotebookSpec, run_dir: Path) -> dict[str, Any]:
        """The values injected into a notebook's parameters cell."""
        values = dict(self.sections.get(spec.section, {}))
        injected = {"run_dir": str(run_dir), "seed": self.seed, "run_name": self.run_name}
        injected["data"] = self.data
        injected["compute"] = self.compute.model_dump(mode="json")
        if "engine" in self.compute.model_fields_set:
            injected["engine"] = self.compute.engine
        values.update({k: v for k, v in injected.items() if k in spec.parameters})
        return values

    def input_paths(self) -> list[Path]:
        """Every input path the data section names, as given (a file, directory or glob)."""
        return _data_paths(self.data)

    def input_files(self) -> list[Path]:
        """Every input file the data section names."""
        found = _input_paths(Path(self.data["path"])) if "path" in self.data else []
        for table in ("customers", "transactions", "campaign", "products"):
            options = self.data.get(table)
            if isinstance(options, dict):
                found += _input_paths(Path(options["path"]))
        return found


def _data_paths(data: dict) -> list[Path]:
    paths = [Path(data["path"])] if isinstance(data.get("path"), str) else []
    for table in ("customers", "transactions", "campaign", "products"):
        options = data.get(table)
        if isinstance(options, dict) and isinstance(options.get("path"), str):
            paths.append(Path(options["path"]))
    return paths


def _input_paths(path: Path) -> list[Path]:
    """The files a data path names: itself, the Parquet files of a directory, or a glob's matches."""
    if path.is_file():
        return [path]
    if path.is_dir():  # every data file (the reader refuses a directory that mixes formats)
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
    if glob.has_magic(str(path)):
        return sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
    return []


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _unknown_keys(given: dict, accepted: list[str], where: str) -> list[str]:
    problems = []
    for key in given:
        if key not in accepted:
            problems.append(
                f"{where}: unknown key '{key}'{_suggest(str(key), accepted)} "
                f"(accepted keys: {', '.join(accepted)})"
            )
    return problems


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _pydantic_problems(exc: ValidationError, prefix: str) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        full = [prefix, *loc] if prefix else loc
        if len(full) > 1 and full[0] == "data" and full[1] in DATA_SOURCES:
            full = [full[0], *full[2:]]  # drop the union's tag: the user wrote data.<key>
        where = ".".join(full)
        found = error.get("input")
        message = error["msg"]
        if error["type"] == "date_type":
            message = "expected a date written YYYY-MM-DD"
        if error["type"] in _SHOW_INPUT or error["type"].endswith("_type"):
            message = f"{message}, found {_describe(found)}"
        problems.append(f"{where}: {message}")
    return problems


def _matches_type(value: Any, default: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so that notebook parameters stay literals."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: Notebook parameters that are a length of time: zero or negative days mean nothing.
_POSITIVE_DAYS = ("horizon_days", "half_life_days")
#: Largest synthetic dataset accepted: it is simulated in memory.
MAX_SYNTHETIC_CUSTOMERS = 2_000_000


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_section(name: str, given: Any, spec: NotebookSpec) -> tuple[dict, list[str]]:
    where = f"{name} (notebook {spec.path.name})"
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return {}, [f"{where}: expected a mapping of parameters, found {_describe(given)}"]
    accepted = spec.section_parameters
    problems = _unknown_keys(given, list(accepted), where)
    values = {key: p.default for key, p in accepted.items()}
    for key, value in given.items():
        if key not in accepted:
            continue
        value = _plain(value)
        default = accepted[key].default
        # A parameter whose help says what None means ("None: revenue per unit spent") takes
        # null as well as values like its default.
        nullable = value is None and "None:" in accepted[key].help
        if not nullable and not _matches_type(value, default):
            problems.append(
                f"{where}: '{key}' expected {accepted[key].type_name} "
                f"(like the default {default!r}), found {_describe(value)}"
            )
        elif key in _POSITIVE_DAYS and _is_number(value) and value < 1:
            problems.append(
                f"{where}: '{key}' expected a number of days of at least 1, found {_describe(value)}"
            )
        values[key] = value
    return values, problems


def _check_data_files(data: BaseModel) -> tuple[dict, list[str]]:
    values = data.model_dump(mode="json")
    problems = []

    def resolve(options: dict, where: str) -> None:
        try:
            path = expand_path(options["path"])
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            return
        if not _input_paths(path):
            problems.append(f"{where}: input file not found: {path} (given as {options['path']!r})")
        elif path.is_dir() or glob.has_magic(str(path)):
            # A folder or a glob is read whole: one that the reader refuses (mixed formats,
            # other files beside the data) fails here, before anything runs.
            from ..datasets.paths import resolve_files
            from ..errors import DataValidationError

            try:
                resolve_files(path)
            except DataValidationError as exc:
                problems.append(f"{where}: {exc}")
        options["path"] = str(path)

    if "path" in values:
        resolve(values, "data.path")
    for table in ("customers", "transactions", "campaign", "products"):
        if isinstance(values.get(table), dict):
            resolve(values[table], f"data.{table}.path")
    return values, problems


def validate_params(
    raw: Any, notebooks: list[NotebookSpec], source: str = "params"
) -> WorkbookParams:
    """Validate a parsed params mapping against the models and the notebooks.

    Every problem is collected, so one run of the validator lists them all.

    Raises
    ------
    ParamsError
        Naming each bad key (with its notebook), what was expected and what
        was found, and the accepted keys.
    """
    if not isinstance(raw, dict):
        raise ParamsError(
            source, [f"expected a mapping of keys at the top, found {_describe(raw)}"]
        )
    by_section = {spec.section: spec for spec in notebooks}
    top_keys = list(_Top.model_fields)
    problems = _unknown_keys(
        {k: v for k, v in raw.items() if k not in by_section},
        top_keys + list(by_section),
        "top level",
    )
    compute_raw = raw.get("compute")
    if isinstance(compute_raw, dict):
        problems += _unknown_keys(compute_raw, list(ComputeOptions.model_fields), "compute")
        if isinstance(compute_raw.get("dask"), dict):
            problems += _unknown_keys(
                compute_raw["dask"], list(DaskOptions.model_fields), "compute.dask"
            )
    data_raw = raw.get("data")
    if isinstance(data_raw, dict) and data_raw.get("source") in DATA_SOURCES:
        model = DATA_SOURCES[data_raw["source"]]
        problems += _unknown_keys(
            data_raw, list(model.model_fields), f"data (source {data_raw['source']})"
        )
        for table in ("customers", "transactions", "campaign", "products"):
            if isinstance(data_raw.get(table), dict):
                problems += _unknown_keys(
                    data_raw[table], list(TableFile.model_fields), f"data.{table}"
                )
    elif isinstance(data_raw, dict):
        problems.append(
            f"data.source: expected one of {', '.join(DATA_SOURCES)}, found {_describe(data_raw.get('source'))}"
        )
    top = None
    if not problems:
        try:
            top = _Top.model_validate({k: v for k, v in raw.items() if k in top_keys})
        except ValidationError as exc:
            problems += _pydantic_problems(exc, "")
    sections = {}
    for name, spec in by_section.items():
        sections[name], section_problems = _check_section(name, raw.get(name), spec)
        problems += section_problems
    if top is not None and "engine" in top.compute.model_fields_set:
        for name in by_section:
            given = raw.get(name) if isinstance(raw.get(name), dict) else {}
            if "engine" in given and given["engine"] != top.compute.engine:
                problems.append(
                    f"{name}.engine: {given['engine']!r} contradicts compute.engine "
                    f"{top.compute.engine!r}; set the engine once (compute.engine applies to "
                    f"every transaction stage, or remove it and keep {name}.engine)"
                )
    data_values: dict = {}
    if top is not None:
        data_values, file_problems = _check_data_files(top.data)
        problems += file_problems
        if isinstance(top.data, SyntheticSource) and top.data.n_customers > MAX_SYNTHETIC_CUSTOMERS:
            problems.append(
                f"data.n_customers: expected at most {MAX_SYNTHETIC_CUSTOMERS:,} synthetic "
                f"customers (they are simulated in memory), found {top.data.n_customers:,}; for "
                "larger data, write it as Parquet files and use `source: files` with "
                "`compute.engine: polars` or `dask`"
            )
        if isinstance(top.data, SyntheticSource) and top.data.end <= top.data.start:
            problems.append(
                f"data.end: expected a date after data.start ({top.data.start}), found {top.data.end}"
            )
    if top is not None and not problems:
        try:
            expand_path(top.output_dir)
        except ValueError as exc:
            problems.append(f"output_dir: {exc}")
    if problems:
        raise ParamsError(source, problems)
    return WorkbookParams(
        source=source,
        run_name=top.run_name,
        output_dir=expand_path(top.output_dir),
        seed=top.seed,
        data=data_values,
        report=top.report,
        sections=sections,
        compute=top.compute,
    )


def load_params(path: str | Path, notebooks_dir: str | Path | None = None) -> WorkbookParams:
    """Read and validate a params YAML file.

    Raises
    ------
    ParamsError
        When the file is missing, is not valid YAML, or fails validation.
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(str(path), ["params file not found"])
    try:
        raw = load_params_yaml(path.read_text(encoding="utf-8"))
    except ParamsYamlError as exc:
        raise ParamsError(str(path), [str(exc)]) from None
    except PermissionError:
        raise ParamsError(
            str(path), ["expected a params file this user can read, found no read permission"]
        ) from None
    except OSError as exc:
        raise ParamsError(
            str(path), [f"expected a readable params file, found: {exc.strerror}"]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(str(path), [f"{where}not valid YAML ({reason})"]) from exc
    except UnicodeDecodeError as exc:
        raise ParamsError(
            str(path), [f"expected UTF-8 text, found undecodable bytes ({exc.reason})"]
        ) from exc
    return validate_params(raw, discover_notebooks(notebooks_dir), source=str(path))


def parse_data_params(data: dict) -> BaseModel:
    """Validate a ``data`` mapping (as a notebook receives it) into its source model.

    Raises
    ------
    ParamsError
        Naming the bad key, like :func:`validate_params`.
    """
    if not isinstance(data, dict) or data.get("source") not in DATA_SOURCES:
        found = data.get("source") if isinstance(data, dict) else data
        raise ParamsError(
            "data",
            [f"data.source: expected one of {', '.join(DATA_SOURCES)}, found {_describe(found)}"],
        )
    model = DATA_SOURCES[data["source"]]
    problems = _unknown_keys(data, list(model.model_fields), f"data (source {data['source']})")
    if problems:
        raise ParamsError("data", problems)
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise ParamsError("data", _pydantic_problems(exc, "data")) from exc
