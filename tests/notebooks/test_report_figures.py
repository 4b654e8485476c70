"""Every executed notebook shows its figures in the report, whatever MPLBACKEND says."""

from __future__ import annotations

import os


def test_every_ran_notebook_renders_its_figures(ci_report):
    # CI exports MPLBACKEND=Agg; the runner must still give the kernels the inline backend,
    # otherwise the report silently loses every figure.
    result, _ = ci_report
    ran = [entry for entry in result.notebooks if entry["status"] == "ran"]
    assert len(ran) >= 6
    figures = {
        entry["stem"]: (result.report_dir / entry["html"]).read_text().count("data:image/png")
        for entry in ran
    }
    assert all(count >= 2 for count in figures.values()), figures


def test_runner_leaves_the_callers_backend_alone(monkeypatch):
    from marketing_utils.runner.run import _INLINE_BACKEND, _inline_figures

    monkeypatch.setenv("MPLBACKEND", "Agg")
    with _inline_figures():
        assert os.environ["MPLBACKEND"] == _INLINE_BACKEND
    assert os.environ["MPLBACKEND"] == "Agg"
    monkeypatch.delenv("MPLBACKEND")
    with _inline_figures():
        assert os.environ["MPLBACKEND"] == _INLINE_BACKEND
    assert "MPLBACKEND" not in os.environ


def test_kernels_wait_passively_unless_the_caller_chose(monkeypatch):
    # Spinning OpenMP threads of side-by-side notebooks steal each other's cores.
    from marketing_utils.runner.run import _INLINE_BACKEND, _kernel_environment

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    with _kernel_environment():
        assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
        assert os.environ["MPLBACKEND"] == _INLINE_BACKEND
        with _kernel_environment():  # a notebook's run inside the parallel run
            assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
        assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    with _kernel_environment():
        assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_no_notebook_prints_library_noise_the_reader_cannot_act_on(ci_report):
    # A report handed to stakeholders shows what the notebooks print, warnings included: a
    # library's import-time complaint (e.g. tqdm's "IProgress not found" when implicit is
    # imported) is noise there. Real warnings of the analysis are printed by the notebooks.
    import json

    result, _ = ci_report
    noise = []
    for entry in result.notebooks:
        if entry["status"] != "ran":
            continue
        notebook = json.loads(
            (result.report_dir / "notebooks" / f"{entry['stem']}.ipynb").read_text()
        )
        for number, cell in enumerate(notebook["cells"]):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    noise.append((entry["stem"], number, "".join(output["text"])[:200]))
    assert noise == []
