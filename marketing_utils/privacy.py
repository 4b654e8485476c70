"""Pseudonymization and small-group suppression before anything is published.

Customer ids are replaced by a keyed hash (HMAC-SHA256) so that the same id
always maps to the same pseudonym under one key, and the tables still join,
while nobody without the key can recompute the mapping from a list of ids.
Direct identifiers (name, email, phone, address) are dropped.

The key comes from the environment variable ``WORKBOOK_PSEUDONYM_KEY``. When
it is unset, a random key is drawn once per process and never written
anywhere: pseudonyms are then consistent within the run but cannot be linked
across runs (nor reversed by anyone, including you).
"""

from __future__ import annotations

import dataclasses
import hmac
import os
import re
import secrets
from collections.abc import Iterable

import numpy as np
import pandas as pd

from marketing_utils.errors import DataValidationError
from marketing_utils.schema import PII_COLUMNS, MarketingData

__all__ = [
    "PII_ALIASES",
    "assert_no_pii",
    "drop_pii",
    "mask_value",
    "personal_data_in",
    "pseudonymization_key",
    "pseudonymize",
    "pseudonymize_ids",
    "suppress_small_groups",
]

PSEUDONYM_PREFIX = "cust_"
PSEUDONYM_HEX_CHARS = 16

#: Column names treated as direct identifiers besides :data:`schema.PII_COLUMNS`.
#: Matched exactly after lowercasing and turning spaces and hyphens into "_",
#: so "E-mail" and "First Name" match but "product_name" does not.
PII_ALIASES = (
    "first_name",
    "last_name",
    "full_name",
    "customer_name",
    "e_mail",
    "email_address",
    "phone_number",
    "mobile",
    "mobile_phone",
    "telephone",
    "street_address",
    "home_address",
)

_process_key: bytes | None = None


def pseudonymization_key(env_var: str = "WORKBOOK_PSEUDONYM_KEY") -> bytes:
    """The pseudonymization key: from the environment, else random for this process.

    Parameters
    ----------
    env_var : str, default "WORKBOOK_PSEUDONYM_KEY"
        Environment variable holding the key (its UTF-8 bytes are used; e.g.
        the output of ``python -c "import secrets; print(secrets.token_hex(32))"``).

    Returns
    -------
    bytes
        The key. Without the variable, ``secrets.token_bytes(32)`` drawn once
        per process and kept only in memory: ids are then consistent within
        the process but not linkable across runs.
    """
    global _process_key
    value = os.environ.get(env_var, "")
    if value:
        return value.encode("utf-8")
    if _process_key is None:
        _process_key = secrets.token_bytes(32)
    return _process_key


def pseudonymize_ids(series: pd.Series, *, key: bytes) -> pd.Series:
    """Replace ids by ``"cust_"`` + the first 16 hex characters of HMAC-SHA256.

    Each distinct id is hashed once and mapped back, so a million rows take
    about a second. Ids are hashed by their string form (``1`` and ``"1"``
    give the same pseudonym); missing ids stay missing.

    Parameters
    ----------
    series : pandas.Series
        Customer ids.
    key : bytes
        Secret key, e.g. from :func:`pseudonymization_key`.

    Returns
    -------
    pandas.Series
        Pseudonyms (string dtype), same index and name.
    """
    if not isinstance(key, bytes | bytearray) or not key:
        raise TypeError(f"key must be non-empty bytes, found {type(key).__name__}")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    hashed = np.array(
        [
            PSEUDONYM_PREFIX
            + hmac.digest(key, str(value).encode("utf-8"), "sha256").hex()[:PSEUDONYM_HEX_CHARS]
            for value in uniques
        ]
        + [None],
        dtype=object,
    )
    # The sentinel -1 picks the trailing None, so missing ids stay missing.
    return pd.Series(hashed[codes], index=series.index, name=series.name, dtype="str")


def _normalized_name(column: object) -> str:
    return str(column).strip().lower().replace(" ", "_").replace("-", "_")


