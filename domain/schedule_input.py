"""Builds and checks a campaign schedule from `schedule create`'s template file and flags (flags win), before
anything reaches Temporal: every problem is listed, including a window that would be over at a fire time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from contract.schedules import ScheduledCampaign, WindowSpec
from domain.fire_render import FireRenderError, campaign_timezone, render_fire, template_problems, zone
from domain.model_problems import model_problems
from domain.request_check import checked_start
from domain.request_input import merged
from domain.schedule_spec import (
    MIN_CATCHUP,
    FireSpec,
    ScheduleDefinition,
    SpecError,
    calendar_spec,
    cron_spec,
    duration,
    overlap_policy,
)
from domain.validation import request_problems
from domain.window import DEFAULT_TIMEZONE, WINDOW_FORMAT

T = TypeVar("T")


class ScheduleInputError(Exception):
    """The schedule cannot be created as given; the message lists what to fix."""


def _fire_spec(cron: str | None, at: list[str], days: str, timezone: str) -> FireSpec:
    if bool(cron) == bool(at):
        raise SpecError('give either --cron "0 9 * * 1-5" or --at HH:MM (with --days), not both or neither')
    return cron_spec(cron, timezone) if cron else calendar_spec(at, days, timezone)


def _collect(problems: list[str], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except SpecError as err:
        problems.append(str(err))
        return None


def _first_failing_fire(sc: ScheduledCampaign, fire: FireSpec, tz_name: str) -> str | None:
    """Renders one fire at each local time of day the spec fires at (on tomorrow's date)."""
    tz = zone(tz_name)
    day = datetime.now(tz).date() + timedelta(days=1)
    for clock in fire.times_of_day:
        fire_time = datetime.combine(day, clock, tzinfo=tz)
        try:
            req = render_fire(sc, fire_time.astimezone(UTC))
        except FireRenderError as err:
            return f"the {clock:%H:%M} fire would start no campaign: {err}"
        problems = request_problems(req)
        if problems:
            return f"the campaign of the {fire_time:{WINDOW_FORMAT}} fire is not valid: " + "; ".join(problems)
    return None


def definition_problems(
    schedule_id: str,
    template: dict[str, Any],
    overrides: dict[str, Any],
    window: dict[str, Any],
    *,
    cron: str | None,
    at: list[str],
    days: str,
    timezone: str | None,
    overlap: str,
    catchup: str,
) -> tuple[ScheduleDefinition | None, list[str]]:
    """(the schedule, or None; every problem of its template, window, timing and policies at once)."""
    req, problems = checked_start(merged(template, overrides), datetime.now(UTC), window_required=False)
    window_spec: WindowSpec | None = None
    try:
        window_spec = WindowSpec.model_validate(window)
    except ValidationError as err:
        details = "; ".join(model_problems(err))
        problems.append(f"the window is not valid ({details}); it takes until, hours, start_delay_minutes")
    sc = None
    if req is not None and window_spec is not None:
        sc = ScheduledCampaign(schedule_id=schedule_id, template=req, window=window_spec)
        problems += [p for p in template_problems(sc) if p not in problems]  # a program's rules are in both
    try:
        tz_name = campaign_timezone(req) if req is not None else DEFAULT_TIMEZONE
        zone(tz_name)
        if timezone and req is not None and timezone != tz_name:
            zone(timezone)
            problems.append(
                f"--timezone {timezone} differs from the campaign's timezone {tz_name} "
                "(call_config.call_time.timezone, Asia/Kolkata by default): set call_time.timezone in the template "
                "to the zone the schedule fires in, so fire times and the window are read in one timezone"
            )
    except FireRenderError as err:
        return None, [*problems, f"timezone: {err}"]
    fire = _collect(problems, lambda: _fire_spec(cron, at, days, tz_name))
    policy = _collect(problems, lambda: overlap_policy(overlap))
    catchup_window = _collect(problems, lambda: duration(catchup, "--catchup"))
    if catchup_window is not None and catchup_window < MIN_CATCHUP:
        problems.append(f"--catchup must be at least {MIN_CATCHUP.seconds} s (Temporal's minimum), got {catchup}")
    if not problems and fire is not None and sc is not None:
        failing = _first_failing_fire(sc, fire, tz_name)
        if failing:
            problems.append(failing)
    if problems or sc is None or fire is None or policy is None or catchup_window is None:
        return None, problems
    return ScheduleDefinition(scheduled=sc, fire=fire, overlap=policy, catchup=catchup_window), []


def parse_local_time(text: str, tz_name: str, option: str) -> datetime:
    """`"DD/MM/YYYY, HH:MM"` or ISO 8601; without an offset it is read in the schedule's timezone."""
    value = text.strip()
    try:
        parsed = datetime.strptime(value, WINDOW_FORMAT)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ScheduleInputError(
                f'{option} takes "DD/MM/YYYY, HH:MM" or ISO 8601 (e.g. 2026-11-23T09:00), got {text!r}'
            ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone(tz_name))
