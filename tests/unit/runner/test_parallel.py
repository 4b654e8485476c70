"""The parallel runner on fixture notebooks: independent notebooks overlap, dependants wait,
a failure stops its dependants and keeps the previous report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketing_utils.errors import RunError
from marketing_utils.params.notebooks import discover_notebooks
from marketing_utils.runner.graph import dependencies, early_dependencies, late_dependencies
from marketing_utils.runner.run import run_workbook
from tests.unit.runner.conftest import write_notebook

pytestmark = pytest.mark.filterwarnings("ignore")

_STAMP = """import json, time
from pathlib import Path
def stamp(what):
    path = Path(run_dir) / f"stamp_{name}.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    times[what] = time.time()
    path.write_text(json.dumps(times))
"""

# Each of the two independent notebooks waits (up to 120 s) until the other has started:
# one after the other, the first would time out; at the same time, both finish.
_RENDEZVOUS = """stamp("start")
deadline = time.time() + 120
while not (Path(run_dir) / f"stamp_{other}.json").exists():
    if time.time() > deadline:
        raise TimeoutError(f"{name} ran alone: {other} never started")
    time.sleep(0.05)
stamp("end")
"""


def _write_make(folder: Path) -> None:
    """01_make: the notebook every fixture run starts with (it writes the capabilities)."""
    write_notebook(
        folder / "01_make.ipynb",
        'run_dir = "../runs/lab"',
        [
            "from marketing_utils.artifacts import Artifacts",
            'Artifacts(run_dir).save("capabilities", ["customers", "transactions"])',
        ],
        title="Make",
        reads=[],
        writes=["capabilities"],
    )


def _write_slow(folder: Path, waits_for: list[str]) -> None:
    """02_slow: holds (up to 120 s) until the notebooks named ``waits_for`` have started."""
    write_notebook(
        folder / "02_slow.ipynb",
        'run_dir = "../runs/lab"',
        [
            'name = "slow"',
            _STAMP,
            'stamp("start")\ndeadline = time.time() + 120\n'
            f"while not all((Path(run_dir) / f'stamp_{{r}}.json').exists() for r in {waits_for!r}):\n"
            "    if time.time() > deadline:\n"
            f"        raise TimeoutError('{', '.join(waits_for)} never started before 02 ended')\n"
            "    time.sleep(0.05)",
            "from marketing_utils.artifacts import Artifacts\n"
            'Artifacts(run_dir).save("slow_table", {"n": 1})\nstamp("end")',
        ],
        title="Slow",
        reads=[],
        writes=["slow_table"],
    )


def _notebooks(folder: Path, fail_a: bool = False) -> Path:
    folder.mkdir()
    write_notebook(
        folder / "01_make.ipynb",
        'run_dir = "../runs/lab"',
        [
            "from marketing_utils.artifacts import Artifacts\nstore = Artifacts(run_dir)",
            'store.save("capabilities", ["customers", "transactions"])',
        ],
        title="Make",
        reads=[],
        writes=["capabilities"],
    )
    for stem, name, other in (("02_left", "left", "right"), ("03_right", "right", "left")):
        body = [f"name, other = {name!r}, {other!r}", _STAMP, _RENDEZVOUS]
        if name == "left":
            body.append("if fail:\n    raise ValueError('left fails on purpose')")
        body.append(
            "from marketing_utils.artifacts import Artifacts\n"
            f'Artifacts(run_dir).save("{name}_table", {{"ok": True}})'
        )
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"\nfail = False',
            body,
            title=name,
            reads=[],
            writes=[f"{name}_table"],
        )
    write_notebook(
        folder / "04_after_left.ipynb",
        'run_dir = "../runs/lab"',
        [
            'name = "after_left"',
            _STAMP,
            'stamp("start")',
            "from marketing_utils.artifacts import Artifacts\n"
            'assert Artifacts(run_dir).load("left_table") == {"ok": True}',
        ],
        title="After left",
        reads=["left_table"],
        writes=[],
    )
    return folder


def _params(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "run.yaml"
    path.write_text(
        f"run_name: demo\noutput_dir: {tmp_path / 'reports'}\nseed: 7\n"
        f"data:\n  source: synthetic\n  n_customers: 100\n{extra}",
        encoding="utf-8",
    )
    return path


def _stamps(folder: Path, name: str) -> dict:
    return json.loads((folder / f"stamp_{name}.json").read_text())


def test_graph_of_the_fixture_notebooks(tmp_path):
    specs = discover_notebooks(_notebooks(tmp_path / "notebooks"))
    graph = dependencies(specs)
    assert graph == {
        "01_make": set(),
        "02_left": {"01_make"},
        "03_right": {"01_make"},
        "04_after_left": {"01_make", "02_left"},
    }


def test_independent_notebooks_overlap_and_a_dependant_waits(tmp_path):
    folder = _notebooks(tmp_path / "notebooks")
    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    report = result.report_dir
    left, right, after = (_stamps(report, n) for n in ("left", "right", "after_left"))
    # Overlap: each started before the other ended.
    assert left["start"] < right["end"] and right["start"] < left["end"]
    assert after["start"] >= left["end"]
    # The report is that of a sequential run: notebook order, every notebook ran.
    assert [e["stem"] for e in result.notebooks] == [
        "01_make",
        "02_left",
        "03_right",
        "04_after_left",
    ]
    assert all(e["status"] == "ran" for e in result.notebooks)
    manifest = json.loads((report / "manifest.json").read_text())
    assert [e["stem"] for e in manifest["notebooks"]] == [e["stem"] for e in result.notebooks]
    index = (report / "index.html").read_text()
    assert index.index("html/02_left.html") < index.index("html/03_right.html")


def test_a_failure_stops_its_dependants_and_keeps_the_previous_report(tmp_path):
    folder = _notebooks(tmp_path / "notebooks")
    good = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    before = (good.report_dir / "manifest.json").read_text()

    with pytest.raises(RunError) as caught:
        run_workbook(
            _params(tmp_path, "left:\n  fail: true\n"), notebooks_dir=folder, quiet=True, jobs=2
        )
    message = str(caught.value)
    assert "02_left" in message and "left fails on purpose" in message
    assert (good.report_dir / "manifest.json").read_text() == before
    failed = next((tmp_path / "reports" / ".failed").glob("demo-*"))
    # The independent notebook running alongside finished; the dependant never started.
    assert (failed / "stamp_right.json").exists()
    assert (failed / "artifacts").exists()
    assert not (failed / "stamp_after_left.json").exists()
    assert not (failed / "notebooks" / "04_after_left.ipynb").exists()


def test_undeclared_notebooks_wait_for_every_earlier_one(tmp_path):
    folder = _notebooks(tmp_path / "notebooks")
    write_notebook(folder / "05_undeclared.ipynb", 'run_dir = "../runs/lab"', ["x = 1"])
    write_notebook(
        folder / "06_declared.ipynb", 'run_dir = "../runs/lab"', ["x = 1"], reads=[], writes=[]
    )
    graph = dependencies(discover_notebooks(folder))
    assert graph["05_undeclared"] == {"01_make", "02_left", "03_right", "04_after_left"}
    assert graph["06_declared"] == {"01_make", "05_undeclared"}


def test_jobs_must_be_positive(tmp_path):
    folder = _notebooks(tmp_path / "notebooks")
    with pytest.raises(RunError, match="--jobs"):
        run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=0)


def test_default_jobs_are_the_cores_the_process_may_use(monkeypatch):
    import os

    from marketing_utils.runner import run

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    assert run.usable_cores() == 2  # a container or taskset allows 2 of the 8 cores
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    assert run.usable_cores() == 8  # no affinity on this system: every core


def _late_notebooks(folder: Path, fail_writer: bool = False) -> Path:
    """01 makes; 02 is slow and is written by 03; 04 and 05 read 03's table only late.

    02 holds until both readers are waiting for 03: possible only if the readers start
    before 03 (early start) and a waiting reader gives its core back (with ``--jobs 2``,
    02 and the two readers run at once; 03 can start only when the readers give way).
    """
    folder.mkdir()
    _write_make(folder)
    _write_slow(folder, ["a", "b"])
    write_notebook(
        folder / "03_writer.ipynb",
        'run_dir = "../runs/lab"\nfail = False',
        [
            'name = "writer"',
            _STAMP,
            'stamp("start")\ntime.sleep(1.0)',
            "if fail:\n    raise ValueError('the writer fails on purpose')",
            "from marketing_utils.artifacts import Artifacts\n"
            'Artifacts(run_dir).save("written", {"by": "writer"})\nstamp("end")',
        ],
        title="Writer",
        reads=["slow_table"],
        writes=["written"],
    )
    for stem, name in (("04_reader_a", "a"), ("05_reader_b", "b")):
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"',
            [f"name = {name!r}", _STAMP, 'stamp("start")'],
            title=f"Reader {name}",
            reads=["written"],
            writes=[f"read_{name}"],
            late_reads=["written"],
            late_body=[
                'stamp("late")\nfrom marketing_utils.artifacts import Artifacts\n'
                'store = Artifacts(run_dir)\nassert store.load("written") == {"by": "writer"}\n'
                f'store.save("read_{name}", {{"ok": True}})'
            ],
        )
    return folder


def test_late_readers_start_early_give_their_core_back_and_read_after_the_writer(tmp_path):
    folder = _late_notebooks(tmp_path / "notebooks")
    specs = discover_notebooks(folder)
    late = late_dependencies(specs)
    assert late["04_reader_a"] == {"03_writer"} and late["05_reader_b"] == {"03_writer"}
    assert dependencies(specs)["04_reader_a"] == {"01_make", "03_writer"}

    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    report = result.report_dir
    slow, writer = _stamps(report, "slow"), _stamps(report, "writer")
    for name in ("a", "b"):
        reader = _stamps(report, name)
        assert reader["start"] < writer["start"]  # started before the notebook it reads late
        assert reader["late"] >= writer["end"]  # and read it only once the writer was done
    assert slow["end"] <= writer["start"]
    entries = {e["stem"]: e for e in result.notebooks}
    assert [e["stem"] for e in result.notebooks] == [s.stem for s in specs]  # report order
    assert entries["04_reader_a"]["waited_seconds"] >= 1.0  # the writer sleeps 1 s
    assert "waited_seconds" not in entries["03_writer"]


def test_one_job_runs_late_readers_in_notebook_order(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for stem, reads, late in (("01_writer", [], None), ("02_reader", ["t"], ["t"])):
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"',
            [f"name = {stem[3:]!r}", _STAMP, 'stamp("start")'],
            reads=reads,
            writes=["t", "capabilities"] if not reads else [],
            late_reads=late,
            late_body=['stamp("late")'] if late else (),
        )
    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=1)
    writer, reader = _stamps(result.report_dir, "writer"), _stamps(result.report_dir, "reader")
    assert reader["start"] > writer["start"]
    assert "waited_seconds" not in {k for e in result.notebooks for k in e}


def test_a_failed_writer_stops_the_late_readers_waiting_for_it(tmp_path):
    folder = _late_notebooks(tmp_path / "notebooks")
    with pytest.raises(RunError) as caught:
        run_workbook(
            _params(tmp_path, "writer:\n  fail: true\n"),
            notebooks_dir=folder,
            quiet=True,
            jobs=2,
        )
    assert "03_writer" in str(caught.value) and "fails on purpose" in str(caught.value)
    failed = next((tmp_path / "reports" / ".failed").glob("demo-*"))
    for name in ("a", "b"):  # they had started, and never ran their late cells
        assert set(_stamps(failed, name)) == {"start"}
        assert not (failed / "artifacts" / f"read_{name}.json").exists()


def _early_notebooks(folder: Path) -> Path:
    """03 saves ``early`` and then waits late for 02, which holds until 04 has started.

    04 reads only 03's early write: it can start only once 03 has reached its late cell
    (and given its core back), and 02 finishes only once 04 has started, so 04 starts
    before 03 is done. 05 reads 03's late write and waits for all of 03.
    """
    folder.mkdir()
    _write_make(folder)
    _write_slow(folder, ["early_reader"])
    write_notebook(
        folder / "03_writer.ipynb",
        'run_dir = "../runs/lab"\nfail = False',
        [
            'name = "writer"',
            _STAMP,
            'stamp("start")\nfrom marketing_utils.artifacts import Artifacts\n'
            'store = Artifacts(run_dir)\nstore.save("early", {"by": "writer"})\nstamp("early")',
        ],
        title="Writer",
        reads=["slow_table"],
        writes=["early", "late"],
        late_reads=["slow_table"],
        early_writes=["early"],
        late_body=[
            'assert store.load("slow_table") == {"n": 1}\n'
            "if fail:\n    raise ValueError('the writer fails on purpose')\n"
            'store.save("late", {"by": "writer"})\nstamp("end")'
        ],
    )
    for stem, name, reads in (("04_early_reader", "early_reader", "early"),
                              ("05_late_reader", "late_reader", "late")):  # fmt: skip
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"',
            [
                f"name = {name!r}",
                _STAMP,
                'stamp("start")\nfrom marketing_utils.artifacts import Artifacts\n'
                f'assert Artifacts(run_dir).load("{reads}") == {{"by": "writer"}}',
            ],
            title=name,
            reads=[reads],
            writes=[],
        )
    return folder


def test_readers_of_early_writes_start_when_the_writer_reaches_its_late_cells(tmp_path):
    folder = _early_notebooks(tmp_path / "notebooks")
    specs = discover_notebooks(folder)
    early = early_dependencies(specs)
    assert early["04_early_reader"] == {"03_writer"} and early["05_late_reader"] == set()
    assert dependencies(specs)["05_late_reader"] == {"01_make", "03_writer"}

    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    report = result.report_dir
    writer = _stamps(report, "writer")
    early_reader, late_reader = _stamps(report, "early_reader"), _stamps(report, "late_reader")
    assert writer["early"] <= early_reader["start"] < writer["end"]
    assert late_reader["start"] >= writer["end"]
    assert [e["stem"] for e in result.notebooks] == [s.stem for s in specs]  # report order
    entries = {e["stem"]: e for e in result.notebooks}
    assert entries["03_writer"]["waited_seconds"] > 0  # it waited for 02 before its late cell


def test_a_writer_failing_after_its_early_writes_fails_the_run_and_keeps_no_report(tmp_path):
    folder = _early_notebooks(tmp_path / "notebooks")
    with pytest.raises(RunError) as caught:
        run_workbook(
            _params(tmp_path, "writer:\n  fail: true\n"), notebooks_dir=folder, quiet=True, jobs=2
        )
    assert "03_writer" in str(caught.value) and "fails on purpose" in str(caught.value)
    assert not (tmp_path / "reports" / "demo").exists()  # nothing published
    failed = next((tmp_path / "reports" / ".failed").glob("demo-*"))
    assert "start" in _stamps(failed, "early_reader")  # it had started on the early write
    assert not (failed / "stamp_late_reader.json").exists()  # never started


def test_the_next_notebook_of_the_critical_chain_gets_a_warm_kernel_on_busy_cores(tmp_path):
    # 02 and 03 keep both cores busy; 04 follows 02 on the longest chain (01 → 02 → 04), so
    # its kernel is started while they run, not when 02 ends.
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _write_make(folder)
    for stem, reads, writes in (("02_long", [], ["long"]), ("03_side", [], ["side"]),
                                ("04_after", ["long"], [])):  # fmt: skip
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"',
            ["import time\ntime.sleep(6.0)" if stem != "04_after" else "x = 1"],
            reads=reads,
            writes=writes,
        )
    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    warm = {e["stem"]: e["warm_kernel"] for e in result.notebooks}
    assert warm["04_after"] is True
    assert warm["01_make"] is False  # the first notebook starts at once, on its own kernel
