"""Params validation: every kind of bad file is rejected with a message that says where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from marketing_utils.errors import ParamsError
from marketing_utils.params.file import expand_path, load_params, parse_data_params

GOOD = """\
run_name: demo
output_dir: {out}
seed: 3
data:
  source: synthetic
  n_customers: 500
  start: 2024-01-01
  end: 2024-12-31
make:
  value: 5
"""


@pytest.fixture
def notebooks(tmp_path):
    from tests.unit.runner.conftest import write_notebook

    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "01_make.ipynb",
        'run_dir = "x"\nseed = 0\ndata = {}\nvalue = 3  # a number\nrate = 0.5\nname = "a"\n'
        "flag = False\nitems = [1, 2]\nanything = None\n"
        "share = 0.3  # a share; None: no share at all",
        ["pass"],
    )
    return folder


def _load(tmp_path, notebooks, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return load_params(path, notebooks)


def _problems(tmp_path, notebooks, text) -> list[str]:
    with pytest.raises(ParamsError) as info:
        _load(tmp_path, notebooks, text)
    return info.value.problems


def test_good_file_fills_defaults_and_resolves(tmp_path, notebooks):
    params = _load(tmp_path, notebooks, GOOD.format(out=tmp_path / "r"))
    assert params.run_name == "demo" and params.seed == 3
    assert params.output_dir == tmp_path / "r"
    assert params.sections["make"] == {
        "value": 5,
        "rate": 0.5,
        "name": "a",
        "flag": False,
        "items": [1, 2],
        "anything": None,
        "share": 0.3,
    }
    assert params.data["start"] == "2024-01-01" and params.data["n_products"] == 500


def test_misspelled_top_level_key(tmp_path, notebooks):
    text = GOOD.format(out=tmp_path) + "sede: 4\n"
    (problem,) = _problems(tmp_path, notebooks, text)
    assert "unknown key 'sede'" in problem and "did you mean 'seed'" in problem
    assert "accepted keys: run_name, output_dir, seed, data, report, compute, make" in problem


def test_misspelled_notebook_key_names_notebook(tmp_path, notebooks):
    text = GOOD.format(out=tmp_path).replace("value: 5", "valeu: 5")
    (problem,) = _problems(tmp_path, notebooks, text)
    assert problem.startswith("make (notebook 01_make.ipynb): unknown key 'valeu'")
    assert (
        "did you mean 'value'" in problem
        and "accepted keys: value, rate, name, flag, items, anything" in problem
    )


def test_unknown_notebook_section(tmp_path, notebooks):
    (problem,) = _problems(tmp_path, notebooks, GOOD.format(out=tmp_path) + "mkae:\n  value: 1\n")
    assert "unknown key 'mkae'" in problem and "did you mean 'make'" in problem


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  value: 'five'", "'value' expected int (like the default 3), found 'five' (str)"),
        ("  value: 2.5", "'value' expected int (like the default 3), found 2.5 (float)"),
        ("  flag: 1", "'flag' expected bool (like the default False), found 1 (int)"),
        ("  items: 3", "'items' expected list (like the default [1, 2]), found 3 (int)"),
    ],
)
def test_wrong_types_in_sections(tmp_path, notebooks, line, expected):
    text = GOOD.format(out=tmp_path).replace("  value: 5", line)
    assert any(expected in p for p in _problems(tmp_path, notebooks, text))


def test_null_accepted_only_where_the_help_says_what_none_means(tmp_path, notebooks):
    params = _load(tmp_path, notebooks, GOOD.format(out=tmp_path) + "  share: null\n")
    assert params.sections["make"]["share"] is None
    text = GOOD.format(out=tmp_path) + "  rate: null\n"
    assert any("'rate' expected float (like the default 0.5), found None" in p
               for p in _problems(tmp_path, notebooks, text))  # fmt: skip


def test_int_accepted_for_float(tmp_path, notebooks):
    params = _load(tmp_path, notebooks, GOOD.format(out=tmp_path) + "  rate: 1\n")
    assert params.sections["make"]["rate"] == 1


def test_wrong_types_in_data_and_top(tmp_path, notebooks):
    text = (
        GOOD.format(out=tmp_path)
        .replace("n_customers: 500", "n_customers: many")
        .replace("seed: 3", "seed: x")
    )
    problems = _problems(tmp_path, notebooks, text)
    assert any(
        p.startswith("data.n_customers: Input should be a valid integer") and "'many'" in p
        for p in problems
    )
    assert any(p.startswith("seed:") for p in problems)


def test_unknown_data_key_and_source(tmp_path, notebooks):
    text = GOOD.format(out=tmp_path).replace("n_customers", "n_customer")
    (problem,) = _problems(tmp_path, notebooks, text)
    assert (
        "data (source synthetic): unknown key 'n_customer'" in problem
        and "'n_customers'" in problem
    )
    text = GOOD.format(out=tmp_path).replace("source: synthetic", "source: sintetic")
    (problem,) = _problems(tmp_path, notebooks, text)
    assert problem.startswith("data.source: expected one of synthetic, bank_marketing")


def test_missing_input_file(tmp_path, notebooks):
    text = (
        f"run_name: x\noutput_dir: {tmp_path}\ndata:\n  source: cdnow\n  path: nowhere/CDNOW.txt\n"
    )
    (problem,) = _problems(tmp_path, notebooks, text)
    assert problem.startswith("data.path: input file not found:") and "nowhere/CDNOW.txt" in problem


def test_path_from_environment(tmp_path, notebooks, monkeypatch):
    (tmp_path / "cd.txt").write_text("x")
    monkeypatch.setenv("MY_DATA", str(tmp_path))
    text = f"run_name: x\noutput_dir: {tmp_path}\ndata:\n  source: cdnow\n  path: ${{MY_DATA}}/cd.txt\n"
    assert _load(tmp_path, notebooks, text).data["path"] == str(tmp_path / "cd.txt")
    monkeypatch.delenv("MY_DATA")
    (problem,) = _problems(tmp_path, notebooks, text)
    assert "environment variable MY_DATA is not set" in problem
    assert expand_path("${MY_DATA:-" + str(tmp_path) + "}/cd.txt") == tmp_path / "cd.txt"


def test_bad_yaml_and_not_a_mapping(tmp_path, notebooks):
    (problem,) = _problems(tmp_path, notebooks, "run_name: [unclosed\nseed: 1\n")
    assert "not valid YAML" in problem and "line" in problem
    (problem,) = _problems(tmp_path, notebooks, "- just\n- a list\n")
    assert "expected a mapping of keys at the top, found ['just', 'a list'] (list)" in problem


def test_missing_params_file(tmp_path, notebooks):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "absent.yaml", notebooks)


def test_bad_run_name_and_dates(tmp_path, notebooks):
    text = (
        GOOD.format(out=tmp_path)
        .replace("run_name: demo", "run_name: ../escape")
        .replace("end: 2024-12-31", "end: 2023-12-31")
    )
    problems = _problems(tmp_path, notebooks, text)
    assert any(p.startswith("run_name: String should match pattern") for p in problems)


def test_quoted_iso_dates_are_dates_and_others_are_named(tmp_path, notebooks):
    quoted = GOOD.format(out=tmp_path).replace("start: 2024-01-01", 'start: "2024-01-01"')
    assert _load(tmp_path, notebooks, quoted).data["start"] == "2024-01-01"
    wrong = GOOD.format(out=tmp_path).replace("start: 2024-01-01", 'start: "01/01/2024"')
    assert _problems(tmp_path, notebooks, wrong) == [
        "data.start: expected a date written YYYY-MM-DD, found '01/01/2024' (str)"
    ]


def test_all_problems_listed_together(tmp_path, notebooks):
    text = GOOD.format(out=tmp_path).replace("value: 5", "valeu: 5") + "sede: 1\n"
    assert len(_problems(tmp_path, notebooks, text)) == 2


def test_parse_data_params_from_notebook_json():
    model = parse_data_params({"source": "synthetic", "n_customers": 100, "start": "2024-01-01"})
    assert model.n_customers == 100 and str(model.start) == "2024-01-01"
    with pytest.raises(ParamsError, match="unknown key 'rows'"):
        parse_data_params({"source": "synthetic", "rows": 1})


def test_repo_params_files_are_valid():
    root = Path(__file__).resolve().parents[3]
    for path in sorted((root / "params").glob("*.yaml")):
        if path.name in (
            "bank_marketing.yaml",
            "hillstrom.yaml",
            "cdnow.yaml",
            "own_data_example.yaml",
            "churn.yaml",
        ):
            continue  # their input files are checked in the tests below
        assert load_params(path).run_name


def test_own_data_example_is_valid_once_the_sample_exists(tmp_path, monkeypatch):
    from marketing_utils.datasets.retail_export import write_retail_export

    root = Path(__file__).resolve().parents[3]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError, match="data.transactions.path: input file not found"):
        load_params(root / "params" / "own_data_example.yaml", root / "notebooks")
    write_retail_export(tmp_path / "data", 60, seed=1)
    params = load_params(root / "params" / "own_data_example.yaml", root / "notebooks")
    assert params.data["transactions"]["path"] == str(tmp_path / "data" / "retail_export.csv")


def test_churn_params_are_valid_once_the_churn_table_exists(tmp_path, monkeypatch):
    from marketing_utils.datasets.synthetic_churn import write_churn_table

    root = Path(__file__).resolve().parents[3]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBOOK_CHURN_TABLE", raising=False)
    with pytest.raises(ParamsError, match="data.customers.path: input file not found"):
        load_params(root / "params" / "churn.yaml", root / "notebooks")
    write_churn_table(tmp_path / "data" / "synthetic_churn.csv", 200, seed=1)
    params = load_params(root / "params" / "churn.yaml", root / "notebooks")
    customers = params.data["customers"]
    assert customers["path"] == str(tmp_path / "data" / "synthetic_churn.csv")
    assert customers["outcome"] == {"column": "churned", "positive": "Yes", "name": "churn"}
    assert params.sections["evaluation"]["save_rate"] == 0.3


def test_public_params_files_are_valid(datasets_dir, monkeypatch):
    monkeypatch.setenv("WORKBOOK_DATASETS_DIR", str(datasets_dir))
    root = Path(__file__).resolve().parents[3]
    for name in ("bank_marketing.yaml", "hillstrom.yaml", "cdnow.yaml"):
        if (root / "params" / name).exists():
            path = Path(load_params(root / "params" / name).data["path"])
            assert path.parent == datasets_dir.resolve()


def test_cli_validate_reports_misspelled_key(tmp_path):
    root = Path(__file__).resolve().parents[3]
    bad = tmp_path / "bad.yaml"
    bad.write_text((root / "params" / "ci.yaml").read_text() + "\nsede: 1\n")
    out = subprocess.run(
        [sys.executable, "-m", "marketing_utils", "run", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "unknown key 'sede'" in out.stderr and "did you mean 'seed'" in out.stderr
    assert not (tmp_path / "reports").exists()


def test_a_folder_the_reader_would_refuse_fails_validation(tmp_path):
    root = Path(__file__).resolve().parents[3]
    export = tmp_path / "export"
    export.mkdir()
    pd.DataFrame({"customer_id": ["A"], "timestamp": ["2024-01-01"], "amount": [1.0]}).to_parquet(
        export / "part1.parquet"
    )
    params = tmp_path / "params.yaml"
    params.write_text(
        f"run_name: m\noutput_dir: {tmp_path / 'out'}\ndata:\n  source: files\n"
        f"  transactions:\n    path: {export}\n"
    )
    assert load_params(params, root / "notebooks").run_name == "m"  # Parquet only: fine
    (export / "README.txt").write_text("what the export holds")
    with pytest.raises(ParamsError) as caught:
        load_params(params, root / "notebooks")
    assert f"data.transactions.path: {export}: expected a directory of Parquet files only" in str(
        caught.value
    )
    assert "README.txt" in str(caught.value)
