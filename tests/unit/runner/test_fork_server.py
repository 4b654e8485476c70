"""Kernels forked from the fork server: the notebook runs as in a new process, only sooner;
anything the server cannot serve exactly as a new process would falls back to one."""

from __future__ import annotations

import asyncio
import contextlib
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


def _ended(pid: int) -> bool:  # gone, or a zombie waiting for init to reap it
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


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
    code = (
        "import os, sys\nfrom ipykernel.kernelapp import IPKernelApp\nimport numpy as np\n"
        "print(os.getpid(), 'sklearn.ensemble' in sys.modules,"
        " IPKernelApp.instance().parent_handle == os.getppid(), np.random.random())"
    )
    with _kernel_environment(), fork_server(tmp_path, [notebook]) as server:
        assert _wait_loaded(server)["tainted"] == []
        draws = []
        for _ in range(2):
            manager, outputs = asyncio.run(_start_and_run(socket_dir, tmp_path, code))
            process = manager.provisioner.process
            assert isinstance(process, ForkedKernel)
            (text,) = [o["text"] for o in outputs if o["type"] == "stream"]
            pid, loaded, watches_parent, draw = text.split()
            # Loaded by the server from the notebook's imports, before the kernel's first
            # cell; the kernel watches the server, which ends with the runner.
            assert (int(pid), loaded, watches_parent) == (process.pid, "True", "True")
            draws.append(draw)
            asyncio.run(manager.shutdown_kernel())
        # Both forked after NumPy was loaded: each drew a new global seed, as a new process.
        assert draws[0] != draws[1]
        manager, _ = asyncio.run(_start_and_run(socket_dir, tmp_path, "x = 1"))
        process = manager.provisioner.process
        assert process.poll() is None
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
        asyncio.run(manager.cleanup_resources())
        # A second kernel, left running with a worker of its own (as loky's fold workers):
        # closing the server stops both, the worker with its kernel's process group.
        worker = "import subprocess, sys\np = subprocess.Popen(['sleep', '60'])\nprint(p.pid)"
        manager, outputs = asyncio.run(_start_and_run(socket_dir, tmp_path, worker))
        left = manager.provisioner.process.pid
        (worker_pid,) = [int(o["text"]) for o in outputs if o["type"] == "stream"]

    deadline = time.monotonic() + 30
    while not (_ended(left) and _ended(worker_pid)):
        assert time.monotonic() < deadline, "the kernel or its worker outlived the server"
        time.sleep(0.1)
    # Its log has no banner for a kernel started by hand (which one without a parent prints).
    assert "ipython kernel" not in (socket_dir / KERNEL_LOG).read_text()


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
        # The same server forks the same request with its own environment and launcher.
        control = server.fork(_LAUNCHER + ["-f", str(tmp_path / "none.json")], env, tmp_path, log)
        assert isinstance(control, ForkedKernel)
        control.kill()
        assert control.wait(timeout=30) == -signal.SIGKILL
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


@pytest.mark.parametrize("jobs", [2, 1])
def test_dependants_start_while_a_finished_notebook_kernel_shuts_down(tmp_path, jobs):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "01_slow_exit.ipynb",
        'run_dir = "../runs/lab"',
        [
            "from marketing_utils.artifacts import Artifacts",
            'Artifacts(run_dir).save("capabilities", ["customers", "transactions"])',
            # The kernel's exit waits (up to 2 s: jupyter_client SIGTERMs it at 2.5 s) for the next
            # notebook to start, and records whether it did: as a kernel with fold workers.
            "import atexit, time\nfrom pathlib import Path\n"
            "def _exit():\n"
            "    deadline = time.time() + 2\n"
            "    while not Path(run_dir, 'second.txt').exists() and time.time() < deadline:\n"
            "        time.sleep(0.05)\n"
            "    Path(run_dir, 'first_exit.txt').write_text(str(Path(run_dir, 'second.txt').exists()))\n"
            "atexit.register(_exit)",
        ],
        reads=[],
        writes=["capabilities"],
    )
    write_notebook(
        folder / "02_after.ipynb",
        'run_dir = "../runs/lab"',
        ["from pathlib import Path\nPath(run_dir, 'second.txt').write_text('started')"],
        reads=["capabilities"],
        writes=[],
    )
    result = run_workbook(_params(tmp_path), notebooks_dir=folder, quiet=True, jobs=jobs)
    saw_second = (result.report_dir / "first_exit.txt").read_text()
    # With two jobs the dependant started once the first notebook's last cell had run, while
    # its kernel was exiting (its exit ran in full); with one, notebooks run one at a time.
    assert saw_second == {2: "True", 1: "False"}[jobs]
    assert [e["status"] for e in result.notebooks] == ["ran", "ran"]


