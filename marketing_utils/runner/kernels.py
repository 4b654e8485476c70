"""The runner's kernels: quiet local transport, and kernels started ahead of their notebook.

A notebook's run starts with a fixed cost before its first line of work: a
Python kernel process starts (about 1.3 s) and the notebook's imports load
pandas, scikit-learn, matplotlib, statsmodels and the stage's modules (3.6 to
5.7 s on the reference 2-core machine). Paid by every notebook on the critical
path (01 → 02 → 03 → 04 → 06 by default), it is a fifth of the default report.

A report run with ``--jobs 2`` or more often has a core with nothing to run:
one long notebook runs while everything else waits for it. The runner uses
that core to start the kernels of the notebooks that will be ready next
(:class:`KernelPool`), and to run their import statements in the kernel
(:func:`warm_up_code`) so that the notebook finds its modules loaded. The
imports run inside a function, so the notebook starts with an empty namespace
and its own cells define every name; the warm-up is silent and stores no
history, so execution counts and outputs are those of a cold start. A
notebook may also hand the warm-up work of its own: the cells it tags
``warm-up`` (:data:`WARM_UP_TAG`) run there too, with the notebook's
parameters, in a namespace of their own (03 starts its fold workers, whose
imports take a second and a half, while 01 still runs). The notebook runs
those cells again in its turn, so they must be cheap the second time.

On Linux each kernel is a fork of one :class:`ForkServer` per run, a process
that has loaded the kernel machinery and the notebooks' imports once
(:mod:`marketing_utils.runner._fork_server`): a kernel then starts in
milliseconds with its libraries loaded, and shares the server's session,
so that the lower priority given to notebooks off the critical chain counts
under Linux's per-session scheduling groups.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Empty

__all__ = [
    "KERNEL_LOG",
    "WARM_UP_TAG",
    "ForkServer",
    "KernelPool",
    "WarmKernel",
    "kernel_manager_class",
    "kill_kernels",
    "lower_priority",
    "warm_up_code",
]

#: The kernel's process stderr, inside the run's private socket folder.
KERNEL_LOG = "kernel-stderr.log"
#: The tag of a notebook's code cells that a kernel started ahead of the notebook runs.
WARM_UP_TAG = "warm-up"

#: The runner's kernel managers, so that an interrupted parallel run can stop their kernels.
_KERNELS: weakref.WeakSet = weakref.WeakSet()
_KERNELS_LOCK = threading.Lock()

#: Seconds a warm-up may take (a kernel start waits up to 60 s in papermill too).
_WARM_UP_TIMEOUT = 180


class ForkedKernel:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a kernel the fork server made.

    The kernel is the fork server's child, not the runner's: the server reaps
    it and reports its exit code, which :meth:`poll` returns.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, server: ForkServer) -> None:
        self.pid = pid
        self._server = server

    @property
    def returncode(self) -> int | None:
        return self._server.exit_code(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        # As Popen: a process that has just ended (the server reaped it) is no error.
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """A process that loads the kernels' libraries once and forks each kernel from itself.

    Started by the runner inside the kernels' environment (its environment
    is theirs); :meth:`fork` answers None when it cannot serve a start
    exactly as a new process would (another environment, another
    interpreter or launcher, a server that died or is stuck), and the
    kernel is then started as a new process. See
    :mod:`marketing_utils.runner._fork_server`.

    Parameters
    ----------
    cwd : path
        The folder the server runs in (the notebooks').
    notebooks : sequence of path
        Notebooks whose imports (:func:`warm_up_code`) the server loads, in this
        order, after the libraries every kernel needs.
    """

    #: Seconds a kernel start waits for the server (busy loading) before starting a process.
    fork_timeout = 30.0

    def __init__(self, cwd: Path, notebooks=()) -> None:
        self.env = dict(os.environ)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # requests come from several threads
        self._answers: dict[int, dict] = {}
        self._exits: dict[int, int] = {}
        self._changed = threading.Condition(self._lock)
        self._next_id = 0
        self._closed = False
        self._abandoned: set[int] = set()  # requests no one waits for any more
        self._stuck = False  # a request timed out: no more forks
        self._process = subprocess.Popen(
            [sys.executable, "-m", "marketing_utils.runner._fork_server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=str(cwd), env=self.env, start_new_session=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, name="fork-server", daemon=True)
        self._reader.start()
        for notebook in notebooks:
            code = warm_up_code(notebook)
            if code:
                self._send({"warm_up": code})

    def _send(self, message: dict) -> bool:
        with self._write_lock:
            try:
                self._process.stdin.write((json.dumps(message) + "\n").encode())
                self._process.stdin.flush()
            except (OSError, ValueError):
                return False
        return True

    def _read(self) -> None:
        try:
            for line in self._process.stdout:
                message = json.loads(line)
                with self._changed:
                    if "exit" in message:
                        self._exits[message["exit"]] = message["code"]
                    elif message.get("id") in self._abandoned:
                        self._abandoned.discard(message["id"])
                        if "pid" in message:  # forked too late: the kernel is a new process
                            with contextlib.suppress(OSError):
                                os.kill(message["pid"], signal.SIGKILL)
                    elif "id" in message:
                        if "pid" in message:  # a new kernel may reuse an ended one's pid
                            self._exits.pop(message["pid"], None)
                        self._answers[message["id"]] = message
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._closed = True
                self._changed.notify_all()

    def exit_code(self, pid: int) -> int | None:
        """The exit code of a kernel it forked; None while it runs (-9 if the server is gone)."""
        with self._lock:
            if pid in self._exits:
                return self._exits[pid]
            if self._closed:
                try:
                    os.kill(pid, 0)
                except OSError:
                    return -signal.SIGKILL
            return None

    def _ask(self, request: dict, timeout: float = 30) -> dict | None:
        with self._changed:
            self._next_id += 1
            ident = self._next_id
        if not self._send({"id": ident, "deadline": time.time() + timeout, **request}):
            return None
        with self._changed:
            self._changed.wait_for(lambda: ident in self._answers or self._closed, timeout=timeout)
            if ident not in self._answers:
                # The server is stuck loading something: start kernels as new processes
                # from now on, and stop whatever it forks for this request later.
                self._abandoned.add(ident)
                self._stuck = True
            return self._answers.pop(ident, None)

    def status(self) -> dict | None:
        """``{"loading": items left to load, "tainted": modules that stopped the forks}``."""
        return self._ask({"status": True})

    def fork(self, cmd: list[str], env: dict, cwd: str, log: Path) -> ForkedKernel | None:
        """Fork a kernel for this ``ipykernel_launcher`` command line; None if it cannot."""
        launcher = [sys.executable, "-m", "ipykernel_launcher"]
        if list(cmd[:3]) != launcher or self._closed or self._stuck:
            return None
        differs = [
            key for key in set(env) | set(self.env)
            if not key.startswith("JPY_") and env.get(key) != self.env.get(key)
        ]  # fmt: skip
        if differs:
            return None  # a library may read it when imported: only a new process would see it
        answer = self._ask(
            {"argv": list(cmd[3:]), "env": env, "cwd": str(Path(cwd).resolve()),
             "log": str(Path(log).resolve())},
            timeout=self.fork_timeout,
        )  # fmt: skip
        if not answer or "pid" not in answer:
            return None
        return ForkedKernel(answer["pid"], self)

    def close(self) -> None:
        """Stop the server; it stops the kernels it forked that still run."""
        process = self._process
        with contextlib.suppress(OSError, ValueError):
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except Exception:  # never leave it behind
            process.kill()
            process.wait()
        self._reader.join(timeout=5)


_SERVER: list[ForkServer] = []


#: Set to 0 to start every kernel as a new process (no fork server).
FORK_SWITCH = "MARKETING_WORKBOOK_KERNEL_FORKS"


@contextlib.contextmanager
def fork_server(cwd: Path, notebooks=()):
    """Kernels started in this block are forks of one :class:`ForkServer`.

    Linux only (a fork without exec is unsafe on macOS, and the scheduling
    groups the forks share are Linux's); off when the environment variable
    ``MARKETING_WORKBOOK_KERNEL_FORKS`` is ``0``.
    """
    if os.environ.get(FORK_SWITCH, "1") == "0" or not sys.platform.startswith("linux"):
        yield None
        return
    server = ForkServer(cwd, notebooks)
    with _KERNELS_LOCK:
        _SERVER.append(server)
    try:
        yield server
    finally:
        with _KERNELS_LOCK:
            _SERVER.remove(server)
        server.close()


def _current_server() -> ForkServer | None:
    with _KERNELS_LOCK:
        return _SERVER[-1] if _SERVER else None


def kill_kernels() -> None:
    """Kill every kernel this runner started, with its process group (interrupted runs).

    Each kernel leads its own process group, and its workers (loky's fold workers and
    resource tracker, started by the kernel or by its warm-up) are in it: killing the
    kernel alone would leave them running, orphaned.
    """
    with _KERNELS_LOCK:
        managers = list(_KERNELS)
    for manager in managers:
        process = getattr(getattr(manager, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):  # ended meanwhile: the others still get killed
                if not _kill_group(process.pid):
                    process.kill()


def _kill_group(pid: int) -> bool:
    """SIGKILL the process group ``pid`` leads; False when it leads none (or on Windows)."""
    if not hasattr(os, "killpg"):
        return False
    try:
        if os.getpgid(pid) != pid or pid == os.getpgrp():
            return False
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        return False
    return True


#: The runner's kernels (those started as ``python -m ipykernel_launcher``; not on
#: Windows) are WorkbookKernels: their shutdown ends at once (see its docstring).
KERNEL_CLASS = "--IPKernelApp.kernel_class=marketing_utils.runner._kernel.WorkbookKernel"


def kernel_manager_class(
    socket_dir: Path, niceness: int = 0, on_launch: Callable[[int | None], None] | None = None
):
    """A kernel manager whose kernel talks to the runner over Unix sockets in ``socket_dir``.

    ``niceness`` above 0 lowers the kernel's CPU priority by that much (Unix
    ``nice``; its child processes, such as joblib workers, inherit it): the
    runner gives way to the notebooks the run's end waits for. ``on_launch``
    is called with the kernel's process id once it is launched (the runner
    samples its memory).

    Over TCP (Jupyter's default) every kernel start prints ipykernel's warning that
    the traffic is unencrypted, which a user of the runner cannot act on. The
    runner's kernels are local children, so Unix sockets in a private temporary
    folder (mode 0700, short enough for the ~100-byte limit of a socket path)
    serve better: nothing listens on a port. Windows has no Unix sockets in
    ZeroMQ, so it keeps TCP (and its warning).
    """
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    if os.name == "nt":
        return AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            with _KERNELS_LOCK:
                _KERNELS.add(self)

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if list(kernel_cmd[:3]) == [sys.executable, "-m", "ipykernel_launcher"]:
                kernel_cmd = [*kernel_cmd, KERNEL_CLASS]
            # The kernel's own diagnostics (ipykernel's tornado logger, C libraries) go to
            # its process stderr, not to the notebook: keep them out of the user's terminal.
            # The notebook's output and warnings travel over the kernel protocol instead.
            server = _current_server()
            forked = (
                None if server is None
                else server.fork(kernel_cmd, kw.get("env", os.environ), kw.get("cwd") or os.getcwd(),
                                 socket_dir / KERNEL_LOG)
            )  # fmt: skip
            if forked is not None:
                provisioner = self.provisioner
                provisioner.process = forked
                provisioner.pid = provisioner.pgid = forked.pid
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)
            else:
                with open(socket_dir / KERNEL_LOG, "ab") as log:
                    kw.setdefault("stderr", log)
                    await super()._async_launch_kernel(kernel_cmd, **kw)
            if niceness > 0:
                lower_priority(getattr(self.provisioner, "process", None), niceness)
            if on_launch is not None:
                on_launch(getattr(self.provisioner, "pid", None))

        @default("ip")
        def _default_ip(self) -> str:
            return str(socket_dir / "kernel")

    return IpcKernelManager


def lower_priority(process, niceness: int) -> None:
    """Raise a running process's nice value by ``niceness`` (Unix); nothing where unsupported.

    Only ever lowers the priority, which needs no privilege, and never fails a
    run: a process that has already ended, or a system without ``setpriority``,
    keeps its priority.
    """
    pid = getattr(process, "pid", None)
    if pid is None or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, current + niceness))


def _cell_source(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _cell_tree(source: str) -> ast.Module | None:
    """A code cell's syntax tree (IPython magics and shell lines left out); None if invalid."""
    python = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    try:
        return ast.parse(python)
    except SyntaxError:
        return None


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The top-level import statements that can run inside a function."""
    return [
        node
        for node in tree.body
        if isinstance(node, ast.Import)
        or (
            isinstance(node, ast.ImportFrom)
            and node.module != "__future__"
            and not any(alias.name == "*" for alias in node.names)
        )
    ]


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [alias.asname or alias.name.split(".")[0] for alias in node.names]


def warm_up_code(notebook: str | Path, parameters: dict | None = None) -> str:
    """Code that loads the modules a notebook imports, without defining any name.

    Every top-level import statement of the notebook's code cells, then every
    attribute the notebook reads from an imported name (``mu.preprocess``: a
    package that loads its parts on first use, as ``marketing_utils`` does,
    loads them then), each in its own ``try`` (a failing import is the
    notebook's to report, with its own traceback), inside a function that is
    deleted afterwards.

    With ``parameters`` (the values the runner injects into the notebook),
    the cells tagged :data:`WARM_UP_TAG` follow, in one ``try`` and a
    namespace of their own: the notebook's imports, its ``parameters`` cell,
    then ``parameters`` as papermill writes them, then those cells.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` file.
    parameters : dict, optional
        The notebook's injected parameters; without them no tagged cell runs
        (the fork server loads modules only: its forks must not inherit work).

    Returns
    -------
    str
        Python code; empty when the notebook imports nothing and has no cell to run.

    Examples
    --------
    >>> import json, tempfile
    >>> cells = [{"cell_type": "code", "source": "%matplotlib inline\\nimport numpy as np\\nx = 1"},
    ...          {"cell_type": "code", "source": "from math import (\\n    sqrt,\\n)\\nif x:\\n    import os"},
    ...          {"cell_type": "code", "source": "y = np.ones(3).sum() + sqrt(x) + np.pi"},
    ...          {"cell_type": "markdown", "source": "import nothing"}]
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as f:
    ...     json.dump({"cells": cells}, f)
    >>> print(warm_up_code(f.name))
    def _workbook_warm_up():
        try:
            import numpy as np
        except Exception:
            pass
        try:
            from math import sqrt
        except Exception:
            pass
        try:
            np.pi
        except Exception:
            pass
        try:
            np.ones
        except Exception:
            pass
    _workbook_warm_up()
    del _workbook_warm_up
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    trees = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            tree = _cell_tree(_cell_source(cell))
            if tree is not None:
                trees.append(tree)
    imports: list[str] = []
    bound: set[str] = set()
    for tree in trees:
        for node in _imports(tree):
            imports.append(ast.unparse(node))
            bound.update(_bound_names(node))
    imports = list(dict.fromkeys(imports))
    statements = list(imports)
    for tree in trees:
        statements += [
            f"{node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
        ]
    statements = list(dict.fromkeys(statements))  # each once, in order
    body = "".join(
        f"    try:\n        {statement}\n    except Exception:\n        pass\n"
        for statement in statements
    )
    if parameters is not None:
        body += _warm_up_cells(cells, parameters, imports)
    if not body:
        return ""
    return f"def _workbook_warm_up():\n{body}_workbook_warm_up()\ndel _workbook_warm_up"


def _warm_up_cells(cells: list[dict], parameters: dict, imports: list[str]) -> str:
    """The ``try`` block of :func:`warm_up_code` running the cells tagged :data:`WARM_UP_TAG`;
    empty when no cell has the tag or the code is not valid Python.

    The cells run as one piece of code in a namespace of their own, after the notebook's
    imports (already loaded: they only bind names there) and its parameters, so that
    nothing they define reaches the notebook's namespace and their text runs unchanged.
    """
    from papermill.translators import PythonTranslator

    def tagged(tag: str) -> list[str]:
        return [
            _cell_source(cell)
            for cell in cells
            if cell.get("cell_type") == "code" and tag in cell.get("metadata", {}).get("tags", [])
        ]

    work = tagged(WARM_UP_TAG)
    if not work:
        return ""
    code = "\n".join([*imports, *tagged("parameters"), PythonTranslator.codify(parameters), *work])
    # Plain Python only: a line that IPython would read as a magic or a shell command (or as
    # the continuation of one) leaves the cells to the notebook.
    if any(line.lstrip().startswith(("%", "!")) for line in code.splitlines()):
        return ""
    try:
        compile(code, "<warm-up>", "exec")
    except SyntaxError:
        return ""  # the notebook reports its own errors, with its own traceback
    run = f'exec(compile({code!r}, "<warm-up>", "exec"), {{"__name__": "__warm_up__"}})'
    return f"    try:\n        {run}\n    except Exception:\n        pass\n"


class WarmKernel:
    """A kernel started for one notebook, with the notebook's modules loaded.

    Its socket folder lives as long as the kernel; :meth:`shutdown` stops the
    kernel and removes the folder.
    """

    def __init__(self, notebook: Path, niceness: int = 0, parameters: dict | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="mwk-")
        self.socket_dir = Path(self._folder.name)
        self.manager = kernel_manager_class(self.socket_dir, niceness)(kernel_name="python3")
        self.notebook = Path(notebook)
        self.parameters = parameters

    async def _start(self) -> None:
        # As nbclient starts its kernels: no IPython history database shared between kernels.
        await self.manager.start_kernel(
            cwd=str(self.notebook.parent), extra_arguments=["--HistoryManager.hist_file=:memory:"]
        )
        client = self.manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            code = warm_up_code(self.notebook, self.parameters)
            if code:
                await self._wait_for(client, client.execute(code, silent=True, store_history=False))
        finally:
            client.stop_channels()

    async def _wait_for(self, client, msg_id: str) -> None:
        """Wait for the warm-up's reply, checking each second that the kernel still lives.

        A kernel killed while it imports (an interrupted run) must end the wait
        at once: the run's threads are joined before the process exits.
        """
        deadline = time.monotonic() + _WARM_UP_TIMEOUT
        while True:
            try:
                reply = await client.get_shell_msg(timeout=1)
            except Empty:
                if not await self.manager.is_alive():
                    raise RuntimeError(f"the kernel for {self.notebook.name} died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the warm-up of {self.notebook.name} took too long"
                    ) from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return

    @property
    def pid(self) -> int | None:
        """The kernel's process id while it runs, else ``None`` (not started, or ended)."""
        provisioner = getattr(self.manager, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None or process.poll() is not None:
            return None  # an ended kernel's id may already belong to another process
        return getattr(provisioner, "pid", None)

    def start(self) -> WarmKernel:
        """Start the kernel and load the notebook's modules (blocks until done)."""
        asyncio.run(self._start())
        return self

    def manager_class(self) -> type:
        """A kernel manager class whose construction hands over this started kernel.

        nbclient builds its kernel manager from a class; given this one, it gets
        the warm kernel, finds it running (so starts none) and stops it at the
        end of the notebook as it would stop its own.
        """
        started = self.manager

        class StartedKernelManager(type(started)):
            def __new__(cls, *args, **kwargs):
                return started  # not an instance of cls: __init__ does not run again

        return StartedKernelManager

    def shutdown(self) -> None:
        """Stop the kernel if it still runs (gracefully, as papermill does); remove its folder."""
        try:
            if self.manager.has_kernel:
                asyncio.run(self.manager.shutdown_kernel())
        except Exception:  # a kernel that failed to start may fail to stop: make sure it is gone
            process = getattr(getattr(self.manager, "provisioner", None), "process", None)
            if process is not None and process.poll() is None:
                process.kill()
        finally:
            self._folder.cleanup()


class KernelPool:
    """Kernels started ahead of their notebooks, on cores the run leaves idle.

    Parameters
    ----------
    workers : int
        Kernels started at the same time (at most).
    """

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="warm")
        self._warming: dict[str, tuple[WarmKernel, Future]] = {}

    def __contains__(self, stem: str) -> bool:
        return stem in self._warming

    def starting(self) -> int:
        """Kernels still starting or loading modules."""
        return sum(not future.done() for _, future in self._warming.values())

    def waiting(self) -> int:
        """Kernels started and not yet taken by their notebook."""
        return len(self._warming)

    def warm(
        self, stem: str, notebook: Path, niceness: int = 0, parameters: dict | None = None
    ) -> None:
        """Start a kernel for ``notebook`` in the background (``niceness``: see
        :func:`kernel_manager_class`; ``parameters``: see :func:`warm_up_code`)."""
        kernel = WarmKernel(notebook, niceness, parameters)
        self._warming[stem] = (kernel, self._pool.submit(kernel.start))

    def claim(self, stem: str) -> Callable[[], WarmKernel | None] | None:
        """Take the notebook's kernel out of the pool; None when none was started for it.

        The returned function waits for the kernel's start to finish and gives the
        kernel, or None when it failed to start (the notebook then starts its own,
        and reports the failure if it happens again). Call it in the thread that
        runs the notebook, so that the scheduler never waits for a warm-up.
        """
        kernel, future = self._warming.pop(stem, (None, None))
        if future is None:
            return None

        def started() -> WarmKernel | None:
            try:
                return future.result()
            except Exception:
                kernel.shutdown()
                return None

        return started

    def close(self) -> None:
        """Stop every kernel no notebook has taken."""
        for stem in list(self._warming):
            kernel = self.claim(stem)()
            if kernel is not None:
                kernel.shutdown()
        self._pool.shutdown(wait=True)
