"""Keeps an activity heartbeating while it awaits one long call (an upload), so a dead worker is noticed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from temporalio import activity


@contextlib.asynccontextmanager
async def heartbeating(every_s: float | None = None) -> AsyncIterator[None]:
    timeout = activity.info().heartbeat_timeout
    if timeout is None and every_s is None:
        yield
        return
    interval = every_s or max(timeout.total_seconds() / 3, 0.5) if timeout else (every_s or 10.0)

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(interval)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
