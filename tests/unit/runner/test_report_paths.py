"""Issue 15: the workbook replaces or removes only directories it created itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketing_utils.errors import RunError
from marketing_utils.runner.safety import (
    REPORT_MARKER,
    is_report,
    mark_report,
    prune_failed,
    publish,
    recover,
    report_path_problems,
)


def _report(folder: Path, run_name: str = "demo") -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<html></html>", encoding="utf-8")
    mark_report(folder, run_name)
    return folder


def _user_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "thesis.txt").write_text("years of work", encoding="utf-8")
    return folder


def test_a_report_is_a_marked_directory_or_an_old_report_layout(tmp_path):
    assert is_report(_report(tmp_path / "a"))
    assert not is_report(_user_folder(tmp_path / "b"))
    old = tmp_path / "c"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"run_name": "c"}), encoding="utf-8")
    (old / "html").mkdir()
    assert is_report(old)  # written before the marker existed: only the report layout
    (old / "thesis.txt").write_text("x", encoding="utf-8")
    assert not is_report(old)
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)
    assert not is_report(tmp_path / "link")  # a link to a report is not one


def test_report_path_problems_name_the_path_and_why(tmp_path):
    data = tmp_path / "data"
    inputs = [data / "customers.csv"]
    assert report_path_problems(tmp_path, "data", inputs) == [
        f"run_name: the report path {data} contains the input {inputs[0]}; expected a report "
        "path apart from every input (a run replaces its report); choose another run_name or "
        "output_dir"
    ]
    assert "is inside the input" in report_path_problems(data, "r", [data])[0]
    assert "is the input" in report_path_problems(tmp_path, "data", [data])[0]
    _user_folder(tmp_path / "Documents")
    assert "exists and is not a report" in report_path_problems(tmp_path, "Documents", [])[0]
    (tmp_path / "empty").mkdir()
    assert report_path_problems(tmp_path, "empty", []) == []  # nothing to lose
    _report(tmp_path / "demo")
    assert report_path_problems(tmp_path, "demo", inputs) == []
    (tmp_path / "link").symlink_to(tmp_path / "demo", target_is_directory=True)
    assert "is a symbolic link" in report_path_problems(tmp_path, "link", [])[0]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert report_path_problems(tmp_path / "file" / "sub", "demo", []) == [
        "output_dir: expected a directory (or a path to create), found a regular file at "
        f"{tmp_path / 'file'}"
    ]


def test_a_glob_input_is_compared_by_its_fixed_folders(tmp_path):
    problems = report_path_problems(tmp_path, "exports", [tmp_path / "exports" / "*.csv"])
    assert "contains the input" in problems[0]


def test_publish_refuses_to_replace_a_folder_it_did_not_create(tmp_path):
    mine = _user_folder(tmp_path / "demo")
    staging = _report(tmp_path / ".tmp-demo-1-1")
    with pytest.raises(RunError, match="was left alone"):
        publish(staging, tmp_path, "demo")
    assert (mine / "thesis.txt").read_text() == "years of work"
    assert staging.is_dir()


def test_publish_replaces_a_report_and_marks_the_new_one(tmp_path):
    _report(tmp_path / "demo")
    staging = tmp_path / ".tmp-demo-1-1"
    staging.mkdir()
    final = publish(staging, tmp_path, "demo")
    assert (final / REPORT_MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_recover_unlinks_a_previous_link_and_keeps_its_target(tmp_path):
    mine = _user_folder(tmp_path / "mine")
    (tmp_path / ".previous-demo").symlink_to(mine, target_is_directory=True)
    recover(tmp_path, "demo")  # no final report: the old code renamed the link into place
    assert not (tmp_path / ".previous-demo").exists()
    assert not (tmp_path / "demo").exists()
    assert (mine / "thesis.txt").read_text() == "years of work"
    _report(tmp_path / "demo")
    (tmp_path / ".previous-demo").symlink_to(mine, target_is_directory=True)
    recover(tmp_path, "demo")  # with a final report: the old code called rmtree on the link
    assert (mine / "thesis.txt").read_text() == "years of work"


def test_recover_leaves_unmarked_leftovers_alone(tmp_path):
    foreign = _user_folder(tmp_path / ".tmp-demo-999999-1")  # shaped like a dead run's staging
    recover(tmp_path, "demo")
    assert (foreign / "thesis.txt").is_file()
    stale = _report(tmp_path / ".tmp-demo-999998-1")
    recover(tmp_path, "demo")
    assert not stale.exists()


def test_prune_failed_keeps_the_newest_marked_runs(tmp_path):
    failed = tmp_path / ".failed"
    for day in range(1, 8):
        _report(failed / f"demo-2020010{day}-000000")
    _user_folder(failed / "demo-20190101-000000")
    _report(failed / "other-20200101-000000", "other")
    prune_failed(tmp_path, "demo", keep=3)
    assert sorted(p.name for p in failed.iterdir()) == [
        "demo-20190101-000000",
        "demo-20200105-000000",
        "demo-20200106-000000",
        "demo-20200107-000000",
        "other-20200101-000000",
    ]
