"""Turns a schedule's campaign template into the CampaignRequest of one fire: date placeholders, the window
relative to the nominal fire time in the campaign's timezone, and the fire's idempotency key."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contract.campaign import CampaignRequest
from contract.program import ProgramRequest
from contract.schedules import ScheduledCampaign, WindowSpec
from domain.program_rules import program_problems
from domain.window import DEFAULT_TIMEZONE, WINDOW_FORMAT, window_problems

MAX_WINDOW_HOURS = 7 * 24
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SCHEDULE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
PLACEHOLDER_HELP = "{date} (YYYY-MM-DD) or {date:FORMAT} with strftime codes, e.g. {date:%Y%m%d}"


class FireRenderError(ValueError):
    """This fire cannot become a campaign; the message says why and is safe to show and to keep in history."""


def campaign_timezone(req: CampaignRequest) -> str:
    """call_config.call_time.timezone, Ringg's default Asia/Kolkata when absent."""
    call_time = req.call_config.get("call_time")
    if call_time is not None and not isinstance(call_time, dict):
        raise FireRenderError("call_config.call_time must be an object (timezone, call_start_time, call_end_time)")
    return str((call_time or {}).get("timezone") or DEFAULT_TIMEZONE)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FireRenderError(f"{name!r} is not a known IANA timezone (e.g. Asia/Kolkata)") from None


def fire_key(schedule_id: str, fire_time: datetime) -> str:
    """The idempotency key of one tick: the same schedule and nominal fire time always give the same key."""
    return f"sched-{schedule_id}-{fire_time.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def render_text(template: str, local_fire: datetime) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, _, fmt = match.group(1).partition(":")
        if name != "date" or (":" in match.group(1) and not fmt):
            raise FireRenderError(f"unknown placeholder {match.group(0)!r} in {template!r}; use {PLACEHOLDER_HELP}")
        return local_fire.strftime(fmt or "%Y-%m-%d")

    return _PLACEHOLDER.sub(substitute, template)


def window_spec_problems(window: WindowSpec) -> list[str]:
    problems: list[str] = []
    if (window.until is None) == (window.hours is None):
        problems.append('give exactly one window end: until "HH:MM" (local, the fire\'s day) or hours after the fire')
    if window.until is not None and not _CLOCK.fullmatch(window.until.strip()):
        problems.append(f'the window end must look like "HH:MM" (e.g. "18:00"), got {window.until!r}')
    if window.hours is not None and not 0 < window.hours <= MAX_WINDOW_HOURS:
        problems.append(
            f"the window length must be more than 0 and at most {MAX_WINDOW_HOURS} hours, got {window.hours}"
        )
    if not 0 <= window.start_delay_minutes <= 24 * 60:
        problems.append(f"the start delay must be 0 to 1440 minutes, got {window.start_delay_minutes}")
    return problems


def template_problems(sc: ScheduledCampaign) -> list[str]:
    """What no fire could fix: checked when the schedule is created and again at each fire."""
    t = sc.template
    problems = window_spec_problems(sc.window)
    if not SCHEDULE_ID_PATTERN.fullmatch(sc.schedule_id):
        problems.append(
            f"schedule ID {sc.schedule_id!r} must be 1-64 letters, digits, '.', '_' or '-' and start with a letter "
            "or digit"
        )
    if t.idempotency_key is not None:
        problems.append("remove idempotency_key from the template: each fire's key is the schedule ID + fire time")
    if t.campaign_start_time is not None or t.campaign_end_time is not None:
        problems.append(
            "remove campaign_start_time/campaign_end_time from the template: each fire's window comes from the "
            "schedule's window (until HH:MM or hours after the fire)"
        )
    if isinstance(t, ProgramRequest):
        problems.extend(program_problems(t, window_required=False))
    if t.continued is not None:
        problems.append("the template must not carry internal state (continued)")
    for field, text in (("csv_uri", t.csv_uri), ("campaign_name", t.campaign_name)):
        try:
            render_text(text, datetime(2000, 1, 1, tzinfo=UTC))
        except FireRenderError as err:
            problems.append(f"{field}: {err}")
    return problems


def _window(window: WindowSpec, local_fire: datetime) -> tuple[datetime, datetime]:
    opens = (local_fire + timedelta(minutes=window.start_delay_minutes)).replace(second=0, microsecond=0)
    if window.until is not None:
        hour, minute = (int(part) for part in window.until.strip().split(":"))
        closes = opens.replace(hour=hour, minute=minute)
    else:
        # Elapsed hours (through UTC), not wall-clock hours: right across a DST change too.
        elapsed = opens.astimezone(UTC) + timedelta(hours=window.hours or 0)
        closes = elapsed.astimezone(opens.tzinfo).replace(second=0, microsecond=0)
    return opens, closes


def render_fire(sc: ScheduledCampaign, fire_time: datetime) -> CampaignRequest:
    """The campaign of the fire at `fire_time` (timezone-aware, the schedule's nominal time). Raises
    FireRenderError when the template is unusable or the window is already over at the fire time.

    Pure: the workflow calls it with the nominal fire time; domain.schedule_input (the CLI and the HTTP API) with
    sample fire times before a schedule is created."""
    problems = template_problems(sc)
    if problems:
        raise FireRenderError("; ".join(problems))
    tz_name = campaign_timezone(sc.template)
    local_fire = fire_time.astimezone(zone(tz_name))
    opens, closes = _window(sc.window, local_fire)
    if closes <= opens:
        raise FireRenderError(
            f"the window would close at {closes:{WINDOW_FORMAT}} but this fire opens it at {opens:{WINDOW_FORMAT}} "
            f"({tz_name}): the window end is before the fire time, nothing was started"
        )
    start, end = f"{opens:{WINDOW_FORMAT}}", f"{closes:{WINDOW_FORMAT}}"
    window_issues = window_problems(start, end, sc.template.call_config, local_fire)
    if window_issues:
        raise FireRenderError("; ".join(window_issues))
    return sc.template.model_copy(
        update={
            "campaign_name": render_text(sc.template.campaign_name, local_fire),
            "csv_uri": render_text(sc.template.csv_uri, local_fire),
            "campaign_start_time": start,
            "campaign_end_time": end,
            "idempotency_key": fire_key(sc.schedule_id, fire_time),
        }
    )
