"""pyproject.toml and environment.yml list the same dependencies with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    match = _REQUIREMENT.match(requirement.strip())
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_parse(r) for r in project["dependencies"])
    for extra in ("dev", "scale"):
        wanted.update(_parse(r) for r in project["optional-dependencies"][extra])

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    found = dict(_parse(d) for d in conda if not d.startswith(("python", "pip")))
    assert found == wanted
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section["pip"] == ["-e ."]


def test_console_script_and_python_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["marketing-workbook"] == "marketing_utils.runner.cli:main"
    assert project["requires-python"] == ">=3.11"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make report" in readme
    assert ci.strip().splitlines()[-1] == "make test"
