"""The package layout: one subpackage per stage, plumbing at the top, notebooks on stage namespaces."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketing_utils"
STAGES = ["preprocess", "segment", "propensity", "evaluate", "uplift", "recommend", "forecast"]
SUBPACKAGES = [*STAGES, "scoring", "params", "datasets", "runner"]
PLUMBING = {
    "__init__",
    "__main__",
    "_atomic",
    "artifacts",
    "compute",
    "errors",
    "leakage",  # the leakage guard, shared by 01 and 03 (issue 17)
    "model_io",
    "plotting",
    "privacy",
    "profile",
    "readable",  # dicts printed for a reader, not as Python reprs
    "sampling",
    "schema",
    "threads",  # one BLAS thread around the small fits of 06 and 07 (issue 23)
}


def test_top_level_holds_only_plumbing_and_subpackages():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert modules == PLUMBING
    assert set(SUBPACKAGES) <= packages


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_subpackage_declares_all_and_its_names_resolve(name):
    package = importlib.import_module(f"marketing_utils.{name}")
    assert isinstance(package.__all__, list)
    assert package.__all__ == sorted(set(package.__all__), key=package.__all__.index)
    for exported in package.__all__:
        assert getattr(package, exported) is not None, f"{name}.{exported}"


@pytest.mark.parametrize("name", STAGES)
def test_each_stage_has_its_entry_point_and_figures(name):
    assert (PACKAGE / name / "stage.py").is_file()
    # 01's figures are drawn from its ledger with the shared plotting helpers.
    assert (PACKAGE / name / "plots.py").is_file() or name == "preprocess"


def test_no_module_name_carries_a_stage_prefix():
    prefixed = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(path.stem.startswith(f"{stage}_") for stage in [*SUBPACKAGES, "scoring"])
    ]
    assert prefixed == []


def _code(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_notebooks_import_stage_namespaces_never_private_modules(notebook):
    code = _code(notebook)
    imported = re.findall(r"^\s*(?:from|import)\s+(marketing_utils[\w.]*)", code, re.M)
    assert imported, "the notebook imports nothing from the package"
    for module in imported:
        parts = module.split(".")
        assert not any(part.startswith("_") for part in parts), module
        # marketing_utils, marketing_utils.<stage>; nothing deeper
        assert len(parts) <= 2, f"{notebook.name} imports {module}: use the stage namespace"
