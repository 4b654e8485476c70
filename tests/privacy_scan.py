"""One scan of a finished report for personal data, shared by every report test.

A report must hold no direct identifier (name, e-mail, phone, address) and no
raw customer id in any HTML, notebook, CSV, Parquet or JSON output, and every
published segment table must respect its minimum group size.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from marketing_utils.privacy import PSEUDONYM_HEX_CHARS, PSEUDONYM_PREFIX

TEXT_SUFFIXES = (".html", ".json", ".ipynb", ".csv")
_IMAGE_DATA = re.compile(r'(data:image/[a-z+]+;base64,|"image/png": ")[A-Za-z0-9+/=\\n]+')
_WORD = re.compile(r"\w+")
_ID_TOKEN = re.compile(r"(?<![\w.-])[\w-]+")
PSEUDONYM = re.compile(rf"^{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}$")


def distinctive(raw_id: str) -> bool:
    """Ids that cannot be mistaken for a number in a rendered page ("C000123", "00042")."""
    return bool(re.search(r"[A-Za-z]", raw_id)) or (raw_id.startswith("0") and len(raw_id) >= 4)


def report_tables(report_dir: Path) -> dict[str, pd.DataFrame]:
    """Every CSV and Parquet output of a report, by relative path."""
    tables = {}
    for path in sorted(report_dir.rglob("*")):
        if path.suffix == ".parquet":
            tables[str(path.relative_to(report_dir))] = pd.read_parquet(path)
        elif path.suffix == ".csv":
            tables[str(path.relative_to(report_dir))] = pd.read_csv(path, dtype="str")
    return tables


def assert_report_is_private(report_dir: Path, pii_values, raw_ids) -> dict[str, int]:
    """Raise AssertionError when a report leaks a PII value or a raw customer id.

    Parameters
    ----------
    report_dir : Path
        ``<output_dir>/<run_name>``.
    pii_values : iterable of str
        Direct identifiers of the input: searched as substrings of every page,
        notebook, JSON and CSV file, and as whole cells of every table.
    raw_ids : iterable of str
        Raw customer ids. Those that are :func:`distinctive` are searched in the
        text of every output and exactly in every text cell of every table (a
        short number such as ``"17"`` occurs anywhere by chance); for all ids,
        every ``customer_id`` column must hold pseudonyms only.

    Returns
    -------
    dict
        What was scanned: ``files``, ``tables``, ``id_columns`` (customer id
        columns checked to hold pseudonyms only).
    """
    pii_values = {str(v) for v in pii_values if isinstance(v, str) and v.strip()}
    raw_ids = {str(v) for v in raw_ids if isinstance(v, str) and v.strip()}
    # Embedded images are base64 noise: no text to leak, most of the bytes to search.
    texts = {
        str(p.relative_to(report_dir)): _IMAGE_DATA.sub(
            "<image>", p.read_text(encoding="utf-8", errors="replace")
        )
        for p in report_dir.rglob("*")
        if p.suffix in TEXT_SUFFIXES
    }
    tables = report_tables(report_dir)
    needles = [(value, set(_WORD.findall(value))) for value in pii_values]
    searched = {value for value in raw_ids if distinctive(value)}
    for name, text in texts.items():
        # A value can only occur where all its words occur: a cheap filter before `in`.
        words = set(_WORD.findall(text))
        leaked = sorted(v for v, parts in needles if parts <= words and v in text)
        assert not leaked, f"{name}: PII values {leaked[:5]}"
        # Whole id-shaped tokens, not inside a longer token or after a decimal point.
        found = set(_ID_TOKEN.findall(text)) & searched
        assert not found, f"{name}: raw customer ids {sorted(found)[:5]}"
    id_columns = 0
    for name, table in tables.items():
        names = {str(column) for column in table.columns}
        assert not names & (searched | pii_values), f"{name}: identifying column names"
        # Numbers cannot hold a name or an id; text cells are compared whole.
        for column in table.columns:
            values = table[column]
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            cells = set(values.dropna().astype(str).unique())
            leaked = sorted(cells & (searched | pii_values))
            assert not leaked, f"{name}, column {column!r}: raw ids or PII {leaked[:5]}"
            if column == "customer_id":
                id_columns += 1
                bad = sorted(c for c in cells if not PSEUDONYM.match(c))
                assert not bad, f"{name}: customer ids that are not pseudonyms {bad[:5]}"
    return {"files": len(texts), "tables": len(tables), "id_columns": id_columns}


def assert_segment_tables_respect_min_size(report_dir: Path) -> int:
    """Every published segment row has at least the params' minimum size; returns rows checked."""
    metrics = json.loads((report_dir / "metrics.json").read_text())
    if "segmentation" not in metrics:
        return 0
    minimum = metrics["segmentation"]["min_segment_size"]
    checked = 0
    for name in ("cluster_profiles", "rfm_segment_summary"):
        path = report_dir / "artifacts" / f"{name}.parquet"
        if not path.exists():
            continue
        table = pd.read_parquet(path)
        shown = table[~table["suppressed"].astype(bool)]
        assert (shown["customers"] >= minimum).all(), (name, shown["customers"].tolist())
        assert table.loc[table["suppressed"].astype(bool), "customers"].isna().all(), name
        checked += len(table)
    return checked


# Written here, not taken from the package: the scan must not share the code it checks.
_EMAIL_TEXT = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE_CELL = re.compile(r"^\s*(\+|00)?[\d ()./-]{9,}\s*$")


def assert_no_contact_details(report_dir: Path) -> int:
    """Raise AssertionError when any table cell of a report looks like an e-mail or a phone.

    Unlike :func:`assert_report_is_private`, no list of the input's values is
    needed: a column the workbook did not know was personal (``contact``,
    ``Kontakt Telefon``, ``buyer_email``) is caught by the shape of its values.
    A phone-shaped cell is a text cell of digits and separators with 9 to 15
    digits that is not a date. Returns the number of text cells checked.
    """
    checked = 0
    for name, table in report_tables(report_dir).items():
        for column in table.columns:
            values = table[column]
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            cells = values.dropna().astype(str).unique()
            checked += len(cells)
            emails = [c for c in cells if _EMAIL_TEXT.search(c)]
            assert not emails, f"{name}, column {column!r}: e-mail addresses {emails[:3]}"
            phones = [
                c
                for c in cells
                if _PHONE_CELL.match(c)
                and 9 <= sum(ch.isdigit() for ch in c) <= 15
                and not re.match(r"^\d{4}-\d{2}-\d{2}", c.strip())
            ]
            assert not phones, f"{name}, column {column!r}: phone numbers {phones[:3]}"
    return checked
