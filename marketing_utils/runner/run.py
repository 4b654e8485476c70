"""Execute the workbook notebooks with papermill and assemble the HTML report."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ..artifacts import Artifacts, to_jsonable
from ..errors import RunError
from ..params.file import WorkbookParams, load_params
from ..params.notebooks import NotebookSpec, discover_notebooks
from ..schema import CAPABILITY_DESCRIPTIONS
from .report import render_index, render_notebook_html
from .safety import RunInterrupted, RunLock, publish, recover, terminate_as_exception

__all__ = ["RunResult", "run_workbook", "select_notebooks"]

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


def select_notebooks(specs: list[NotebookSpec], only: list[str] | None) -> list[NotebookSpec]:
    """The notebooks to run: all, or those named by ``--only`` (stem or section name)."""
    if not only:
        return specs
    chosen, names = [], {s.stem for s in specs} | {s.section for s in specs}
    unknown = [name for name in only if name.removesuffix(".ipynb") not in names]
    if unknown:
        raise RunError(
            f"--only: unknown notebook {', '.join(map(repr, unknown))}; "
            f"notebooks: {', '.join(s.stem for s in specs)}"
        )
    wanted = {name.removesuffix(".ipynb") for name in only}
    for spec in specs:
        if spec.stem in wanted or spec.section in wanted:
            chosen.append(spec)
    return chosen


def _skip_reason(spec: NotebookSpec, capabilities: set[str]) -> str | None:
    missing = spec.missing_requirements(capabilities)
    if not missing:
        return None

    def describe(requirement: str) -> str:
        parts = [p.strip() for p in requirement.split("|")]
        return " or ".join(CAPABILITY_DESCRIPTIONS.get(p, p) for p in parts)

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


def _kernel_manager_class(socket_dir: Path):
    """A kernel manager whose kernel talks to the runner over Unix sockets in ``socket_dir``.

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
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return str(socket_dir / "kernel")

    return IpcKernelManager


def _execute(spec: NotebookSpec, output: Path, parameters: dict, progress: bool) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        with _inline_figures(), tempfile.TemporaryDirectory(prefix="mwk-") as socket_dir:
            papermill.execute_notebook(
                str(spec.path),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                kernel_manager_class=_kernel_manager_class(Path(socket_dir)),
                cwd=str(spec.path.parent),
                progress_bar=progress,
                log_output=False,
            )
    except PapermillExecutionError as exc:
        first_line = next((line for line in (exc.source or "").splitlines() if line.strip()), "")
        raise RunError(
            f"notebook {spec.stem} failed in cell {exc.cell_index} (starting {first_line[:80]!r}): "
            f"{exc.ename}: {exc.evalue}"
        ) from exc


def run_workbook(
    params: str | Path | WorkbookParams,
    *,
    only: list[str] | None = None,
    notebooks_dir: str | Path | None = None,
    hide_code: bool | None = None,
    quiet: bool = False,
) -> RunResult:
    """Run the workbook for one params file and write ``<output_dir>/<run_name>/``.

    Parameters
    ----------
    params : path or WorkbookParams
        The params file (validated whole before any notebook runs).
    only : list of str, optional
        Run only these notebooks; the artifacts of the others are taken from
        the last good report of the same run name.
    notebooks_dir : path, optional
        Where the notebooks are (default: the project's ``notebooks/``).
    hide_code : bool, optional
        Hide code cells in the HTML (default: ``report.hide_code`` from params).
    quiet : bool
        Print no progress.

    Returns
    -------
    RunResult

    Raises
    ------
    ParamsError
        The params file is invalid (nothing has run).
    RunError
        A notebook failed (message names notebook, cell and error; the partly
        executed notebook is kept under ``<output_dir>/.failed/``), or another
        run of the same name holds the lock. The previous report is untouched.
    """
    specs = discover_notebooks(notebooks_dir)
    if not isinstance(params, WorkbookParams):
        params = load_params(params, notebooks_dir)
    selected = select_notebooks(specs, only)
    hide = params.report.hide_code if hide_code is None else hide_code
    output_dir = params.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)

    with RunLock(output_dir, params.run_name), terminate_as_exception():
        recover(output_dir, params.run_name)
        staging = output_dir / f".tmp-{params.run_name}-{os.getpid()}-{time.time_ns()}"
        final = output_dir / params.run_name
        if only and final.is_dir():
            shutil.copytree(final, staging)
        staging.mkdir(parents=True, exist_ok=True)
        for name in ("notebooks", "html"):
            (staging / name).mkdir(exist_ok=True)
        try:
            return _run_in(staging, params, specs, selected, hide, quiet)
        except (Exception, RunInterrupted, KeyboardInterrupt) as exc:
            failed = output_dir / ".failed" / f"{params.run_name}-{datetime.now():%Y%m%d-%H%M%S}"
            failed.parent.mkdir(parents=True, exist_ok=True)
            if staging.exists():
                os.rename(staging, failed)
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


def _run_in(
    staging: Path,
    params: WorkbookParams,
    specs: list[NotebookSpec],
    selected: list[NotebookSpec],
    hide: bool,
    quiet: bool,
) -> RunResult:
    started = datetime.now(UTC)
    store = Artifacts(staging)
    previous_manifest = {}
    if (staging / "manifest.json").exists():
        previous_manifest = json.loads((staging / "manifest.json").read_text())
    previous_entries = {e["stem"]: e for e in previous_manifest.get("notebooks", [])}
    entries = []
    progress = sys.stderr.isatty() and not quiet
    for position, spec in enumerate(specs, start=1):
        if spec not in selected:
            if spec.stem in previous_entries:
                entries.append(previous_entries[spec.stem])
            continue
        capabilities = set(store.load("capabilities")) if store.exists("capabilities") else set()
        entry = {"stem": spec.stem, "title": spec.title}
        reason = _skip_reason(spec, capabilities)
        if reason:
            entry.update(status="skipped", reason=reason)
            _log(f"[{position}/{len(specs)}] {spec.stem}: skipped ({reason})", quiet)
            entries.append(entry)
            continue
        _log(f"[{position}/{len(specs)}] {spec.stem}: running", quiet)
        output = staging / "notebooks" / spec.path.name
        tic = time.perf_counter()
        _execute(spec, output, params.notebook_parameters(spec, staging), progress)
        seconds = time.perf_counter() - tic
        html_path = staging / "html" / f"{spec.stem}.html"
        # The temporary folder is renamed when the run succeeds: readers see the final one.
        final = str(params.output_dir / params.run_name)
        render_notebook_html(
            output,
            html_path,
            hide_code=hide,
            path_aliases={str(staging): final},
            metrics=store.metrics().get(spec.section, {}),
        )
        entry.update(
            status="ran",
            seconds=round(seconds, 3),
            ipynb=f"notebooks/{spec.path.name}",
            html=f"html/{spec.stem}.html",
        )
        _log(f"[{position}/{len(specs)}] {spec.stem}: done in {seconds:.1f} s", quiet)
        entries.append(entry)

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
            str(p): {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in params.input_files()
        },
        "notebooks": entries,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "hide_code": hide,
    }
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
