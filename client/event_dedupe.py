"""Drops events seen before: Ringg may deliver one event several times; its key is (call_id, event_type)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class Deduper:
    """Keys are remembered for `ttl_s` (Ringg's last retry comes about 3 minutes after the first attempt) and at
    most `max_keys` of them, oldest forgotten first."""

    def __init__(self, ttl_s: float, max_keys: int = 500_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._max, self._clock = ttl_s, max_keys, clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def first_time(self, call_id: str, event_type: str) -> bool:
        now = self._clock()
        seen = self._seen
        while seen and (len(seen) >= self._max or next(iter(seen.values())) < now - self._ttl):
            seen.popitem(last=False)
        key = (call_id, event_type)
        if key in seen:
            return False
        seen[key] = now
        return True

    def forget(self, call_id: str, event_type: str) -> None:
        """An event that could not be passed on: let its retry through."""
        self._seen.pop((call_id, event_type), None)
