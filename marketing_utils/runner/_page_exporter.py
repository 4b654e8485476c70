"""nbconvert's HTML exporter for report pages, built once and without its second pass.

Rendering a page was a large share of the runner's own CPU time (0.34 s a page on the default
report, ten pages a run). Two parts of it do no work for a report page:

- **The second pass.** ``HTMLExporter.from_notebook_node`` parses the finished page again with
  BeautifulSoup only to give images without an ``alt`` a placeholder and make input and output
  areas focusable (``tabindex="0"``), then prints the whole page again: 60 % of the time.
  :func:`accessible` adds the same attributes where the tags are written.
- **Compiling the templates** for every page. One exporter serves every page of a run.

The page is the same page: ``tests/unit/runner/test_page_exporter.py`` compares it, tag by tag
and attribute by attribute, with nbconvert's own.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

__all__ = ["accessible", "render_page"]

#: nbconvert's text for an image that brings no description of its own.
MISSING_ALT = "No description has been provided for this image"

# What nbconvert's parser (Python's html.parser) reads as text, not tags: comments and the
# contents of script and style elements. They are matched first and left as they are.
_NOT_TAGS = r"<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>"
# One attribute of a start tag as html.parser reads it: a name, then maybe = and a double-
# quoted, single-quoted or bare value (groups: name, then the value in one of three forms).
_ATTRIBUTE = r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"'][^\s>]*)))?"""
# Every start tag, so that the scan never looks inside an attribute's value.
_START_TAG = rf"<([a-zA-Z][^\s/>]*)((?:\s*{_ATTRIBUTE}|\s*/(?!>))*)\s*/?>"
_TAG_OR_TEXT = re.compile(rf"{_NOT_TAGS}|{_START_TAG}", re.IGNORECASE | re.DOTALL)
_ATTRIBUTES = re.compile(_ATTRIBUTE)
# The areas a keyboard user moves between: a cell's input and each of its outputs.
_FOCUSABLE = {"jp-Cell-inputWrapper", "jp-OutputArea-output"}

_lock = threading.Lock()


def _with_attributes(match: re.Match) -> str:
    """A start tag with the attributes nbconvert's second pass gives it (others unchanged)."""
    tag = (match.group(1) or "").lower()
    if tag not in ("img", "div"):
        return match.group(0)
    attributes = {}  # html.parser keeps the last of two equal names
    for found in _ATTRIBUTES.finditer(match.group(2)):
        name, *value = found.groups()
        attributes[name.lower()] = (found, "".join(v or "" for v in value))
    text, name_end = match.group(0), 1 + len(match.group(1))
    if tag == "img":
        if "alt" in attributes:
            return text
        return f'{text[:name_end]} alt="{MISSING_ALT}"{text[name_end:]}'
    classes = set(attributes.get("class", (None, ""))[1].split())
    if not classes & _FOCUSABLE:
        return text
    if "tabindex" not in attributes:
        return f'{text[:name_end]} tabindex="0"{text[name_end:]}'
    # nbconvert sets it to 0 whatever it was.
    found, offset = attributes["tabindex"][0], match.start(2) - match.start(0)
    return f'{text[: offset + found.start()]}tabindex="0"{text[offset + found.end() :]}'


def accessible(page: str) -> str:
    """``page`` with nbconvert's accessibility attributes, added where the tags are written.

    An ``<img>`` without ``alt`` gets nbconvert's placeholder text, and the ``<div>`` of each
    cell input and each output gets ``tabindex="0"``, as ``HTMLExporter`` sets them on the
    tags its parser finds (not in comments, scripts, styles or attribute values).

    Examples
    --------
    >>> accessible('<div class="jp-Cell-inputWrapper"><img src="a.png"></div>')
    '<div tabindex="0" class="jp-Cell-inputWrapper"><img alt="No description has been \
provided for this image" src="a.png"></div>'
    >>> accessible('<div class="jp-OutputArea-outputs"><img alt = "a chart" src="a.png"></div>')
    '<div class="jp-OutputArea-outputs"><img alt = "a chart" src="a.png"></div>'
    """
    return _TAG_OR_TEXT.sub(_with_attributes, page)


@cache
def _exporter_class() -> type:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportPageExporter(HTMLExporter):
        """``HTMLExporter`` whose page is not parsed and printed a second time."""

        def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[override]
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7.16).
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            data_types = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", data_types)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return accessible(page), resources

    return ReportPageExporter


@cache
def _exporter(template: str, hide_code: bool) -> Any:
    from jinja2 import DictLoader

    exporter = _exporter_class()(
        template_name="lab",
        extra_loaders=[DictLoader({"workbook_report.html.j2": template})],
        template_file="workbook_report.html.j2",
    )
    exporter.exclude_input = hide_code
    exporter.exclude_input_prompt = hide_code
    exporter.exclude_output_prompt = True
    # Data is escaped where it enters the page (report.prepare_notebook); escaping the whole
    # page would show the workbook's own Markdown and tables as tag soup.
    exporter.sanitize_html = False
    return exporter


def render_page(template: str, hide_code: bool, notebook: Any, resources: dict) -> str:
    """The HTML page of ``notebook`` from the page ``template`` (a Jinja template of nbconvert's
    ``lab`` templates), with the code cells' input left out when ``hide_code``.

    One exporter per template and setting, kept for the process: its templates are compiled
    once. Pages are rendered one at a time (the exporter keeps per-page state).
    """
    with _lock:
        body, _ = _exporter(template, hide_code).from_notebook_node(notebook, resources=resources)
    return body
