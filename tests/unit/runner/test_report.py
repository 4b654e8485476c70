"""The report's rendering pieces: formulas to MathML, HTML outputs made safe and readable,
headline figures, and the index as an executive summary (hostile labels stay text)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest

from marketing_utils import Artifacts
from marketing_utils.runner.report import (
    format_headline,
    prepare_notebook,
    render_index,
    render_notebook_html,
)
from marketing_utils.runner.report_math import MathStash, extract_math
from marketing_utils.runner.report_tables import (
    KEEP_ROWS,
    format_number,
    readable_table_html,
    sanitize_fragment,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


class Parsed(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_formulas_become_mathml_and_code_and_prices_stay():
    stash = MathStash()
    text = extract_math(
        "Profit $v \\cdot n - c$, and\n$$\\widehat{\\text{ATE}} = \\bar y_T - \\bar y_C$$\n"
        "costs $5 and $10; code `x = $y$` stays.",
        stash,
    )
    assert text.count("MWBMATH") == 2
    assert "costs $5 and $10" in text and "`x = $y$`" in text
    html = stash.restore(f"<p>{text}</p>")
    assert html.count("<math") == 2 and 'display="block"' in html
    assert "\\bar" not in html and "&#x000AF;" in html  # the bar accent, as MathML


def test_a_formula_the_converter_cannot_read_stays_as_code():
    stash = MathStash()
    key = stash.add("\\frac{1}{", display=False)
    assert stash.restore(key).startswith('<code class="tex">')


@pytest.mark.parametrize(
    ("text", "shown"),
    [("2398.0", "2398"), ("12345.0", "12,345"), ("0.321700", "0.322"), ("-0.008823", "-0.00882"),
     ("12.3456", "12.35"), ("1234.5", "1,234"), ("-0.0", "0"), ("1e-05", "1e-05"), ("NaN", "NaN"),
     ("toys", "toys"), ("2025-10-02", "2025-10-02")],
)  # fmt: skip
def test_numbers_are_shown_to_meaningful_digits(text, shown):
    assert format_number(text) == shown


def test_html_outputs_keep_tables_and_lose_scripts_and_handlers():
    frame = pd.DataFrame(
        {"n_customers": [2398.0, 12.0], f"segment {SCRIPT}": [IMG, "plain"]},
        index=pd.Index(["a", "b"], name="group"),
    )
    html = readable_table_html(frame._repr_html_() + "<script>alert(2)</script>")
    parsed = Parsed(html)
    assert not [t for t, a in parsed.tags if t in ("script", "style", "img")]
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    text = "".join(parsed.text)
    assert SCRIPT in text and IMG in text  # the data's markup is shown as text
    assert "n customers" in text and "group" in text  # readable header, index label kept
    assert '<td class="num">2398</td>' in html and "<thead>" in html
    assert "alert(2)" not in html


def test_missing_values_show_as_a_dash():
    frame = pd.DataFrame({"first": [pd.NA, "2023-01-01"], "x": [float("nan"), 1.5]})
    html = readable_table_html(frame._repr_html_())
    assert html.count('<td class="num missing">–</td>') == 2 and "NaN" not in html


def test_long_tables_are_cut_with_a_count():
    frame = pd.DataFrame({"x": range(40)})
    html = readable_table_html(frame._repr_html_())
    assert html.count("<tr>") == 1 + KEEP_ROWS  # header + kept rows
    assert f"… {40 - KEEP_ROWS} more rows not shown (40 in all" in html


def test_sanitize_drops_unknown_tags_but_keeps_text():
    assert sanitize_fragment('<iframe src="x"></iframe><p onclick="x">hi</p>') == "<p>hi</p>"


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nThe rate $p = k/n$ is **bold**."),
        nbformat.v4.new_code_cell('run_dir = "/tmp/x/.tmp-demo-1-2"'),
    ]
    frame = pd.DataFrame({"name": [SCRIPT]})
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="saved to /tmp/x/.tmp-demo-1-2/a\n"),
        nbformat.v4.new_output(
            "display_data", data={"text/html": frame._repr_html_(), "text/plain": "t"}
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": f"**bold** {IMG}", "text/plain": "m"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/javascript": "alert(3)", "text/plain": "js"},
        ),
    ]
    return nb


def test_prepare_notebook_does_not_change_its_input():
    nb = _notebook()
    before = json.dumps(nb, sort_keys=True)
    prepare_notebook(nb, MathStash(), path_aliases={"/tmp/x/.tmp-demo-1-2": "/tmp/x/demo"})
    assert json.dumps(nb, sort_keys=True) == before


@pytest.mark.parametrize("hide_code", [False, True])
def test_a_page_renders_markdown_math_and_tables_and_keeps_data_as_text(tmp_path, hide_code):
    source = tmp_path / "01_demo.ipynb"
    nbformat.write(_notebook(), source)
    figure = {"label": f"lift {SCRIPT}", "value": 3.2, "format": "ratio", "reading": "r",
              "comparison": "c"}  # fmt: skip
    page = render_notebook_html(
        source,
        tmp_path / "01_demo.html",
        hide_code=hide_code,
        path_aliases={"/tmp/x/.tmp-demo-1-2": "/tmp/x/demo"},
        metrics={"headline": [figure], "decision": f"Contact {IMG} now."},
    ).read_text()
    parsed = Parsed(page)
    tags = [t for t, _ in parsed.tags]
    assert "h1" in tags and "strong" in tags and "math" in tags and "table" in tags
    assert (
        "script" not in tags and "img" not in tags
    )  # no script at all, and the data's img is text
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    text = "".join(parsed.text)
    assert SCRIPT in text  # the table's value, escaped by pandas, shown as text
    # The page opens with the stage's declaration, right under its title, as text.
    assert text.index("At a glance") < text.index("The rate")
    assert f"Contact {IMG} now." in text and f"lift {SCRIPT}" in text and "3.2x" in text
    assert "bold" in text  # a Markdown output is rendered, and its markup cleaned (no img)
    assert ".tmp-demo" not in page and "saved to /tmp/x/demo/a" in text
    assert "alert(3)" not in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "cdnjs" not in page
    assert ("run_dir" in text) is not hide_code


def test_headline_values_are_formatted_by_kind():
    assert format_headline(-0.00882, "points") == "-0.88 points"
    assert format_headline(0.0283, "percent") == "2.8%"
    assert format_headline(-9.946, "currency") == "-9.95"
    assert format_headline(246347.2, "currency") == "246,347"
    assert format_headline(0.9454, "number") == "0.945"


def test_record_headline_validates_and_keeps_the_declaration(tmp_path):
    store = Artifacts(tmp_path)
    store.record_metrics("evaluation", {"auc": 0.9})
    figure = {"label": "AUC", "value": 0.9, "format": "number", "reading": "r", "comparison": "c"}
    store.record_headline("evaluation", [figure], decision="Contact the top 10%.")
    saved = store.metrics()["evaluation"]
    assert saved == {"auc": 0.9, "headline": [figure], "decision": "Contact the top 10%."}
    with pytest.raises(
        ValueError, match="headline figure 1 of stage 'evaluation': missing comparison"
    ):
        store.record_headline(
            "evaluation", [{k: v for k, v in figure.items() if k != "comparison"}]
        )
    with pytest.raises(ValueError, match="format must be one of .* found 'pct'"):
        store.record_headline("evaluation", [{**figure, "format": "pct"}])


def test_index_is_an_executive_summary_in_stage_order():
    notebooks = [
        {"stem": "01_prep", "title": f"01 · Prep {SCRIPT}", "status": "ran", "seconds": 1.0,
         "html": "html/01_prep.html", "ipynb": "notebooks/01_prep.ipynb"},
        {"stem": "02_lift", "title": "02 · Lift", "status": "skipped", "reason": "needs a control group"},
        {"stem": "03_eval", "title": "03 · Eval", "status": "ran", "seconds": 2.0,
         "html": "html/03_eval.html", "ipynb": "notebooks/03_eval.ipynb"},
    ]  # fmt: skip
    figure = {"label": f"profit {IMG}", "value": 1113.0, "format": "currency",
              "reading": "top 47%", "comparison": "95% interval 954 to 1,300"}  # fmt: skip
    metrics = {
        "eval": {"auc": 0.9, "headline": [figure, {**figure, "label": "lift", "value": 3.2,
                 "format": "ratio"}], "decision": f"Contact {SCRIPT} the top 47%."},
        "prep": {"n": 3},
    }  # fmt: skip
    page = render_index(
        title="Run", run_name="demo", notebooks=notebooks, metrics=metrics, manifest={}
    )
    parsed = Parsed(page)
    assert "script" not in [t for t, _ in parsed.tags] and "img" not in [t for t, _ in parsed.tags]
    text = "".join(parsed.text)
    assert f"profit {IMG}" in text and f"Contact {SCRIPT} the top 47%." in text
    stages = [a["data-stage"] for t, a in parsed.tags if t == "section" and "data-stage" in a]
    assert stages == ["01_prep", "02_lift", "03_eval"]
    assert page.index("What this run supports") < page.index("03 · Eval")
    assert '<td class="value">1,113</td>' in page and '<td class="value">3.2x</td>' in page
    assert "declares no headline figures" in page  # 01 ran but declared none
    assert "needs a control group" in page
    # The complete metrics wait behind a toggle; the declaration itself is not repeated there.
    assert "<details><summary>all 1 metrics</summary>" in page
    assert "headline" not in page.split("<details>")[-1]
