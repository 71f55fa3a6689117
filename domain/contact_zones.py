"""Local-time windows per contact: a number's IANA timezone (phonenumbers' metadata) and when a daily call time
next opens in that zone, DST included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.phone_zones import zones_of
from domain.window import DEFAULT_TIMEZONE, WINDOW_FORMAT

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
_DAY_NUMBERS: dict[str, int] = {name: number for number, name in enumerate(WEEKDAYS)}
# Files under the tz folder that load but are no one's timezone: the worker's own clock, tzdata internals, and
# the leap-second variants (whose offsets are off by whole seconds).
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
_NOT_ZONE_PREFIXES = ("posix/", "right/")


@lru_cache(maxsize=1024)
def _loads(name: str) -> bool:
    if name in _NOT_ZONES or name.startswith(_NOT_ZONE_PREFIXES):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone_problem(name: str, setting: str) -> str | None:
    """None when `name` is an IANA timezone this worker knows, else a message naming the setting."""
    if _loads(name):
        return None
    return f"{setting} {name[:64]!r} is not a known IANA timezone (e.g. {DEFAULT_TIMEZONE})"


def zone_of(e164: str, default_zone: str) -> str:
    """The IANA timezone of a number in E.164 (e.g. "+14155550100") from phonenumbers' timezone metadata, under
    its current tzdata name; `default_zone` when the number maps to several zones, to none, or does not parse."""
    zones = zones_of(e164)
    return zones[0] if len(zones) == 1 and _loads(zones[0]) else default_zone


@dataclass(frozen=True)
class DailyWindow:
    """The daily call time in a contact's zone: [start, end) local wall-clock time on the allowed weekdays."""

    start: time  # local call_start_time
    end: time  # local call_end_time (end > start)
    days: frozenset[int]  # allowed weekdays, 0=Monday .. 6=Sunday; all seven when the request names none

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("DailyWindow start and end are local wall-clock times without a timezone")
        if self.end <= self.start:
            raise ValueError(f"DailyWindow end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("DailyWindow days must be a non-empty set of weekdays 0 (Monday) .. 6 (Sunday)")


def _aware(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _offset_ends(start: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after `start` with another UTC offset, or a day later when the offset holds that long.
    tzdata's transitions fall on whole seconds and no zone changes its offset twice within one day."""
    offset = _offset(start, zone)
    lo = int(start.timestamp() // 1)
    hi = lo + 86_400
    if _offset(datetime.fromtimestamp(hi, UTC), zone) == offset:
        return datetime.fromtimestamp(hi, UTC)
    while hi - lo > 1:  # offset(lo) is the old one, offset(hi) the new one
        mid = (lo + hi) // 2
        if _offset(datetime.fromtimestamp(mid, UTC), zone) == offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _first_inside(begin: datetime, end: datetime, offset: timedelta, daily: DailyWindow) -> datetime | None:
    """The first instant in [begin, end), where the zone's offset is constant, inside the daily window."""

    def instant(day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=UTC) - offset

    day = (begin + offset).date()
    while instant(day, time(0)) < end:
        if day.weekday() in daily.days:
            opens, closes = max(begin, instant(day, daily.start)), min(end, instant(day, daily.end))
            if opens < closes:
                return opens
        day += timedelta(days=1)
    return None


def next_opening(after: datetime, zone: str, daily: DailyWindow, window_end: datetime) -> datetime | None:
    """The first instant >= `after` (aware) at which the local time in `zone` is inside [daily.start, daily.end)
    on an allowed weekday, in UTC; `after` itself when it is inside; None when that instant is not before
    `window_end` (aware). Walks the zone's stretches of constant UTC offset, so a start time that a spring-forward
    gap skips opens at the first instant after the gap, and a fall-back hour re-entering the window counts."""
    cursor, window_end = _aware(after, "after"), _aware(window_end, "window_end")
    tz = ZoneInfo(zone)
    while cursor < window_end:
        stretch_end = _offset_ends(cursor, tz)
        found = _first_inside(cursor, stretch_end, _offset(cursor, tz), daily)
        if found is not None:
            return found if found < window_end else None
        cursor = stretch_end
    return None


def wave_window(opening: datetime, window_end: datetime, zone: str) -> tuple[str, str]:
    """(campaign_start_time, campaign_end_time) of a wave in `zone`: the same instants as local wall-clock time in
    Ringg's "DD/MM/YYYY, HH:MM", each rounded down to the minute."""
    tz = ZoneInfo(zone)
    start, end = _aware(opening, "opening"), _aware(window_end, "window_end")
    return start.astimezone(tz).strftime(WINDOW_FORMAT), end.astimezone(tz).strftime(WINDOW_FORMAT)


def day_problems(days: list[str]) -> list[str]:
    """Problems with a `windows.days` list: known weekday names (any case), no repeats, not empty."""
    allowed = ", ".join(WEEKDAYS)
    if not days:
        return [f"windows.days is empty: leave it out for every day, or name some of {allowed}"]
    problems: list[str] = []
    seen: set[str] = set()
    for raw in days:
        name = str(raw).strip().lower()
        if name not in _DAY_NUMBERS:
            problems.append(f"windows.days: {str(raw)[:16]!r} is not a weekday; use {allowed}")
        elif name in seen:
            problems.append(f"windows.days names {name!r} twice")
        seen.add(name)
    return problems


def parse_days(days: list[str] | None) -> frozenset[int]:
    """Weekday numbers (0=Monday) of a `windows.days` list checked by day_problems; all seven when None/empty."""
    if not days:
        return frozenset(range(7))
    return frozenset(_DAY_NUMBERS[d.strip().lower()] for d in days)  # KeyError: not checked by day_problems
