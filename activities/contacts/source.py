"""Where a contacts file comes from (local path, file:// or http(s)://): held to the CsvSources rules (folders on the
real path; hosts, resolved addresses and every redirect of a URL; the size limits), then read, downloaded or hashed
here only."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from temporalio.exceptions import ApplicationError

from contract.errors import CSV_LIMIT_EXCEEDED, CSV_SOURCE_REFUSED, INVALID_CSV
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import (
    MAX_REDIRECTS,
    CsvSources,
    SourceRefused,
    address_problem,
    csv_sources_from_env,
    path_problem,
    shown,
    url_problem,
)
from domain.file_uris import local_path_of

CHUNK = 1 << 20
# Per connect and per read; the whole download also has one deadline (CsvLimits.download_timeout_s).
READ_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class CsvUnreadable(Exception):
    """The CSV cannot be read at all; the message names the uri and the cause."""


def contacts_failure(
    err: SourceRefused | CsvLimitExceeded | CsvUnreadable, not_started: str, uri: str
) -> ApplicationError:
    """The activity's permanent failure for a file refused by the rules, over a limit or not readable."""
    if isinstance(err, SourceRefused):
        return ApplicationError(f"{not_started}: {err}.", type=CSV_SOURCE_REFUSED, non_retryable=True)
    if isinstance(err, CsvLimitExceeded):
        return ApplicationError(
            f"{not_started}: the file {shown(uri)!r} cannot be used: {err}.",
            type=CSV_LIMIT_EXCEEDED,
            non_retryable=True,
        )
    return ApplicationError(f"{not_started}: {err}.", type=INVALID_CSV, non_retryable=True)


def env_sources() -> CsvSources:
    """The rules of this process's environment, for callers given none (the entry points pass the ones they built)."""
    return csv_sources_from_env(os.environ)


async def admit(uri: str, sources: CsvSources, *, what: str = "csv_uri") -> None:
    """The entry points' check before anything starts: a local file's real path against the folders, a URL's scheme
    and host (its addresses are checked when it is fetched). Raises SourceRefused."""
    path = local_path_of(uri)
    if path is not None:
        await asyncio.to_thread(_allowed_path, path, sources, what, uri)
        return
    problem = url_problem(uri, sources, what=what)
    if problem:
        raise SourceRefused(problem)


def _allowed_path(path: Path, sources: CsvSources, what: str, uri: str) -> Path:
    if "\x00" in str(path):  # os.path.realpath would raise ValueError: refused like any other bad place
        raise SourceRefused(f"{what} holds a NUL character, which no file name can hold: give the file's path")
    real = Path(os.path.realpath(path))
    problem = path_problem(real, tuple(Path(os.path.realpath(d)) for d in sources.dirs), what=what, uri=uri)
    if problem:
        raise SourceRefused(problem)
    return real


def _readable_file(path: Path, sources: CsvSources, what: str, uri: str) -> Path:
    """The real path of an allowed, regular file within the size limit (a FIFO or a device would never end)."""
    real = _allowed_path(path, sources, what, uri)
    try:
        info = real.stat()
    except OSError:
        raise CsvUnreadable(f"{what} {uri!r} was not found: no such file on this machine") from None
    if not stat.S_ISREG(info.st_mode):
        raise CsvUnreadable(f"{what} {uri!r} is not a regular file")
    if info.st_size > sources.limits.max_bytes:
        raise sources.limits.too_big()
    return real


@contextlib.asynccontextmanager
async def open_csv(uri: str, sources: CsvSources, *, what: str = "csv_uri") -> AsyncIterator[Path]:
    """Yields a local path for the file; a URL is streamed to a temporary file removed afterwards. Raises
    SourceRefused, CsvLimitExceeded or CsvUnreadable (permanent), or OSError and httpx's errors (transient)."""
    path = local_path_of(uri)
    if path is not None:
        yield await asyncio.to_thread(_readable_file, path, sources, what, uri)
        return
    with tempfile.TemporaryDirectory(prefix="campaign-csv-") as tmp:
        dest = Path(tmp) / "contacts.csv"
        with dest.open("wb") as out:
            await download(uri, sources, out.write, what=what)
        yield dest


