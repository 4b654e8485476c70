"""Kernels started ahead of their notebook: modules loaded, namespace and counts untouched."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from marketing_utils.errors import RunError
from marketing_utils.params.notebooks import NotebookSpec
from marketing_utils.runner.kernels import KernelPool, WarmKernel, kill_kernels, warm_up_code
from marketing_utils.runner.run import _execute, run_workbook
from tests.unit.runner.conftest import write_notebook

pytestmark = pytest.mark.filterwarnings("ignore")

# A module that records each time it is imported, in the file next to it.
_PROBE = """from pathlib import Path
_log = Path(__file__).with_name("imports.log")
_log.write_text(_log.read_text() + "imported\\n" if _log.exists() else "imported\\n")
VALUE = 41


def __getattr__(name):  # loaded on first use, as marketing_utils loads its stages
    if name != "LATE":
        raise AttributeError(name)
    _log.write_text(_log.read_text() + "late\\n")
    globals()["LATE"] = 1
    return 1
"""


def _probe_notebook(folder: Path) -> Path:
    folder.mkdir()
    (folder / "warm_probe.py").write_text(_PROBE)
    return write_notebook(
        folder / "01_probe.ipynb",
        "answer = 1",
        [
            'assert "warm_probe" not in globals() and "_workbook_warm_up" not in globals()\n'
            "import warm_probe",
            "print(warm_probe.VALUE + answer * warm_probe.LATE)",
        ],
    )


def test_warm_up_code_collects_each_import_once_and_skips_what_cannot_run_in_a_function(
    tmp_path,
):
    notebook = write_notebook(
        tmp_path / "n.ipynb",
        "x = 1",
        [
            "from __future__ import annotations\n%load_ext autoreload\nimport os, sys",
            "from math import *\nimport os, sys\nfrom pathlib import Path as P",
            "def f(:\n    import broken_syntax",
        ],
    )
    code = warm_up_code(notebook)
    assert [line.strip() for line in code.splitlines() if "import" in line] == [
        "import os, sys",
        "from pathlib import Path as P",
    ]
    namespace: dict = {}
    exec(code, namespace)
    assert set(namespace) == {"__builtins__"}  # no name left behind
    assert warm_up_code(write_notebook(tmp_path / "m.ipynb", "x = 1", ["y = 2"])) == ""


def test_a_warm_kernel_has_the_modules_loaded_and_the_notebook_runs_as_on_a_cold_one(tmp_path):
    notebook = _probe_notebook(tmp_path / "notebooks")
    spec = NotebookSpec(notebook, notebook.stem, "probe")
    kernel = WarmKernel(notebook).start()
    # The warm-up imported the module once, in the kernel (the notebook's folder is its
    # cwd), and loaded the attribute the notebook reads.
    assert (tmp_path / "notebooks" / "imports.log").read_text() == "imported\nlate\n"
    output = tmp_path / "out.ipynb"
    _execute(spec, output, {"answer": 1}, False, kernel)
    cells = [c for c in json.loads(output.read_text())["cells"] if c["cell_type"] == "code"]
    # Counts from 1 as on a cold kernel (the warm-up stores no history); the first
    # cell's assertion held: the warm-up defined no name.
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4]
    assert "".join(cells[-1]["outputs"][0]["text"]) == "42\n"
    # The notebook's import found the module loaded: still one import, one late load.
    assert (tmp_path / "notebooks" / "imports.log").read_text() == "imported\nlate\n"
    assert not kernel.manager.has_kernel and not kernel.socket_dir.exists()


def test_a_failing_import_is_reported_by_the_notebook_not_by_the_warm_up(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder / "01_make.ipynb", 'run_dir = "../runs/lab"', ["x = 1"], writes=["a"])
    write_notebook(
        folder / "02_broken.ipynb",
        'run_dir = "../runs/lab"',
        ["import module_that_is_not_there"],
        reads=[],
        writes=["b"],
    )
    params = tmp_path / "run.yaml"
    params.write_text(
        f"run_name: demo\noutput_dir: {tmp_path / 'reports'}\nseed: 7\n"
        "data:\n  source: synthetic\n  n_customers: 100\n"
    )
    with pytest.raises(RunError, match="02_broken failed in cell 3.*ModuleNotFoundError"):
        run_workbook(params, notebooks_dir=folder, quiet=True, jobs=2)


def test_an_interrupted_run_does_not_wait_for_a_warm_up(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "slow_module.py").write_text("import time\ntime.sleep(60)\n")
    notebook = write_notebook(folder / "01_slow.ipynb", "x = 1", ["import slow_module"])
    pool = KernelPool(1)
    pool.warm("01_slow", notebook)
    deadline = time.monotonic() + 60
    while not (folder / "slow_module.py").exists() or pool.starting() == 0:
        assert time.monotonic() < deadline
    time.sleep(3)  # the kernel is importing the slow module
    tic = time.monotonic()
    kill_kernels()
    pool.close()
    # Ends well before the 60 s import would have (the warm-up checks the kernel each second).
    assert time.monotonic() - tic < 30
    assert pool.waiting() == 0


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no Unix process priorities here")
def test_lower_priority_raises_the_nice_value_of_a_running_process_only():
    import subprocess
    import sys

    from marketing_utils.runner.kernels import lower_priority

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        before = os.getpriority(os.PRIO_PROCESS, child.pid)
        lower_priority(child, 10)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, before + 10)
        lower_priority(child, 0)  # never raises a priority back
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, before + 10)
    finally:
        child.kill()
        child.wait()
    lower_priority(child, 10)  # an ended process: nothing happens, nothing fails
    lower_priority(None, 10)


def _notebook_with_warm_up_cell(
    path: Path, parameters: str, imports: str, warm_up: str, *after: str
) -> Path:
    """A notebook in a new folder: parameters, imports, the ``warm-up`` cell, ``after`` cells."""
    path.parent.mkdir()
    notebook = write_notebook(path, parameters, [imports, warm_up, *after])
    return _tag_warm_up(notebook, warm_up)


def _tag_warm_up(notebook: Path, cell_source_start: str) -> Path:
    content = json.loads(notebook.read_text())
    for cell in content["cells"]:
        if "".join(cell["source"]).startswith(cell_source_start):
            cell["metadata"]["tags"] = ["warm-up"]
    notebook.write_text(json.dumps(content))
    return notebook


def test_warm_up_cells_run_with_the_injected_parameters_and_leave_no_name(tmp_path):
    marker = tmp_path / "warm.txt"
    notebook = _tag_warm_up(
        write_notebook(
            tmp_path / "n.ipynb",
            'jobs = 1\nlabel = "lab"\nmarker = "nowhere"\nfrom math import *',
            [
                "from pathlib import Path",
                "global leaked\nleaked = floor(2.5)\n"
                "Path(marker).write_text(f'{label}:{jobs}:{leaked}' + '''\n    as written''')",
                "Path(marker).write_text('not a warm-up cell')",
            ],
        ),
        "global leaked",
    )
    # Without parameters (the fork server's warm-up): modules only.
    exec(warm_up_code(notebook), {})
    assert not marker.exists()
    namespace: dict = {}
    exec(warm_up_code(notebook, {"jobs": 3, "marker": str(marker)}), namespace)
    # The defaults of the parameters cell, then the injected values, then the tagged cell,
    # whose text runs unchanged (the string keeps its indentation).
    assert marker.read_text() == "lab:3:2\n    as written"
    assert set(namespace) == {"__builtins__"}  # not even the cell's global


@pytest.mark.parametrize(
    "cell",
    [
        "%time x = 1",  # a magic
        "x = (7\n % 4)",  # a continuation line IPython would read as a magic
        "!ls",
        "await something()",  # valid in a notebook, not in the warm-up's code
        "def f(:\n    pass",
    ],
)
def test_warm_up_cells_that_are_not_plain_python_are_left_to_the_notebook(tmp_path, cell):
    notebook = _tag_warm_up(
        write_notebook(tmp_path / "n.ipynb", "x = 1", ["import json", cell]), cell[:4]
    )
    code = warm_up_code(notebook, {"x": 2})
    assert "import json" in code and "exec(" not in code
    exec(code, {})


def test_a_warm_up_cell_that_fails_leaves_the_imports_alone(tmp_path):
    failing = _tag_warm_up(
        write_notebook(tmp_path / "f.ipynb", "x = 1", ["import json", "json.loads('{')"]),
        "json.loads",
    )
    code = warm_up_code(failing, {"x": 2})
    assert "exec(" in code
    namespace: dict = {}
    exec(code, namespace)  # the error is the notebook's to report
    assert set(namespace) == {"__builtins__"}


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_killing_the_kernels_ends_the_workers_they_started(tmp_path):
    # A warm-up cell starts a worker process, as 03's starts its fold workers.
    notebook = _notebook_with_warm_up_cell(
        tmp_path / "notebooks" / "01_workers.ipynb",
        "x = 1",
        "import subprocess\nimport sys",
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "open('worker.pid', 'w').write(str(worker.pid))",
    )
    folder = notebook.parent
    pool = KernelPool(1)
    pool.warm("01_workers", notebook, parameters={"x": 1})
    deadline = time.monotonic() + 60
    while not (folder / "worker.pid").exists() or not (folder / "worker.pid").read_text():
        assert time.monotonic() < deadline, "the warm-up did not start its worker"
        time.sleep(0.1)
    worker = int((folder / "worker.pid").read_text())
    assert _alive(worker)
    kill_kernels()
    # Checked before the pool's close, whose graceful shutdown of a kernel may reach its group
    # too: an interrupted run kills the kernels first, and loky's workers outlived that.
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _alive(worker)
    if alive:
        os.kill(worker, 9)
    pool.close()
    assert not alive, "the kernel's worker outlived it"


def test_a_warm_kernel_runs_the_warm_up_cells_before_the_notebook_and_counts_stay_cold(tmp_path):
    notebook = _notebook_with_warm_up_cell(
        tmp_path / "notebooks" / "01_warm.ipynb",
        "answer = 0",
        "import os\nfrom pathlib import Path",
        "Path('warm.log').open('a').write(f'{answer} {os.getpid()}\\n')",
        "print(answer)",
    )
    folder = notebook.parent
    spec = NotebookSpec(notebook, notebook.stem, "warm")
    kernel = WarmKernel(notebook, parameters={"answer": 42}).start()
    # Ran in the kernel (the notebook's folder is its cwd), with the injected value.
    (ahead,) = (folder / "warm.log").read_text().splitlines()
    assert ahead.split()[0] == "42" and int(ahead.split()[1]) != os.getpid()
    output = tmp_path / "out.ipynb"
    _execute(spec, output, {"answer": 42}, False, kernel)
    cells = [c for c in json.loads(output.read_text())["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4, 5]
    # The notebook ran the cell again in the same kernel, as its own cells ask.
    again = (folder / "warm.log").read_text().splitlines()
    assert again == [ahead, ahead]
    assert "".join(cells[-1]["outputs"][0]["text"]) == "42\n"
