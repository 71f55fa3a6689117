"""When a launch may place calls: its campaign window, daily call time (in the campaign's timezone), scheduled_at,
the launch's scheduling delay, and the campaign's pauses. All instants are simulated epoch seconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from ringg_sim.plan import CallPlan


class Unknown(Enum):
    """The next opening is not known yet: the campaign is paused and nobody has resumed it."""

    PAUSED = "paused"


PAUSED = Unknown.PAUSED
Pauses = list[list[float | None]]  # [paused_at, resumed_at or None], oldest first (shared by a campaign's launches)


class Gate:
    def __init__(self, plan: CallPlan, ready_at: float, pauses: Pauses) -> None:
        self.plan = plan
        self.lo = max(plan.start, ready_at, plan.scheduled_at if plan.scheduled_at is not None else ready_at)
        self.hi = plan.end
        self.pauses = pauses

    # -- the static calendar (window, daily call time, scheduled_at) -----------------------------------
    def _seconds_of_day(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self.plan.tz)
        return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6

    def _daily_open(self, t: float) -> bool:
        daily = self.plan.daily
        if daily is None:
            return True
        lo, hi, sod = daily[0], daily[1], self._seconds_of_day(t)
        return lo <= sod < hi if lo < hi else (sod >= lo or sod < hi)

    def _next_local(self, t: float, seconds: float) -> float:
        """The first instant after t at which the local clock reads `seconds` past midnight."""
        day = datetime.fromtimestamp(t, self.plan.tz).date() - timedelta(days=1)
        for offset in range(4):
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.plan.tz) + timedelta(days=offset)
            at = (midnight + timedelta(seconds=seconds)).replace(tzinfo=self.plan.tz).timestamp()
            if at > t:
                return at
        raise AssertionError("a local time of day recurs within two days")

    def static_open(self, t: float) -> bool:
        return self.lo <= t < self.hi and self._daily_open(t)

    def next_static_open(self, t: float) -> float | None:
        """The first instant >= t at which the calendar allows calls, or None after the window's end."""
        t = max(t, self.lo)
        if t >= self.hi:
            return None
        if self._daily_open(t):
            return t
        assert self.plan.daily is not None
        opens = self._next_local(t, self.plan.daily[0])
        return opens if opens < self.hi else None

    def static_until(self, t: float) -> float:
        """For an open instant t: when this stretch of the calendar closes."""
        if self.plan.daily is None:
            return self.hi
        return min(self.hi, self._next_local(t, self.plan.daily[1]))

    # -- with the campaign's pauses --------------------------------------------------------------------
    def paused_at(self, t: float) -> bool:
        return any(a is not None and a <= t and (b is None or t < b) for a, b in self.pauses)

    def is_open(self, t: float) -> bool:
        return self.static_open(t) and not self.paused_at(t)

    def next_open(self, t: float) -> float | Unknown | None:
        """The first instant >= t at which a call may start: None if never again (the window is over), PAUSED
        while an open-ended pause covers it."""
        while True:
            at = self.next_static_open(t)
            if at is None:
                return None
            for a, b in self.pauses:
                if a is not None and a <= at and (b is None or at < b):
                    if b is None:
                        return PAUSED
                    t = b
                    break
            else:
                return at
