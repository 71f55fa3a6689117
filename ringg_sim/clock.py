"""The simulated clock: from the moment the simulator starts it runs 1/time_scale times faster than the wall clock,
and it can be moved forward at once (advance_to). Windows, call times and retries live on it; reported timestamps
are mapped back to wall time."""

from __future__ import annotations

import bisect
from collections.abc import Callable

WallClock = Callable[[], float]


class SimClock:
    """Simulated epoch seconds. At start the simulated clock reads the wall clock; each change of time_scale
    re-anchors it (it only changes speed), and advance_to re-anchors it further ahead (it jumps forward, never
    back). The wall clock the simulator reports and dates by is the process's, plus whatever advance_to moved it
    forward by (a test stack whose world time is skipped, e.g. Temporal's time-skipping server)."""

    def __init__(self, wall: WallClock, time_scale: float) -> None:
        self._wall = wall
        self._wall_offset = 0.0
        start = wall()
        # (simulated instant, wall instant, wall seconds per simulated second), sorted by simulated instant
        self._anchors: list[tuple[float, float, float]] = [(start, start, time_scale)]
        self._last = start

    def wall(self) -> float:
        return self._wall() + self._wall_offset

    def now(self) -> float:
        sim_at, wall_at, scale = self._anchors[-1]
        # monotonic even if an injected wall clock steps back
        self._last = max(self._last, sim_at + (self.wall() - wall_at) / scale)
        return self._last

    def set_scale(self, time_scale: float) -> None:
        if time_scale == self._anchors[-1][2]:
            return
        now = self.now()
        self._anchors.append((now, self.wall(), time_scale))

    def advance_to(self, sim_t: float, wall_t: float | None = None) -> float:
        """Jump so the clock reads `sim_t` at this instant and runs on at the same time_scale, and (with `wall_t`)
        the wall clock reads `wall_t`; an instant not after the current reading changes nothing. Returns the
        clock's reading."""
        now, wall = self.now(), self.wall()
        wall_moves = wall_t is not None and wall_t > wall
        if wall_moves:
            assert wall_t is not None
            self._wall_offset += wall_t - wall
            wall = wall_t
        if sim_t > now or wall_moves:
            now = max(now, sim_t)
            self._anchors.append((now, wall, self._anchors[-1][2]))
            self._last = now
        return now

    def wall_of(self, sim_t: float) -> float:
        """The wall instant at which the simulated clock reads (or will read) `sim_t`; an instant the clock jumped
        over maps to the wall instant of the jump."""
        idx = max(0, bisect.bisect_right(self._anchors, (sim_t, float("inf"), 0.0)) - 1)
        sim_at, wall_at, scale = self._anchors[idx]
        at = wall_at + (sim_t - sim_at) * scale
        if idx + 1 < len(self._anchors):
            at = min(at, self._anchors[idx + 1][1])
        return at