def drop_pii(frame: pd.DataFrame, *, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Drop direct-identifier columns.

    A column is dropped when its name, lowercased with spaces and hyphens
    turned into ``_``, is exactly one of :data:`schema.PII_COLUMNS`,
    :data:`PII_ALIASES` or ``extra``. Names that merely contain such a word
    (``product_name``, ``email_opened``) are kept: they are not identifiers.

    Parameters
    ----------
    frame : pandas.DataFrame
    extra : iterable of str, optional
        More column names to treat as identifiers (matched the same way).

    Returns
    -------
    pandas.DataFrame
        A new frame without those columns.
    """
    identifiers = {_normalized_name(name) for name in (*PII_COLUMNS, *PII_ALIASES, *extra)}
    to_drop = [column for column in frame.columns if _normalized_name(column) in identifiers]
    return frame.drop(columns=to_drop)


def pseudonymize(
    data: MarketingData, *, key: bytes, extra_pii: Iterable[str] = ()
) -> MarketingData:
    """Drop PII columns and pseudonymize ``customer_id`` in every table.

    Every dataclass field holding a DataFrame is processed (so a subclass's
    extra tables, such as a synthetic ground-truth table, are too), with the
    same key, hence the same mapping: joins on ``customer_id`` still work.

    Parameters
    ----------
    data : MarketingData
    key : bytes
    extra_pii : iterable of str, optional
        Passed to :func:`drop_pii`.

    Returns
    -------
    MarketingData
        A copy of the same class; ``info["pseudonymized"]`` is True.
    """
    extra_pii = tuple(extra_pii)
    changes: dict[str, object] = {}
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if not isinstance(value, pd.DataFrame):
            continue
        table = drop_pii(value, extra=extra_pii)
        if "customer_id" in table.columns:
            table = table.assign(customer_id=pseudonymize_ids(table["customer_id"], key=key))
        changes[field.name] = table
    changes["info"] = {**data.info, "pseudonymized": True}
    return dataclasses.replace(data, **changes)


def assert_no_pii(frame_or_text: pd.DataFrame | pd.Series | str, pii_values: Iterable) -> None:
    """Raise AssertionError when any raw identifier appears in an output.

    Text is searched for substrings. A frame or series is searched cell by
    cell for exact matches of the string forms, in its values, a frame's
    column names and the index unless it is a RangeIndex (exact, because
    short ids such as ``"7"`` are substrings of almost anything).

    Parameters
    ----------
    frame_or_text : pandas.DataFrame, pandas.Series or str
        The output to search (a rendered report, an artifact table ...).
    pii_values : iterable
        Raw ids, names, emails...; missing and empty values are ignored.
    """
    wanted = {str(value) for value in pii_values if not pd.isna(value) and str(value) != ""}
    if isinstance(frame_or_text, str):
        found = sorted(value for value in wanted if value in frame_or_text)
    else:
        cells = set(frame_or_text.astype("str").to_numpy().ravel().tolist())
        if isinstance(frame_or_text, pd.DataFrame):
            cells |= {str(label) for label in frame_or_text.columns}
        # A RangeIndex holds row numbers, not data; any other index is searched.
        if not isinstance(frame_or_text.index, pd.RangeIndex):
            cells |= {str(label) for label in frame_or_text.index}
        found = sorted(wanted & cells)
    if found:
        raise AssertionError(f"{len(found)} raw identifying values found, e.g. {found[:5]}")


def suppress_small_groups(
    table: pd.DataFrame,
    *,
    count_col: str,
    min_size: int,
    label_col: str,
    other_label: str = "other (small groups)",
    sum_cols: Iterable[str] = (),
    share_col: str | None = None,
) -> pd.DataFrame:
    """Merge groups smaller than ``min_size`` into one row before publishing.

    Rows with ``count_col < min_size`` are replaced by one row labelled
    ``other_label`` whose count and ``sum_cols`` are the sums over those rows;
    its other columns are missing (an average cannot be merged without
    weights). When that merged row is itself below ``min_size`` it is
    suppressed: all its numeric values are set to missing. ``share_col``, if
    given, is recomputed as count / total count of all input rows.

    Caveat: if the grand total is published elsewhere, a suppressed count can
    be recovered by subtraction; raise ``min_size`` or publish shares only.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group, e.g. a segment profile.
    count_col : str
        Number of customers in the group.
    min_size : int
        Smallest group size that may be published.
    label_col : str
        Group label column; the merged row gets ``other_label``.
    other_label : str, default "other (small groups)"
    sum_cols : iterable of str, optional
        Other count-like columns to sum into the merged row.
    share_col : str, optional
        Column to (re)compute as the group's share of the total count.

    Returns
    -------
    pandas.DataFrame
        Published rows in input order, then the merged row if any, with
        columns ``merged_groups`` (how many input groups the row holds) and
        ``suppressed`` (True when the row's values were blanked).

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["a", "b", "c"], "customers": [50, 3, 4]})
    >>> out = suppress_small_groups(t, count_col="customers", min_size=5, label_col="segment")
    >>> out[["segment", "customers", "merged_groups", "suppressed"]].values.tolist()
    [['a', 50.0, 1, False], ['other (small groups)', 7.0, 2, False]]
    """
    sum_cols = list(sum_cols)
    needed = [label_col, count_col, *sum_cols]
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise DataValidationError(
            "suppress_small_groups", f"expected columns {needed}, missing {missing}"
        )
    counts = pd.to_numeric(table[count_col], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        raise DataValidationError(
            "suppress_small_groups",
            "expected non-negative counts, found missing or negative values",
            column=count_col,
            examples=table.loc[counts.isna() | (counts < 0), count_col].head().tolist(),
        )
    small = counts < min_size
    published = table[~small].assign(merged_groups=1, suppressed=False)
    rows = [published] if len(published) else []
    if small.any():
        other = {column: np.nan for column in table.columns}
        other[label_col] = other_label
        for column in [count_col, *sum_cols]:
            other[column] = float(pd.to_numeric(table.loc[small, column]).sum())
        suppressed = other[count_col] < min_size
        if suppressed:
            other.update({column: np.nan for column in [count_col, *sum_cols]})
        other.update(merged_groups=int(small.sum()), suppressed=bool(suppressed))
        rows.append(pd.DataFrame([other]))
    result = pd.concat(rows, ignore_index=True)
    result[count_col] = result[count_col].astype("float64")
    if share_col is not None:
        total = float(counts.sum())
        result[share_col] = result[count_col] / total if total else np.nan
    return result


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Spelled out against harvesters: "anna.smith at example.com", "anna [at] example [dot] com".
_EMAIL_SPELLED = re.compile(
    r"\b[\w.+-]+\s*(?:\[at\]|\(at\)|\bat\b)\s*[\w-]+(?:\.|\s*\[dot\]\s*|\s*\(dot\)\s*)[a-z]{2,}\b",
    re.IGNORECASE,
)
# 9 to 15 digits, optionally grouped by spaces, dots, dashes or brackets, optionally "+".
_PHONE = re.compile(r"(?<![\w.])(\+|00)?\(?\d[\d ()./-]{7,}\d(?![\w.])")
_DATE = r"(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
# A date, or a date and the hour of a time ("2024-01-02 10" of "2024-01-02 10:30"): not a phone.
# A date followed by more digit groups ("06.01.00.07.13") is a phone number written with dots.
_DATE_LIKE = re.compile(rf"^\s*{_DATE}(\s+\d{{1,2}})?\s*$")
_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr|Herr|Frau|Mme|Mlle|Sr|Sra)\.? [A-Z][a-z]+")
_TITLE_WORD = re.compile(r"\b[A-Z][a-z]+\b")


_FIRST_NAMES_TEXT = """
    Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
    Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie
    Rebecca Sharon Laura Cynthia Dorothy Amy Kathleen Angela Shirley Emma Brenda Pamela Nicole
    Anna Samantha Katherine Christine Debra Rachel Carolyn Janet Maria Olivia Heather Helen
    Catherine Diane Julie Victoria Joyce Lauren Kelly Christina Ruth Joan Virginia Judith Evelyn
    Hannah Andrea Megan Cheryl Jacqueline Madison Teresa Abigail Sophia Martha Sara Gloria Janice
    Kathryn Ann Isabella Judy Charlotte Julia Grace Amber Sophie Marie Claire Camille Chloe Lea
    Manon Ines Lucia Giulia Francesca Elena Ana Carmen Laura Paula Ursula Petra Sabine Katrin
    James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel
    Matthew Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian Timothy Ronald
    George Jason Edward Jeffrey Ryan Jacob Nicholas Gary Eric Jonathan Stephen Larry Justin
    Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry
    Tyler Aaron Jose Adam Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Christian
    Walter Keith Austin Roger Terry Sean Gerald Carl Dylan Harold Jordan Jesse Bryan Lawrence
    Arthur Gabriel Bruce Logan Billy Joe Alan Pierre Jean Louis Hugo Lucas Thomas Antoine
    Nicolas Marco Luca Giuseppe Giovanni Carlos Javier Miguel Pablo Hans Klaus Stefan Markus
    Jens Lars Sven Jan Piotr Tomasz
