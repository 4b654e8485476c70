"""Download public datasets once, into a local cache, with a checksum.

:func:`download` never leaves a half-written file in the cache: it writes to a
temporary file next to the target and renames it only when the download is
complete and its sha256 matches. A cached file whose sha256 matches is used
without touching the network, so a file put in the cache by hand (e.g. on a
machine without internet) is picked up as well.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..errors import DataValidationError, WorkbookError

__all__ = ["PUBLIC_DATASETS", "DownloadError", "download", "extract_member", "file_sha256"]

_CHUNK_BYTES = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: Where to get each public dataset. ``sha256`` is the digest of the file at
#: ``url`` where it is known (None otherwise); for an archive, ``member`` is the
#: data file inside it and ``member_sha256`` that file's digest. The digests
#: are those of the copies in the workbook's test datasets (same bytes).
PUBLIC_DATASETS: dict[str, dict] = {
    "bank_marketing": {
        # The original UCI archive holding bank.csv, bank-full.csv and bank-names.txt.
        "url": "https://archive.ics.uci.edu/ml/machine-learning-databases/00222/bank.zip",
        "filename": "bank.zip",
        "sha256": None,
        "member": "bank-full.csv",
        "member_sha256": "d1513ec63b385506f7cfce9f2c5caa9fe99e7ba4e8c3fa264b3aaf0f849ed32d",
        "licence": "CC BY 4.0 (UCI Machine Learning Repository, dataset 222)",
        "citation": (
            "S. Moro, R. Laureano and P. Cortez. Using Data Mining for Bank Direct Marketing: "
            "An Application of the CRISP-DM Methodology. In P. Novais et al. (Eds.), "
            "Proceedings of the European Simulation and Modelling Conference - ESM'2011, "
            "pp. 117-121, Guimaraes, Portugal, October 2011. EUROSIS."
        ),
        "homepage": "https://archive.ics.uci.edu/dataset/222/bank+marketing",
    },
    "hillstrom": {
        # A byte-for-byte copy of the MineThatData file, pinned to a commit.
        "url": (
            "https://raw.githubusercontent.com/carlosquintanillaa/Datasets/"
            "86100ca06e114803df9b691b3fe904cc36c350ea/hillstrom.csv"
        ),
        "filename": "hillstrom.csv",
        "sha256": "ff9e59285e9dc3f5fa3e0975419e6631ea5bdccd65d818991473d2367e02979c",
        "licence": "No explicit licence stated by the publisher",
        "citation": (
            "Kevin Hillstrom, The MineThatData E-Mail Analytics And Data Mining Challenge, "
            "MineThatData blog, March 2008."
        ),
        "homepage": (
            "https://blog.minethatdata.com/2008/03/minethatdata-e-mail-analytics-and-data.html"
        ),
    },
    "cdnow": {
        # The copy distributed with the lifetimes package, pinned to a commit.
        "url": (
            "https://raw.githubusercontent.com/CamDavidsonPilon/lifetimes/"
            "748620cd21c16bdb62ff1346e32c38ede7d62cb1/lifetimes/datasets/CDNOW_master.txt"
        ),
        "filename": "CDNOW_master.txt",
        "sha256": "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef",
        "licence": "No explicit licence stated by the publisher",
        "citation": (
            "P. S. Fader, B. G. S. Hardie and K. L. Lee. 'Counting Your Customers' the Easy "
            "Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284, "
            "2005. CDNOW data as distributed by Fader and Hardie."
        ),
        "homepage": "https://www.brucehardie.com/datasets/",
    },
}


class DownloadError(WorkbookError, OSError):
    """A file could not be downloaded, or what was downloaded is not the expected file."""


def file_sha256(path: str | os.PathLike) -> str:
    """Hexadecimal sha256 digest of a file, read in chunks.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str
        64 lower-case hexadecimal characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_digest(sha256: str | None, where: str) -> str | None:
    if sha256 is None:
        return None
    digest = sha256.strip().lower()
    if not _SHA256.match(digest):
        raise DataValidationError(
            where, f"parameter 'sha256': expected 64 hexadecimal characters, found {sha256!r}"
        )
    return digest


