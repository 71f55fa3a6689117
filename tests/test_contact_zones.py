"""Local-time windows per contact: a number's timezone from phonenumbers' metadata, the next opening of a daily
call time in that zone across DST, Ringg's window strings for a wave, and the windows.days rules."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers import timezone as number_zones
from phonenumbers.tzdata import TIMEZONE_DATA

from domain.contact_zones import (
    WEEKDAYS,
    DailyWindow,
    day_problems,
    next_opening,
    parse_days,
    wave_window,
    zone_of,
    zone_problem,
)
from domain.phone_zones import CURRENT_ZONE_NAMES, UNKNOWN_ZONE_NAMES
from domain.window import parse_window_time

DEFAULT = "Europe/Berlin"  # a default no test number maps to, so falling back is visible
OFFICE = DailyWindow(time(9, 0), time(18, 0), frozenset(range(7)))
WEEKDAYS_ONLY = DailyWindow(time(9, 0), time(18, 0), parse_days(["mon", "tue", "wed", "thu", "fri"]))
FAR = datetime(2030, 1, 1, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def _at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# --- zone_of ---


def test_three_us_area_codes_give_three_zones() -> None:
    # 555-01xx numbers are reserved for fiction; phonenumbers still places them by area code.
    zones = [zone_of(n, DEFAULT) for n in ("+12125550143", "+13125550178", "+14155550132")]
    assert zones == ["America/New_York", "America/Chicago", "America/Los_Angeles"]


def test_an_indian_mobile_is_in_kolkata_under_its_current_name() -> None:
    number = "+918123456789"  # phonenumbers' example Indian mobile
    assert number_zones.time_zones_for_number(phonenumbers.parse(number)) == ("Asia/Calcutta",)
    assert zone_of(number, DEFAULT) == "Asia/Kolkata"  # one name with the default, so one wave, not two
    assert zone_of("+97714567890", DEFAULT) == "Asia/Kathmandu"  # phonenumbers says Asia/Katmandu


@pytest.mark.parametrize("number", ["+18002345678", "+447400123456", "+61412345678"])
def test_a_number_of_several_zones_goes_to_the_default(number: str) -> None:
    # US toll-free, UK mobile, Australian mobile: phonenumbers really names several zones for each.
    assert len(number_zones.time_zones_for_number(phonenumbers.parse(number))) > 1
    assert zone_of(number, DEFAULT) == DEFAULT


@pytest.mark.parametrize(
    "number", ["", "garbage", "+", "+999123", "14155550132", "+1415555013", "+1" + "4" * 40, "+91 81234\x0056789"]
)
def test_what_is_not_a_placeable_number_goes_to_the_default(number: str) -> None:
    assert zone_of(number, DEFAULT) == DEFAULT


def test_too_short_a_number_is_unknown_to_phonenumbers_and_goes_to_the_default() -> None:
    zones = number_zones.time_zones_for_number(phonenumbers.parse("+1415555013"))
    assert set(zones) <= UNKNOWN_ZONE_NAMES
    assert zone_of("+1415555013", DEFAULT) == DEFAULT


def test_every_zone_phonenumbers_names_loads_under_its_current_name() -> None:
    names = {name for zones in TIMEZONE_DATA.values() for name in zones} - UNKNOWN_ZONE_NAMES
    current = {CURRENT_ZONE_NAMES.get(name, name) for name in names}
    assert [name for name in sorted(current) if zone_problem(name, "zone") is not None] == []


@pytest.mark.parametrize(("old", "new"), sorted(CURRENT_ZONE_NAMES.items()))
def test_a_renamed_zone_keeps_the_old_names_clock(old: str, new: str) -> None:
    if zone_problem(old, "zone") is not None:
        pytest.skip(f"this machine's tzdata has no {old}")
    instants = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=d, hours=d % 24) for d in range(0, 3000, 7)]
    assert [i.astimezone(ZoneInfo(old)).utcoffset() for i in instants] == [
        i.astimezone(ZoneInfo(new)).utcoffset() for i in instants
    ]


def test_zone_problem_names_the_setting() -> None:
    assert zone_problem("Asia/Kolkata", "windows.default_zone") is None
    assert zone_problem("America/Argentina/Buenos_Aires", "windows.default_zone") is None
    expected = "windows.default_zone 'Mars/Olympus' is not a known IANA timezone (e.g. Asia/Kolkata)"
    assert zone_problem("Mars/Olympus", "windows.default_zone") == expected
    for bad in ["", "../etc/passwd", "/etc/localtime", "localtime", "right/UTC", "Etc/Unknown", "x" * 500]:
        problem = zone_problem(bad, "windows.default_zone")
        assert problem is not None and problem.startswith("windows.default_zone ") and len(problem) < 160


# --- next_opening ---


def test_inside_the_window_opens_at_once() -> None:
    after = _at(KOLKATA, 2025, 6, 4, 12, 0)  # a Wednesday
    opening = next_opening(after, "Asia/Kolkata", OFFICE, FAR)
    assert opening == after and opening.tzinfo is UTC


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ((2025, 6, 4, 7, 0), (2025, 6, 4, 9, 0)),  # before the start: today's start
        ((2025, 6, 4, 19, 0), (2025, 6, 5, 9, 0)),  # after the end: tomorrow's start
        ((2025, 6, 4, 18, 0), (2025, 6, 5, 9, 0)),  # the end itself is closed
        ((2025, 6, 6, 18, 30), (2025, 6, 9, 9, 0)),  # Friday evening, weekdays only: Monday
        ((2025, 6, 7, 12, 0), (2025, 6, 9, 9, 0)),  # Saturday noon: Monday
    ],
)
def test_outside_the_window_opens_at_the_next_allowed_start(after: tuple[int, ...], expected: tuple[int, ...]) -> None:
    opening = next_opening(_at(KOLKATA, *after), "Asia/Kolkata", WEEKDAYS_ONLY, FAR)
    assert opening == _at(KOLKATA, *expected)


def test_no_opening_before_the_campaign_ends_is_none() -> None:
    after, monday_nine = _at(KOLKATA, 2025, 6, 6, 18, 30), _at(KOLKATA, 2025, 6, 9, 9, 0)
    assert next_opening(after, "Asia/Kolkata", WEEKDAYS_ONLY, monday_nine) is None
    assert next_opening(after, "Asia/Kolkata", WEEKDAYS_ONLY, monday_nine - timedelta(days=1)) is None
    assert next_opening(after, "Asia/Kolkata", WEEKDAYS_ONLY, monday_nine + timedelta(seconds=1)) == monday_nine
    inside = _at(KOLKATA, 2025, 6, 4, 12, 0)
    assert next_opening(inside, "Asia/Kolkata", OFFICE, inside) is None


def test_a_start_skipped_by_spring_forward_opens_when_the_clock_jumps() -> None:
    # 9 March 2025, New York: 02:00 EST becomes 03:00 EDT, so 02:30 never happens that day.
    small_hours = DailyWindow(time(2, 30), time(5, 0), frozenset(range(7)))
    jump = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
    assert next_opening(_at(NY, 2025, 3, 9, 0, 0), "America/New_York", small_hours, FAR) == jump
    assert next_opening(_at(NY, 2025, 3, 8, 6, 0), "America/New_York", small_hours, FAR) == jump
    assert jump.astimezone(NY).strftime("%H:%M %Z") == "03:00 EDT"
    in_the_gap = DailyWindow(time(2, 10), time(2, 40), frozenset(range(7)))  # no such local time that day
    assert next_opening(_at(NY, 2025, 3, 9, 0, 0), "America/New_York", in_the_gap, FAR) == _at(NY, 2025, 3, 10, 2, 10)


def test_fall_back_repeats_an_hour_that_reopens_the_window() -> None:
    # 2 November 2025, New York: 02:00 EDT becomes 01:00 EST; 01:00-01:30 happens twice.
    late = DailyWindow(time(0, 0), time(1, 30), frozenset(range(7)))
    after = _at(NY, 2025, 11, 2, 1, 45)  # EDT, the first 01:45: closed
    opening = next_opening(after, "America/New_York", late, FAR)
    assert opening == datetime(2025, 11, 2, 6, 0, tzinfo=UTC)
    assert opening.astimezone(NY).strftime("%H:%M %Z") == "01:00 EST"
    assert next_opening(_at(NY, 2025, 11, 2, 5, 0), "America/New_York", OFFICE, FAR) == _at(NY, 2025, 11, 2, 9, 0)


def test_a_zone_a_quarter_hour_off_opens_at_its_own_nine() -> None:
    saturday = datetime(2025, 6, 7, 10, 0, tzinfo=UTC)
    opening = next_opening(saturday, "Asia/Kathmandu", WEEKDAYS_ONLY, FAR)
    assert opening == datetime(2025, 6, 9, 3, 15, tzinfo=UTC)  # Monday 09:00 at UTC+05:45


def test_naive_instants_and_impossible_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        next_opening(datetime(2025, 6, 4, 12, 0), "Asia/Kolkata", OFFICE, FAR)
    with pytest.raises(ValueError, match="must be after start"):
        DailyWindow(time(18, 0), time(9, 0), frozenset(range(7)))
    with pytest.raises(ValueError, match="non-empty set of weekdays"):
        DailyWindow(time(9, 0), time(18, 0), frozenset())
    with pytest.raises(ValueError, match="non-empty set of weekdays"):
        DailyWindow(time(9, 0), time(18, 0), frozenset({7}))


# Zones with DST both ways, half-hour DST (Lord Howe), quarter-hour offsets (Kathmandu, Chatham), transitions at
# midnight (Santiago, Cairo), and none (Kolkata).
PROPERTY_ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "America/Santiago",
    "Africa/Cairo",
    "Asia/Kolkata",
]


def _inside(instant: datetime, zone: str, daily: DailyWindow) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    return local.weekday() in daily.days and daily.start <= local.time() < daily.end


def _first_inside_by_minutes(after: datetime, zone: str, daily: DailyWindow, window_end: datetime) -> datetime | None:
    """`after`, else the first whole UTC minute after it inside the window (offsets are whole minutes, so a window
    opens on one), found by looking at every minute."""
    if after < window_end and _inside(after, zone, daily):
        return after
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < window_end:
        if _inside(minute, zone, daily):
            return minute
        minute += timedelta(minutes=1)
    return None


def _offset_changes(zone: str, year: int) -> list[datetime]:
    """Days (UTC midnights) on whose eve the zone's UTC offset changed, found day by day."""
    tz, day = ZoneInfo(zone), datetime(year, 1, 1, tzinfo=UTC)
    changes = []
    while day.year == year:
        if (day + timedelta(days=1)).astimezone(tz).utcoffset() != day.astimezone(tz).utcoffset():
            changes.append(day)
        day += timedelta(days=1)
    return changes