def test_a_start_that_waits_too_long_is_a_new_process_and_the_late_fork_never_happens(
    tmp_path, monkeypatch
):
    # The server loads one item at a time and answers in between: an import that takes 4 s
    # (a font cache built on a fresh machine) keeps a start waiting.
    (tmp_path / "slow_import.py").write_text("import time\ntime.sleep(4)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    notebook = write_notebook(tmp_path / "n.ipynb", "x = 1", ["import slow_import"])
    log = tmp_path / "log"
    with _kernel_environment(), fork_server(tmp_path, [notebook]) as server:
        server.fork_timeout = 1.0
        time.sleep(1.5)  # the server is in the sleep now
        tic = time.monotonic()
        assert server.fork(_LAUNCHER + ["-f", "x.json"], dict(os.environ), tmp_path, log) is None
        assert time.monotonic() - tic < 3
        server.fork_timeout = 30.0
        _wait_loaded(server)
        # The late request was refused (past its deadline): the server has no child.
        children = Path(f"/proc/{server._process.pid}/task/{server._process.pid}/children")
        assert children.read_text().split() == []
        # And the run forks no more: a stuck server would keep every start waiting.
        assert server.fork(_LAUNCHER + ["-f", "x.json"], dict(os.environ), tmp_path, log) is None


# Children a notebook leaves: one that has ended (a zombie until the kernel collects it), the
# workers and resource trackers of a parallel fit, and a subprocess that still runs.
_CHILDREN = """import subprocess, time, psutil
from joblib import Parallel, delayed
ended = subprocess.Popen(['true'])
Parallel(n_jobs=2)(delayed(abs)(i) for i in range(10))
running = subprocess.Popen(['sleep', '60'])
time.sleep(0.3)
print(*[child.pid for child in psutil.Process().children(recursive=True)])
"""


@pytest.mark.parametrize("forks", ["on", "off"])
def test_a_kernel_with_children_ends_by_itself_and_takes_its_children_along(tmp_path, forks):
    # ipykernel waited at shutdown for children it cannot end (zombies, resource trackers
    # that ignore SIGTERM) until jupyter_client terminated it: exit -15 after 2.5 s.
    socket_dir = tmp_path / "sockets"
    socket_dir.mkdir()
    notebook = write_notebook(tmp_path / "n.ipynb", "x = 1", ["import joblib"])
    with contextlib.ExitStack() as stack:
        stack.enter_context(_kernel_environment())
        if forks == "on":
            assert _wait_loaded(stack.enter_context(fork_server(tmp_path, [notebook])))
        manager, outputs = asyncio.run(_start_and_run(socket_dir, tmp_path, _CHILDREN))
        process = manager.provisioner.process
        assert isinstance(process, ForkedKernel) == (forks == "on")
        (text,) = [o["text"] for o in outputs if o["type"] == "stream"]
        children = [int(pid) for pid in text.split()]
        assert len(children) >= 5, text  # 2 workers, 2 trackers, the sleeper (and the zombie)
        asyncio.run(manager.shutdown_kernel())
        assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 30
    while not all(_ended(pid) for pid in children):
        assert time.monotonic() < deadline, [p for p in children if not _ended(p)]
        time.sleep(0.1)
