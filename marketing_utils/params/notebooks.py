"""Discover the workbook notebooks and read their parameters cells.

A notebook's ``parameters`` cell holds literals only, one assignment per line,
with the help text as a trailing comment::

    run_dir = "../runs/lab"  # where artifacts are written (set by the runner)
    horizon_days = 90  # length of the label window in days

Reading it needs no kernel and no papermill, so a params file can be checked
against every notebook in well under a second.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LATE_READ_TAG",
    "RUNNER_PARAMETERS",
    "NotebookSpec",
    "Parameter",
    "default_notebooks_dir",
    "discover_notebooks",
    "read_notebook_spec",
]

#: Parameters the runner injects itself; a params section may not set them.
RUNNER_PARAMETERS = ("run_dir", "seed", "run_name", "data", "compute")

_NOTEBOOK_NAME = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)\.ipynb$")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, default literal and help text."""

    name: str
    default: Any
    help: str = ""

    @property
    def type_name(self) -> str:
        """The Python type of the default (``"any"`` for ``None``)."""
        return "any" if self.default is None else type(self.default).__name__


@dataclass(frozen=True)
class NotebookSpec:
    """What the runner knows about one notebook before executing it.

    Attributes
    ----------
    path : Path
        The ``.ipynb`` file.
    stem : str
        ``"01_preprocessing"``.
    section : str
        The params section that configures it: ``"preprocessing"``.
    parameters : dict
        Name → :class:`Parameter`, in cell order.
    requires : list of str
        Capabilities the data must provide, each possibly a ``|``-separated
        list of alternatives (``"transactions | campaign.response"``).
    title : str
        The first Markdown heading, for the report index.
    reads, writes : list of str or None
        The artifacts the notebook loads and saves (metadata
        ``marketing_workbook.reads`` / ``.writes``); None when it does not
        declare them (the runner then runs it after every earlier notebook).
    late_reads : list of str
        Artifacts among ``reads`` that only the cells tagged ``late-read``
        load (metadata ``marketing_workbook.late_reads``): the notebook may
        start before their writers finish, and waits for them just before its
        first such cell (see :mod:`marketing_utils.runner.graph`).
    early_writes : list of str
        Artifacts among ``writes`` that the cells before the first
        ``late-read`` cell save, and no later cell changes (metadata
        ``marketing_workbook.early_writes``): a notebook that reads only these
        of its artifacts may start once it reaches that cell, while it waits
        for its late reads or finishes its last section.
    """

    path: Path
    stem: str
    section: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    requires: list[str] = field(default_factory=list)
    title: str = ""
    reads: list[str] | None = None
    writes: list[str] | None = None
    late_reads: list[str] = field(default_factory=list)
    early_writes: list[str] = field(default_factory=list)

    @property
    def declared(self) -> bool:
        """Whether the notebook declares both what it reads and what it writes."""
        return self.reads is not None and self.writes is not None

    @property
    def section_parameters(self) -> dict[str, Parameter]:
        """Parameters a params section may set (all but the runner's own)."""
        return {k: v for k, v in self.parameters.items() if k not in RUNNER_PARAMETERS}

    def missing_requirements(self, capabilities: set[str]) -> list[str]:
        """The requirements the capabilities do not meet (empty when the notebook can run)."""
        missing = []
        for requirement in self.requires:
            alternatives = [part.strip() for part in requirement.split("|")]
            if not any(alternative in capabilities for alternative in alternatives):
                missing.append(requirement)
        return missing


