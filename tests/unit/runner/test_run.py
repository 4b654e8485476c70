"""The report runner on fixture notebooks: injection, skipping, failures, safety."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from marketing_utils.errors import RunError
from marketing_utils.runner.run import run_workbook
from marketing_utils.runner.safety import RunLock

pytestmark = pytest.mark.filterwarnings("ignore")


def _params(tmp_path: Path, extra: str = "", run_name: str = "demo") -> str:
    return (
        f"run_name: {run_name}\noutput_dir: {tmp_path / 'reports'}\nseed: 7\n"
        f"data:\n  source: synthetic\n  n_customers: 100\n{extra}"
    )


def _run_with_notebook(tmp_path, folder, params_file, stem: str, source: str) -> Path:
    """Add notebook ``stem`` (one code cell) to the fixture notebooks, run them; the report."""
    from .conftest import write_notebook

    write_notebook(folder / f"{stem}.ipynb", 'run_dir = "../runs/lab"', [source], title=stem)
    run_workbook(params_file(_params(tmp_path)), notebooks_dir=folder, quiet=True)
    return tmp_path / "reports" / "demo"


def test_run_injects_sections_and_writes_report(tmp_path, fixture_notebooks, params_file):
    path = params_file(_params(tmp_path, "make:\n  value: 21\n  label: hello\n"))
    result = run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True)

    report = tmp_path / "reports" / "demo"
    assert result.report_dir == report
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["make"] == {"doubled": 42, "seed": 7, "label": "hello", "source": "synthetic"}
    assert metrics["maybe_fail"] == {"ok": True}
    statuses = {e["stem"]: e["status"] for e in result.notebooks}
    assert statuses == {"01_make": "ran", "02_uplift_like": "skipped", "03_maybe_fail": "ran"}
    for stem in ("01_make", "03_maybe_fail"):
        assert (report / "notebooks" / f"{stem}.ipynb").is_file()
        assert (report / "html" / f"{stem}.html").stat().st_size > 1000
    assert not (report / "html" / "02_uplift_like.html").exists()


def test_skip_reason_and_manifest(tmp_path, fixture_notebooks, params_file):
    run_workbook(params_file(_params(tmp_path)), notebooks_dir=fixture_notebooks, quiet=True)
    report = tmp_path / "reports" / "demo"
    manifest = json.loads((report / "manifest.json").read_text())
    skipped = next(e for e in manifest["notebooks"] if e["stem"] == "02_uplift_like")
    assert "treatment flag" in skipped["reason"]
    assert "customers, transactions" in skipped["reason"]
    assert manifest["params"]["seed"] == 7
    assert manifest["versions"]["pandas"]
    ran = [e for e in manifest["notebooks"] if e["status"] == "ran"]
    assert all(e["seconds"] > 0 for e in ran)
    index = (report / "index.html").read_text()
    assert "treatment flag" in index and "html/01_make.html" in index
    assert "make.doubled" not in index and "<td>doubled</td><td>6</td>" in index


def test_hostile_output_is_escaped_in_html(tmp_path, fixture_notebooks, params_file):
    run_workbook(params_file(_params(tmp_path)), notebooks_dir=fixture_notebooks, quiet=True)
    page = (tmp_path / "reports" / "demo" / "html" / "01_make.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hide_code(tmp_path, fixture_notebooks, params_file):
    path = params_file(_params(tmp_path))
    run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True, hide_code=True)
    page = (tmp_path / "reports" / "demo" / "html" / "01_make.html").read_text()
    assert "record_metrics" not in page
    run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True, hide_code=False)
    page = (tmp_path / "reports" / "demo" / "html" / "01_make.html").read_text()
    assert "record_metrics" in page


def test_failure_keeps_previous_report_and_partial_notebook(
    tmp_path, fixture_notebooks, params_file
):
    good = params_file(_params(tmp_path, "make:\n  value: 1\n"), "good.yaml")
    run_workbook(good, notebooks_dir=fixture_notebooks, quiet=True)
    report = tmp_path / "reports" / "demo"
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}

    bad = params_file(
        _params(tmp_path, "make:\n  value: 5\nmaybe_fail:\n  fail: true\n"), "bad.yaml"
    )
    with pytest.raises(RunError) as info:
        run_workbook(bad, notebooks_dir=fixture_notebooks, quiet=True)
    message = str(info.value)
    assert "03_maybe_fail" in message and "ValueError: boom on purpose" in message
    assert "failed in cell 5 (starting 'if fail:')" in message

    after = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert after == before
    failed = list((tmp_path / "reports" / ".failed").glob("demo-*/notebooks/03_maybe_fail.ipynb"))
    assert len(failed) == 1
    assert "boom on purpose" in failed[0].read_text()
    assert not list((tmp_path / "reports").glob(".tmp-*"))


def test_only_reuses_previous_artifacts(tmp_path, fixture_notebooks, params_file):
    path = params_file(_params(tmp_path, "make:\n  value: 4\n"))
    run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True)
    path = params_file(_params(tmp_path, "make:\n  value: 100\n"))
    result = run_workbook(path, notebooks_dir=fixture_notebooks, only=["maybe_fail"], quiet=True)
    assert result.metrics["make"]["doubled"] == 8  # 01 was not rerun
    assert [e["stem"] for e in result.notebooks] == ["01_make", "02_uplift_like", "03_maybe_fail"]
    with pytest.raises(RunError, match="unknown notebook 'nope'"):
        run_workbook(path, notebooks_dir=fixture_notebooks, only=["nope"], quiet=True)


def test_same_run_name_is_locked(tmp_path, fixture_notebooks, params_file):
    path = params_file(_params(tmp_path))
    with (
        RunLock(tmp_path / "reports", "demo"),
        pytest.raises(RunError, match="another run named 'demo' is in progress"),
    ):
        run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True)
    assert not (tmp_path / "reports" / "demo").exists()


def test_stale_lock_of_dead_process_is_taken_over(tmp_path, fixture_notebooks, params_file):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock = tmp_path / "reports" / ".demo.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": int(dead.stdout), "started": "earlier"}))
    run_workbook(params_file(_params(tmp_path)), notebooks_dir=fixture_notebooks, quiet=True)
    assert (tmp_path / "reports" / "demo" / "index.html").is_file()
    assert not lock.exists()


def _cli_run(path, notebooks) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "marketing_utils", "run", str(path)]
    command += ["--notebooks", str(notebooks), "--quiet"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_cli_run_prints_index_path(tmp_path, fixture_notebooks, params_file):
    out = _cli_run(params_file(_params(tmp_path)), fixture_notebooks)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "reports" / "demo" / "index.html")


def test_cli_failure_exit_code_and_message(tmp_path, fixture_notebooks, params_file):
    out = _cli_run(params_file(_params(tmp_path, "maybe_fail:\n  fail: true\n")), fixture_notebooks)
    assert out.returncode == 1
    assert "03_maybe_fail" in out.stderr and "boom on purpose" in out.stderr


def test_kernels_start_quietly_and_notebook_warnings_still_reach_the_report(
    tmp_path, fixture_notebooks, params_file, capfd
):
    _run_with_notebook(
        tmp_path, fixture_notebooks, params_file, "04_warns",
        'import warnings\nwarnings.warn("stock levels look odd", UserWarning)',
    )  # fmt: skip
    printed = capfd.readouterr().err
    assert "without encryption" not in printed
    assert "WARNING" not in printed
    executed = json.loads(
        (tmp_path / "reports" / "demo" / "notebooks" / "04_warns.ipynb").read_text()
    )
    streams = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"
    ]
    assert any("stock levels look odd" in "".join(o["text"]) for o in streams)


def test_kernel_process_diagnostics_stay_out_of_the_terminal(
    tmp_path, fixture_notebooks, params_file, capfd
):
    """What a kernel writes to its own process stderr (ipykernel's tornado logger at shutdown,
    C libraries) is not the notebook's output: it must not reach the user's terminal."""
    _run_with_notebook(
        tmp_path, fixture_notebooks, params_file, "04_noisy_kernel",
        'import os\nos.write(2, b"ERROR:tornado.general:Uncaught exception in callback\\n")',
    )  # fmt: skip
    assert "tornado" not in capfd.readouterr().err


def test_a_killed_kernel_is_a_clear_error_with_its_last_words(
    tmp_path, fixture_notebooks, params_file
):
    from .conftest import write_notebook

    write_notebook(
        fixture_notebooks / "04_dies.ipynb",
        'run_dir = "../runs/lab"',
        [
            'import os, signal\nos.write(2, b"last words before dying\\n")\n'
            "os.kill(os.getpid(), signal.SIGKILL)"
        ],
        title="Dies",
    )
    with pytest.raises(RunError, match=r"04_dies: the kernel died") as caught:
        run_workbook(params_file(_params(tmp_path)), notebooks_dir=fixture_notebooks, quiet=True)
    assert "last words before dying" in str(caught.value)
    assert not (tmp_path / "reports" / "demo").exists()


def test_each_notebook_records_its_peak_memory(tmp_path, fixture_notebooks, params_file):
    # Bytes filled in (every page resident), held for a few of the sampler's intervals.
    report = _run_with_notebook(
        tmp_path, fixture_notebooks, params_file, "04_heavy",
        'block = b"x" * (300 * 2**20)\nimport time\ntime.sleep(1.0)\ndel block',
    )  # fmt: skip
    entries = {
        e["stem"]: e for e in json.loads((report / "manifest.json").read_text())["notebooks"]
    }
    light, heavy = entries["03_maybe_fail"]["peak_memory_mb"], entries["04_heavy"]["peak_memory_mb"]
    assert light > 20  # a Python kernel's own size, at least
    assert heavy - light >= 290  # the 300 MB block, not rounded away
    assert "peak_memory_mb" not in entries["02_uplift_like"]  # skipped: no kernel
    index = (report / "index.html").read_text()
    assert index.count("peak memory") == 3  # on each notebook that ran


def test_only_marks_the_notebooks_left_with_the_previous_inputs(
    tmp_path, fixture_notebooks, params_file, capfd
):
    path = params_file(_params(tmp_path, "make:\n  value: 4\n"))
    first = run_workbook(path, notebooks_dir=fixture_notebooks, quiet=True)
    finished = json.loads((first.report_dir / "manifest.json").read_text())["finished"]
    capfd.readouterr()
    # 03_maybe_fail reads what 01_make writes (it declares no reads, so it reads everything).
    run_workbook(path, notebooks_dir=fixture_notebooks, only=["make"], quiet=True)
    warning = capfd.readouterr().err
    assert "warning: 02_uplift_like, 03_maybe_fail read what this run rewrites" in warning
    assert "--with-dependants" in warning
    entries = {
        e["stem"]: e
        for e in json.loads((first.report_dir / "manifest.json").read_text())["notebooks"]
    }
    assert entries["03_maybe_fail"]["stale_inputs"] == ["01_make"]
    assert entries["03_maybe_fail"]["kept_from"] == finished
    assert "kept_from" not in entries["01_make"] and "stale_inputs" not in entries["01_make"]
    index = (first.report_dir / "index.html").read_text()
    assert index.count('<span class="stale">stale</span>: reads what 01_make wrote') == 1
    # Rerunning 01 again with its dependants: nothing stale, nothing kept.
    result = run_workbook(
        path, notebooks_dir=fixture_notebooks, only=["make"], quiet=True, with_dependants=True
    )
    assert "warning" not in capfd.readouterr().err
    ran = {e["stem"]: e for e in result.notebooks}
    assert "stale_inputs" not in ran["03_maybe_fail"] and "kept_from" not in ran["03_maybe_fail"]
    assert "stale" not in (result.report_dir / "index.html").read_text().replace(".stale", "")


def test_select_notebooks_with_and_without_dependants():
    from marketing_utils.params.notebooks import NotebookSpec
    from marketing_utils.runner.run import select_notebooks, stale_dependants

    def nb(stem, reads, writes):
        return NotebookSpec(Path(stem), stem, stem[3:], reads=reads, writes=writes)

    specs = [nb("01_a", [], ["capabilities", "t"]), nb("02_b", ["t"], ["s"]),
             nb("03_c", ["t"], ["u"]), nb("04_d", ["s"], ["v"]), nb("05_e", ["v"], [])]  # fmt: skip
    stems = lambda chosen: [s.stem for s in chosen]  # noqa: E731
    assert stems(select_notebooks(specs, ["02_b"])) == ["02_b"]
    assert stems(select_notebooks(specs, ["b"], with_dependants=True)) == ["02_b", "04_d", "05_e"]
    assert stems(select_notebooks(specs, ["03_c"], with_dependants=True)) == ["03_c"]
    assert stale_dependants(specs, select_notebooks(specs, ["02_b"])) == {
        "04_d": ["02_b"], "05_e": ["02_b"]
    }  # fmt: skip
    assert stale_dependants(specs, [specs[0], specs[3]]) == {
        "02_b": ["01_a"], "03_c": ["01_a"], "05_e": ["01_a", "04_d"]
    }  # fmt: skip
    assert stale_dependants(specs, specs) == {}


def test_the_manifest_fingerprints_the_inputs_before_the_run_and_names_a_change(
    tmp_path, fixture_notebooks, params_file, capfd
):
    from .conftest import write_notebook

    export = tmp_path / "export"
    export.mkdir()
    first = export / "part1.csv"
    first.write_text("customer_id,timestamp,amount\nA,2024-01-01,1\n")
    original = hashlib.sha256(first.read_bytes()).hexdigest()
    # A notebook that changes the export while the report runs (another process would).
    write_notebook(
        fixture_notebooks / "04_meddles.ipynb",
        'run_dir = "../runs/lab"',
        [f"from pathlib import Path\nPath({str(first)!r}).write_text('changed')\n"
         f"Path({str(export / 'part2.csv')!r}).write_text('new')"],
        title="Meddles",
    )  # fmt: skip
    text = (
        f"run_name: demo\noutput_dir: {tmp_path / 'reports'}\nseed: 7\ndata:\n  source: files\n"
        f"  transactions:\n    path: {export}/*.csv\n"
    )
    run_workbook(params_file(text), notebooks_dir=fixture_notebooks, quiet=True)
    manifest = json.loads((tmp_path / "reports" / "demo" / "manifest.json").read_text())
    assert manifest["inputs"] == {str(first): {"sha256": original, "bytes": 44}}
    changed = [str(first), str(export / "part2.csv")]
    assert manifest["inputs_changed_during_run"] == changed
    assert f"warning: input files changed while the report ran: {', '.join(changed)}" in (
        capfd.readouterr().err
    )


def test_a_rerun_notebook_records_its_metrics_afresh(tmp_path, fixture_notebooks, params_file):
    report = _run_with_notebook(
        tmp_path, fixture_notebooks, params_file, "04_flags",
        "from marketing_utils.artifacts import Artifacts\nimport os\n"
        'key = "before" if not os.environ.get("WORKBOOK_TEST_AFTER") else "after"\n'
        'Artifacts(run_dir).record_metrics("flags", {key: 1})\n'
        # A second section (10 writes "readout" beside "campaign_readout"), with fewer keys after.
        'Artifacts(run_dir).record_metrics("flags_detail", {"x": 1, **({"y": 2} if key == "before" else {})})',
    )  # fmt: skip
    before = json.loads((report / "metrics.json").read_text())
    assert before["flags"] == {"before": 1} and before["flags_detail"] == {"x": 1, "y": 2}
    import os

    os.environ["WORKBOOK_TEST_AFTER"] = "1"
    try:
        run_workbook(
            params_file(_params(tmp_path)), notebooks_dir=fixture_notebooks, only=["04_flags"],
            quiet=True,
        )  # fmt: skip
    finally:
        del os.environ["WORKBOOK_TEST_AFTER"]
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["flags"] == {"after": 1}  # not {"before": 1, "after": 1}
    assert metrics["flags_detail"] == {"x": 1}  # its second section afresh too
    assert metrics["make"]["doubled"] == 6  # the stages not rerun keep theirs
    assert not (report / ".previous-metrics").exists()
