"""Fixture notebooks for the runner tests: tiny, fast, and each with one purpose."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest


def write_notebook(
    path: Path,
    parameters: str,
    body: list[str],
    requires=None,
    title="Test",
    reads=None,
    writes=None,
    late_reads=None,
    late_body=(),
    early_writes=None,
) -> Path:
    """A notebook: title, parameters cell, ``body`` cells, then ``late_body`` cells tagged
    ``late-read``; the metadata declares ``requires``, ``reads``, ``writes``, ``late_reads``,
    ``early_writes``."""
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\nA fixture notebook.")]
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    cells.append(cell)
    cells += [nbformat.v4.new_code_cell(source) for source in body]
    for source in late_body:
        cells.append(nbformat.v4.new_code_cell(source))
        cells[-1].metadata["tags"] = ["late-read"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    meta = {"requires": requires} if requires else {}
    if reads is not None:
        meta["reads"] = reads
    if writes is not None:
        meta["writes"] = writes
    if late_reads is not None:
        meta["late_reads"] = late_reads
    if early_writes is not None:
        meta["early_writes"] = early_writes
    if meta:
        notebook.metadata["marketing_workbook"] = meta
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def fixture_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "01_make.ipynb",
        'run_dir = "../runs/lab"  # where artifacts go\nseed = 0\nvalue = 3  # a number to double\n'
        'label = "x"  # a label\ndata = {"source": "synthetic"}',
        [
            "from marketing_utils.artifacts import Artifacts\nstore = Artifacts(run_dir)",
            'store.record_metrics("make", {"doubled": value * 2, "seed": seed, "label": label,'
            ' "source": data["source"]})',
            'store.save("capabilities", ["customers", "transactions"])',
            'print("<script>alert(1)</script>")',
        ],
        title="Make",
    )
    write_notebook(
        folder / "02_uplift_like.ipynb",
        'run_dir = "../runs/lab"\nthreshold = 0.5',
        ["raise RuntimeError('a skipped notebook must never run')"],
        requires=["campaign.treatment"],
        title="Needs a campaign",
    )
    write_notebook(
        folder / "03_maybe_fail.ipynb",
        'run_dir = "../runs/lab"\nfail = False  # raise on purpose',
        [
            "from marketing_utils.artifacts import Artifacts",
            "x = 1",
            "if fail:\n    raise ValueError('boom on purpose')",
            'Artifacts(run_dir).record_metrics("maybe_fail", {"ok": True})',
        ],
        title="Maybe fail",
    )
    return folder


@pytest.fixture
def params_file(tmp_path: Path):
    def make(text: str, name: str = "run.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make