async def download(uri: str, sources: CsvSources, sink: Callable[[bytes], object], *, what: str = "csv_uri") -> int:
    """Streams a URL's decoded bytes into `sink`, within one deadline for the whole download; returns the bytes."""
    problem = url_problem(uri, sources, what=what)
    if problem:
        raise SourceRefused(problem)
    limits = sources.limits
    try:
        async with asyncio.timeout(limits.download_timeout_s):
            return await _follow(httpx.URL(uri), sources, sink, what)
    except TimeoutError:
        raise limits.too_slow() from None
    except httpx.InvalidURL:
        raise CsvUnreadable(f"{what} {shown(uri)!r} is not a valid URL") from None


async def _follow(target: httpx.URL, sources: CsvSources, sink: Callable[[bytes], object], what: str) -> int:
    """Redirects are followed here, not by httpx, so each hop's host and addresses are checked before it is asked."""
    original = shown(str(target))
    # trust_env=False: no HTTP(S)_PROXY, the connection goes to the address just checked.
    async with httpx.AsyncClient(timeout=READ_TIMEOUT, trust_env=False) as client:
        for hop in range(MAX_REDIRECTS + 1):
            label = what if hop == 0 else f"{what} {original!r}, redirected to"
            async with _connected(client, target, sources, label) as response:
                if response.is_redirect:
                    target = target.join(response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise CsvUnreadable(f"Downloading {what} {original!r} failed: HTTP {response.status_code}")
                return await _drain(response, sink, sources)
    raise SourceRefused(f"{what} {original!r} was redirected more than {MAX_REDIRECTS} times: give the final URL")


@contextlib.asynccontextmanager
async def _connected(
    client: httpx.AsyncClient, target: httpx.URL, sources: CsvSources, what: str
) -> AsyncIterator[httpx.Response]:
    """The response of a GET sent to an address of the host that passed the checks (no second DNS lookup, so no
    rebinding in between): the URL names the address, the Host header and TLS (SNI, certificate) the host."""
    problem = url_problem(str(target), sources, what=what)
    if problem:
        raise SourceRefused(problem)
    host = target.host
    addresses = await checked_addresses(target, lambda address: address_problem(host, address, sources, what=what))
    failure: httpx.ConnectError | None = None
    for address in addresses:
        request = pinned_request(client, "GET", target, address)
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError as err:
            failure = err
            continue
        try:
            yield response
        finally:
            await response.aclose()
        return
    assert failure is not None  # getaddrinfo returns at least one address or raises
    raise failure


async def checked_addresses(target: httpx.URL, problem: Callable[[str], str | None]) -> list[str]:
    """Every address the URL's host resolves to, each held to `problem` (a mix of allowed and refused addresses is
    refused): raises SourceRefused. The events delivery (activities/events) connects the same way."""
    port = target.port or (443 if target.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(target.host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        refused = problem(address)
        if refused:
            raise SourceRefused(refused)
    return addresses


def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    target: httpx.URL,
    address: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Request:
    """A request sent to `address` (one checked_addresses returned: no second DNS lookup, so no rebinding in between)
    with the URL's host in the Host header and TLS (SNI, certificate)."""
    return client.build_request(
        method,
        target.copy_with(host=address.split("%")[0]),
        headers={**(headers or {}), "Host": target.netloc.decode("ascii")},
        content=content,
        extensions={"sni_hostname": target.host} if target.scheme == "https" else None,
    )


async def _drain(response: httpx.Response, sink: Callable[[bytes], object], sources: CsvSources) -> int:
    """The body as httpx decodes it (gzip, deflate): the cap counts the bytes stored, not the bytes sent."""
    total, limit = 0, sources.limits.max_bytes
    async for chunk in response.aiter_bytes(CHUNK):
        total += len(chunk)
        if total > limit:
            raise sources.limits.too_big()
        sink(chunk)
    return total


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def content_sha256(uri: str, sources: CsvSources) -> str:
    """sha256 of the CSV's bytes, streamed (a remote file is not stored), under the same rules and limits as the
    worker's reading; pre-flight computes the same value. Raises what open_csv raises."""
    path = local_path_of(uri)
    if path is not None:
        # In a thread: a big CSV must not stall an event loop that serves other requests (the HTTP API).
        real = await asyncio.to_thread(_readable_file, path, sources, "csv_uri", uri)
        return await asyncio.to_thread(file_sha256, real)
    digest = hashlib.sha256()
    await download(uri, sources, digest.update)
    return digest.hexdigest()
