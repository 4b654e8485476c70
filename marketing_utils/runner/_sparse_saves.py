"""A papermill engine that writes the executing notebook less often.

papermill writes the whole notebook to disk before and after every cell, so
that a notebook stopped half-way can be read. On the default report that is
about 600 writes of notebooks of 0.2-0.8 MB, each serialized and validated:
3 CPU seconds of the runner, beside kernels that want both cores. This engine
writes at the notebook's start, then at most once every :data:`SAVE_EVERY`
seconds between cells, and at its end; on a cell's error papermill writes the
notebook with the traceback, as before. A notebook stopped by a signal or a
dead kernel is kept with its cells up to at most :data:`SAVE_EVERY` seconds
before the stop.
"""

from __future__ import annotations

import time

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "SAVE_EVERY"]

#: The name under which the runner asks papermill for this engine.
ENGINE_NAME = "workbook-sparse-saves"
#: Seconds between two writes of a notebook while its cells run.
SAVE_EVERY = 2.0


class _SparseSaves(NotebookExecutionManager):
    """papermill's execution manager, writing at most every :data:`SAVE_EVERY` seconds
    between cells (its first and last writes always happen)."""

    _written_at: float | None = None

    def save(self, **kwargs):
        now = time.monotonic()
        if self._written_at is not None and now - self._written_at < SAVE_EVERY:
            return
        super().save(**kwargs)
        self._written_at = now

    def notebook_complete(self, **kwargs):
        self._written_at = None  # the last write always happens
        super().notebook_complete(**kwargs)


class _SparseSavesEngine(NBClientEngine):
    """nbclient's engine with a :class:`_SparseSaves` manager (papermill's ``Engine``
    builds its manager in ``execute_notebook``; this is that method with the other class)."""

    @classmethod
    def execute_notebook(
        cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
        autosave_cell_every=30, **kwargs,
    ):  # fmt: skip
        manager = _SparseSaves(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb


papermill_engines.register(ENGINE_NAME, _SparseSavesEngine)