def test_the_opening_is_the_first_minute_inside_for_random_instants_around_dst() -> None:
    rng = random.Random(1313)
    changes = {zone: _offset_changes(zone, 2025) for zone in PROPERTY_ZONES}
    crossed = 0
    for _ in range(300):
        zone = rng.choice(PROPERTY_ZONES)
        if changes[zone] and rng.random() < 0.7:  # mostly a day or two before an offset change
            after = rng.choice(changes[zone]) - timedelta(seconds=rng.randrange(-86_400, 2 * 86_400))
        else:
            after = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86_400))
        after += timedelta(microseconds=rng.randrange(1_000_000))
        start_minute = rng.choice([rng.randrange(0, 4 * 60), rng.randrange(0, 23 * 60)])  # often near a change
        length = rng.randrange(1, 24 * 60 - start_minute)
        days = frozenset(rng.sample(range(7), rng.randint(1, 7)))
        daily = DailyWindow(time(*divmod(start_minute, 60)), time(*divmod(start_minute + length, 60)), days)
        window_end = after + timedelta(hours=rng.randrange(1, 9 * 24))
        opening = next_opening(after, zone, daily, window_end)
        case = f"{zone} after={after.isoformat()} daily={daily}"
        assert opening == _first_inside_by_minutes(after, zone, daily, window_end), case
        if opening is not None:
            assert after <= opening < window_end and _inside(opening, zone, daily), case
            crossed += after.astimezone(ZoneInfo(zone)).utcoffset() != opening.astimezone(ZoneInfo(zone)).utcoffset()
    assert crossed >= 20  # the cases really reach across offset changes


