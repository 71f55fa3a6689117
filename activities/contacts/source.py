"""Where a contacts file comes from (local path, file:// or http(s)://): read, downloaded or hashed here only."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

import httpx

from domain.file_uris import local_path_of

CHUNK = 1 << 20
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class CsvUnreadable(Exception):
    """The CSV cannot be read at all; the message names the uri and the cause."""


def _download_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True)


@contextlib.asynccontextmanager
async def open_csv(csv_uri: str) -> AsyncIterator[Path]:
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
        async with _download_client() as client, client.stream("GET", csv_uri) as response:
            if response.status_code != 200:
                raise CsvUnreadable(f"Downloading the CSV from {csv_uri!r} failed: HTTP {response.status_code}")
            with dest.open("wb") as out:
                async for chunk in response.aiter_bytes(CHUNK):
                    out.write(chunk)
        yield dest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def content_sha256(csv_uri: str) -> str:
    """sha256 of the CSV's bytes, streamed (a remote file is not stored); pre-flight computes the same value.
    Raises OSError or httpx's errors when the file cannot be read."""
    path = local_path_of(csv_uri)
    if path is not None:
        # In a thread: a big CSV must not stall an event loop that serves other requests (the HTTP API).
        return await asyncio.to_thread(file_sha256, path)
    digest = hashlib.sha256()
    async with _download_client() as client, client.stream("GET", csv_uri) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
