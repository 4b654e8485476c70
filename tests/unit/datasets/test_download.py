"""Download with cache and checksum, against a local HTTP server and file:// URLs (never the internet)."""

from __future__ import annotations

import hashlib
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from marketing_utils.datasets.download import (
    PUBLIC_DATASETS,
    DownloadError,
    download,
    extract_member,
    file_sha256,
)
from marketing_utils.errors import DataValidationError

PAYLOAD = b"customer_id,timestamp,amount\n1,2024-01-01,9.5\n" * 50
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
# sha256 of the three bytes b"abc" (FIPS 180-2, appendix B.1).
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


class _Server:
    """A local server counting requests: /data.csv, /truncated.csv (announces more than it sends)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path == "/data.csv":
                    self._send(PAYLOAD, len(PAYLOAD))
                elif self.path == "/truncated.csv":
                    self._send(PAYLOAD[:100], len(PAYLOAD))
                else:
                    self.send_error(404, "Not Found")

            def _send(self, body: bytes, announced: int) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    running = _Server()
    yield running
    running.close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_file_sha256_of_a_known_input(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert file_sha256(path) == ABC_SHA256


def test_download_then_cache_hit_without_a_request(server, tmp_path):
    cache = tmp_path / "cache"
    first = download(f"{server.url}/data.csv", cache_dir=cache, sha256=PAYLOAD_SHA256)
    assert first == cache / "data.csv"
    assert first.read_bytes() == PAYLOAD
    assert server.requests == ["/data.csv"]

    second = download(f"{server.url}/data.csv", cache_dir=cache, sha256=PAYLOAD_SHA256.upper())
    assert second == first
    assert server.requests == ["/data.csv"]  # served from the cache
    assert _leftovers(cache) == ["data.csv"]


def test_a_cached_file_with_the_wrong_digest_is_downloaded_again(server, tmp_path):
    (tmp_path / "data.csv").write_bytes(b"stale")
    path = download(f"{server.url}/data.csv", cache_dir=tmp_path, sha256=PAYLOAD_SHA256)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/data.csv"]


def test_without_a_digest_any_cached_file_is_used(server, tmp_path):
    (tmp_path / "renamed.csv").write_bytes(b"put here by hand")
    path = download(f"{server.url}/data.csv", cache_dir=tmp_path, filename="renamed.csv")
    assert path.read_bytes() == b"put here by hand"
    assert server.requests == []


def test_checksum_mismatch_names_both_digests_and_removes_the_file(server, tmp_path):
    with pytest.raises(DownloadError) as caught:
        download(f"{server.url}/data.csv", cache_dir=tmp_path, sha256=ABC_SHA256)
    message = str(caught.value)
    assert f"expected {ABC_SHA256}" in message
    assert f"found {PAYLOAD_SHA256}" in message
    assert f"{server.url}/data.csv" in message
    assert _leftovers(tmp_path) == []


def test_unreachable_url_tells_where_to_put_the_file(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/bank.zip"
    with pytest.raises(DownloadError) as caught:
        download(url, cache_dir=tmp_path, timeout=5)
    message = str(caught.value)
    assert url in message
    assert "could not be reached" in message
    assert f"save it as {tmp_path / 'bank.zip'}" in message
    assert _leftovers(tmp_path) == []


def test_http_error_status_is_reported(server, tmp_path):
    with pytest.raises(DownloadError, match="answered 404"):
        download(f"{server.url}/missing.csv", cache_dir=tmp_path)
    assert _leftovers(tmp_path) == []


def test_truncated_download_never_reaches_the_cache(server, tmp_path):
    # The server announces len(PAYLOAD) bytes and closes after 100: nothing may be left behind,
    # neither the target nor the temporary file.
    with pytest.raises(DownloadError) as caught:
        download(f"{server.url}/truncated.csv", cache_dir=tmp_path)
    assert "removed" in str(caught.value)
    assert _leftovers(tmp_path) == []


def test_file_url_and_an_invalid_digest_parameter(tmp_path):
    source = tmp_path / "source" / "hill strom.csv"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    path = download(source.as_uri(), cache_dir=cache, sha256=PAYLOAD_SHA256)
    assert path == cache / "hill strom.csv"
    assert path.read_bytes() == PAYLOAD
    assert source.read_bytes() == PAYLOAD
    with pytest.raises(DataValidationError, match="parameter 'sha256'"):
        download(source.as_uri(), cache_dir=cache, sha256="abc")


def test_extract_member(tmp_path):
    archive = tmp_path / "bank.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("bank-names.txt", "names")
        zipped.writestr("data/bank-full.csv", PAYLOAD)
    out = tmp_path / "out"
    path = extract_member(archive, "data/bank-full.csv", out, sha256=PAYLOAD_SHA256)
    assert path == out / "bank-full.csv"
    assert path.read_bytes() == PAYLOAD

    with pytest.raises(DataValidationError) as caught:
        extract_member(archive, "bank-full.csv", out)
    assert "'data/bank-full.csv'" in str(caught.value)
    assert str(archive) in str(caught.value)

    with pytest.raises(DownloadError, match=f"expected {ABC_SHA256}"):
        extract_member(archive, "bank-names.txt", out, sha256=ABC_SHA256)
    assert _leftovers(out) == ["bank-full.csv"]


def test_public_datasets_registry_is_complete():
    assert set(PUBLIC_DATASETS) == {"bank_marketing", "hillstrom", "cdnow"}
    for entry in PUBLIC_DATASETS.values():
        assert {"url", "filename", "sha256", "licence", "citation"} <= set(entry)
        assert entry["url"].startswith("https://")
    assert PUBLIC_DATASETS["bank_marketing"]["member"] == "bank-full.csv"


@pytest.mark.datasets
def test_public_dataset_digests_match_the_real_files(datasets_dir):
    bank = PUBLIC_DATASETS["bank_marketing"]
    assert file_sha256(datasets_dir / bank["member"]) == bank["member_sha256"]
    for name in ("hillstrom", "cdnow"):
        entry = PUBLIC_DATASETS[name]
        assert file_sha256(datasets_dir / entry["filename"]) == entry["sha256"]


@pytest.mark.datasets
def test_a_real_file_put_in_the_cache_by_hand_is_verified_and_used(datasets_dir, tmp_path):
    entry = PUBLIC_DATASETS["hillstrom"]
    (tmp_path / entry["filename"]).write_bytes((datasets_dir / entry["filename"]).read_bytes())
    # The URL is never contacted: the cached copy's digest matches the registry.
    path = download(entry["url"], cache_dir=tmp_path, sha256=entry["sha256"])
    assert path == tmp_path / "hillstrom.csv"
