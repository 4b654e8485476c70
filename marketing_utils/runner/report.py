"""Render executed notebooks to HTML and write the report index."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ._memory import format_bytes

__all__ = [
    "flatten_metrics",
    "format_headline",
    "prepare_notebook",
    "render_index",
    "render_notebook_html",
]


#: The report page: the JupyterLab template without any remote script (require.js, MathJax,
#: mermaid, widgets), so a page reads the same with no network; formulas are MathML.
_PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">
.jp-RenderedHTMLCommon table.dataframe{border-collapse:collapse;margin:.5rem 0;font-size:13px}
.jp-RenderedHTMLCommon table.dataframe th,.jp-RenderedHTMLCommon table.dataframe td{
padding:.25rem .6rem;border-bottom:1px solid #d9e2ec}
.jp-RenderedHTMLCommon table.dataframe thead th{background:#f0f4f8;text-align:right}
.jp-RenderedHTMLCommon table.dataframe tbody th{text-align:left;font-weight:600}
.jp-RenderedHTMLCommon td.num{text-align:right;font-variant-numeric:tabular-nums}
.jp-RenderedHTMLCommon tr.more td{color:#52606d;font-style:italic;text-align:left}
.jp-RenderedHTMLCommon td.missing{color:#9aa5b1}
math[display=block]{margin:.6rem 0}
.glance{background:#f0f7f4;border-left:4px solid #1d7a4d;padding:.4rem 1rem;margin:.4rem 0 1rem}
.glance-title{font-weight:700;margin:.3rem 0}.glance .decision{margin:.3rem 0 .6rem}
.glance table.headline{border-collapse:collapse;width:100%;font-size:13px}
.glance table.headline th,.glance table.headline td{padding:.25rem .5rem;border-bottom:1px solid #d9e2ec;
text-align:left;vertical-align:top}
.glance td.value{font-weight:650;white-space:nowrap;text-align:right}.glance td.label{font-weight:600}
.glance .reading{display:block}.glance .comparison{display:block;color:#52606d}
</style>{%- endblock extra_css -%}
{#- Code as Pygments prints it, escaped: the lab template's second cleaning with bleach
    found nothing to remove and took a fifth of a page's time. -#}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
     <div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
     </div>
</div>
{%- endblock input %}
"""

#: Output types that never reach a report page: they would run code or embed markup unchecked.
_DROPPED_OUTPUTS = ("application/javascript", "text/javascript", "image/svg+xml")


def _replace_paths(value: Any, aliases: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in aliases.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace_paths(v, aliases) for v in value]
    if isinstance(value, dict):
        return {k: _replace_paths(v, aliases) for k, v in value.items()}
    return value


def prepare_notebook(
    notebook: Any, stash: Any, *, path_aliases: dict[str, str] | None = None
) -> Any:
    """A copy of an executed notebook made ready for the report page.

    - formulas of the Markdown cells are taken out into ``stash`` (MathML);
    - every HTML output is sanitized and its tables formatted for people; a
      Markdown output is rendered and sanitized the same way;
    - scripts and SVG outputs are dropped (a PNG or text form stays);
    - paths in ``path_aliases`` (the run's temporary folder) are replaced in
      sources and outputs, so no reader sees a folder that no longer exists.
    """
    import copy

    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from .report_math import extract_math
    from .report_tables import readable_table_html

    notebook = copy.deepcopy(notebook)
    aliases = {k: v for k, v in (path_aliases or {}).items() if k}
    for cell in notebook.cells:
        if aliases:
            cell.source = _replace_paths(cell.source, aliases)
        if cell.cell_type == "markdown":
            cell.source = extract_math(cell.source, stash)
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if aliases and "text" in output:
                output["text"] = _replace_paths(output["text"], aliases)
            data = output.get("data")
            if not data:
                continue
            if aliases:
                for mime in ("text/plain", "text/html", "text/markdown"):
                    if mime in data:
                        data[mime] = _replace_paths(data[mime], aliases)
            for mime in _DROPPED_OUTPUTS:
                if mime in data and len(data) > 1:
                    del data[mime]
                elif mime in data:
                    data["text/plain"] = f"[{mime} output not shown in the report]"
                    del data[mime]
            if "text/markdown" in data:
                text = data.pop("text/markdown")
                text = "".join(text) if isinstance(text, list) else text
                data.setdefault("text/html", markdown2html_mistune(text))
            if "text/html" in data:
                fragment = data["text/html"]
                fragment = "".join(fragment) if isinstance(fragment, list) else fragment
                data["text/html"] = readable_table_html(fragment)
    return notebook


