"""Schedule timing options checked before anything reaches Temporal: 5-field cron, --at/--days calendars, the
overlap policy and durations."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from temporalio.client import ScheduleOverlapPolicy, ScheduleRange

from domain.schedule_spec import SpecError, calendar_spec, cron_spec, duration, overlap_policy


def test_cron_keeps_the_expression_and_gives_its_times_of_day() -> None:
    fire = cron_spec("0  9 * * 1-5", "Asia/Kolkata")
    assert fire.spec.cron_expressions == ["0 9 * * 1-5"] and fire.spec.time_zone_name == "Asia/Kolkata"
    assert fire.times_of_day == [time(9, 0)]
    assert fire.when == 'cron "0 9 * * 1-5" in Asia/Kolkata'
    every_quarter = cron_spec("*/15 9-10,17 * jan-mar MON-FRI", "UTC").times_of_day
    assert every_quarter[:3] == [time(9, 0), time(9, 15), time(9, 30)] and every_quarter[-1] == time(17, 45)
    assert len(every_quarter) == 12


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 9 * *", "--cron takes 5 fields"),
        ("@daily", "--cron takes 5 fields"),
        ("60 9 * * *", "minute: '60' is outside 0-59"),
        ("0 18-9 * * *", "runs backwards"),
        ("0 9 * * 1-8", "day-of-week: '1-8' is outside 0-7"),
        ("0 9 * foo *", "month: 'foo' is not a number or a name"),
        ("0 9 */0 * *", "step in '*/0' must be a positive number"),
        ("0 nine * * *", "hour: 'nine' is not a number"),
    ],
)
def test_bad_cron_is_refused_with_what_is_wrong(expression: str, expected: str) -> None:
    with pytest.raises(SpecError, match=re.escape(expected)):
        cron_spec(expression, "UTC")


def test_calendar_options() -> None:
    fire = calendar_spec(["14:30", "9:00"], "mon-fri", "Europe/Berlin")
    assert fire.times_of_day == [time(9, 0), time(14, 30)]
    assert fire.when == "at 09:00, 14:30, mon-fri, in Europe/Berlin"
    first = fire.spec.calendars[0]
    assert list(first.hour) == [ScheduleRange(14)] and list(first.minute) == [ScheduleRange(30)]
    assert [r.start for r in first.day_of_week] == [1, 2, 3, 4, 5]
    assert "every day" in calendar_spec(["09:00"], "*", "UTC").when
    assert [r.start for r in calendar_spec(["09:00"], "sun,7", "UTC").spec.calendars[0].day_of_week] == [0]
    with pytest.raises(SpecError, match='--at takes a local time "HH:MM"'):
        calendar_spec(["9am"], "*", "UTC")
    with pytest.raises(SpecError, match="--days: 'someday' is not a number or a name"):
        calendar_spec(["09:00"], "someday", "UTC")


def test_overlap_and_durations() -> None:
    assert overlap_policy("allow-all") == ScheduleOverlapPolicy.ALLOW_ALL
    assert overlap_policy("SKIP") == ScheduleOverlapPolicy.SKIP
    with pytest.raises(SpecError, match="--overlap must be one of skip, buffer_one"):
        overlap_policy("never")
    assert duration("10m", "--catchup") == timedelta(minutes=10)
    assert duration("1h 30m", "--catchup") == timedelta(hours=1, minutes=30)
    for bad in ("", "10", "ten minutes", "5m3"):
        with pytest.raises(SpecError, match="--catchup takes a duration"):
            duration(bad, "--catchup")
