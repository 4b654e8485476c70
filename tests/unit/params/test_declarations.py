"""The artifacts each notebook declares (metadata reads/writes) are those its code loads and saves.

Read statically: the notebook's ``store.load/exists/path/save("name")`` calls, the CSV files it
writes under ``artifacts/``, and the names written by the stage save functions it calls (their
``store.save``/``store.path`` names, the keys of the dict they pass to ``store.save_all`` and
the module constants they use), so a declaration cannot rot when the code changes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest

from marketing_utils.params.notebooks import LATE_READ_TAG, discover_notebooks
from marketing_utils.schema import MarketingData

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_STORE_CALL = re.compile(r"store\.(load|exists|path|save)\(\s*\"([a-z0-9_]+)\"")
_CSV = re.compile(r"\"artifacts\"\s*/\s*\"([a-z0-9_]+)\.csv\"")
_SAVERS = {
    "save_preprocessing": "marketing_utils.preprocess.stage",
    "save_segmentation_model": "marketing_utils.segment.io",
    "save_propensity": "marketing_utils.propensity.stage",
    "save_uplift": "marketing_utils.uplift.stage",
    "save_clv": "marketing_utils.clv.io",
    "save_planning": "marketing_utils.planning.io",
}
_READERS = {"read_targeting_list": {"targeting_list"}}
#: Functions that find their own inputs in the run's artifacts: their whole module is read
#: (the function and its helpers), ``store.load``/``store.exists`` calls count as reads.
_LOADERS = {"readout_inputs": "marketing_utils.readout.inputs"}


def _function_names(function_name: str, module_name: str) -> tuple[set[str], set[str]]:
    """(reads, writes) of a stage save function (or a loader's module), from its source."""
    module = importlib.import_module(module_name)
    whole_module = function_name in _LOADERS
    tree = ast.parse(inspect.getsource(module if whole_module else getattr(module, function_name)))
    reads, writes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            first = node.args[0]
            name = None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                name = first.value
            elif isinstance(first, ast.Name) and isinstance(getattr(module, first.id, None), str):
                name = getattr(module, first.id)
            if func in ("store.save", "store.path") and name:
                writes.add(name)
            if whole_module and func in ("store.load", "store.exists") and name:
                reads.add(name)
            if func.startswith("_stored") and len(node.args) > 1:
                second = node.args[1]
                if isinstance(second, ast.Constant):
                    reads.add(second.value)
        if isinstance(node, (ast.Assign, ast.AugAssign)) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(ast.unparse(t) == "tables" for t in targets):
                writes |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
                writes |= {
                    getattr(module, k.id)
                    for k in node.value.keys
                    if isinstance(k, ast.Name) and isinstance(getattr(module, k.id, None), str)
                }
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and ast.unparse(node.value) == "tables"
            and isinstance(node.ctx, ast.Store)
        ):
            writes.add(node.slice.value)
        if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'{name}_clean'":
            writes |= {f"{table}_clean" for table in MarketingData.TABLES}
    return reads, {w for w in writes if _NAME.match(w)}


def _code_cells(spec) -> list[dict]:
    import json

    notebook = json.loads(spec.path.read_text(encoding="utf-8"))
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def _names_in(cells: list[dict]) -> tuple[set[str], set[str]]:
    """(reads, writes) of these code cells, before removing what they read after saving."""
    source = "\n".join("".join(c["source"]) for c in cells)
    reads, writes = set(), set()
    for method, name in _STORE_CALL.findall(source):
        (writes if method == "save" else reads).add(name)
    writes |= set(_CSV.findall(source))
    for function, module in {**_SAVERS, **_LOADERS}.items():
        if f"{function}(" in source:
            function_reads, function_writes = _function_names(function, module)
            reads |= function_reads
            writes |= function_writes
    for function, names in _READERS.items():
        if f"{function}(" in source:
            reads |= names
    return reads, writes


def _notebook_names(spec) -> tuple[set[str], set[str]]:
    reads, writes = _names_in(_code_cells(spec))
    # What a notebook loads after saving it itself is not an input.
    return reads - writes, writes


@pytest.mark.parametrize("spec", discover_notebooks(), ids=lambda s: s.stem)
def test_declared_artifacts_match_the_code(spec):
    if not spec.declared:
        pytest.skip(f"{spec.stem} declares nothing: the runner runs it after every earlier one")
    reads, writes = _notebook_names(spec)
    assert set(spec.reads) == reads, f"{spec.stem}: declared reads differ from the code"
    assert set(spec.writes) == writes, f"{spec.stem}: declared writes differ from the code"


def test_the_seven_report_notebooks_declare_their_artifacts():
    declared = {s.stem for s in discover_notebooks() if s.declared}
    assert {f"0{i}" for i in range(1, 8)} <= {stem[:2] for stem in declared}


_LATE = [s for s in discover_notebooks() if s.late_reads]


def test_the_notebooks_that_start_early_are_06_and_08():
    assert {s.stem: s.late_reads for s in _LATE} == {
        "06_recommendations": ["targeting_list"],
        "08_customer_lifetime_value": ["scores"],
    }


@pytest.mark.parametrize("spec", _LATE, ids=lambda s: s.stem)
def test_late_reads_are_read_only_in_the_late_read_cells(spec):
    # The runner holds the notebook only before its first tagged cell: a late artifact read
    # by an untagged cell would be read before its writer has finished.
    tagged = [c for c in _code_cells(spec) if LATE_READ_TAG in c["metadata"].get("tags", [])]
    untagged = [c for c in _code_cells(spec) if c not in tagged]
    assert tagged, f"{spec.stem}: no cell tagged {LATE_READ_TAG!r}"
    assert set(spec.late_reads) <= _names_in(tagged)[0]
    assert not set(spec.late_reads) & _names_in(untagged)[0]


_EARLY = [s for s in discover_notebooks() if s.early_writes]


def test_the_notebook_that_releases_its_readers_early_is_08():
    assert {s.stem: sorted(s.early_writes) for s in _EARLY} == {
        "08_customer_lifetime_value": sorted(
            next(s for s in _EARLY if s.stem.startswith("08")).writes
        )
    }


@pytest.mark.parametrize("spec", _EARLY, ids=lambda s: s.stem)
def test_early_writes_are_saved_before_the_first_late_read_cell_and_never_after(spec):
    # The runner lets readers of the early writes start when the notebook reaches its first
    # tagged cell: they must be saved by then, and no later cell may change them.
    cells = _code_cells(spec)
    first = next(i for i, c in enumerate(cells) if LATE_READ_TAG in c["metadata"].get("tags", []))
    assert set(spec.early_writes) <= _names_in(cells[:first])[1]
    assert not set(spec.early_writes) & _names_in(cells[first:])[1]
