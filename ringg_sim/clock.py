"""The simulated clock: from the moment the simulator starts it runs 1/time_scale times faster than the wall clock.
Windows, call times and retries live on it; reported timestamps are mapped back to wall time."""

from __future__ import annotations

import bisect
from collections.abc import Callable

WallClock = Callable[[], float]


class SimClock:
    """Simulated epoch seconds. At start the simulated clock reads the wall clock; each change of time_scale
    re-anchors it, so the simulated clock never jumps, it only changes speed."""

    def __init__(self, wall: WallClock, time_scale: float) -> None:
        self._wall = wall
        start = wall()
        # (simulated instant, wall instant, wall seconds per simulated second), sorted by simulated instant
        self._anchors: list[tuple[float, float, float]] = [(start, start, time_scale)]
        self._last = start

    def wall(self) -> float:
        return self._wall()

    def now(self) -> float:
        sim_at, wall_at, scale = self._anchors[-1]
        # monotonic even if an injected wall clock steps back
        self._last = max(self._last, sim_at + (self._wall() - wall_at) / scale)
        return self._last

    def set_scale(self, time_scale: float) -> None:
        if time_scale == self._anchors[-1][2]:
            return
        now = self.now()
        self._anchors.append((now, self._wall(), time_scale))

    def wall_of(self, sim_t: float) -> float:
        """The wall instant at which the simulated clock reads (or will read) `sim_t`."""
        idx = max(0, bisect.bisect_right(self._anchors, (sim_t, float("inf"), 0.0)) - 1)
        sim_at, wall_at, scale = self._anchors[idx]
        return wall_at + (sim_t - sim_at) * scale