def render_notebook_html(
    notebook_path: Path,
    html_path: Path,
    *,
    hide_code: bool = False,
    path_aliases: dict[str, str] | None = None,
    metrics: dict | None = None,
) -> Path:
    """Render an executed notebook to a standalone, self-contained HTML page.

    When the stage's ``metrics`` declare headline figures or a decision
    (:meth:`marketing_utils.Artifacts.record_headline`), the page opens with
    them, right under its title ("At a glance"), as the index shows them.

    Markdown cells are the workbook's own text and render as written;
    formulas become MathML (no MathJax, no network). Content that comes from
    the data reaches the page only through outputs: printed text is escaped
    by nbconvert, tables are escaped by pandas, and every HTML output is
    cleaned against an allow-list (:func:`~.report_tables.sanitize_fragment`),
    so a product called ``<script>...`` shows as text. ``hide_code`` drops the
    input cells for stakeholders.
    """
    import nbformat

    from ._page_exporter import render_page
    from .report_math import MathStash

    stash = MathStash()
    notebook = prepare_notebook(
        nbformat.read(notebook_path, as_version=4), stash, path_aliases=path_aliases
    )
    glance = _at_a_glance(metrics or {})
    if glance:  # right under the page's title (the first line of its first Markdown cell)
        key = stash.raw(glance)
        first = next((c for c in notebook.cells if c.cell_type == "markdown"), None)
        if first is not None and first.source.startswith("# "):
            title, _, rest = first.source.partition("\n")
            first.source = f"{title}\n\n{key}\n\n{rest}"
        else:
            notebook.cells.insert(0, nbformat.v4.new_markdown_cell(key))
    resources = {"metadata": {"name": notebook_path.stem}}
    body = render_page(_PAGE_TEMPLATE, hide_code, notebook, resources)
    html_path.write_text(stash.restore(body), encoding="utf-8")
    return html_path


def _at_a_glance(metrics: dict) -> str:
    """The stage's declared headline figures and decision, escaped, as a block for its page."""
    rows, _ = _headline_rows(metrics.get("headline"))
    decision = metrics.get("decision")
    if not rows and not decision:
        return ""
    parts = ['<div class="glance"><p class="glance-title">At a glance</p>']
    if isinstance(decision, str) and decision:
        parts.append(f'<p class="decision">{html.escape(decision)}</p>')
    if rows:
        parts.append(
            f'<table class="headline"><thead><tr><th>headline figure</th><th>value</th>'
            f"<th>what it means, and against what</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    parts.append("</div>")
    return "".join(parts)


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested metrics to ``a.b.c`` keys, keeping scalars only.

    Examples
    --------
    >>> flatten_metrics({"ledger": {"rows_in": 10, "by_reason": {"dup": 2}}, "auc": 0.8, "xs": [1]})
    {'ledger.rows_in': 10, 'ledger.by_reason.dup': 2, 'auc': 0.8}
    """
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_metrics(value, prefix=f"{name}."))
        elif isinstance(value, bool | int | float | str) or value is None:
            flat[name] = value
    return flat


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_headline(value: Any, kind: str) -> str:
    """A headline figure's value as the index shows it.

    Examples
    --------
    >>> [format_headline(v, k) for v, k in [(0.301, "percent"), (0.0071, "points"),
    ...     (1113.0, "currency"), (3.165, "ratio"), (1840, "integer"), (0.9454, "number"),
    ...     ("logistic", "text"), (None, "number")]]
    ['30.1%', '+0.71 points', '1,113', '3.2x', '1,840', '0.945', 'logistic', 'n/a']
    """
    if value is None:
        return "n/a"
    if kind == "text" or isinstance(value, str | bool):
        return str(value)
    number = float(value)
    if kind == "percent":
        return f"{number:.1%}"
    if kind == "points":
        return f"{number * 100:+.2f} points"
    if kind == "currency":
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"
    if kind == "ratio":
        return f"{number:.1f}x"
    if kind == "integer":
        return f"{round(number):,}"
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
color:#1f2933;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#52606d;margin-top:0}
h2{margin-top:2rem;border-bottom:2px solid #d9e2ec;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{border-bottom:1px solid #d9e2ec;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}.ok,.ran{color:#1d7a4d}.skipped{color:#9a6700}.failed,.stale{color:#b42318}.stale{font-weight:bold}
.metrics td:last-child{text-align:right;font-variant-numeric:tabular-nums}
.headline td.value{font-size:1.25rem;font-weight:650;white-space:nowrap;text-align:right;
font-variant-numeric:tabular-nums}
.headline td.label{font-weight:600;white-space:nowrap}.headline th:nth-child(2){text-align:right}
.headline .reading{display:block}.headline .comparison{display:block;color:#52606d;font-size:.92rem}
.decisions{background:#f0f7f4;border-left:4px solid #1d7a4d;padding:.6rem 1rem;margin:1rem 0}
.decisions li{margin:.35rem 0}
.stage{margin:1.2rem 0 1.6rem}.stage h3{margin-bottom:.1rem}.stage .meta{color:#52606d;margin:0}
details{margin:.4rem 0}code{background:#f0f4f8;padding:0 .2rem}
"""


def _stage_key(stem: str) -> str:
    """``"05_campaign_uplift"`` → ``"campaign_uplift"``, the name its metrics are recorded under."""
    prefix, _, rest = stem.partition("_")
    return rest if prefix.isdigit() and rest else stem


def _headline_rows(figures: Any) -> tuple[str, int]:
    esc = html.escape
    rows, shown = [], 0
    for figure in figures if isinstance(figures, list) else []:
        if not isinstance(figure, dict) or "label" not in figure:
            continue
        shown += 1
        value = format_headline(figure.get("value"), str(figure.get("format", "number")))
        rows.append(
            f'<tr><td class="label">{esc(str(figure["label"]))}</td>'
            f'<td class="value">{esc(value)}</td>'
            f'<td><span class="reading">{esc(str(figure.get("reading", "")))}</span>'
            f'<span class="comparison">{esc(str(figure.get("comparison", "")))}</span></td></tr>'
        )
    return "".join(rows), shown


def _all_metrics(values: dict) -> str:
    esc = html.escape
    flat = flatten_metrics({k: v for k, v in values.items() if k not in ("headline", "decision")})
    if not flat:
        return ""
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(_format(v))}</td></tr>" for k, v in flat.items())
    return (
        f"<details><summary>all {len(flat)} metrics</summary>"
        f'<table class="metrics"><tr><th>metric</th><th>value</th></tr>{rows}</table></details>'
    )


