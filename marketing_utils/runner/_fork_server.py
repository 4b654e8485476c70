"""The kernel fork server: one process loads the libraries once, each kernel is a fork of it.

Run as ``python -m marketing_utils.runner._fork_server`` by
:class:`~marketing_utils.runner.kernels.ForkServer`, never imported by a
notebook. Every notebook's kernel would otherwise load Python's kernel
machinery, pandas, scikit-learn, SciPy and PyArrow on its own (about 2.3
CPU seconds a kernel, 23 for the ten notebooks of a report); a fork of a
process that has loaded them shares them, and starts in a few
milliseconds.

It loads Python's kernel machinery (:data:`PRELOAD`), then the imports of
the run's notebooks, and runs no computation. A library whose import looks
for a running IPython (the inline figure backend, ``tqdm.auto``:
:data:`NOT_BEFORE_FORK`) would set itself up for a plain Python process:
once one is loaded, the server forks no more kernels, and the runner
starts each new kernel as a new process. Nothing here starts a thread or
opens a socket before a fork (a Python thread started by an import stops the forks).

The protocol is JSON lines. Requests on stdin:
``{"id": 1, "argv": [...], "env": {...}, "cwd": "...", "log": "..."}``
(``argv`` without the interpreter and ``-m ipykernel_launcher``). ``{"warm_up": "..."}`` adds code to
load (a notebook's imports), ``{"id": 2, "status": true}`` asks how many
items are still to load and which modules stopped the forks. Answers and
events on the original stdout: ``{"id": 1, "pid": 123}`` or
``{"id": 1, "error": "..."}``, ``{"id": 2, "loading": 0, "tainted": []}``,
and ``{"exit": 123, "code": 0}`` when a kernel ends. End of stdin (the runner
ended, even killed) stops every kernel still running and this process.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import sys
import threading
import time

#: Loaded before the first fork: the kernel machinery. The libraries come from the
#: run's notebooks: their imports (the runner sends them as ``warm_up`` code).
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel")

#: Modules whose import looks for a running IPython (the inline figure backend hooks itself
#: into the kernel, tqdm.auto picks its progress bar): once one is loaded here, the server
#: forks no more kernels and the runner starts new processes instead.
NOT_BEFORE_FORK = ("matplotlib_inline", "tqdm.auto", "tqdm.autonotebook", "ipywidgets")


def _send(out, message: dict) -> None:
    out.write((json.dumps(message) + "\n").encode())
    out.flush()


def _run_kernel(request: dict, channels: tuple[int, ...]) -> None:
    """In the forked child: become the kernel the request describes; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for fd in channels:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setpgid(0, 0)  # its own process group (see serve)
        # stdin from nowhere, stdout and stderr to the kernel's log (as the runner starts kernels)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in {null, log} - {0, 1, 2}:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel watches its parent: this process, which ends with the runner. (ipykernel
        # read JPY_PARENT_PID when it was imported, here: the option is what it sees now.)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if "numpy" in sys.modules:
            # A new process draws a new global seed; a fork would share this one.
            sys.modules["numpy"].random.seed()
        import ipykernel

        sys.argv = [
            os.path.join(os.path.dirname(ipykernel.__file__), "..", "ipykernel_launcher.py")
        ]
        sys.argv += [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # the kernel's death must not return into the server
        import traceback

        traceback.print_exc()
    finally:
        # The end of a process that runs no further: what interpreter exit does, then exit
        # without returning into the server's loop (its copy of the kernels list must not act).
        try:
            import atexit
            import threading

            threading._shutdown()  # joins the threads that are not daemons
            atexit._run_exitfuncs()  # loky and multiprocessing clean up their workers here
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    """Load :data:`PRELOAD`, then fork a kernel for each request until stdin closes."""
    requests = sys.stdin.buffer
    # Answers go to the original stdout; anything printed while loading goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does: the kernel's own cwd is added by IPython
    children: set[int] = set()
    # A child's end wakes the loop through this pipe; the loop reaps it (no work in a handler).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            _send(out, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})

    tainted: list[str] = []  # modules that must not be loaded before a fork, once loaded

    def handle(line: bytes) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            _send(out, {"error": "not a JSON request"})
            return
        if "warm_up" in request:
            pending.append(("code", request["warm_up"]))
            return
        if "status" in request:
            _send(out, {"id": request.get("id"), "loading": len(pending), "tainted": tainted})
            return
        if tainted:
            _send(out, {"id": request.get("id"), "error": f"loaded {', '.join(tainted)}"})
            return
        if time.time() > request.get("deadline", float("inf")):
            # The runner stopped waiting and started the kernel as a new process: a fork now
            # would be a second kernel on the same connection file.
            _send(out, {"id": request.get("id"), "error": "past its deadline"})
            return
        try:
            pid = os.fork()
        except OSError as exc:
            _send(out, {"id": request.get("id"), "error": str(exc)})
            return
        if pid == 0:
            _run_kernel(request, (out.fileno(), wake_read, wake_write))
        children.add(pid)
        _send(out, {"id": request.get("id"), "pid": pid})

    def load(kind: str, what: str) -> None:
        # A missing library or a failing import (even one that exits) is the notebook's to
        # report, in its kernel.
        with contextlib.suppress(BaseException):
            if kind == "module":
                importlib.import_module(what)
            else:
                exec(compile(what, "<warm-up>", "exec"), {"__name__": "__warm_up__"})
        tainted.extend(m for m in NOT_BEFORE_FORK if m in sys.modules and m not in tainted)
        if threading.active_count() > 1 and "a thread" not in tainted:
            tainted.append("a thread")  # only the forking thread would live on in a fork
        if tainted:
            pending.clear()  # no fork serves any more: the rest would be loaded for nothing

    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; its Ctrl-C is not ours
    pending: list[tuple[str, str]] = [("module", name) for name in PRELOAD]
    buffer = b""
    try:
        while True:
            # Load one item at a time, answering requests in between: a kernel asked for
            # early forks from what is loaded so far and imports the rest itself.
            ready, _, _ = select.select([requests, wake_read], [], [], 0 if pending else None)
            if wake_read in ready:
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_read, 512):
                        pass
                reap()
            if requests in ready:
                chunk = os.read(requests.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        handle(line)
                continue
            if pending:
                load(*pending.pop(0))
    finally:
        _stop(children)


def _stop(children: set[int], grace: float = 5.0) -> None:
    """SIGTERM the kernels still running, SIGKILL those alive after ``grace`` s, reap them all.

    Each kernel leads its own process group: the signal goes to the group, so that the
    kernel's workers (loky's fold workers, resource trackers) end with it, not orphaned.
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def signal_group(pid: int, signum: int) -> None:
        try:
            os.killpg(pid, signum)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)

    for pid in children:
        signal_group(pid, signal.SIGTERM)
    deadline, killed = time.monotonic() + grace, False
    while children and time.monotonic() < deadline + grace:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)
        if children and not killed and time.monotonic() > deadline:
            for pid in children:
                signal_group(pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)


if __name__ == "__main__":
    serve()
