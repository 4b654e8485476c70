"""Report pages from the kept exporter without nbconvert's second pass: the same page."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import nbformat
import pytest
from bs4 import BeautifulSoup
from jinja2 import DictLoader
from nbconvert import HTMLExporter

from marketing_utils.runner._page_exporter import MISSING_ALT, accessible, render_page
from marketing_utils.runner.report import _PAGE_TEMPLATE, prepare_notebook
from marketing_utils.runner.report_math import MathStash

# A 1x1 PNG: an image output as matplotlib's inline backend sends one (no description).
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b40000000049454e44ae426082"
    )
).decode()


def _notebook():
    out = nbformat.v4.new_output
    code = nbformat.v4.new_code_cell(
        'label = "<script>alert(1)</script>"\nprint(label)',
        outputs=[
            out("stream", name="stdout", text="<b>printed</b>\n"),
            out("stream", name="stderr", text="a warning\n"),
            out("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            out(
                "execute_result",
                data={"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "t"},
                execution_count=1,
            ),
        ],
        execution_count=1,
    )
    cells = [nbformat.v4.new_markdown_cell("# Title\nSome *text* and $x^2$."), code]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return prepare_notebook(notebook, MathStash())


def _nbconvert_page(notebook, hide_code: bool) -> str:
    """The page from nbconvert's own exporter and the lab template's own input block."""
    stock = _PAGE_TEMPLATE[: _PAGE_TEMPLATE.index("{#- Code as Pygments")]
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"page.html.j2": stock})],
        template_file="page.html.j2",
    )
    exporter.exclude_input = exporter.exclude_input_prompt = hide_code
    exporter.exclude_output_prompt = True
    exporter.sanitize_html = False
    return exporter.from_notebook_node(notebook, resources={"metadata": {"name": "nb"}})[0]


@pytest.mark.parametrize("hide_code", [False, True])
def test_the_page_is_nbconvert_page_tag_by_tag(hide_code):
    notebook = _notebook()
    ours = render_page(_PAGE_TEMPLATE, hide_code, notebook, {"metadata": {"name": "nb"}})
    theirs = _nbconvert_page(notebook, hide_code)

    ours_parsed = BeautifulSoup(ours, "html.parser")
    assert ours_parsed == BeautifulSoup(theirs, "html.parser")
    # Not vacuous: the page has the parts the second pass changed, and the code's text.
    assert ours_parsed.select("img")[0]["alt"] == MISSING_ALT
    assert len(ours_parsed.select("div.jp-OutputArea-output[tabindex='0']")) == 4
    inputs = ours_parsed.select("div.jp-Cell-inputWrapper[tabindex='0']")
    assert len(inputs) == (1 if hide_code else 2)  # the Markdown cell's, and the code's
    assert not ours_parsed.select("script")
    assert ("alert(1)" in ours_parsed.get_text()) is not hide_code


def test_the_same_exporter_renders_two_pages_apart():
    first = _notebook()
    second = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Other page")])
    page_one = render_page(_PAGE_TEMPLATE, False, first, {"metadata": {"name": "one"}})
    page_two = render_page(_PAGE_TEMPLATE, False, second, {"metadata": {"name": "two"}})
    assert "&lt;b&gt;printed" in page_one and "&lt;b&gt;printed" not in page_two
    assert "Other page" in page_two and "Other page" not in page_one
    assert render_page(_PAGE_TEMPLATE, False, first, {"metadata": {"name": "one"}}) == page_one


def test_accessible_adds_nbconvert_attributes_where_they_belong():
    page = (
        '<div class="jp-Cell jp-Cell-inputWrapper"><img src="a.png">'
        '<img class="x" alt="a chart" src="b.png"><IMG src="c.png"></div>'
        '<div data-mime-type="text/plain" class="jp-RenderedText jp-OutputArea-output">1</div>'
        '<div class="jp-OutputArea-outputs"></div><div class="jp-OutputArea-output-x"></div>'
        '<div tabindex="-1" class="jp-OutputArea-output"></div>'
    )
    parsed = BeautifulSoup(accessible(page), "html.parser")
    assert [img.get("alt") for img in parsed.select("img")] == [MISSING_ALT, "a chart", MISSING_ALT]
    # nbconvert sets an existing tabindex to 0 too.
    assert [div.get("tabindex") for div in parsed.select("div")] == ["0", "0", None, None, "0"]
    assert (
        accessible("<p>&lt;img src=x&gt; stays text</p>") == "<p>&lt;img src=x&gt; stays text</p>"
    )


# Raw HTML an author may write in a Markdown cell: attribute forms nbconvert's parser reads,
# and places where it sees no tag at all.
_RAW_HTML = [
    '<img src="a.png" alt = "chart">',
    '<img src="a.png" alt>',
    '<img title="a > b" alt="chart" src="c.png">',
    '<img title="see alt=x" src="d.png">',
    "<div class='jp-OutputArea-output'>x</div>",
    '<div\nclass="jp-OutputArea-output"\n>y</div>',
    "<div tabindex class=jp-Cell-inputWrapper></div>",
    '<div data-class="jp-OutputArea-output" class="x"></div>',
    '<!-- <img src="e.png"> -->',
    "<script>var s = '<img src=\"f.png\">';</script>",
    "<style>/* <img src=g> */</style>",
    '<a title="<img src=h>">x</a>',
    '<img/src="i.png">',
    '<IMG SRC="j.png"/>',
    '<img2 src="k">',
    '<p>a < b and <img src="l.png"></p>',
]


def _second_pass(html: str) -> str:
    """nbconvert 7.16's second pass (``HTMLExporter.from_notebook_node``), line for line."""
    soup = BeautifulSoup(html, features="html.parser")
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = MISSING_ALT
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    return str(soup)


class _DuplicateAttributes(HTMLParser):
    """Start tags with one attribute name twice (a browser keeps the first, BeautifulSoup the
    last: a duplicate ``alt`` would show the placeholder instead of the author's text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list = []

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.found.append((tag, attrs))


@pytest.mark.parametrize("raw", _RAW_HTML)
def test_accessible_reads_tags_as_nbconvert_parser_does(raw):
    page = f'<body class="jp-Notebook">{raw}</body>'
    ours = accessible(page)
    assert BeautifulSoup(ours, "html.parser") == BeautifulSoup(_second_pass(page), "html.parser")
    duplicates = _DuplicateAttributes()
    duplicates.feed(ours)
    assert duplicates.found == []


def test_a_page_with_raw_html_in_markdown_is_nbconvert_page():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("\n\n".join(_RAW_HTML)), *_notebook().cells]
    )
    notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    ours = render_page(_PAGE_TEMPLATE, False, notebook, {"metadata": {"name": "nb"}})
    theirs = _nbconvert_page(notebook, False)
    assert BeautifulSoup(ours, "html.parser") == BeautifulSoup(theirs, "html.parser")
    # The author's alt text stays the only one; the images without one get the placeholder.
    parsed = BeautifulSoup(ours, "html.parser")
    alts = [img.get("alt") for img in parsed.select("img")]
    assert alts.count("chart") == 2 and alts.count("") == 1 and alts.count(MISSING_ALT) == 4
