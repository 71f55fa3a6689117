"""Heartbeats for activities that await one long call, and the record of whether a POST may still be in
flight at Ringg when an attempt ends (carried to the next attempt in the heartbeat details)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from temporalio import activity


@contextlib.asynccontextmanager
async def heartbeating(details: Callable[[], Any] | None = None) -> AsyncIterator[None]:
    """Heartbeats every third of the heartbeat timeout while the block runs, so a dead worker is noticed."""
    timeout = activity.info().heartbeat_timeout
    if timeout is None:
        yield
        return
    interval = max(timeout.total_seconds() / 3, 0.5)

    async def beat() -> None:
        while True:
            activity.heartbeat(*([details()] if details else []))
            await asyncio.sleep(interval)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def guarded_attempt() -> AsyncIterator[PostGuard]:
    """Heartbeats while the attempt runs and, if it fails, records whether its POST may still be in flight."""
    guard = PostGuard.for_this_attempt()
    async with heartbeating(guard.while_running):
        try:
            yield guard
        except BaseException:
            guard.record_outcome()
            raise


@dataclass
class PostGuard:
    """Whether a POST sent by this activity might still be processed by Ringg.

    An attempt trusts the previous one only if that attempt ended by failing and recorded `settled` in its
    last heartbeat; an attempt that died (worker killed, heartbeat timeout) recorded nothing of the kind, so
    the next one first watches Ringg's state for the effect of a POST that may still be in flight."""

    settled: bool

    @classmethod
    def for_this_attempt(cls) -> PostGuard:
        info = activity.info()
        if info.attempt == 1:
            return cls(settled=True)
        last = info.heartbeat_details[-1] if info.heartbeat_details else None
        trusted = isinstance(last, dict) and last.get("attempt") == info.attempt - 1
        return cls(settled=trusted and last.get("settled") is True)  # type: ignore[union-attr]

    def while_running(self) -> dict[str, Any]:
        # Periodic heartbeats never claim "settled": a crash right after one must not be trusted.
        return {"attempt": activity.info().attempt, "settled": False}

    def record_outcome(self) -> None:
        activity.heartbeat({"attempt": activity.info().attempt, "settled": self.settled})