def default_notebooks_dir() -> Path:
    """The ``notebooks/`` folder of the project this package was installed from."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def _comments_by_line(source: str) -> dict[int, str]:
    comments = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except tokenize.TokenError:
        pass
    return comments


def parse_parameters_source(source: str, where: str = "parameters cell") -> dict[str, Parameter]:
    """Parse the source of a parameters cell into :class:`Parameter` objects.

    Raises
    ------
    ValueError
        When a statement is not ``name = literal``: the runner must be able to
        read every default without executing code.

    Examples
    --------
    >>> params = parse_parameters_source('k = 3  # number of clusters\\nname = "x"')
    >>> params["k"].default, params["k"].help, params["name"].type_name
    (3, 'number of clusters', 'str')
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{where}: not valid Python ({exc.msg}, line {exc.lineno})") from exc
    comments = _comments_by_line(source)
    parameters: dict[str, Parameter] = {}
    for node in tree.body:
        target = (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        )
        if isinstance(node, ast.AnnAssign):
            target = node.target
        if not isinstance(target, ast.Name) or getattr(node, "value", None) is None:
            raise ValueError(
                f"{where}, line {node.lineno}: expected 'name = literal', "
                f"found {ast.get_source_segment(source, node)!r}"
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ValueError(
                f"{where}, line {node.lineno}: the value of {target.id!r} must be a literal "
                f"(number, string, bool, None, list or dict), found "
                f"{ast.get_source_segment(source, node.value)!r}"
            ) from exc
        parameters[target.id] = Parameter(target.id, default, comments.get(node.lineno, ""))
    return parameters


def read_notebook_spec(path: str | Path) -> NotebookSpec:
    """Read a notebook's name, parameters cell, requirements and title.

    Requirements and the declared artifacts come from the notebook metadata
    ``{"marketing_workbook": {"requires": [...], "reads": [...], "writes": [...]}}``.
    """
    path = Path(path)
    match = _NOTEBOOK_NAME.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: notebook names must look like '01_preprocessing.ipynb' "
            "(two digits, underscore, lowercase name)"
        )
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(
            f"{path}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
        )
    source = "".join(tagged[0].get("source", []))
    title = ""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("# "):
                    title = line[2:].strip()
                    break
        if title:
            break
    meta = notebook.get("metadata", {}).get("marketing_workbook", {})
    declared = {key: _artifact_names(path, meta, key, None) for key in ("reads", "writes")}
    late_reads = _late_reads(path, meta, declared["reads"], cells)
    early_writes = _early_writes(path, meta, declared["writes"], late_reads)
    return NotebookSpec(
        path=path,
        stem=path.stem,
        section=match.group(2),
        parameters=parse_parameters_source(source, f"{path.name}, parameters cell"),
        requires=list(meta.get("requires", [])),
        title=title or path.stem,
        late_reads=late_reads,
        early_writes=early_writes,
        **declared,
    )


#: The tag of the cells that load a notebook's ``late_reads``.
LATE_READ_TAG = "late-read"


def _artifact_names(path: Path, meta: dict, key: str, default: list | None) -> list[str] | None:
    """``marketing_workbook.<key>`` of the metadata: a list of artifact names, or ``default``."""
    value = meta.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(
            f"{path}: metadata marketing_workbook.{key} must be a list of artifact names, "
            f"found {value!r}"
        )
    return list(value)


def _late_reads(path: Path, meta: dict, reads: list[str] | None, cells: list) -> list[str]:
    """The declared late reads, checked against the reads and the tagged cells."""
    value = _artifact_names(path, meta, "late_reads", [])
    if not value:
        return []
    undeclared = sorted(set(value) - set(reads or ()))
    if undeclared:
        raise ValueError(
            f"{path}: metadata marketing_workbook.late_reads names {undeclared}, which "
            "marketing_workbook.reads does not list (a late read is a read)"
        )
    tags = [set(c.get("metadata", {}).get("tags", [])) for c in cells]
    if not any(LATE_READ_TAG in t for t in tags):
        raise ValueError(
            f"{path}: metadata marketing_workbook.late_reads is {value}, but no cell is "
            f"tagged {LATE_READ_TAG!r} (the runner waits for the writers before that cell)"
        )
    return value


def _early_writes(
    path: Path, meta: dict, writes: list[str] | None, late_reads: list[str]
) -> list[str]:
    """The declared early writes, checked against the writes and the late reads."""
    value = _artifact_names(path, meta, "early_writes", [])
    if not value:
        return []
    undeclared = sorted(set(value) - set(writes or ()))
    if undeclared:
        raise ValueError(
            f"{path}: metadata marketing_workbook.early_writes names {undeclared}, which "
            "marketing_workbook.writes does not list (an early write is a write)"
        )
    if not late_reads:
        raise ValueError(
            f"{path}: metadata marketing_workbook.early_writes is {value}, but the notebook "
            "declares no late_reads (early means before its first "
            f"{LATE_READ_TAG!r} cell, where it waits for them)"
        )
    return value


def discover_notebooks(notebooks_dir: str | Path | None = None) -> list[NotebookSpec]:
    """Every workbook notebook in ``notebooks_dir``, in numbered order."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"notebooks folder {folder} does not exist")
    paths = sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_NAME.match(p.name))
    return [read_notebook_spec(p) for p in paths]