def _write_atomically(
    source, target: Path, expected: str | None, what: str, size: int | None = None
) -> None:
    """Copy a stream to ``target`` through a temporary file, checking size and digest."""
    digest = hashlib.sha256()
    # The temporary file sits next to the target so that the final rename is atomic.
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in iter(lambda: source.read(_CHUNK_BYTES), b""):
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        received = os.path.getsize(temporary)
        if size is not None and received != size:
            raise DownloadError(
                f"{what}: expected {size} bytes, received {received}; the partial file was removed."
            )
        found = digest.hexdigest()
        if expected is not None and found != expected:
            raise DownloadError(
                f"{what}: sha256 mismatch: expected {expected}, found {found}. The file was "
                "removed; it may be truncated, changed upstream or not the file you meant."
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def download(
    url: str,
    *,
    cache_dir: str | os.PathLike,
    sha256: str | None = None,
    filename: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` into ``cache_dir`` unless a verified copy is already there.

    Parameters
    ----------
    url : str
        ``http(s)://`` or ``file://`` address of the file.
    cache_dir : str or path-like
        Directory of the cache; created if missing.
    sha256 : str, optional
        Expected hexadecimal sha256 of the file. With it, a cached file is used
        only if its digest matches (otherwise it is downloaded again), and a
        download with another digest is removed and reported. Without it, any
        cached file of that name is used as is.
    filename : str, optional
        Name of the file in the cache; the last part of the URL path if not set.
    timeout : float, default 30.0
        Seconds to wait for the server before giving up.

    Returns
    -------
    pathlib.Path
        The cached file.

    Raises
    ------
    DownloadError
        If the server cannot be reached, answers with an error, sends fewer
        bytes than announced, or the digest does not match.
    """
    expected = _expected_digest(sha256, "download")
    name = filename or PurePosixPath(unquote(urlsplit(url).path)).name
    if not name or name != Path(name).name:
        raise DataValidationError(
            "download",
            f"parameter 'filename': expected a plain file name, found {name!r} (from {url!r})",
        )
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / name
    if target.is_file() and (expected is None or file_sha256(target) == expected):
        return target

    by_hand = (
        f"Download it by hand from {url} and save it as {target}; "
        "it is then used without a download."
    )
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            size = int(announced) if announced and announced.isdigit() else None
            _write_atomically(response, target, expected, url, size)
    except DownloadError as exc:
        raise DownloadError(f"{exc} {by_hand}") from exc
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"{url}: the server answered {exc.code} {exc.reason}. {by_hand}"
        ) from exc
    except http.client.IncompleteRead as exc:
        raise DownloadError(
            f"{url}: the connection closed after {len(exc.partial)} bytes; the partial file "
            f"was removed. {by_hand}"
        ) from exc
    # Network failures only: an error writing the cache (e.g. a full disk) is not "offline".
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url}: could not be reached ({reason}); are you offline? {by_hand}"
        ) from exc
    return target


def extract_member(
    archive: str | os.PathLike,
    member: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
) -> Path:
    """Extract one file of a zip archive into a directory, atomically.

    Parameters
    ----------
    archive : str or path-like
        The zip file, e.g. the one :func:`download` returned. Never written.
    member : str
        Path of the file inside the archive, e.g. ``"bank-full.csv"``.
    dest : str or path-like
        Directory to extract into (created if missing); the file keeps the
        base name of ``member``, whatever folders the archive puts it in.
    sha256 : str, optional
        Expected digest of the extracted file; an already extracted file with
        this digest is reused.

    Returns
    -------
    pathlib.Path
        The extracted file.

    Raises
    ------
    DataValidationError
        If the archive is not a zip file or has no such member.
    DownloadError
        If the extracted file's digest does not match ``sha256``.
    """
    expected = _expected_digest(sha256, "extract_member")
    archive = Path(archive)
    dest = Path(dest)
    target = dest / PurePosixPath(member).name
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataValidationError(str(archive), f"expected a zip archive: {exc}") from None
    with opened:
        names = opened.namelist()
        if member not in names:
            raise DataValidationError(
                str(archive),
                f"expected a member {member!r}, found only these {len(names)} members",
                examples=names,
            )
        if target.is_file() and (expected is None or file_sha256(target) == expected):
            return target
        dest.mkdir(parents=True, exist_ok=True)
        with opened.open(member) as source:
            _write_atomically(source, target, expected, f"{archive}:{member}")
    return target