"""
#: Common first names (English and Western European), for :func:`personal_data_in`.
COMMON_FIRST_NAMES = frozenset(_FIRST_NAMES_TEXT.split())


def _first_names() -> frozenset[str]:
    return COMMON_FIRST_NAMES


def _phone_numbers(text: str):
    """The runs of ``text`` that read as phone numbers: 9 to 15 digits, grouped, not a date."""
    for match in _PHONE.finditer(text):
        found = match.group(0)
        if 9 <= sum(char.isdigit() for char in found) <= 15 and not _DATE_LIKE.match(found):
            yield found


def _is_phone(text: str) -> bool:
    return any(True for _ in _phone_numbers(text))


def _is_email(text: str) -> bool:
    return bool(_EMAIL.search(text) or _EMAIL_SPELLED.search(text))


# A short value of two or three words and nothing else ("DUPONT JEAN", "jean dupont").
_SHORT_NAME = re.compile(r"^\s*[A-Za-z'-]+(\s+[A-Za-z'-]+){1,2}\s*$")


def _is_short_name(text: str) -> bool:
    """Two or three words, the first or the last a common first name in any case: a name."""
    if not _SHORT_NAME.match(text):
        return False
    words = text.split()
    return any(word.capitalize() in _first_names() for word in (words[0], words[-1]))


def _digits_of(values: pd.Series) -> pd.Series:
    """Integer values as digit strings (9 to 15 digits reads as a phone stored as a number)."""
    return values.dropna().astype("int64").abs().astype(str)


def mask_value(text: str) -> str:
    """A value with its letters and digits hidden but its shape kept, for error messages.

    Examples
    --------
    >>> mask_value("anna.smith@example.com")
    'an**.*****@e******.com'
    >>> mask_value("+33 6 12 34 56 78")
    '+3* * ** ** ** 78'
    """
    text = str(text)
    keep_head, keep_tail = 2, 0
    if "@" in text:
        local, _, domain = text.partition("@")
        name, dot, suffix = domain.rpartition(".")
        head = keep_head if len(local) > keep_head + 1 else 0  # a short local part: all hidden
        hidden = local[:head] + "".join("*" if c.isalnum() else c for c in local[head:])
        first = 1 if len(name) > 2 else 0
        shown = name[:first] + "".join("*" if c.isalnum() else c for c in name[first:])
        return f"{hidden}@{shown}{dot}{suffix}"
    keep_tail = 2 if any(c.isdigit() for c in text) else 0
    if len(text) <= keep_head + keep_tail + 2:  # too short to show any of it
        return "".join("*" if c.isalnum() else c for c in text)
    middle = text[keep_head : len(text) - keep_tail]
    return (
        text[:keep_head]
        + "".join("*" if c.isalnum() else c for c in middle)
        + text[len(text) - keep_tail :]
    )


def personal_data_in(values: pd.Series, *, broad: bool = True) -> tuple[str, int, str] | None:
    """Whether a column holds e-mail addresses, phone numbers or personal names.

    Patterns: an e-mail address, also spelled out ("anna at example.com"); a
    phone number (9 to 15 digits, possibly grouped by spaces, dots, dashes or
    brackets, not a date), or an integer column whose values mostly have 9 to
    15 digits (a phone read as a number); a name after an honorific ("Mr
    Smith"), a common first name written with a capital ("called Maria"), or
    a value of two or three words that starts or ends with a common first
    name in any case ("DUPONT JEAN", "jean dupont").

    Parameters
    ----------
    values : pandas.Series
        The column (non-text values are ignored).
    broad : bool, default True
        Also the last two rules (integers of phone length, short names in
        capitals or lower case), which can refuse a column of Unix timestamps
        or of city names ("SAN JOSE"): for a column the user chose to keep.
        Without them, for columns kept without being named.

    Returns
    -------
    tuple or None
        ``(kind, count, masked example)`` for the first kind found, among
        "e-mail addresses", "phone numbers" and "personal names"; None when
        the column holds none.
    """
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values) and broad:
        # A phone column read as numbers (its leading zero already lost): most values have
        # 9 to 15 digits. Counts, codes and amounts rarely do.
        digits = _digits_of(values)
        long = digits.str.len().between(9, 15)
        if len(digits) and long.mean() > 0.5:
            return (
                "phone numbers (stored as numbers)",
                int(long.sum()),
                mask_value(digits[long].iloc[0]),
            )
        return None
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return None
    texts = pd.Series(values.dropna().unique()).astype(str)
    first_names = _first_names()

    def has_name(text: str) -> bool:
        return (
            bool(_HONORIFIC.search(text))
            or any(word in first_names for word in _TITLE_WORD.findall(text))
            or (broad and _is_short_name(text))
        )

    checks = (
        ("e-mail addresses", _is_email),
        ("phone numbers", _is_phone),
        ("personal names", has_name),
    )
    return _first_kind_found(values, texts, checks)


# In product text, only an address with a real top-level domain ("SET 6@1.25" is a price).
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}\b")


def _is_dialled_phone(text: str) -> bool:
    """A phone number written to be dialled: starting with +, 00 or 0 (trunk prefix)."""
    return any(re.match(r"\(?(\+|0)", found) for found in _phone_numbers(text))


def contact_data_in(values: pd.Series) -> tuple[str, int, str] | None:
    """Whether a free-text column (a product description, a category) holds e-mails or phones.

    The workbook checks product text without being asked, so the rules are
    narrow enough for real catalogues: names are not looked for (product text
    names people: "Paul Smith shirt", "UNION JACK FLAG"); an e-mail must end
    in a top-level domain of letters; a phone number must start as one is
    dialled (``+``, ``00`` or a trunk ``0``), so barcodes, ISBNs, SKUs, sizes
    and years are not phones. A number written without a leading 0 or +
    ("555-123-4567") is missed. Same return as :func:`personal_data_in`.
    """
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return None
    texts = pd.Series(values.dropna().unique()).astype(str)
    checks = (
        ("e-mail addresses", lambda text: bool(_EMAIL_IN_TEXT.search(text))),
        ("phone numbers", _is_dialled_phone),
    )
    return _first_kind_found(values, texts, checks)


def _first_kind_found(values: pd.Series, texts: pd.Series, checks) -> tuple[str, int, str] | None:
    for kind, check in checks:
        hits = [text for text in texts if check(text)]
        if hits:
            count = int(values.astype(str).isin(hits).sum())
            return kind, count, mask_value(hits[0])
    return None
