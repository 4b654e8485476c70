"""Kernels forked from the fork server: the notebook runs as in a new process, only sooner;
anything the server cannot serve exactly as a new process would falls back to one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from marketing_utils.runner import kernels
from marketing_utils.runner.kernels import (
    FORK_SWITCH,
    KERNEL_LOG,
    ForkedKernel,
    ForkServer,
    fork_server,
    kernel_manager_class,
)
from marketing_utils.runner.run import _kernel_environment, run_workbook
from tests.unit.runner.conftest import write_notebook

pytestmark = [
    pytest.mark.filterwarnings("ignore"),
    pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here: kernels are new processes"),
]

_LAUNCHER = [sys.executable, "-m", "ipykernel_launcher"]

# What a notebook cell records about the process it runs in.
_PROBE = """import json, os, sys
import numpy as np
facts = {
    "pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
    "cwd": os.getcwd(), "marker": os.environ.get("FORK_TEST_MARKER"),
    "loaded_before_cell": loaded, "draw": float(np.random.random()),
}
Path = __import__("pathlib").Path
Path(run_dir, f"facts_{name}.json").write_text(json.dumps(facts))
"""


def _wait_loaded(server: ForkServer, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = server.status()
        assert status is not None, "the fork server stopped"
        if status["loading"] == 0:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


async def _start_and_run(socket_dir: Path, cwd: Path, code: str) -> tuple[object, list[dict]]:
    manager = kernel_manager_class(socket_dir)(kernel_name="python3")
    await manager.start_kernel(
        cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"]
    )
    client = manager.client()
    client.start_channels()
    outputs = []
    try:
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(code)
        while True:
            msg = await client.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append({"type": msg["msg_type"], **msg["content"]})
    finally:
        client.stop_channels()
    return manager, outputs


def _notebook_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir(parents=True)
    for stem, name in (("01_first", "first"), ("02_second", "second")):
        write_notebook(
            folder / f"{stem}.ipynb",
            'run_dir = "../runs/lab"',
            [
                # Is scikit-learn's ensemble there before this notebook imported anything?
                # Only in a fork of the server, which loaded what the notebooks import.
                "import sys\nloaded = 'sklearn.ensemble' in sys.modules",
                f"name = {name!r}\n" + _PROBE,
                "import sklearn.ensemble\nimport matplotlib.pyplot as plt\n"
                "plt.plot([1, 2, 3], [1, 4, 9]);",
            ],
            title=name,
            reads=[],
            writes=[f"{name}_table"],
        )
    return folder


def _params(tmp_path: Path) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        f"run_name: demo\noutput_dir: {tmp_path / 'reports'}\nseed: 7\n"
        "data:\n  source: synthetic\n  n_customers: 100\n",
        encoding="utf-8",
    )
    return path


def _run_facts(tmp_path: Path, monkeypatch, forks: str) -> tuple[dict, dict]:
    monkeypatch.setenv(FORK_SWITCH, forks)
    monkeypatch.setenv("FORK_TEST_MARKER", "kept")
    folder = _notebook_folder(tmp_path / forks)
    result = run_workbook(_params(tmp_path / forks), notebooks_dir=folder, quiet=True, jobs=1)
    report = result.report_dir
    facts = {n: json.loads((report / f"facts_{n}.json").read_text()) for n in ("first", "second")}
    figures = {}
    for stem in ("01_first", "02_second"):
        cells = json.loads((report / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
        figures[stem] = sum(
            "image/png" in output.get("data", {})
            for cell in cells
            for output in cell.get("outputs", [])
        )
    return facts, figures


def test_notebooks_run_in_forks_of_the_server_as_they_run_in_new_processes(tmp_path, monkeypatch):
    forked, forked_figures = _run_facts(tmp_path, monkeypatch, "1")
    new, new_figures = _run_facts(tmp_path, monkeypatch, "0")
    # New processes are the runner's children, each loading its libraries itself.
    assert [new[n]["ppid"] for n in ("first", "second")] == [os.getpid()] * 2
    assert [new[n]["loaded_before_cell"] for n in ("first", "second")] == [False, False]
    for facts in (forked, new):
        for fact in facts.values():
            # Its own process group (the terminal's Ctrl-C is the runner's to handle), the
            # notebooks' folder, the environment the runner gives its kernels.
            assert fact["pgid"] == fact["pid"]
            assert Path(fact["cwd"]).name == "notebooks"
            assert fact["marker"] == "kept"
    # Forks share the server's session (one scheduling group, in which the runner's
    # priorities count) and are its children, not the runner's.
    assert forked["first"]["sid"] == forked["second"]["sid"] != os.getsid(0)
    assert forked["first"]["ppid"] == forked["second"]["ppid"] != os.getpid()
    # A new process draws a new global NumPy seed; so does each fork.
    assert forked["first"]["draw"] != forked["second"]["draw"]
    # Inline figures reach the notebook, from a fork as from a new process.
    assert forked_figures == new_figures == {"01_first": 1, "02_second": 1}


def test_a_forked_kernel_has_the_notebooks_imports_loaded_and_reports_its_end(tmp_path):
    socket_dir = tmp_path / "sockets"
    socket_dir.mkdir()
    notebook = write_notebook(tmp_path / "n.ipynb", "x = 1", ["import sklearn.ensemble"])
    with _kernel_environment(), fork_server(tmp_path, [notebook]) as server:
        assert _wait_loaded(server)["tainted"] == []
        code = "import os, sys\nprint(os.getpid(), 'sklearn.ensemble' in sys.modules)"
        manager, outputs = asyncio.run(_start_and_run(socket_dir, tmp_path, code))
        process = manager.provisioner.process
        assert isinstance(process, ForkedKernel)
        # Loaded by the server from the notebook's imports, before the kernel's first cell.
        text = [o["text"] for o in outputs if o["type"] == "stream"]
        assert text == [f"{process.pid} True\n"]
        assert process.poll() is None
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
        asyncio.run(manager.cleanup_resources())
        # A second kernel, left running: closing the server stops it.
        manager, _ = asyncio.run(_start_and_run(socket_dir, tmp_path, "x = 1"))
        left = manager.provisioner.process.pid
    deadline = time.monotonic() + 30
    while True:
        try:
            os.kill(left, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the kernel outlived its server"
        time.sleep(0.1)
    # The kernels' diagnostics went to the run's log, not to the terminal.
    assert (socket_dir / KERNEL_LOG).exists()


def test_the_server_refuses_what_a_new_process_would_do_differently(tmp_path, monkeypatch):
    notebook = write_notebook(tmp_path / "n.ipynb", "x = 1", ["import tqdm.auto"])
    with _kernel_environment(), fork_server(tmp_path, [notebook]) as server:
        status = _wait_loaded(server)
        # tqdm.auto picks its progress bar by looking for IPython when imported: loaded in
        # the server, it would pick the wrong one in every fork. No more forks.
        assert "tqdm.auto" in status["tainted"]
        env = dict(os.environ)
        assert server.fork(_LAUNCHER + ["-f", "x.json"], env, tmp_path, tmp_path / "log") is None
    with _kernel_environment(), fork_server(tmp_path) as server:
        _wait_loaded(server)
        env = dict(os.environ)
        log = tmp_path / "log"
        # Another environment than the server's (a library may read it on import).
        assert server.fork(_LAUNCHER, {**env, "OMP_NUM_THREADS": "7"}, tmp_path, log) is None
        # Another launcher or interpreter.
        other = ["/usr/bin/python3", "-m", "ipykernel_launcher"]
        assert server.fork(other, env, tmp_path, log) is None
    # And the runner then starts the kernel as a new process.
    monkeypatch.setattr(kernels.ForkServer, "fork", lambda self, *a, **k: None)
    socket_dir = tmp_path / "sockets"
    socket_dir.mkdir()
    with _kernel_environment(), fork_server(tmp_path):
        manager, outputs = asyncio.run(_start_and_run(socket_dir, tmp_path, "print(6 * 7)"))
        assert not isinstance(manager.provisioner.process, ForkedKernel)
        assert [o["text"] for o in outputs if o["type"] == "stream"] == ["42\n"]
        asyncio.run(manager.shutdown_kernel())


def test_dependants_start_while_a_finished_notebook_kernel_shuts_down(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    stamp = (
        "import json, time\nfrom pathlib import Path\n"
        "def stamp(what):\n"
        "    path = Path(run_dir) / 'stamps.json'\n"
        "    times = json.loads(path.read_text()) if path.exists() else {}\n"
        "    times[what] = time.time()\n"
        "    path.write_text(json.dumps(times))\n"
    )
    write_notebook(
        folder / "01_slow_exit.ipynb",
        'run_dir = "../runs/lab"',
        [
            "from marketing_utils.artifacts import Artifacts",
            'Artifacts(run_dir).save("capabilities", ["customers", "transactions"])',
            # The kernel takes 2 s to exit after its last cell (as a kernel with fold workers).
            stamp + "import atexit\n"
            "atexit.register(lambda: (time.sleep(2), stamp('first exited')))\n"
            "stamp('first last cell')",
        ],
        reads=[],
        writes=["capabilities"],
    )
    write_notebook(
        folder / "02_after.ipynb",
        'run_dir = "../runs/lab"',
        [stamp + "stamp('second started')"],
        reads=["capabilities"],
        writes=[],
    )
    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=2)
    times = json.loads((result.report_dir / "stamps.json").read_text())
    # The dependant started once the first notebook's last cell had run, not after its exit;
    # the exit still ran its handlers in full.
    assert times["first last cell"] < times["second started"] < times["first exited"]
    assert [e["status"] for e in result.notebooks] == ["ran", "ran"]
