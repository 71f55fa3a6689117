"""The workspace's shared calling capacity: which launches are dialling and at what rate, advanced event by event
on the simulated clock. D-concepts: campaigns share the workspace capacity; a campaign without a concurrency
setting gets an equal share of what the others leave."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from ringg_sim.gate import Gate

_EPS = 1e-9  # in calls of progress
_TIME_EPS = 1e-6  # seconds: epoch instants carry ~2e-7 s of float resolution
_MAX_STEPS = 100_000


@dataclass
class Dial:
    """One launch's dialling progress. While the gate is open, progress grows at the launch's share of the
    capacity; call i's first attempt starts at the first open instant at which progress reaches i (stretches of
    dialling are half-open: a call due exactly when a stretch closes waits for the next one)."""

    n: int
    gate: Gate
    concurrency_pct: int
    cap: int = -1  # calls that will ever start (n until terminated or the window ends)
    progress: float = 0.0
    over: bool = False
    # [begin, progress at begin, rate, end, first call index, end call index): stretches with a positive rate
    segments: list[list[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cap < 0:
            self.cap = self.n
        self.over = self.cap == 0

    def started(self, t: float) -> int:
        """Calls whose first attempt has begun by t."""
        segs = self.segments
        if not segs or t < segs[0][0]:
            return 0
        lo, hi = 0, len(segs) - 1
        while lo < hi:  # the last segment beginning at or before t
            mid = (lo + hi + 1) // 2
            if segs[mid][0] <= t:
                lo = mid
            else:
                hi = mid - 1
        begin, p0, rate, end, first, after = segs[lo]
        if t >= end:
            return min(self.cap, int(after))
        due = math.floor(p0 + rate * (t - begin) + _EPS) + 1
        return min(self.cap, int(after), max(int(first), due))

    def start_time(self, i: int) -> float:
        """When call i's first attempt begins (i < started(now))."""
        segs = self.segments
        lo, hi = 0, len(segs)
        while lo < hi:  # the first segment whose calls reach past i
            mid = (lo + hi) // 2
            if segs[mid][5] > i:
                hi = mid
            else:
                lo = mid + 1
        if lo == len(segs) or i >= self.cap:
            raise ValueError(f"call {i} has not started")
        begin, p0, rate, _, _, _ = segs[lo]
        return begin + max(0.0, i - p0) / rate

    def run(self, t: float, until: float, rate: float, *, finishing: bool = False) -> None:
        """Dial at `rate` from t to `until`; `finishing`: the last call starts at `until` (float rounding may
        leave progress a hair short of it)."""
        last = self.segments[-1] if self.segments else None
        self.progress += rate * (until - t)
        finished = finishing or self.progress >= self.cap - 1 - _EPS
        if finished:
            self.progress = max(self.progress, float(self.cap - 1))
        after = self.cap if finished else min(self.cap, math.ceil(self.progress - _EPS))
        if last is not None and last[2] == rate and abs(last[3] - t) < _TIME_EPS:
            last[3], last[5] = until, after
        else:
            first = last[5] if last is not None else 0
            p0 = last[1] + last[2] * (last[3] - last[0]) if last is not None else 0.0
            self.segments.append([t, p0, rate, until, first, after])
        if finished:
            self.over = True

    def stop(self, t: float) -> int:
        """No further call starts (terminate, window end): the calls started by t are all there will be."""
        self.cap = self.started(t)
        self.over = True
        return self.cap


class Expiry(Protocol):
    def __call__(self, dial: Dial, at: float) -> None: ...


class Dialer:
    """Shares `capacity` (calls started per simulated second) among the open launches that still have calls to
    start: a launch with concurrency_pct p gets p % of it (scaled down if the percentages exceed 100), the others
    share what is left equally."""

    def __init__(self, t: float) -> None:
        self.t = t
        self.dials: list[Dial] = []

    def add(self, dial: Dial) -> None:
        self.dials.append(dial)

    @staticmethod
    def rates(open_dials: list[Dial], capacity: float) -> list[float]:
        manual = sum(d.concurrency_pct for d in open_dials)
        scale = min(1.0, 100.0 / manual) if manual else 1.0
        auto = sum(1 for d in open_dials if not d.concurrency_pct)
        left = capacity * max(0.0, 1.0 - manual / 100.0)
        return [capacity * d.concurrency_pct / 100.0 * scale if d.concurrency_pct else left / auto for d in open_dials]

    def advance(self, to: float, capacity: float, on_expiry: Expiry) -> None:
        for _ in range(_MAX_STEPS):
            live = [d for d in self.dials if not d.over]
            if not live or self.t >= to:
                self.t = max(self.t, to)
                return
            t = self.t
            nxt = to
            open_now: list[Dial] = []
            for d in live:
                if t >= d.gate.hi:
                    nxt = t
                elif d.gate.is_open(t):
                    open_now.append(d)
                    nxt = min(nxt, d.gate.static_until(t))
                else:
                    opens = d.gate.next_open(t)
                    nxt = min(nxt, opens if isinstance(opens, float) else d.gate.hi)
            rates = self.rates(open_now, capacity)
            finishes = [
                t + max(0.0, d.cap - 1 - d.progress) / rate if rate > 0 else None
                for d, rate in zip(open_now, rates, strict=True)
            ]
            for fin in finishes:
                if fin is not None:
                    nxt = min(nxt, fin)
            nxt = max(nxt, t)
            for d, rate, fin in zip(open_now, rates, finishes, strict=True):
                if fin is not None:
                    d.run(t, nxt, rate, finishing=fin <= nxt)
            self.t = nxt
            for d in live:
                if not d.over and nxt >= d.gate.hi:
                    on_expiry(d, d.gate.hi)
        raise RuntimeError("dialer did not converge")
