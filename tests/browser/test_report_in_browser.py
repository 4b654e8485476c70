"""The ci report as its readers see it: every page loaded in headless Chromium.

Assertions are on what the browser shows (visible text, laid-out elements, loaded
images), not on the HTML source: no tag soup, every table with its header row,
every figure loaded, formulas rendered (no ``$...$`` source), no remote resource,
and an index that lists the stages in order with the headline figures each
stage declared. A screenshot of each page is saved for a reviewer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebooks]

#: Markup that a reader should never see as text.
TAG_TEXT = re.compile(
    r"</?(?:h[1-6]|p|div|table|thead|tbody|tr|td|th|style|script|span|ul|ol|li|em|strong|img|math)"
    r"(?:\s[^<>\n]*)?>"
)
#: Formula source left for a script that never came.
TEX_SOURCE = re.compile(r"\$\$|\$[^$\n]{1,200}\$|\\(?:frac|sum|hat|bar|text|sqrt|mathrm)\b")

#: What a reader sees, collected in the page itself.
INSPECT = r"""
// Laid out and not hidden (closed <details> content included: checkVisibility sees it).
const visible = (el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0
    && el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true});
};
// Capped: a broken page can show megabytes of image data as text, more than the
// driver returns in one value; the first 200,000 characters show any tag soup.
const cap = (text) => text.slice(0, 200000);
const read = (selector) => cap(Array.from(document.querySelectorAll(selector))
  .filter(visible).map((el) => el.innerText).join('\n'));
