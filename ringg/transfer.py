"""File I/O for uploads and downloads, kept off the event loop where it is cheap to do so."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import IO

import httpx

from .errors import RinggTransportError, transport_error


def _open_read(path: Path) -> IO[bytes]:
    return path.open("rb")


def _open_write(path: Path) -> IO[bytes]:
    return path.open("wb")


async def open_for_upload(path: Path) -> IO[bytes]:
    """Open the CSV for httpx to stream; httpx then reads it synchronously, 64 KiB at a time (cheap)."""
    return await asyncio.to_thread(_open_read, path)


async def stream_to_file(response: httpx.Response, dest: Path, endpoint: str) -> int:
    """Write a streamed response to `dest` atomically (via `<dest>.part`); returns the byte count."""
    partial = dest.with_name(dest.name + ".part")
    handle = await asyncio.to_thread(_open_write, partial)
    written = 0
    failure: RinggTransportError | None = None
    try:
        try:
            async for chunk in response.aiter_bytes():
                await asyncio.to_thread(handle.write, chunk)
                written += len(chunk)
        finally:
            handle.close()
    except httpx.RequestError as exc:
        failure = transport_error(endpoint, exc)
    except BaseException:
        partial.unlink(missing_ok=True)  # synchronous on purpose: this path also runs on cancellation
        raise
    if failure is not None:
        partial.unlink(missing_ok=True)
        raise failure from None
    await asyncio.to_thread(os.replace, partial, dest)
    return written
