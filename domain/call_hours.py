"""The daily call time a campaign's `call_config.call_time` gives Ringg (HH:MM start and end in its timezone): when
it is closed, no call starts and a poll can learn nothing new until it opens again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from domain.contact_zones import DailyWindow, next_opening, parse_days
from domain.window import DEFAULT_TIMEZONE

ALL_DAY = (time(0, 0), time(23, 59))


def call_time_of(call_config: Mapping[str, Any]) -> Mapping[str, Any]:
    call_time = call_config.get("call_time")
    return call_time if isinstance(call_time, Mapping) else {}


def call_zone(call_config: Mapping[str, Any]) -> str:
    return str(call_time_of(call_config).get("timezone") or DEFAULT_TIMEZONE)


def daily_window(call_config: Mapping[str, Any], days: list[str] | None = None) -> DailyWindow:
    """call_time's daily start and end (all day when it names none or cannot be read: the campaign's own checks
    name that problem) on `days` (every day when None)."""
    call_time = call_time_of(call_config)
    start, end = ALL_DAY
    try:
        if call_time.get("call_start_time") and call_time.get("call_end_time"):
            start = datetime.strptime(str(call_time["call_start_time"]).strip(), "%H:%M").time()
            end = datetime.strptime(str(call_time["call_end_time"]).strip(), "%H:%M").time()
    except ValueError:
        start, end = ALL_DAY
    if end <= start:
        start, end = ALL_DAY
    return DailyWindow(start=start, end=end, days=parse_days(days))


def closed_until(now: datetime, call_config: Mapping[str, Any], window_end: datetime) -> datetime | None:
    """The instant the daily call time next opens when it is closed at `now` (aware); None when it is open now, the
    request names no call time, or it does not open again before `window_end`."""
    daily = daily_window(call_config)
    if (daily.start, daily.end) == ALL_DAY:
        return None
    opening = next_opening(now, call_zone(call_config), daily, window_end)
    return opening if opening is not None and opening > now else None
