"""The troubleshooting table (docs/troubleshooting.md) is the list of bad-input cases, message for message."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.cases import CASES, HANDLED, readme_table

TABLE_DOC = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
START, END = "<!-- troubleshooting-table:start -->", "<!-- troubleshooting-table:end -->"


def test_troubleshooting_table_equals_the_cases():
    text = TABLE_DOC.read_text(encoding="utf-8")
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == readme_table(), "regenerate with: python -m tests.reliability.cases"


def test_at_least_25_cases_each_named_once():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) + len(HANDLED) >= 25
