"""The executing notebook is written at its start, at most every SAVE_EVERY seconds between
cells, and at its end; a run's notebooks still hold every output."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from marketing_utils.runner import _sparse_saves
from marketing_utils.runner._sparse_saves import ENGINE_NAME, SAVE_EVERY, _SparseSaves


def test_writes_at_start_then_at_most_every_interval_and_always_at_the_end(tmp_path, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(_sparse_saves.time, "monotonic", lambda: clock[0])
    written: list[float] = []
    monkeypatch.setattr("papermill.engines.write_ipynb", lambda nb, path: written.append(clock[0]))
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"x = {i}") for i in range(4)]
    )
    notebook.metadata["papermill"] = {}  # as papermill's execute_notebook prepares it
    manager = _SparseSaves(notebook, output_path=str(tmp_path / "out.ipynb"), progress_bar=False)

    manager.notebook_start()
    assert written == [100.0]
    for index, cell in enumerate(manager.nb.cells):  # cells of 0.5 s: four writes skipped
        manager.cell_start(cell, index)
        clock[0] += 0.5
        manager.cell_complete(cell, index)
    assert written == [100.0, 100.0 + SAVE_EVERY]
    clock[0] += 0.1
    manager.notebook_complete()
    assert written == [100.0, 100.0 + SAVE_EVERY, 102.1]


@pytest.mark.filterwarnings("ignore")
def test_the_written_notebook_holds_every_cell_and_a_failure(tmp_path):
    cells = [nbformat.v4.new_code_cell(f"print({i} * 2)") for i in range(6)]
    cells.append(nbformat.v4.new_code_cell("raise ValueError('stop here')"))
    source = tmp_path / "in.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    output = tmp_path / "out.ipynb"

    with pytest.raises(papermill.PapermillExecutionError, match="stop here"):
        papermill.execute_notebook(
            str(source), str(output), kernel_name="python3", engine_name=ENGINE_NAME,
            progress_bar=False,
        )  # fmt: skip

    written = nbformat.read(output, as_version=4)
    assert [c.outputs[0]["text"] for c in written.cells[1:7]] == [f"{2 * i}\n" for i in range(6)]
    assert written.cells[-1].outputs[0]["evalue"] == "stop here"
