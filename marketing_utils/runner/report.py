"""Render executed notebooks to HTML and write the report index."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

__all__ = ["flatten_metrics", "render_index", "render_notebook_html"]


def render_notebook_html(notebook_path: Path, html_path: Path, *, hide_code: bool = False) -> Path:
    """Render an executed notebook to a standalone HTML page with nbconvert.

    Outputs are escaped by nbconvert's sanitizer settings and pandas' escaping
    of table cells; ``hide_code`` drops the input cells for stakeholders.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = hide_code
    exporter.exclude_input_prompt = hide_code
    exporter.exclude_output_prompt = True
    # Markdown and HTML outputs are sanitized so content that arrived inside
    # the data (a product called "<script>...") cannot run in the report.
    exporter.sanitize_html = True
    body, _ = exporter.from_notebook_node(nbformat.read(notebook_path, as_version=4))
    html_path.write_text(body, encoding="utf-8")
    return html_path


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


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:70rem;
color:#1f2933;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#52606d;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #d9e2ec;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}.ok{color:#1d7a4d}.skipped{color:#9a6700}.failed{color:#b42318}
.metrics td:last-child{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.4rem 0}code{background:#f0f4f8;padding:0 .2rem}
"""


def render_index(
    *,
    title: str,
    run_name: str,
    notebooks: list[dict[str, Any]],
    metrics: dict[str, dict],
    manifest: dict[str, Any],
    max_metrics: int = 12,
) -> str:
    """The ``index.html`` of a report: notebooks, status, links and headline metrics.

    Every value is HTML-escaped: names and metrics can come from user data.
    """
    esc = html.escape
    rows = []
    for entry in notebooks:
        status = entry["status"]
        links = ""
        if status == "ran":
            links = f'<a href="{esc(entry["html"])}">report</a> · <a href="{esc(entry["ipynb"])}">notebook</a>'
        detail = esc(entry.get("reason", "")) if status != "ran" else f"{entry['seconds']:.1f} s"
        rows.append(
            f"<tr><td>{esc(entry['stem'])}</td><td>{esc(entry['title'])}</td>"
            f'<td class="{esc(status)}">{esc(status)}</td><td>{detail}</td><td>{links}</td></tr>'
        )
    sections = []
    warnings = [
        f'<p class="failed"><strong>{esc(stage)}: {esc(str(values["too_good_to_be_true_warning"]))}'
        "</strong></p>"
        for stage, values in metrics.items()
        if isinstance(values, dict) and values.get("too_good_to_be_true_warning")
    ]
    for stage, values in metrics.items():
        flat = flatten_metrics(values)
        headline = list(flat.items())[:max_metrics]
        body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(_format(v))}</td></tr>" for k, v in headline)
        more = ""
        if len(flat) > max_metrics:
            rest = "".join(
                f"<tr><td>{esc(k)}</td><td>{esc(_format(v))}</td></tr>"
                for k, v in list(flat.items())[max_metrics:]
            )
            more = f'<details><summary>all {len(flat)} metrics</summary><table class="metrics">{rest}</table></details>'
        sections.append(f'<h3>{esc(stage)}</h3><table class="metrics">{body}</table>{more}')
    commit = manifest.get("git_commit") or "not a git checkout"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>{esc(title)}</h1>
<p class="sub">Run <code>{esc(run_name)}</code> · data source <code>{esc(str(manifest.get("data_source")))}</code>
 · finished {esc(str(manifest.get("finished")))} · commit <code>{esc(str(commit))}</code></p>
<h2>Notebooks</h2>
<table><tr><th>stage</th><th>title</th><th>status</th><th>time / reason</th><th>open</th></tr>
{"".join(rows)}</table>
{"".join(warnings)}<h2>Headline metrics</h2>{"".join(sections) or "<p>No metrics recorded.</p>"}
<p class="sub">Files: <a href="metrics.json">metrics.json</a> · <a href="manifest.json">manifest.json</a></p>
</body></html>
"""
