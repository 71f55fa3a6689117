"""What a campaign's window and call_config mean (window, daily call time, scheduled_at, timezone, retries), read
strictly: a missing or malformed value is a FastAPI-style 422 naming the field, as Ringg's validation answers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ringg_sim.errors import invalid

WINDOW_FORMAT = "%d/%m/%Y, %H:%M"
DEFAULT_TIMEZONE = "Asia/Kolkata"  # ringg-api.md §1.1: "Probably the call_config.call_time.timezone, default IST"
RETRY_REASONS = ("busy", "not_picked", "failed")  # call_retry_config retry_busy / retry_not_picked / retry_failed
# No maximum is documented; the guard keeps one call's timeline finite.
MAX_RETRY_COUNT = 100
DEFAULT_RETRY_COUNT = 1


@dataclass(frozen=True)
class CallPlan:
    """A launch's schedule and retry rules; instants are simulated epoch seconds."""

    timezone: str
    tz: tzinfo
    start: float
    end: float
    start_iso: str
    end_iso: str
    daily: tuple[float, float] | None  # seconds of the local day: calls may start in [from, to) (overnight if from>to)
    scheduled_at: float | None
    retry_count: int
    retry_minutes: tuple[float | None, float | None, float | None]  # per RETRY_REASONS; None = simulator default


def required_text(field: str, value: str | None, where: str = "body") -> str:
    if value is None or not value.strip():
        raise invalid(field, "Field required", value, where)
    return value


def call_config_form(raw: str | None) -> dict[str, Any]:
    """The multipart `call_config` field: a required JSON object string."""
    text = required_text("call_config", raw)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid("call_config", f"call_config must be a JSON object string: {exc.msg}", raw) from exc
    if not isinstance(value, dict):
        raise invalid("call_config", "call_config must be a JSON object", raw)
    return value


def build_plan(call_config: dict[str, Any], start_raw: str | None, end_raw: str | None) -> CallPlan:
    """Validates the window and call_config together (the window is read in call_time.timezone)."""
    call_time = _object(call_config, "call_time")
    tz_name = call_time.get("timezone", DEFAULT_TIMEZONE)
    if tz_name is None:
        tz_name = DEFAULT_TIMEZONE
    tz = _zone(tz_name)
    start = _window_time("campaign_start_time", start_raw, tz)
    end = _window_time("campaign_end_time", end_raw, tz)
    if end <= start:
        raise invalid("campaign_end_time", "campaign_end_time must be after campaign_start_time", end_raw)
    retry = _object(call_config, "call_retry_config")
    count_raw = retry.get("retry_count", call_config.get("retry_count", DEFAULT_RETRY_COUNT))
    return CallPlan(
        timezone=str(tz_name),
        tz=tz,
        start=start.timestamp(),
        end=end.timestamp(),
        start_iso=start.isoformat(),
        end_iso=end.isoformat(),
        daily=_daily(call_time),
        scheduled_at=_scheduled_at(call_time.get("scheduled_at"), tz),
        retry_count=_retry_count(count_raw),
        retry_minutes=(
            _minutes("retry_busy", retry.get("retry_busy")),
            _minutes("retry_not_picked", retry.get("retry_not_picked")),
            _minutes("retry_failed", retry.get("retry_failed")),
        ),
    )


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"call_config.{key}", f"call_config.{key} must be an object", value)
    return value


def _zone(name: object) -> tzinfo:
    field = "call_config.call_time.timezone"
    if not isinstance(name, str) or not name.strip():
        raise invalid(field, "timezone must be an IANA timezone name such as Asia/Kolkata", name)
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid(field, f"unknown timezone {name!r}: use an IANA name such as Asia/Kolkata", name) from exc


def _window_time(field: str, raw: str | None, tz: tzinfo) -> datetime:
    text = required_text(field, raw)
    try:
        parsed = datetime.strptime(text.strip(), WINDOW_FORMAT)
    except ValueError as exc:
        raise invalid(field, f"{field} must look like 'DD/MM/YYYY, HH:MM'", raw) from exc
    return parsed.replace(tzinfo=tz)


def _clock_seconds(field: str, value: object) -> float:
    try:
        parsed = datetime.strptime(str(value).strip(), "%H:%M")
    except ValueError as exc:
        raise invalid(f"call_config.call_time.{field}", f"{field} must look like 'HH:MM'", value) from exc
    return parsed.hour * 3600.0 + parsed.minute * 60.0


def _daily(call_time: dict[str, Any]) -> tuple[float, float] | None:
    begin, finish = call_time.get("call_start_time"), call_time.get("call_end_time")
    if begin is None and finish is None:
        return None
    lo = 0.0 if begin is None else _clock_seconds("call_start_time", begin)
    hi = 86400.0 if finish is None else _clock_seconds("call_end_time", finish)
    if lo == hi:
        raise invalid("call_config.call_time.call_end_time", "call_end_time must differ from call_start_time", finish)
    return lo, hi


def _scheduled_at(value: object, tz: tzinfo) -> float | None:
    if value is None or value == "":
        return None
    field = "call_config.call_time.scheduled_at"
    if not isinstance(value, str):
        raise invalid(field, "scheduled_at must be an ISO-8601 date-time or 'DD/MM/YYYY, HH:MM'", value)
    for parse in (datetime.fromisoformat, lambda s: datetime.strptime(s, WINDOW_FORMAT)):
        try:
            parsed = parse(value.strip())
        except ValueError:
            continue
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).timestamp()
    raise invalid(field, "scheduled_at must be an ISO-8601 date-time or 'DD/MM/YYYY, HH:MM'", value)


def _retry_count(value: object) -> int:
    field = "call_config.call_retry_config.retry_count"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRY_COUNT:
        raise invalid(field, f"retry_count must be an integer from 0 to {MAX_RETRY_COUNT}", value)
    return value


def _minutes(key: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    raise invalid(f"call_config.call_retry_config.{key}", f"{key} must be a number of minutes (0 or more)", value)