# --- wave_window ---


def test_a_wave_window_is_the_same_instants_in_local_time_rounded_down() -> None:
    opening = datetime(2025, 6, 9, 3, 15, 42, 500, tzinfo=UTC)
    window_end = datetime(2025, 6, 20, 12, 0, 59, tzinfo=UTC)
    assert wave_window(opening, window_end, "Asia/Kathmandu") == ("09/06/2025, 09:00", "20/06/2025, 17:45")
    start, end = wave_window(opening, window_end, "America/New_York")  # EDT, UTC-4
    assert (start, end) == ("08/06/2025, 23:15", "20/06/2025, 08:00")
    assert parse_window_time(start).replace(tzinfo=NY) == opening.replace(second=0, microsecond=0)
    assert parse_window_time(end).replace(tzinfo=NY) == window_end.replace(second=0)


def test_a_wave_window_across_a_dst_change_uses_each_instants_own_offset() -> None:
    opening, window_end = datetime(2025, 3, 8, 14, 0, tzinfo=UTC), datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
    assert wave_window(opening, window_end, "America/New_York") == ("08/03/2025, 09:00", "10/03/2025, 10:00")


# --- windows.days ---


def test_days_are_weekday_names_in_any_case() -> None:
    assert day_problems(["Mon", "tue", " FRI "]) == []
    assert parse_days(["Mon", "tue", " FRI "]) == frozenset({0, 1, 4})
    assert parse_days(None) == parse_days([]) == frozenset(range(7))
    assert [parse_days([d]) for d in WEEKDAYS] == [frozenset({n}) for n in range(7)]


def test_bad_days_are_named_with_the_setting_and_the_allowed_values() -> None:
    allowed = "mon, tue, wed, thu, fri, sat, sun"
    assert day_problems([]) == [f"windows.days is empty: leave it out for every day, or name some of {allowed}"]
    assert day_problems(["mon", "Funday", "MON"]) == [
        f"windows.days: 'Funday' is not a weekday; use {allowed}",
        "windows.days names 'mon' twice",
    ]
    assert day_problems(["monday"]) == [f"windows.days: 'monday' is not a weekday; use {allowed}"]
