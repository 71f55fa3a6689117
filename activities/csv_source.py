"""Resolves a csv_uri (local path, file:// or http(s)://) to a local file, streaming downloads to disk."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

CHUNK = 1 << 20


class CsvUnreadable(Exception):
    """The CSV cannot be read at all; the message names the uri and the cause."""


def local_path_of(csv_uri: str) -> Path | None:
    parsed = urlparse(csv_uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme == "file" else csv_uri).expanduser()
    if len(parsed.scheme) == 1:  # a Windows drive letter, not a scheme
        return Path(csv_uri)
    return None


@contextlib.asynccontextmanager
async def open_csv(csv_uri: str, http: httpx.AsyncClient | None = None) -> AsyncIterator[Path]:
    """Yields a local path for the CSV; remote files are streamed to a temporary file removed afterwards."""
    path = local_path_of(csv_uri)
    if path is not None:
        if not path.is_file():
            raise CsvUnreadable(f"CSV not found at {csv_uri!r}: no such file on the worker")
        yield path
        return
    if urlparse(csv_uri).scheme not in ("http", "https"):
        raise CsvUnreadable(f"Unsupported csv_uri {csv_uri!r}: use a local path, file:// or http(s)://")
    with tempfile.TemporaryDirectory(prefix="campaign-csv-") as tmp:
        dest = Path(tmp) / "contacts.csv"
        owned = http is None
        client = http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True)
        try:
            async with client.stream("GET", csv_uri) as response:
                if response.status_code != 200:
                    raise CsvUnreadable(f"Downloading the CSV from {csv_uri!r} failed: HTTP {response.status_code}")
                with dest.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK):
                        out.write(chunk)
        finally:
            if owned:
                await client.aclose()
        yield dest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
