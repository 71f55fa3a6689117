"""When a campaign schedule fires, checked before anything reaches Temporal: a 5-field cron or `--at HH:MM`
/ `--days mon-fri` in one timezone, the overlap policy and the catch-up window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from temporalio.client import ScheduleCalendarSpec, ScheduleOverlapPolicy, ScheduleRange, ScheduleSpec

from contract.schedules import ScheduledCampaign

_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DAYS),
)
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MIN_CATCHUP = timedelta(seconds=10)
OVERLAP_NAMES = [p.name.lower() for p in ScheduleOverlapPolicy if p.name != "UNSPECIFIED"]


class SpecError(ValueError):
    """The schedule's timing options are unusable; the message says what to write instead."""


@dataclass(frozen=True)
class FireSpec:
    spec: ScheduleSpec
    times_of_day: list[time]  # local times the spec fires at, sorted: the window is checked against each one
    when: str  # for people: 'cron "0 9 * * 1-5" in Asia/Kolkata'


def _value(token: str, field: str, names: dict[str, int]) -> int:
    token = token.strip().lower()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise SpecError(f"{field}: {token!r} is not a number" + (" or a name" if names else ""))
    return int(token)


def parse_field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """One cron field: `*`, `N`, `A-B`, any of them with `/STEP`, comma-separated."""
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        if (slash and not step_text.isdigit()) or step_text == "0":
            raise SpecError(f"{field}: the step in {part!r} must be a positive number")
        step = int(step_text) if slash else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (_value(t, field, names) for t in base.split("-", 1))
        else:
            first = _value(base, field, names)
            last = high if slash else first
        if not low <= first <= last <= high:
            raise SpecError(f"{field}: {part!r} is outside {low}-{high} (or its range runs backwards)")
        values.update(range(first, last + 1, step))
    return values


def cron_spec(expression: str, timezone: str) -> FireSpec:
    fields = expression.split()
    if len(fields) != 5:
        raise SpecError(
            f'--cron takes 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 9 * * 1-5"), '
            f"got {expression!r}"
        )
    parsed = [parse_field(text, *meta) for text, meta in zip(fields, _CRON_FIELDS, strict=True)]
    times = sorted(time(h, m) for h in parsed[1] for m in parsed[0])
    spec = ScheduleSpec(cron_expressions=[" ".join(fields)], time_zone_name=timezone)
    return FireSpec(spec, times, f'cron "{" ".join(fields)}" in {timezone}')


def calendar_spec(at: list[str], days: str, timezone: str) -> FireSpec:
    """`--at 09:00` (repeatable) on `--days` (`mon-fri`, `mon,wed,fri`, `*`)."""
    times: list[time] = []
    for clock in at:
        match = _CLOCK.fullmatch(clock.strip())
        if not match:
            raise SpecError(f'--at takes a local time "HH:MM" (e.g. 09:30), got {clock!r}')
        times.append(time(int(match.group(1)), int(match.group(2))))
    weekdays = sorted({d % 7 for d in parse_field(days.strip() or "*", "--days", 0, 7, _DAYS)})
    calendars = [
        ScheduleCalendarSpec(
            hour=[ScheduleRange(t.hour)],
            minute=[ScheduleRange(t.minute)],
            day_of_week=[ScheduleRange(d) for d in weekdays],
        )
        for t in times
    ]
    clocks = ", ".join(f"{t:%H:%M}" for t in sorted(times))
    on = "every day" if len(weekdays) == 7 else days.strip()
    spec = ScheduleSpec(calendars=calendars, time_zone_name=timezone)
    return FireSpec(spec, sorted(times), f"at {clocks}, {on}, in {timezone}")


def overlap_policy(name: str) -> ScheduleOverlapPolicy:
    key = name.strip().lower().replace("-", "_")
    if key not in OVERLAP_NAMES:
        raise SpecError(f"--overlap must be one of {', '.join(OVERLAP_NAMES)}, got {name!r}")
    return ScheduleOverlapPolicy[key.upper()]


def duration(text: str, option: str) -> timedelta:
    """`90s`, `10m`, `1h30m`, `2d`."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise SpecError(f"{option} takes a duration like 90s, 10m, 1h30m or 2d, got {text!r}")
    return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())


@dataclass(frozen=True)
class ScheduleDefinition:
    """Everything `schedule create` was given, checked (see domain.schedule_input)."""

    scheduled: ScheduledCampaign
    fire: FireSpec
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    catchup: timedelta = timedelta(minutes=10)

    @property
    def schedule_id(self) -> str:
        return self.scheduled.schedule_id
