"""The report privacy scan finds what it must find (so a passing scan means something)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.privacy_scan import assert_report_is_private, assert_segment_tables_respect_min_size

PSEUDONYM = "cust_0123456789abcdef"


def _report(tmp_path, html="<p>fine</p>", table=None, segments=None):
    report = tmp_path / "run"
    (report / "artifacts").mkdir(parents=True)
    (report / "index.html").write_text(html)
    (report / "metrics.json").write_text(json.dumps({"segmentation": {"min_segment_size": 10}}))
    frame = table if table is not None else pd.DataFrame({"customer_id": [PSEUDONYM]})
    frame.to_parquet(report / "artifacts" / "scores.parquet")
    if segments is not None:
        segments.to_parquet(report / "artifacts" / "rfm_segment_summary.parquet")
    return report


def test_clean_report_passes(tmp_path):
    report = _report(tmp_path, html="<td>0.00042</td><td>C0000123</td>")
    scanned = assert_report_is_private(report, ["Ann Lee"], ["C000012", "00042", "7"])
    assert scanned == {"files": 2, "tables": 1, "id_columns": 1}


@pytest.mark.parametrize(
    ("html", "table", "message"),
    [
        ("<td>ann.lee@example.org</td>", None, "PII values ['ann.lee@example.org']"),
        ("<td>id C000012</td>", None, "raw customer ids ['C000012']"),
        ("<p>ok</p>", pd.DataFrame({"customer_id": ["7"]}), "not pseudonyms ['7']"),
        ("<p>ok</p>", pd.DataFrame({"who": ["C000012"]}), "column 'who': raw ids or PII"),
        ("<p>ok</p>", pd.DataFrame({"mail": ["ann.lee@example.org"]}), "column 'mail': raw ids"),
    ],
)
def test_each_kind_of_leak_is_found(tmp_path, html, table, message):
    report = _report(tmp_path, html=html, table=table)
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        assert_report_is_private(report, ["ann.lee@example.org"], ["C000012", "7"])


def test_segment_rows_below_the_minimum_are_found(tmp_path):
    ok = pd.DataFrame({"customers": [12.0, float("nan")], "suppressed": [False, True]})
    assert assert_segment_tables_respect_min_size(_report(tmp_path, segments=ok)) == 2
    small = pd.DataFrame({"customers": [12.0, 4.0], "suppressed": [False, False]})
    with pytest.raises(AssertionError, match="rfm_segment_summary"):
        assert_segment_tables_respect_min_size(_report(tmp_path / "b", segments=small))
