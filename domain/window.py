"""Checks of a campaign's window in its own timezone (call_config.call_time.timezone, Ringg's default
Asia/Kolkata): known timezone, end not already past, a daily call time that fits the window."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Kolkata"
WINDOW_FORMAT = "%d/%m/%Y, %H:%M"


def parse_window_time(value: str) -> datetime:
    """A campaign_start_time / campaign_end_time ("DD/MM/YYYY, HH:MM"), naive."""
    return datetime.strptime(value.strip(), WINDOW_FORMAT)


def _call_time(call_config: dict[str, Any]) -> dict[str, Any]:
    value = call_config.get("call_time") if isinstance(call_config, dict) else None
    return value if isinstance(value, dict) else {}


def _clock(value: object) -> time | None:
    try:
        return datetime.strptime(str(value).strip(), "%H:%M").time()
    except ValueError:
        return None


def window_problems(start: str | None, end: str | None, call_config: dict[str, Any], now: datetime) -> list[str]:
    """`now` is timezone-aware. Format and start < end are checked by domain.validation."""
    call_time = _call_time(call_config)
    tz_name = str(call_time.get("timezone") or DEFAULT_TIMEZONE)
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"call_config.call_time.timezone {tz_name!r} is not a known IANA timezone (e.g. Asia/Kolkata)"]
    problems: list[str] = []
    daily = [
        _clock(call_time.get(k)) if call_time.get(k) is not None else None for k in ("call_start_time", "call_end_time")
    ]
    for key, parsed in zip(("call_start_time", "call_end_time"), daily, strict=True):
        if call_time.get(key) is not None and parsed is None:
            problems.append(f'call_config.call_time.{key} must look like "HH:MM", got {call_time.get(key)!r}')
    if daily[0] and daily[1] and daily[0] >= daily[1]:
        problems.append(
            f"call_config.call_time: call_start_time {daily[0]:%H:%M} must be before call_end_time {daily[1]:%H:%M}"
        )
    if not start or not end:
        return problems
    try:
        begins = parse_window_time(start).replace(tzinfo=tz)
        ends = parse_window_time(end).replace(tzinfo=tz)
    except ValueError:
        return problems
    if ends <= now:
        local_now = now.astimezone(tz).strftime(WINDOW_FORMAT)
        problems.append(f"campaign_end_time {end} is already past in {tz_name} (it is now {local_now} there)")
    same_day = begins.date() == ends.date()
    if same_day and daily[0] and daily[1] and (daily[1] <= begins.time() or daily[0] >= ends.time()):
        problems.append(
            f"the daily call time {daily[0]:%H:%M}-{daily[1]:%H:%M} never falls inside the campaign window "
            f"{start} → {end} ({tz_name}): no call could be placed"
        )
    return problems


def window_instant(value: str, timezone: str) -> datetime:
    """A campaign_start_time / campaign_end_time as an aware instant in `timezone` (the campaign's own zone)."""
    return parse_window_time(value).replace(tzinfo=ZoneInfo(timezone))
