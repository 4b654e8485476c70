"""Execute the workbook notebooks with papermill and assemble the HTML report."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ..artifacts import Artifacts, to_jsonable
from ..errors import ParamsError, RunError
from ..params.file import WorkbookParams, load_params
from ..params.notebooks import LATE_READ_TAG, NotebookSpec, discover_notebooks
from ..schema import CAPABILITY_DESCRIPTIONS
from ..threads import usable_cores
from ._memory import PeakMemory, format_bytes
from .graph import (
    critical_chain,
    critical_path_order,
    dependencies,
    early_dependencies,
    late_dependencies,
)
from .kernels import (
    KERNEL_LOG,
    KernelPool,
    WarmKernel,
    fork_server,
    kernel_manager_class,
    kill_kernels,
)
from .report import render_index, render_notebook_html
from .safety import (
    RunInterrupted,
    RunLock,
    is_report,
    mark_report,
    prune_failed,
    publish,
    recover,
    report_path_problems,
    terminate_as_exception,
)

__all__ = ["RunResult", "run_workbook", "select_notebooks", "stale_dependants", "usable_cores"]

_VERSIONED = (
    "marketing-workbook",
    "pandas",
    "numpy",
    "scikit-learn",
    "scipy",
    "matplotlib",
    "narwhals",
    "pandera",
    "pyarrow",
    "papermill",
    "nbconvert",
    "skops",
    "polars",
    "dask",
)


@dataclass
class RunResult:
    """What a report run did: where the report is and what each notebook did."""

    report_dir: Path
    notebooks: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.report_dir / "index.html"


#: Where a ``--only`` run keeps the previous run's metrics files while its notebooks run.
_PREVIOUS_METRICS = ".previous-metrics"


def _set_aside_metrics(staging: Path, selected: list[NotebookSpec]) -> None:
    """Move the copied metrics files aside, so that a rerun notebook records its metrics afresh.

    Merged into the copied ones, a key (or a whole section, such as 10's
    ``readout``) the new run no longer writes would survive from the previous
    run. The rerun notebooks' own sections go; the others come back at the end
    (:func:`_restore_metrics`) unless a rerun notebook wrote them anew.
    """
    metrics = staging / "metrics"
    if not metrics.is_dir():
        return
    aside = staging / _PREVIOUS_METRICS
    metrics.rename(aside)
    metrics.mkdir()
    for spec in selected:
        (aside / f"{spec.section}.json").unlink(missing_ok=True)


def _restore_metrics(staging: Path) -> None:
    """Put back the set-aside metrics files that no notebook of this run wrote again."""
    aside = staging / _PREVIOUS_METRICS
    if not aside.is_dir():
        return
    metrics = staging / "metrics"
    metrics.mkdir(exist_ok=True)
    for path in aside.iterdir():
        if not (metrics / path.name).exists():
            path.rename(metrics / path.name)
    shutil.rmtree(aside)


def _input_fingerprints(paths) -> dict[str, dict]:
    """Each input file's sha256, size and modification time (to notice a change later)."""
    fingerprints = {}
    for path in paths:
        with contextlib.suppress(OSError):  # gone already: 01 names it when it reads the data
            stat = path.stat()
            fingerprints[str(path)] = {
                "sha256": _sha256(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns
            }  # fmt: skip
    return fingerprints


def _changed_inputs(before: dict[str, dict], paths) -> list[str]:
    """The input files added, removed, resized or touched since ``before`` was taken."""
    now = {}
    for path in paths:
        with contextlib.suppress(OSError):
            stat = path.stat()
            now[str(path)] = (stat.st_size, stat.st_mtime_ns)
    then = {path: (seen["bytes"], seen["mtime_ns"]) for path, seen in before.items()}
    return sorted(path for path in then.keys() | now.keys() if then.get(path) != now.get(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _versions() -> dict[str, str | None]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def select_notebooks(
    specs: list[NotebookSpec], only: list[str] | None, *, with_dependants: bool = False
) -> list[NotebookSpec]:
    """The notebooks to run: all, or those named by ``--only`` (stem or section name).

    With ``with_dependants``, every notebook that reads what a named one
    writes, directly or through others, runs too. Without it, those keep the
    previous run's pages and artifacts, which describe the previous run's
    inputs (after a rerun of 01, whose pseudonyms are new each run, they no
    longer even join): :func:`stale_dependants` names them.
    """
    if not only:
        return specs
    names = {s.stem for s in specs} | {s.section for s in specs}
    unknown = [name for name in only if name.removesuffix(".ipynb") not in names]
    if unknown:
        raise RunError(
            f"--only: unknown notebook {', '.join(map(repr, unknown))}; "
            f"notebooks: {', '.join(s.stem for s in specs)}"
        )
    wanted = {name.removesuffix(".ipynb") for name in only}
    chosen = {spec.stem for spec in specs if spec.stem in wanted or spec.section in wanted}
    if with_dependants:
        for stem, needs in dependencies(specs).items():  # in notebook order: earlier first
            if needs & chosen:
                chosen.add(stem)
    return [spec for spec in specs if spec.stem in chosen]


def stale_dependants(
    specs: list[NotebookSpec], selected: list[NotebookSpec]
) -> dict[str, list[str]]:
    """The notebooks not run that read, directly or not, what a selected notebook writes.

    Returns each one's stem with the selected notebooks it depends on, in notebook order.
    """
    rerun = {spec.stem for spec in selected}
    upstream: dict[str, set[str]] = {}
    for stem, needs in dependencies(specs).items():  # in notebook order: earlier first
        upstream[stem] = (needs & rerun).union(*(upstream[n] for n in needs))
    order = [spec.stem for spec in specs]
    return {
        stem: sorted(upstream[stem], key=order.index)
        for stem in order
        if stem not in rerun and upstream[stem]
    }


def _parameters_given(params: WorkbookParams, spec: NotebookSpec) -> set[str]:
    """``parameter:<name>`` for each parameter the params file sets to a non-empty value.

    A notebook may require one (``"ground_truth | parameter:outcomes_path"``):
    it runs when the data provides the capability or the user gave the file.
    """
    section = params.sections.get(spec.section, {})
    return {f"parameter:{k}" for k, v in section.items() if v not in (None, "", [], {})}


def _skip_reason(spec: NotebookSpec, capabilities: set[str]) -> str | None:
    missing = spec.missing_requirements(capabilities)
    if not missing:
        return None

    def describe(requirement: str) -> str:
        parts = [p.strip() for p in requirement.split("|")]
        return " or ".join(
            f"the parameter {spec.section}.{p.removeprefix('parameter:')}"
            if p.startswith("parameter:")
            else CAPABILITY_DESCRIPTIONS.get(p, p)
            for p in parts
        )

    capabilities = {c for c in capabilities if not c.startswith("parameter:")}
    provided = ", ".join(sorted(capabilities)) or "nothing recorded yet"
    return f"needs {'; '.join(describe(m) for m in missing)}; the data provides: {provided}"


def _log(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


#: ipykernel installs its inline backend only when MPLBACKEND is unset, so a user's (or CI's)
#: ``MPLBACKEND=Agg`` would silently leave every figure out of the report.
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@contextmanager
def _inline_figures():
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = _INLINE_BACKEND
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = previous


#: OpenMP threads (gradient boosting, k-means, ...) wait for work by spinning by default;
#: with notebooks (and their fold workers) running side by side on the same cores, spinning
#: threads steal the cores the others need: a gradient-boosting fit on 2 threads took 4x
#: longer than on 1 under load. Passive waiting yields the core; the results are the same.
#: Only set when the user has not chosen a policy.
_OPENMP_WAIT_POLICY = "PASSIVE"

#: How much lower the CPU priority of notebooks off the critical chain is (Unix nice).
_BACKGROUND_NICENESS = 10


@contextmanager
def _kernel_environment():
    """What every kernel the runner starts inherits: inline figures, passive OpenMP waiting."""
    unset = "OMP_WAIT_POLICY" not in os.environ
    if unset:
        os.environ["OMP_WAIT_POLICY"] = _OPENMP_WAIT_POLICY
    try:
        with _inline_figures():
            yield
    finally:
        if unset:
            os.environ.pop("OMP_WAIT_POLICY", None)


def _execute(
    spec: NotebookSpec,
    output: Path,
    parameters: dict,
    progress: bool,
    kernel: WarmKernel | None = None,
    before_cell: Callable[..., None] | None = None,
    niceness: int = 0,
    after_cell: Callable[..., None] | None = None,
    memory: PeakMemory | None = None,
) -> None:
    """Run the notebook with papermill, in ``kernel`` when one was started ahead for it.

    ``before_cell(cell=..., cell_index=...)`` runs before each code cell and
    ``after_cell(cell=..., cell_index=..., execute_reply=...)`` after it (nbclient's hooks).
    ``memory``, if given, is told the kernel's process id to sample.
    """
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from ._sparse_saves import ENGINE_NAME

    # A warm kernel brings its socket folder; a cold start gets one for this notebook.
    folder = (
        tempfile.TemporaryDirectory(prefix="mwk-")
        if kernel is None
        else contextlib.nullcontext(str(kernel.socket_dir))
    )
    with _kernel_environment(), folder as socket_folder:
        socket_dir = Path(socket_folder)
        watch = None if memory is None else memory.watch
        if kernel is None:
            managers = kernel_manager_class(socket_dir, niceness, on_launch=watch)
        else:
            managers = kernel.manager_class()
            if watch is not None:
                watch(kernel.pid)
        try:
            papermill.execute_notebook(
                str(spec.path),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                engine_name=ENGINE_NAME,
                kernel_manager_class=managers,
                cwd=str(spec.path.parent),
                progress_bar=progress,
                log_output=False,
                **({} if before_cell is None else {"on_cell_execute": before_cell}),
                **({} if after_cell is None else {"on_cell_executed": after_cell}),
            )
        except PapermillExecutionError as exc:
            first_line = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")
            raise RunError(
                f"notebook {spec.stem} failed in cell {exc.cell_index} "
                f"(starting {first_line[:80]!r}): {exc.ename}: {exc.evalue}"
            ) from exc
        except DeadKernelError as exc:
            # The kernel process died (killed, out of memory, a crash in a C library):
            # its last words on stderr are the only clue, so they join the message.
            log = socket_dir / KERNEL_LOG
            last = (
                log.read_text(errors="replace").strip().splitlines()[-20:] if log.exists() else []
            )
            raise RunError(
                f"notebook {spec.stem}: the kernel died ({exc})"
                + (". Its last output:\n" + "\n".join(last) if last else "")
            ) from exc
        finally:
            if kernel is not None:
                kernel.shutdown()


def run_workbook(
    params: str | Path | WorkbookParams,
    *,
    only: list[str] | None = None,
    notebooks_dir: str | Path | None = None,
    hide_code: bool | None = None,
    quiet: bool = False,
    jobs: int | None = None,
    with_dependants: bool = False,
) -> RunResult:
    """Run the workbook for one params file and write ``<output_dir>/<run_name>/``.

    Parameters
    ----------
    params : path or WorkbookParams
        The params file (validated whole before any notebook runs).
    only : list of str, optional
        Run only these notebooks and, with ``with_dependants``, the notebooks
        that read what they write (:func:`select_notebooks`); the artifacts
        of the others are taken from the last good report of the same run name.
    notebooks_dir : path, optional
        Where the notebooks are (default: the project's ``notebooks/``).
    hide_code : bool, optional
        Hide code cells in the HTML (default: ``report.hide_code`` from params).
    quiet : bool
        Print no progress.
    jobs : int, optional
        Notebooks run at the same time, each in its own kernel, when they do
        not depend on each other (see :mod:`~marketing_utils.runner.graph`);
        default: the number of cores this process may use (:func:`usable_cores`); 1 runs them one after the other. The
        report, its order and the artifacts are those of a sequential run.
    with_dependants : bool, default False
        With ``only``: also rerun the notebooks downstream of the named ones.
        Without it, each notebook left with the previous run's inputs is named
        in a warning and marked on the index.

    Returns
    -------
    RunResult

    Raises
    ------
    ParamsError
        The params file is invalid (nothing has run).
    RunError
        A notebook failed (message names notebook, cell and error; the partly
        executed notebook is kept under ``<output_dir>/.failed/``; no further
        notebook starts, those already running finish), or another run of the
        same name holds the lock. The previous report is untouched.
    """
    jobs = usable_cores() if jobs is None else int(jobs)
    if jobs < 1:
        raise RunError(f"--jobs: expected a positive number of notebooks at a time, found {jobs}")
    specs = discover_notebooks(notebooks_dir)
    if not isinstance(params, WorkbookParams):
        params = load_params(params, notebooks_dir)
    selected = select_notebooks(specs, only, with_dependants=with_dependants)
    if only:
        named = select_notebooks(specs, only, with_dependants=False)
        added = [spec.stem for spec in selected if spec not in named]
        if added:
            _log(f"--only: also rerunning {', '.join(added)}, which read what it writes", quiet)
    hide = params.report.hide_code if hide_code is None else hide_code
    output_dir = params.output_dir
    # Before anything runs or is created: the report path must be safe to replace.
    problems = report_path_problems(output_dir, params.run_name, params.input_paths())
    if problems:
        raise ParamsError(params.source, problems)
    output_dir.mkdir(parents=True, exist_ok=True)

    with RunLock(output_dir, params.run_name), terminate_as_exception():
        recover(output_dir, params.run_name)
        staging = output_dir / f".tmp-{params.run_name}-{os.getpid()}-{time.time_ns()}"
        final = output_dir / params.run_name
        if only and is_report(final):
            shutil.copytree(final, staging, symlinks=True)
            _set_aside_metrics(staging, selected)
        staging.mkdir(parents=True, exist_ok=True)
        mark_report(staging, params.run_name)
        for name in ("notebooks", "html"):
            (staging / name).mkdir(exist_ok=True)
        try:
            return _run_in(staging, params, specs, selected, hide, quiet, jobs)
        except (Exception, RunInterrupted, KeyboardInterrupt) as exc:
            failed = output_dir / ".failed" / f"{params.run_name}-{datetime.now():%Y%m%d-%H%M%S}"
            failed.parent.mkdir(parents=True, exist_ok=True)
            if staging.exists():
                os.rename(staging, failed)
                prune_failed(output_dir, params.run_name)
            kept = (
                f"\nThe previous report (if any) is unchanged: {final}\n"
                f"Partly executed notebooks kept for debugging: {failed / 'notebooks'}"
            )
            if isinstance(exc, RunError):
                raise RunError(f"{exc}{kept}") from exc
            if isinstance(exc, RunInterrupted):
                raise RunInterrupted(f"{exc}{kept}", exc.signum) from exc
            if isinstance(exc, KeyboardInterrupt):  # Ctrl-C: the same ending as SIGTERM
                raise RunInterrupted(
                    f"run interrupted by signal {int(signal.SIGINT)} (SIGINT){kept}", signal.SIGINT
                ) from exc
            raise


class _Progress:
    """The notebooks whose dependants may go on, shared with the notebooks' threads.

    A notebook started before the writers of its late reads had finished
    waits here, before its first ``late-read`` cell, until they are done; a
    waiting notebook uses no core, so it does not count against ``--jobs``.
    On its way there it is marked as having *reached* its late cells: its
    early writes are final, and the notebooks that read only those may start.
    """

    def __init__(self, done: set[str]) -> None:
        self.done = set(done)  # written under the lock (the runner's and notebooks' threads)
        self._changed = threading.Condition()
        self._waiting: set[str] = set()
        self._reached: set[str] = set()
        self._ending: set[str] = set()
        self._stopped = False

    def reached(self, stem: str) -> None:
        """``stem`` is at its first ``late-read`` cell: its early writes are saved."""
        with self._changed:
            self._reached.add(stem)

    def done_or_reached(self) -> set[str]:
        """The notebooks whose early writes are final: done, or at their late cells."""
        with self._changed:
            return self.done | self._reached

    def finished(self, stem: str) -> None:
        """``stem`` ran, was skipped or was not selected: its dependants may go on."""
        with self._changed:
            self.done.add(stem)
            self._changed.notify_all()

    def cells_done(self, stem: str) -> None:
        """``stem``'s last cell ran: its artifacts are written while its kernel shuts down.

        Its dependants may go on (:meth:`finished`), and it no longer counts as
        using a core (:meth:`ending`); it is done for the run when its thread returns.
        """
        with self._changed:
            self._ending.add(stem)
        self.finished(stem)

    def ending(self, running: set[str]) -> int:
        """How many of the ``running`` notebooks have run their last cell."""
        with self._changed:
            return len(self._ending & running)

    def stop(self) -> None:
        """A notebook failed or the run was interrupted: no waiting notebook goes on."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def waiting(self) -> int:
        """How many started notebooks are waiting for their late reads."""
        with self._changed:
            return len(self._waiting)

    def wait_for(self, stem: str, needs: set[str]) -> float:
        """Block until every notebook in ``needs`` is done; return the seconds waited.

        Raises
        ------
        RunError
            The run stopped (a notebook failed or the run was interrupted)
            before ``needs`` were done.
        """
        tic = time.perf_counter()
        with self._changed:
            self._waiting.add(stem)
            try:
                self._changed.wait_for(lambda: needs <= self.done or self._stopped)
            finally:
                self._waiting.discard(stem)
            if not needs <= self.done:
                raise RunError(
                    f"notebook {stem} stopped before its {LATE_READ_TAG!r} cells: the run "
                    f"stopped before {', '.join(sorted(needs - self.done))} had finished"
                )
        return time.perf_counter() - tic


def _late_read_hook(
    stem: str, needs: set[str], progress: _Progress, waited: list[float], early_readers: bool
) -> Callable[..., None] | None:
    """The hook run before ``stem``'s first ``late-read`` cell.

    It marks the notebook as having reached that cell when other notebooks
    wait for its early writes (``early_readers``), then holds it until
    ``needs`` are done.
    """
    if not needs and not early_readers:
        return None
    reached: list[bool] = []  # only the first tagged cell holds the notebook

    def before_cell(cell, cell_index: int) -> None:
        if reached or LATE_READ_TAG not in cell.get("metadata", {}).get("tags", []):
            return
        reached.append(True)
        if early_readers:
            progress.reached(stem)
        if needs:
            waited.append(progress.wait_for(stem, needs))

    return before_cell


def _last_cell_hook(spec: NotebookSpec, progress: _Progress) -> Callable[..., None] | None:
    """The hook run after each cell: ``progress.cells_done`` once the notebook's last code cell ran.

    The cell is known by its id (papermill keeps the notebook's cell ids and
    gives its injected cell a new one); without ids, or with that id used
    twice, there is no hook, and the dependants wait for the kernel's
    shutdown as well.
    """
    cells = json.loads(spec.path.read_text(encoding="utf-8")).get("cells", [])
    code = [cell.get("id") for cell in cells if cell.get("cell_type") == "code"]
    ids = [cell.get("id") for cell in cells]
    if not code or not code[-1] or ids.count(code[-1]) > 1:
        return None
    last = code[-1]

    def after_cell(cell, cell_index: int, execute_reply: dict | None = None) -> None:
        status = ((execute_reply or {}).get("content") or {}).get("status")
        if cell.get("id") == last and status == "ok":
            progress.cells_done(spec.stem)

    return after_cell


def _run_one(
    spec: NotebookSpec,
    staging: Path,
    params: WorkbookParams,
    hide: bool,
    progress: bool,
    label: str,
    quiet: bool,
    kernel: Callable[[], WarmKernel | None] | None = None,
    late: tuple[set[str], _Progress, bool] | None = None,
    niceness: int = 0,
) -> tuple[dict, Callable[[], None]]:
    """Execute one notebook (in its warm kernel, if one was started).

    ``late`` holds the notebooks to wait for before the first ``late-read``
    cell, the run's progress to wait on, and whether other notebooks wait
    for this one to reach that cell (they read its early writes).

    Returns the manifest entry and the rendering of its HTML page, which the
    caller runs once the notebook's dependants have been released: a page is
    for the reader, no notebook waits for it.
    """
    output = staging / "notebooks" / spec.path.name
    tic = time.perf_counter()
    started = None if kernel is None else kernel()
    waited: list[float] = []
    hook = None if late is None else _late_read_hook(spec.stem, *late[:2], waited, late[2])
    ended = None if late is None else _last_cell_hook(spec, late[1])
    with PeakMemory() as memory:
        _execute(
            spec, output, params.notebook_parameters(spec, staging), progress, started, hook,
            niceness, after_cell=ended, memory=memory,
        )  # fmt: skip
    seconds = time.perf_counter() - tic
    section_metrics = Artifacts(staging).metrics().get(spec.section, {})
    # Printed even with --quiet: a warning is about the data, not progress.
    for warning in section_metrics.get("warnings", []):
        print(f"warning: {spec.stem}: {warning}", file=sys.stderr, flush=True)
    waited_note = (
        f" (of which {waited[0]:.1f} s waiting for {', '.join(sorted(late[0]))})"
        if waited and waited[0] >= 0.05
        else ""
    )
    peak = memory.peak_bytes
    peak_note = "" if peak is None else f", peak memory {format_bytes(peak)}"
    _log(f"{label} {spec.stem}: done in {seconds:.1f} s{waited_note}{peak_note}", quiet)

    def render() -> None:
        # The temporary folder is renamed when the run succeeds: readers see the final one.
        render_notebook_html(
            output,
            staging / "html" / f"{spec.stem}.html",
            hide_code=hide,
            path_aliases={str(staging): str(params.output_dir / params.run_name)},
            metrics=section_metrics,
        )

    entry = {
        "stem": spec.stem,
        "title": spec.title,
        "status": "ran",
        "seconds": round(seconds, 3),
        "warm_kernel": started is not None,  # started ahead, modules loaded
        **({} if peak is None else {"peak_memory_mb": round(peak / 2**20, 1)}),
        **({"waited_seconds": round(waited[0], 3)} if waited else {}),
        "ipynb": f"notebooks/{spec.path.name}",
        "html": f"html/{spec.stem}.html",
    }
    return entry, render


def _run_in(
    staging: Path,
    params: WorkbookParams,
    specs: list[NotebookSpec],
    selected: list[NotebookSpec],
    hide: bool,
    quiet: bool,
    jobs: int = 1,
) -> RunResult:
    started = datetime.now(UTC)
    # The input files as the notebooks will read them: fingerprinted before any runs.
    inputs = _input_fingerprints(params.input_files())
    store = Artifacts(staging)
    previous_manifest = {}
    if (staging / "manifest.json").exists():
        previous_manifest = json.loads((staging / "manifest.json").read_text())
    previous_entries = {e["stem"]: e for e in previous_manifest.get("notebooks", [])}
    progress = sys.stderr.isatty() and not quiet and jobs == 1
    full = dependencies(specs)
    # One notebook at a time runs them in notebook order: nothing to start early.
    late = late_dependencies(specs) if jobs > 1 else {stem: set() for stem in full}
    early = early_dependencies(specs) if jobs > 1 else {stem: set() for stem in full}
    graph = {stem: full[stem] - late[stem] - early[stem] for stem in full}  # done to start
    early_read = {stem for readers in early.values() for stem in readers}
    positions = {spec.stem: position for position, spec in enumerate(specs, start=1)}
    by_stem: dict[str, dict] = {}
    # The notebooks whose dependants may go on: ran, skipped or not selected.
    progress_of_run = _Progress({spec.stem for spec in specs if spec not in selected})
    done = progress_of_run.done
    stale = {k: v for k, v in stale_dependants(specs, selected).items() if k in previous_entries}
    if stale:  # printed even with --quiet: the report mixes two runs' inputs
        print(
            f"warning: {', '.join(stale)} read what this run rewrites but keep the previous "
            "run's pages and artifacts; add --with-dependants to rerun them",
            file=sys.stderr,
            flush=True,
        )
    for spec in specs:
        if spec not in selected and spec.stem in previous_entries:
            kept = dict(previous_entries[spec.stem])
            kept.setdefault("kept_from", previous_manifest.get("finished"))
            # Stale since an earlier --only run, or since this one: it stays stale until rerun.
            stale_from = {*kept.get("stale_inputs", []), *stale.get(spec.stem, [])}
            if stale_from:
                kept["stale_inputs"] = [s.stem for s in specs if s.stem in stale_from]
            by_stem[spec.stem] = kept
    # Among notebooks ready at the same time, the head of the longest chain of work starts
    # first, timed by the last report of this name (the folder the run will replace).
    last = params.output_dir / params.run_name / "manifest.json"
    last_seconds = {}
    if last.exists():
        with contextlib.suppress(ValueError, OSError):
            last_seconds = {
                e["stem"]: float(e["seconds"]) - float(e.get("waited_seconds", 0.0))
                for e in json.loads(last.read_text()).get("notebooks", [])
                if isinstance(e.get("seconds"), (int, float))
            }
    # A late dependency still ends before its reader does: chains follow every dependency.
    rank = {stem: i for i, stem in enumerate(critical_path_order(full, last_seconds))}
    # The notebooks the run's end waits for keep their priority; the others, which start
    # early or run beside them, give way on a busy core (nice +10): the end comes sooner
    # and the total work is the same. One job at a time has nothing to give way to.
    critical = set(critical_chain(graph, last_seconds))
    niceness = {
        spec.stem: 0 if jobs == 1 or spec.stem in critical else _BACKGROUND_NICENESS
        for spec in specs
    }
    pending = sorted((spec for spec in specs if spec in selected), key=lambda s: rank[s.stem])
    running: dict = {}
    failure: BaseException | None = None
    # Kernels started ahead on cores the run leaves idle; with one job there are none.
    warm = KernelPool(jobs) if jobs > 1 else None

    def capabilities_for(spec: NotebookSpec) -> set[str]:
        known = set(store.load("capabilities")) if store.exists("capabilities") else set()
        return known | _parameters_given(params, spec)

    never_warm: set[str] = set()  # notebooks the capabilities known so far would skip

    def can_start(stem: str) -> bool:
        """Its dependencies are done, and those it reads early writes of are at least there."""
        return graph[stem] <= done and early[stem] <= progress_of_run.done_or_reached()

    def busy() -> int:
        """Notebooks using a core: those running, but for those waiting for late reads and
        those whose kernel is shutting down after their last cell."""
        if jobs == 1:  # one notebook at a time, the next after the last one's kernel ended
            return len(running) - progress_of_run.waiting()
        stems = {spec.stem for spec in running.values()}
        return len(running) - progress_of_run.waiting() - progress_of_run.ending(stems)

    def warm_next() -> None:
        """Start kernels for the notebooks that will be ready next, while cores are idle."""
        soon = done | {spec.stem for spec in running.values()}
        for spec in pending:
            # The next notebook of the critical chain gets its kernel even on busy cores: the
            # start costs the same CPU now as later, but later the run's end would wait for it.
            if spec.stem in critical:
                if warm.waiting() > jobs:
                    continue
            elif busy() + warm.starting() >= jobs or warm.waiting() >= jobs:
                continue
            if (
                spec.stem in warm
                or spec.stem in never_warm
                or not graph[spec.stem] | early[spec.stem] <= soon
            ):
                continue
            if store.exists("capabilities") and _skip_reason(spec, capabilities_for(spec)):
                never_warm.add(spec.stem)  # checked once, not at every poll of the loop
                continue
            warm.warm(
                spec.stem, spec.path, niceness[spec.stem],
                params.notebook_parameters(spec, staging),
            )  # fmt: skip

    # One environment for every kernel start (the threads must not set and restore it in turn).
    pages: list = []  # the HTML pages being rendered
    with (
        _kernel_environment(),
        # Kernels forked from one process that loaded the libraries once (inside the
        # environment above, which is theirs).
        fork_server(specs[0].path.parent, [spec.path for spec in pending])
        if specs
        else contextlib.nullcontext(),
        # A thread per notebook: one waiting for its late reads holds a thread, not a core.
        ThreadPoolExecutor(max_workers=max(jobs, len(selected))) as pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="render") as renderer,
    ):
        try:
            while pending or running:
                # Longest chain first, start every notebook whose dependencies are done.
                while failure is None and busy() < jobs:
                    ready = next((s for s in pending if can_start(s.stem)), None)
                    if ready is None:
                        break
                    pending.remove(ready)
                    label = f"[{positions[ready.stem]}/{len(specs)}]"
                    reason = _skip_reason(ready, capabilities_for(ready))
                    if reason:
                        by_stem[ready.stem] = {
                            "stem": ready.stem, "title": ready.title,
                            "status": "skipped", "reason": reason,
                        }  # fmt: skip
                        _log(f"{label} {ready.stem}: skipped ({reason})", quiet)
                        progress_of_run.finished(ready.stem)
                        continue
                    _log(f"{label} {ready.stem}: running", quiet)
                    kernel = None if warm is None else warm.claim(ready.stem)
                    future = pool.submit(
                        _run_one, ready, staging, params, hide, progress, label, quiet, kernel,
                        (late[ready.stem], progress_of_run, ready.stem in early_read),
                        niceness[ready.stem],
                    )  # fmt: skip
                    running[future] = ready
                if not running:
                    break  # a failure: nothing left running, no new notebook starts
                if warm is not None and failure is None:
                    warm_next()
                finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    spec = running.pop(future)
                    try:
                        by_stem[spec.stem], render = future.result()
                    except Exception as exc:  # the first failure is the one reported
                        failure = failure or exc
                        progress_of_run.stop()  # a notebook waiting for late reads stops too
                    else:
                        progress_of_run.finished(spec.stem)
                        pages.append(renderer.submit(render))
            for page in pages if failure is None else []:
                page.result()  # a page that cannot be rendered fails the run
        except BaseException:  # interrupted: stop the kernels the threads wait for
            progress_of_run.stop()
            pool.shutdown(wait=False, cancel_futures=True)
            renderer.shutdown(wait=False, cancel_futures=True)
            kill_kernels()
            raise
        finally:
            if warm is not None:
                warm.close()  # the kernels of notebooks that never started
    if failure is not None:
        raise failure
    entries = [by_stem[spec.stem] for spec in specs if spec.stem in by_stem]

    _restore_metrics(staging)
    metrics = store.metrics()
    (staging / "metrics.json").write_text(
        json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False), encoding="utf-8"
    )
    manifest = {
        "run_name": params.run_name,
        "params_file": params.source,
        "data_source": params.data.get("source"),
        "params": {
            "seed": params.seed,
            "data": params.data,
            "sections": params.sections,
            "compute": params.compute.model_dump(mode="json"),
        },
        "versions": _versions(),
        "git_commit": _git_commit(Path(__file__).resolve().parent),
        "inputs": {
            path: {k: v for k, v in seen.items() if k != "mtime_ns"}
            for path, seen in inputs.items()
        },
        "notebooks": entries,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "hide_code": hide,
    }
    changed = _changed_inputs(inputs, params.input_files())
    if changed:  # printed even with --quiet: the report may mix two versions of the data
        manifest["inputs_changed_during_run"] = changed
        print(
            f"warning: input files changed while the report ran: {', '.join(changed)}; the "
            "manifest records them as they were at the start; rerun on a stable copy",
            file=sys.stderr,
            flush=True,
        )
    (staging / "manifest.json").write_text(
        json.dumps(to_jsonable(manifest), indent=2, sort_keys=True), encoding="utf-8"
    )
    title = params.report.title or f"Precision Marketing Workbook: {params.run_name}"
    index = render_index(
        title=title, run_name=params.run_name, notebooks=entries, metrics=metrics, manifest=manifest
    )
    (staging / "index.html").write_text(index, encoding="utf-8")
    report_dir = publish(staging, params.output_dir, params.run_name)
    return RunResult(report_dir=report_dir, notebooks=entries, metrics=metrics)
