"""The params file's ``compute`` section: engine and Dask scheduler, validated and injected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marketing_utils.errors import ParamsError
from marketing_utils.params.file import load_params

HEAD = """\
run_name: demo
output_dir: {out}
data:
  source: synthetic
  n_customers: 500
"""


@pytest.fixture
def notebooks(tmp_path):
    from tests.unit.runner.conftest import write_notebook

    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "01_features.ipynb",
        'run_dir = "x"\nseed = 0\ndata = {}\ncompute = {}\nengine = "pandas"  # the engine',
        ["pass"],
    )
    write_notebook(folder / "02_other.ipynb", 'run_dir = "x"\nvalue = 1', ["pass"])
    return folder


def _load(tmp_path, notebooks, extra: str):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD.format(out=tmp_path / "r") + extra, encoding="utf-8")
    return load_params(path, notebooks)


def _problems(tmp_path, notebooks, extra: str) -> list[str]:
    with pytest.raises(ParamsError) as info:
        _load(tmp_path, notebooks, extra)
    return info.value.problems


def _injected(params, notebooks, stem: str) -> dict:
    from marketing_utils.params.notebooks import discover_notebooks

    spec = next(s for s in discover_notebooks(notebooks) if s.stem == stem)
    return params.notebook_parameters(spec, Path("/run"))


def test_without_compute_the_notebook_keeps_its_own_engine(tmp_path, notebooks):
    params = _load(tmp_path, notebooks, "features:\n  engine: polars\n")
    values = _injected(params, notebooks, "01_features")
    assert values["engine"] == "polars"
    # Absent scheduler: the notebook starts a local cluster sized to the machine.
    assert values["compute"] == {
        "engine": "pandas",
        "dask": {
            "scheduler": None,
            "n_workers": None,
            "threads_per_worker": None,
            "memory_limit": None,
        },
    }


def test_compute_engine_and_scheduler_are_injected_where_declared(tmp_path, notebooks):
    extra = "compute:\n  engine: dask\n  dask:\n    scheduler: tcp://10.0.0.5:8786\n"
    params = _load(tmp_path, notebooks, extra)
    values = _injected(params, notebooks, "01_features")
    assert values["engine"] == "dask"
    assert values["compute"]["dask"]["scheduler"] == "tcp://10.0.0.5:8786"
    assert "compute" not in _injected(params, notebooks, "02_other")
    # A section may not set what the runner injects.
    assert "compute" not in params.sections["features"]


def test_bad_compute_values_are_named_with_what_was_found(tmp_path, notebooks):
    extra = (
        "compute:\n  engine: spark\n  dask:\n    scheduler: localhost:8786\n"
        "    n_workers: 0\n    memory_limit: lots\n"
    )
    problems = _problems(tmp_path, notebooks, extra)
    assert len(problems) == 4
    assert problems[0] == (
        "compute.engine: Input should be 'pandas', 'polars' or 'dask', found 'spark' (str)"
    )
    assert problems[1].startswith("compute.dask.scheduler:")
    assert "such as 'tcp://10.0.0.5:8786'" in problems[1] and "'localhost:8786'" in problems[1]
    assert problems[2] == (
        "compute.dask.n_workers: Input should be greater than or equal to 1, found 0 (int)"
    )
    assert "found 'lots'" in problems[3]


def test_misspelled_compute_keys_get_a_suggestion(tmp_path, notebooks):
    problems = _problems(tmp_path, notebooks, "compute:\n  engin: dask\n  dask: {sheduler: x}\n")
    assert problems[0].startswith("compute: unknown key 'engin'; did you mean 'engine'?")
    assert problems[1].startswith("compute.dask: unknown key 'sheduler'; did you mean 'scheduler'?")


def test_engine_set_twice_with_different_values_is_refused(tmp_path, notebooks):
    extra = "compute:\n  engine: dask\nfeatures:\n  engine: polars\n"
    (problem,) = _problems(tmp_path, notebooks, extra)
    assert problem.startswith("features.engine: 'polars' contradicts compute.engine 'dask'")
    # The same value in both places is not a contradiction.
    same = _load(tmp_path, notebooks, "compute:\n  engine: dask\nfeatures:\n  engine: dask\n")
    assert _injected(same, notebooks, "01_features")["engine"] == "dask"


def test_cli_validate_rejects_a_bad_engine(tmp_path):
    root = Path(__file__).resolve().parents[3]
    bad = tmp_path / "bad.yaml"
    bad.write_text((root / "params" / "ci.yaml").read_text() + "\ncompute:\n  engine: spark\n")
    out = subprocess.run(
        [sys.executable, "-m", "marketing_utils", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert "compute.engine: Input should be 'pandas', 'polars' or 'dask', found 'spark'" in (
        out.stderr
    )


def test_the_workbook_notebooks_declare_what_the_runner_injects(tmp_path):
    from marketing_utils.params.notebooks import discover_notebooks

    specs = {spec.stem: spec for spec in discover_notebooks()}
    assert {"compute", "engine"} <= set(specs["01_preprocessing"].parameters)
    assert specs["03_propensity_modeling"].parameters["max_customers"].default == 0
    root = Path(__file__).resolve().parents[3]
    params = load_params(root / "params" / "large.yaml")
    assert params.compute.engine == "polars"
    injected = params.notebook_parameters(specs["01_preprocessing"], tmp_path)
    assert injected["engine"] == "polars" and injected["compute"]["engine"] == "polars"