def render_index(
    *,
    title: str,
    run_name: str,
    notebooks: list[dict[str, Any]],
    metrics: dict[str, dict],
    manifest: dict[str, Any],
) -> str:
    """The ``index.html`` of a report: an executive summary of the run.

    It leads with the decisions the stages declare, then every stage in its
    order with the 2-4 headline figures the stage itself declared
    (:meth:`marketing_utils.Artifacts.record_headline`: value, a plain reading
    and the comparison that gives it meaning), the stage's status and page,
    and its complete metrics behind a toggle. Every value is HTML-escaped:
    names and metrics can come from user data.
    """
    esc = html.escape
    decisions, sections, seen = [], [], set()
    for entry in notebooks:
        stem, status = entry["stem"], entry["status"]
        key = _stage_key(stem)
        seen.add(key)
        values = metrics.get(key, {}) if status == "ran" else {}
        heading = esc(entry.get("title") or stem)
        if status == "ran":
            heading = f'<a href="{esc(entry["html"])}">{heading}</a>'
            peak = entry.get("peak_memory_mb")
            memory = "" if peak is None else f"peak memory {format_bytes(peak * 2**20)} · "
            kept = (
                f"kept from the run of {esc(str(entry['kept_from']))} · "
                if entry.get("kept_from")
                else ""
            )
            if entry.get("stale_inputs"):
                kept += (
                    '<span class="stale">stale</span>: reads what '
                    f"{esc(', '.join(entry['stale_inputs']))} wrote in a later run; rerun it "
                    f"(--only {esc(stem)}) · "
                )
            meta = (
                f'<span class="ran">ran</span> in {entry.get("seconds", 0):.1f} s · {memory}{kept}'
                f'<a href="{esc(entry["html"])}">read the page</a> · '
                f'<a href="{esc(entry["ipynb"])}">notebook</a>'
            )
        else:
            meta = (
                f'<span class="{esc(status)}">{esc(status)}</span>: {esc(entry.get("reason", ""))}'
            )
        rows, shown = _headline_rows(values.get("headline"))
        if rows:
            body = (
                '<table class="headline"><thead><tr><th>headline figure</th><th>value</th>'
                f"<th>what it means, and against what</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        elif status == "ran":
            body = '<p class="meta">This stage declares no headline figures; see its metrics.</p>'
        else:
            body = ""
        decision = values.get("decision")
        if isinstance(decision, str) and decision:
            decisions.append(f"<li><b>{esc(entry.get('title') or stem)}</b>: {esc(decision)}</li>")
        sections.append(
            f'<section class="stage" data-stage="{esc(stem)}" data-headlines="{shown}">'
            f'<h3>{heading}</h3><p class="meta">{meta}</p>{body}{_all_metrics(values)}</section>'
        )
    for key, values in metrics.items():  # metrics of a stage the run did not list
        if key not in seen:
            sections.append(
                f'<section class="stage"><h3>{esc(key)}</h3>{_all_metrics(values)}</section>'
            )
    warnings = [  # a model that looks too good is most likely a leaked label
        f'<p class="failed"><strong>{esc(stage)}: {esc(str(values["too_good_to_be_true_warning"]))}'
        "</strong></p>"
        for stage, values in metrics.items()
        if isinstance(values, dict) and values.get("too_good_to_be_true_warning")
    ]
    decision_block = (
        f'<div class="decisions"><ul>{"".join(decisions)}</ul></div>'
        if decisions
        else "<p>No stage declared a decision.</p>"
    )
    commit = manifest.get("git_commit") or "not a git checkout"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>{esc(title)}</h1>
<p class="sub">Run <code>{esc(run_name)}</code> · data source <code>{esc(str(manifest.get("data_source")))}</code>
 · finished {esc(str(manifest.get("finished")))} · commit <code>{esc(str(commit))}</code></p>
{"".join(warnings)}<h2>What this run supports</h2>{decision_block}
<h2>Stages and their headline figures</h2>{"".join(sections) or "<p>No stage ran.</p>"}
<p class="sub">Files: <a href="metrics.json">metrics.json</a> · <a href="manifest.json">manifest.json</a></p>
</body></html>
"""
