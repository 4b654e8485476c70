"""benchmarks/run_all.py is a tool: help, a list, a selection by name and quick sizes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


def _module():
    spec = importlib.util.spec_from_file_location("run_all", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN_ALL), *args], capture_output=True, text=True, timeout=60
    )


def test_help_prints_usage_and_runs_no_benchmark():
    started = time.perf_counter()
    done = _run("--help")
    assert done.returncode == 0
    assert "usage: run_all.py" in done.stdout
    assert "--quick" in done.stdout
    assert "## bench_" not in done.stdout  # no benchmark was started
    assert time.perf_counter() - started < 30


def test_list_names_every_benchmark_with_its_quick_sizes():
    done = _run("--list")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    scripts = sorted(p.stem.removeprefix("bench_") for p in RUN_ALL.parent.glob("bench_*.py"))
    assert names == scripts
    assert "features     bench_features.py      --quick: --rows 100000 1000000" in done.stdout


def test_an_unknown_name_is_refused_with_the_choices():
    done = _run("feature")
    assert done.returncode == 2
    assert "unknown benchmark(s) feature" in done.stderr
    assert "expected one of" in done.stderr and "features" in done.stderr


def test_every_benchmark_declares_quick_sizes():
    module = _module()
    for name, script in module.available_benchmarks().items():
        assert module.quick_args(script) is not None, name


def test_quick_args_is_read_without_importing_the_script(tmp_path):
    script = tmp_path / "bench_demo.py"
    script.write_text('raise SystemExit("imported")\nQUICK_ARGS = ["--rows", "10"]\n')
    assert _module().quick_args(script) == ["--rows", "10"]
    (tmp_path / "bench_none.py").write_text("X = 1\n")
    assert _module().quick_args(tmp_path / "bench_none.py") is None
    (tmp_path / "bench_bad.py").write_text("QUICK_ARGS = [10]\n")
    with pytest.raises(ValueError, match="bench_bad.py: QUICK_ARGS must be a list of strings"):
        _module().quick_args(tmp_path / "bench_bad.py")


def test_quick_selection_runs_only_the_named_benchmark_with_its_sizes(tmp_path, monkeypatch):
    module = _module()
    (tmp_path / "bench_alpha.py").write_text(
        "import sys\nQUICK_ARGS = ['--n', '3']\nprint('alpha', sys.argv[1:])\n"
    )
    (tmp_path / "bench_beta.py").write_text("print('beta ran')\n")
    monkeypatch.setattr(module, "HERE", tmp_path)
    calls = []
    monkeypatch.setattr(
        module.subprocess,
        "run",
        lambda cmd, check: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0),
    )
    assert module.main(["--quick"]) == 0
    assert [c[1:] for c in calls] == [[str(tmp_path / "bench_alpha.py"), "--n", "3"]]
    calls.clear()
    assert module.main(["beta", "--", "--x", "1"]) == 0
    assert [c[1:] for c in calls] == [[str(tmp_path / "bench_beta.py"), "--x", "1"]]


def test_every_result_records_a_speed_probe_beside_the_load(monkeypatch):
    monkeypatch.syspath_prepend(str(RUN_ALL.parent))
    import _data

    # A fake clock read twice per timed run: the loop's runs last 3, 1, 2 s, the sort's 2, 4, 5 s.
    durations = iter([3, 1, 2, 2, 4, 5])
    readings = []

    def fake_perf_counter():
        now = readings[-1] if readings else 0.0
        if len(readings) % 2:  # an end reading
            now += next(durations)
        readings.append(now)
        return now

    monkeypatch.setattr(_data.time, "perf_counter", fake_perf_counter)
    probe = _data.speed_probe(repeat=3)
    assert probe == {"python_loop_2e6_seconds": 1, "numpy_sort_2e6_seconds": 2}  # the best runs
    assert _data.describe_probe(probe) == (
        "speed probe: Python loop 1.000 s, NumPy sort 2.000 s (lower is faster)"
    )
    monkeypatch.undo()
    monkeypatch.syspath_prepend(str(RUN_ALL.parent))
    info = _data.machine_info()
    assert set(info) >= {"cpus", "load_average_at_start", "speed_probe"}
    assert all(0 < seconds < 60 for seconds in info["speed_probe"].values())