const tables = Array.from(document.querySelectorAll('table')).filter(visible);
const headerless = tables.filter((t) => {
  const head = t.tHead ? Array.from(t.tHead.querySelectorAll('th')) : [];
  const first = t.rows.length ? Array.from(t.rows[0].querySelectorAll('th')) : [];
  const named = head.concat(first).filter((th) => visible(th) && th.innerText.trim() !== '');
  return named.length === 0;
}).map((t) => t.innerText.slice(0, 120));
const images = Array.from(document.images);
const maths = Array.from(document.querySelectorAll('math'));
// As JSON text: the driver cannot pass some values a broken page yields.
return JSON.stringify({
  title: document.title,
  body: cap(document.body.innerText),
  prose: read('.jp-RenderedMarkdown'),
  outputs: read('.jp-OutputArea-output'),
  tables: tables.length,
  headerless: headerless,
  images: images.length,
  broken_images: images.filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.alt || img.src.slice(0, 60)),
  maths: maths.length,
  unrendered_maths: maths.filter((m) => !visible(m)).length,
  inputs: document.querySelectorAll('.jp-InputArea-editor').length,
  remote: performance.getEntriesByType('resource').map((e) => e.name)
    .filter((name) => !name.startsWith('file:') && !name.startsWith('data:')),
  remote_tags: Array.from(document.querySelectorAll('script[src], link[href], iframe, img[src^="http"]'))
    .map((el) => el.src || el.href),
  height: document.documentElement.scrollHeight,
});
"""

INDEX = r"""
const visible = (el) => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
return {
  stages: Array.from(document.querySelectorAll('section.stage')).map((s) => ({
    stem: s.dataset.stage,
    title: s.querySelector('h3').innerText,
    headlines: Array.from(s.querySelectorAll('table.headline tbody tr')).filter(visible).map((tr) => ({
      label: tr.querySelector('.label').innerText,
      value: tr.querySelector('.value').innerText,
      reading: tr.querySelector('.reading').innerText,
      comparison: tr.querySelector('.comparison').innerText,
    })),
    toggle: s.querySelector('details') ? s.querySelector('details').open : null,
  })),
  decisions: Array.from(document.querySelectorAll('.decisions li')).filter(visible).map((li) => li.innerText),
  top: Array.from(document.querySelectorAll('h2')).map((h) => h.innerText),
};
"""


def _look(browser, page: Path, screenshot: Path) -> dict:
    browser.set_window_size(1280, 1600)
    browser.get(page.resolve().as_uri())
    seen = json.loads(browser.execute_script(INSPECT))
    # A screenshot of the top of the page (at most 6,000 px) for a reviewer.
    browser.set_window_size(1280, min(max(seen["height"], 800), 6000))
    browser.save_screenshot(str(screenshot))
    return seen


def _problems(seen: dict) -> list[str]:
    problems = []
    reader_text = f"{seen['prose']}\n{seen['outputs']}"
    tags = TAG_TEXT.findall(reader_text)
    if tags:
        problems.append(f"literal tags shown as text: {tags[:5]}")
    tex = TEX_SOURCE.findall(seen["prose"])
    if tex:
        problems.append(f"raw formula source shown: {tex[:5]}")
    if seen["headerless"]:
        problems.append(f"tables without a header row: {seen['headerless'][:3]}")
    if seen["broken_images"]:
        problems.append(f"images not loaded: {seen['broken_images'][:3]}")
    if seen["unrendered_maths"]:
        problems.append(f"{seen['unrendered_maths']} formulas not laid out")
    if seen["remote"] or seen["remote_tags"]:
        problems.append(f"remote resources: {(seen['remote'] + seen['remote_tags'])[:3]}")
    if ".tmp-" in seen["body"]:
        problems.append("a temporary run folder is shown")
    return problems


def _ran(result) -> list[dict]:
    return [entry for entry in result.notebooks if entry["status"] == "ran"]


def _stage_key(stem: str) -> str:
    """``"04_evaluation"`` -> ``"evaluation"``, the metrics section of most stages."""
    from marketing_utils.runner.report import _stage_key as key

    return key(stem)


def test_index_leads_with_the_stages_in_order_and_their_headlines(ci_report, browser, screenshots):
    result, metrics = ci_report
    seen = _look(browser, result.index, screenshots / "index.png")
    assert _problems(seen) == []
    index = browser.execute_script(INDEX)
    assert index["top"][0] == "What this run supports"
    # (sections without a stem hold metrics recorded under another name, e.g. 10's "readout")
    stems = [stage["stem"] for stage in index["stages"] if stage["stem"]]
    assert stems == [entry["stem"] for entry in result.notebooks] == sorted(stems)
    assert len(stems) >= 7
    # Every stage that ran declares its headline figures.
    declared = {key for key, values in metrics.items() if values.get("headline")}
    assert {_stage_key(stem) for stem in stems} - declared == set()
    for stage in index["stages"]:
        if not stage["stem"] or _stage_key(stage["stem"]) not in declared:
            continue
        figures = stage["headlines"]
        assert 2 <= len(figures) <= 4, (stage["stem"], figures)
        for figure in figures:
            assert figure["label"] and figure["value"] and figure["reading"], figure
            assert figure["value"] != "n/a", (stage["stem"], figure)
        assert stage["toggle"] is False  # the complete metrics wait behind a closed toggle
    # The headline figures are the stage's own declaration, shown as the stage gave them.
    evaluation = next(s for s in index["stages"] if s["stem"] == "04_evaluation")
    assert evaluation["headlines"][0]["label"] == "expected profit"
    assert evaluation["headlines"][0]["value"] == f"{metrics['evaluation']['expected_profit']:,.0f}"
    propensity = next(s for s in index["stages"] if s["stem"] == "03_propensity_modeling")
    assert (
        propensity["headlines"][0]["value"]
        == f"{metrics['propensity_modeling']['test_roc_auc']:.3g}"
    )
    assert "below the best possible" in propensity["headlines"][0]["comparison"]
    # The decisions: whom to contact (04), whether the campaign works (05), what to offer (06).
    decisions = "\n".join(index["decisions"])
    assert f"{metrics['evaluation']['threshold']:.2f}" in decisions
    assert "significant" in decisions
    assert "contact_plan.csv" in decisions
    assert len(index["decisions"]) >= 4


@pytest.mark.parametrize("hide_code", [False, True], ids=["full", "hide-code"])
def test_every_page_reads_as_rendered(ci_report, browser, screenshots, tmp_path, hide_code):
    result, metrics = ci_report
    pages = []
    for entry in _ran(result):
        page = result.report_dir / entry["html"]
        if hide_code:  # the same executed notebooks, rendered as the runner does for stakeholders
            from marketing_utils.runner.report import render_notebook_html

            notebook = result.report_dir / entry["ipynb"]
            injected = json.loads(notebook.read_text())["metadata"]["papermill"]["parameters"]
            page = render_notebook_html(
                notebook,
                tmp_path / f"{entry['stem']}.html",
                hide_code=True,
                path_aliases={injected["run_dir"]: str(result.report_dir)},
                metrics=metrics.get(_stage_key(entry["stem"]), {}),
            )
        pages.append((entry["stem"], page))
    assert len(pages) >= 7
    suffix = "-hide-code" if hide_code else ""
    found, totals = {}, {"tables": 0, "images": 0, "maths": 0}
    for stem, page in pages:
        seen = _look(browser, page, screenshots / f"{stem}{suffix}.png")
        problems = _problems(seen)
        if hide_code and seen["inputs"]:
            problems.append(f"{seen['inputs']} code cells shown")
        if not hide_code and not seen["inputs"]:
            problems.append("no code cell shown in the full report")
        opening = seen["prose"].lstrip().split("\n", 1)[-1].lstrip()
        if not opening.startswith("At a glance"):
            problems.append("the page does not open with its headline figures")
        if seen["images"] < 2:
            problems.append(f"only {seen['images']} figures")
        if problems:
            found[stem] = problems
        for key in totals:
            totals[key] += seen[key]
    assert found == {}
    # Every notebook has tables and figures, and most explain themselves with formulas.
    assert totals["tables"] >= 20 and totals["images"] >= 14 and totals["maths"] >= 50, totals


def test_the_metrics_file_keeps_every_declared_headline(ci_report):
    _, metrics = ci_report
    declared = {stage: values for stage, values in metrics.items() if "headline" in values}
    assert len(declared) >= 7
    for stage, values in declared.items():
        assert 2 <= len(values["headline"]) <= 4, stage
        json.dumps(values["headline"], allow_nan=False)
