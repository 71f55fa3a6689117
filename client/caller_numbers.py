"""The Ringg workspace's caller numbers as an entry point checks starts against them: read once and kept a minute,
so a burst of starts costs Ringg one read, read again before a number is refused (a number added a moment ago is
found), and a read that failed is not retried for a few seconds (the worker checks the numbers anyway)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import structlog

from domain.caller_numbers import unknown_numbers_problem
from ringg import RinggClient, RinggError, WorkspaceNumber

log = structlog.get_logger()

KEEP_S = 60.0  # a read answers the checks of this long
AFTER_FAILURE_S = 5.0  # after a failed read, starts go unchecked this long instead of each waiting on Ringg again


class WorkspaceNumbers:
    """One process's view of the workspace's numbers. Concurrent checks share one read."""

    def __init__(
        self,
        ringg: RinggClient,
        *,
        keep_s: float = KEEP_S,
        after_failure_s: float = AFTER_FAILURE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ringg = ringg
        self.keep_s = keep_s
        self.after_failure_s = after_failure_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._read: tuple[float, list[WorkspaceNumber]] | None = None
        self._failed_at: float | None = None

    async def problem(self, from_numbers: Sequence[str]) -> str | None:
        """What is wrong with `from_numbers`, or None (also when Ringg cannot be asked now)."""
        asked_at = self._clock()
        read = await self._numbers()
        if read is None:
            return None
        problem = unknown_numbers_problem(from_numbers, read[1])
        if problem is not None and read[0] < asked_at:  # a kept read refused it: the list may have grown since
            read = await self._numbers(newer_than=read[0])
            problem = unknown_numbers_problem(from_numbers, read[1]) if read is not None else None
        return problem

    async def _numbers(self, newer_than: float | None = None) -> tuple[float, list[WorkspaceNumber]] | None:
        """The kept read when it is recent (and newer than `newer_than`), else a new one; None after a failure."""
        async with self._lock:
            now = self._clock()
            kept = self._read
            if kept is not None and now - kept[0] < self.keep_s and (newer_than is None or kept[0] > newer_than):
                return kept
            if self._failed_at is not None and now - self._failed_at < self.after_failure_s:
                return None
            try:
                numbers = await self.ringg.all_workspace_numbers()
            except RinggError as err:
                self._failed_at = self._clock()
                log.warning("caller_numbers_not_checked", reason=type(err).__name__, effect="the worker checks them")
                return None
            self._failed_at = None
            self._read = (self._clock(), numbers)
            return self._read
