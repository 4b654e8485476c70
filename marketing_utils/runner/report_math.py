"""Formulas in Markdown cells rendered to MathML when the report is written.

The report must read without a network, so formulas cannot wait for MathJax
from a CDN. Every ``$...$`` and ``$$...$$`` of a Markdown cell is converted
with :mod:`latex2mathml` to MathML, which browsers render natively. The
MathML is swapped in after the Markdown has been rendered (through plain
placeholders), so the Markdown renderer never sees, nor mangles, the formula.
"""

from __future__ import annotations

import re

__all__ = ["MathStash", "extract_math"]

# Code spans and fenced blocks are left alone: a `$` in code is not a formula.
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
# Display math first, then inline math as Pandoc reads it: no space after the opening
# dollar nor before the closing one, and no digit after it (so "$5 and $10" is no formula).
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.S)
_TEXT_ARG = re.compile(r"(\\(?:text|texttt|textrm|mathrm)\{)([^{}]*)(\})")


class MathStash:
    """Formulas taken out of Markdown, each under a placeholder, as MathML.

    Examples
    --------
    >>> stash = MathStash()
    >>> text = extract_math("The rate $p$ is", stash)
    >>> text
    'The rate MWBMATH0X is'
    >>> "<math" in stash.restore(text)
    True
    """

    def __init__(self) -> None:
        self.mathml: dict[str, str] = {}

    def add(self, latex: str, *, display: bool) -> str:
        """Convert ``latex`` to MathML and return the placeholder that stands for it."""
        from latex2mathml.converter import convert

        latex = _TEXT_ARG.sub(lambda m: m[1] + m[2].replace(r"\_", "_") + m[3], latex.strip())
        try:
            mathml = convert(latex, display="block" if display else "inline")
        except Exception:  # a formula the converter cannot read stays readable as code
            import html

            mathml = f'<code class="tex">{html.escape(latex)}</code>'
        key = f"MWBMATH{len(self.mathml)}X"
        self.mathml[key] = mathml
        return key

    def raw(self, html_block: str) -> str:
        """A placeholder for HTML built (and escaped) by the report itself."""
        key = f"MWBMATH{len(self.mathml)}X"
        self.mathml[key] = html_block
        return key

    def restore(self, rendered: str) -> str:
        """Put the MathML back in place of every placeholder of ``rendered``."""
        if not self.mathml:
            return rendered
        return re.sub(r"MWBMATH\d+X", lambda m: self.mathml.get(m[0], m[0]), rendered)


def extract_math(markdown: str, stash: MathStash) -> str:
    """Replace every formula of ``markdown`` by a placeholder held in ``stash``."""
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        parts[i] = _MATH.sub(
            lambda m: (
                stash.add(m[1], display=True)
                if m[1] is not None
                else stash.add(m[2], display=False)
            ),
            parts[i],
        )
    return "".join(parts)
