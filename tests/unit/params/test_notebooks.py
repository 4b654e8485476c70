"""Reading parameters cells and requirements without a kernel."""

from __future__ import annotations

import pytest

from marketing_utils.params.notebooks import (
    discover_notebooks,
    parse_parameters_source,
    read_notebook_spec,
)
from tests.unit.runner.conftest import write_notebook


def test_parse_literals_and_help():
    source = 'a = 1  # one\nb = 2.5\nc = "x"  # a string\nd = [1, 2]\ne = {"k": None}\nf: int = 3\n'
    params = parse_parameters_source(source)
    assert {k: p.default for k, p in params.items()} == {
        "a": 1,
        "b": 2.5,
        "c": "x",
        "d": [1, 2],
        "e": {"k": None},
        "f": 3,
    }
    assert params["a"].help == "one" and params["b"].help == "" and params["c"].type_name == "str"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a = f(1)", "the value of 'a' must be a literal"),
        ("import os", "expected 'name = literal'"),
        ("a, b = 1, 2", "expected 'name = literal'"),
        ("a = ", "not valid Python"),
    ],
)
def test_parse_refuses_code(source, message):
    with pytest.raises(ValueError, match=message):
        parse_parameters_source(source)


def test_spec_sections_requirements_and_title(tmp_path):
    path = write_notebook(
        tmp_path / "05_campaign_uplift.ipynb",
        'run_dir = "x"\nseed = 1\narm = "womens"',
        ["pass"],
        requires=["campaign.treatment", "transactions | campaign.response"],
        title="Uplift",
    )
    spec = read_notebook_spec(path)
    assert spec.section == "campaign_uplift" and spec.title == "Uplift"
    assert list(spec.section_parameters) == ["arm"]
    assert spec.missing_requirements({"campaign.treatment", "campaign.response"}) == []
    assert spec.missing_requirements({"transactions"}) == ["campaign.treatment"]


def test_bad_notebook_names_and_cells(tmp_path):
    with pytest.raises(ValueError, match="notebook names must look like"):
        read_notebook_spec(write_notebook(tmp_path / "Prep.ipynb", "a = 1", []))
    path = write_notebook(tmp_path / "01_x.ipynb", "a = 1", [])
    path.write_text(path.read_text().replace('"parameters"', '"other"'))
    with pytest.raises(ValueError, match="expected exactly one cell tagged 'parameters', found 0"):
        read_notebook_spec(path)


def test_late_reads_are_reads_with_a_tagged_cell(tmp_path):
    def spec(name, **late):
        return read_notebook_spec(
            write_notebook(tmp_path / name, "a = 1", ["x = 1"], reads=["t"], writes=[], **late)
        )

    good = spec("01_a.ipynb", late_reads=["t"], late_body=["y = 2"])
    assert good.late_reads == ["t"] and spec("02_b.ipynb").late_reads == []
    with pytest.raises(ValueError, match=r"late_reads names \['u'\], which .*reads does not list"):
        spec("03_c.ipynb", late_reads=["u"], late_body=["y = 2"])
    with pytest.raises(ValueError, match="no cell is tagged 'late-read'"):
        spec("04_d.ipynb", late_reads=["t"])
    with pytest.raises(ValueError, match="late_reads must be a list of artifact names"):
        spec("05_e.ipynb", late_reads="t", late_body=["y = 2"])


def test_early_writes_are_writes_of_a_notebook_with_late_reads(tmp_path):
    def spec(name, **declared):
        path = tmp_path / name
        return read_notebook_spec(
            write_notebook(path, "a = 1", ["x = 1"], reads=["t"], writes=["w", "v"], **declared)
        )

    late = {"late_reads": ["t"], "late_body": ["y = 2"]}
    good = spec("01_a.ipynb", early_writes=["w"], **late)
    assert good.early_writes == ["w"] and spec("02_b.ipynb", **late).early_writes == []
    with pytest.raises(ValueError, match=r"early_writes names \['u'\], which .*writes does not"):
        spec("03_c.ipynb", early_writes=["u"], **late)
    with pytest.raises(ValueError, match="declares no late_reads"):
        spec("04_d.ipynb", early_writes=["w"])
    with pytest.raises(ValueError, match="early_writes must be a list of artifact names"):
        spec("05_e.ipynb", early_writes="w", **late)


def test_project_notebooks_are_well_formed():
    specs = discover_notebooks()
    assert [s.stem for s in specs][0] == "01_preprocessing"
    for spec in specs:
        assert {"run_dir", "seed"} <= set(spec.parameters), spec.stem
        assert spec.title and not spec.title.startswith("0") or "·" in spec.title
