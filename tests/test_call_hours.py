"""The daily call time of call_config: when it is closed, when it opens, and the requests it does not constrain."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from domain.call_hours import ALL_DAY, call_zone, closed_until, daily_window

OFFICE = {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00", "timezone": "Asia/Kolkata"}}
FAR = datetime(2030, 1, 1, tzinfo=UTC)


def test_closed_at_night_opens_at_the_next_start_in_its_zone() -> None:
    night = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # 02:30 in Kolkata
    assert closed_until(night, OFFICE, FAR) == datetime(2026, 12, 5, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata


def test_open_hours_are_not_closed() -> None:
    assert closed_until(datetime(2026, 12, 4, 6, 0, tzinfo=UTC), OFFICE, FAR) is None  # 11:30 in Kolkata


def test_a_window_that_ends_before_the_next_opening_is_not_waited_for() -> None:
    night = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    assert closed_until(night, OFFICE, night + timedelta(hours=2)) is None


def test_no_call_time_or_an_unreadable_one_constrains_nothing() -> None:
    night = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    assert closed_until(night, {}, FAR) is None
    bad = {"call_time": {"call_start_time": "9 o'clock", "call_end_time": "18:00"}}
    assert closed_until(night, bad, FAR) is None
    assert (daily_window(bad).start, daily_window(bad).end) == ALL_DAY
    assert daily_window(OFFICE).start == time(9, 0) and call_zone(OFFICE) == "Asia/Kolkata"
