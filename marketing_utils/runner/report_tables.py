"""HTML outputs of the notebooks made safe and readable for the report.

Two things happen to every ``text/html`` output (pandas tables, mostly):

- **safety**: the fragment is cleaned with :mod:`nh3` (the Ammonia sanitizer)
  against an allow-list of table and text tags. pandas already escapes the
  values and labels it writes, so a category called ``<script>`` arrives as
  text; the allow-list is the second line of defence for any other HTML a
  cell might display. Scripts, styles, event handlers and unknown tags go.
- **readability**: numbers are rounded to meaningful digits (integral floats
  shown as integers, thousands separated), column names lose their
  underscores, and long tables are cut with a count of the rows left out.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ROWS", "format_number", "readable_table_html", "sanitize_fragment"]

#: Tables longer than this are cut to :data:`KEEP_ROWS` rows with a count of the rest.
MAX_ROWS = 25
KEEP_ROWS = 20

_TAGS = {
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "div", "span", "p", "b", "i", "strong", "em", "code", "pre", "br", "ul", "ol", "li",
    "small", "sub", "sup", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl", "dt", "dd",
}  # fmt: skip
_ATTRIBUTES = {"th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}, "table": {"class"}}

#: How pandas writes a missing value; a reader sees a dash.
_MISSING = {"NaN", "nan", "&lt;NA&gt;", "NaT", "None"}
_NUMBER = re.compile(r"^\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_CELL = re.compile(r"<td>([^<]*)</td>")
_HEAD = re.compile(r"<thead>.*?</thead>", re.S)
_HEAD_CELL = re.compile(r"(<th[^>]*>)([^<]*)(</th>)")
_BODY = re.compile(r"(<tbody>)(.*?)(</tbody>)", re.S)
_ROW = re.compile(r"<tr>.*?</tr>", re.S)


def sanitize_fragment(fragment: str) -> str:
    """An HTML fragment reduced to the allowed tags; scripts and styles removed with their content.

    Examples
    --------
    >>> sanitize_fragment('<table class="dataframe"><tr><td onclick="x()">1</td></tr></table>')
    '<table class="dataframe"><tbody><tr><td>1</td></tr></tbody></table>'
    >>> sanitize_fragment("<style>td{}</style><script>alert(1)</script><b>ok</b>")
    '<b>ok</b>'
    """
    import nh3

    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        strip_comments=True,
    )


def format_number(text: str) -> str:
    """A number as a reader wants it; anything else unchanged.

    Integral values are integers (``2398.0`` → ``2,398``; years and ids below
    10,000 keep no separator), values of 100 or more lose their decimals,
    values from 1 to 100 keep two, smaller ones three significant digits.

    Examples
    --------
    >>> [format_number(s) for s in ("2398.0", "12345", "0.321700", "-0.008823", "12.3456", "1234.5", "nan", "a")]
    ['2398', '12,345', '0.322', '-0.00882', '12.35', '1,234', 'nan', 'a']
    """
    match = _NUMBER.match(text)
    if not match:
        return text
    value = float(match[1])
    if value == int(value) and abs(value) < 1e15:
        number = int(value)
        return f"{number:,}" if abs(number) >= 10_000 else str(number)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _readable_header(match: re.Match) -> str:
    return match[1] + match[2].replace("_", " ") + match[3]


def _truncate(match: re.Match) -> str:
    rows = _ROW.findall(match[2])
    if len(rows) <= MAX_ROWS:
        return match[0]
    width = max(rows[0].count("<td") + rows[0].count("<th"), 1)
    left = len(rows) - KEEP_ROWS
    note = (
        f'<tr class="more"><td colspan="{width}">… {left:,} more rows not shown '
        f"({len(rows):,} in all; the full table is in the run's artifacts)</td></tr>"
    )
    return match[1] + "".join(rows[:KEEP_ROWS]) + note + match[3]


def readable_table_html(fragment: str) -> str:
    """A sanitized HTML output with its tables formatted for people.

    Examples
    --------
    >>> readable_table_html("<table><thead><tr><th>n_rows</th></tr></thead><tbody><tr><td>3.0</td></tr></tbody></table>")
    '<table><thead><tr><th>n rows</th></tr></thead><tbody><tr><td class="num">3</td></tr></tbody></table>'
    """
    safe = sanitize_fragment(fragment)
    if "<table" not in safe:
        return safe
    safe = _HEAD.sub(lambda m: _HEAD_CELL.sub(_readable_header, m[0]), safe)

    def cell(match: re.Match) -> str:
        if match[1].strip() in _MISSING:
            return '<td class="num missing">–</td>'
        shown = format_number(match[1])
        if _NUMBER.match(match[1]):
            return f'<td class="num">{shown}</td>'
        return match[0]

    safe = _CELL.sub(cell, safe)
    return _BODY.sub(_truncate, safe)
