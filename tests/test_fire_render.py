"""Rendering one fire of a campaign schedule: window relative to the nominal fire time in the campaign's
timezone (DST-free and DST zones), date placeholders, the fire's idempotency key, and clear refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from contract.campaign import IDEMPOTENCY_KEY_PATTERN, CampaignRequest
from contract.schedules import ScheduledCampaign, WindowSpec
from domain.fire_render import FireRenderError, fire_key, render_fire, template_problems

KOLKATA_9AM = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # 09:00 in Asia/Kolkata (UTC+05:30, no DST)


def scheduled(window: WindowSpec | None = None, schedule_id: str = "daily", **template: Any) -> ScheduledCampaign:
    fields: dict[str, Any] = {
        "campaign_name": "Renewals {date}",
        "agent_id": "agent-1",
        "csv_uri": "/data/contacts-{date}.csv",
        "from_numbers": ["num-1"],
        **template,
    }
    return ScheduledCampaign(
        schedule_id=schedule_id,
        template=CampaignRequest.model_validate(fields),
        window=window or WindowSpec(until="18:00"),
    )


def test_kolkata_fire_until_evening() -> None:
    req = render_fire(scheduled(), KOLKATA_9AM)
    assert (req.campaign_start_time, req.campaign_end_time) == ("23/11/2026, 09:00", "23/11/2026, 18:00")
    assert req.csv_uri == "/data/contacts-2026-11-23.csv"
    assert req.campaign_name == "Renewals 2026-11-23"
    assert req.idempotency_key == "sched-daily-20261123T033000Z"


def test_placeholders_use_the_local_date_not_the_utc_date() -> None:
    fire = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 01:30 on the 24th in Kolkata
    req = render_fire(scheduled(WindowSpec(hours=6), csv_uri="s3-export/{date:%Y%m%d}/{date:%H%M}.csv"), fire)
    assert req.csv_uri == "s3-export/20261124/0130.csv"
    assert (req.campaign_start_time, req.campaign_end_time) == ("24/11/2026, 01:30", "24/11/2026, 07:30")


def test_hours_window_crosses_midnight_and_seconds_are_floored() -> None:
    fire = datetime(2026, 11, 23, 15, 33, 27, tzinfo=UTC)  # 21:03:27 in Kolkata
    req = render_fire(scheduled(WindowSpec(hours=8)), fire)
    assert (req.campaign_start_time, req.campaign_end_time) == ("23/11/2026, 21:03", "24/11/2026, 05:03")
    assert req.idempotency_key == "sched-daily-20261123T153327Z"


def test_hours_are_elapsed_time_across_a_dst_change() -> None:
    call_config = {"call_time": {"timezone": "America/New_York"}}
    fire = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST; clocks jump 02:00 -> 03:00 that night
    req = render_fire(scheduled(WindowSpec(hours=3), call_config=call_config), fire)
    assert (req.campaign_start_time, req.campaign_end_time) == ("08/03/2026, 01:00", "08/03/2026, 05:00")


def test_start_delay_and_until_in_a_dst_zone() -> None:
    call_config = {"call_time": {"timezone": "Europe/Berlin"}}
    fire = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 CEST
    req = render_fire(scheduled(WindowSpec(until="17:30", start_delay_minutes=45), call_config=call_config), fire)
    assert (req.campaign_start_time, req.campaign_end_time) == ("01/07/2026, 08:45", "01/07/2026, 17:30")


@pytest.mark.parametrize(
    ("fire", "until"),
    [
        (datetime(2026, 11, 23, 13, 35, tzinfo=UTC), "18:00"),  # 19:05 in Kolkata: the window is over
        (datetime(2026, 11, 23, 12, 30, 40, tzinfo=UTC), "18:00"),  # 18:00:40: closes the minute it opens
    ],
)
def test_window_end_before_the_fire_time_fails_the_fire(fire: datetime, until: str) -> None:
    with pytest.raises(FireRenderError, match="window end is before the fire time"):
        render_fire(scheduled(WindowSpec(until=until)), fire)


def test_daily_call_time_outside_the_fire_window_fails_the_fire() -> None:
    call_config = {"call_time": {"call_start_time": "19:00", "call_end_time": "21:00"}}
    with pytest.raises(FireRenderError, match="never falls inside"):
        render_fire(scheduled(call_config=call_config), KOLKATA_9AM)


def test_unknown_timezone_fails_the_fire() -> None:
    with pytest.raises(FireRenderError, match="not a known IANA timezone"):
        render_fire(scheduled(call_config={"call_time": {"timezone": "Mars/Olympus"}}), KOLKATA_9AM)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"idempotency_key": "mine"}, "remove idempotency_key"),
        ({"campaign_start_time": "01/01/2027, 09:00"}, "remove campaign_start_time"),
        ({"csv_uri": "/data/{day}.csv"}, "unknown placeholder '{day}'"),
        ({"campaign_name": "Renewals {date:}"}, "unknown placeholder"),
        ({"schedule_id": "daily reminders"}, "schedule ID 'daily reminders'"),
        ({"window": WindowSpec(until="18:00", hours=3)}, "exactly one window end"),
        ({"window": WindowSpec()}, "exactly one window end"),
        ({"window": WindowSpec(until="25:00")}, 'must look like "HH:MM"'),
        ({"window": WindowSpec(hours=0)}, "more than 0"),
        ({"window": WindowSpec(hours=2, start_delay_minutes=-5)}, "start delay"),
    ],
)
def test_template_problems(kwargs: dict[str, Any], expected: str) -> None:
    problems = template_problems(scheduled(**kwargs))
    assert any(expected in p for p in problems), problems
    with pytest.raises(FireRenderError, match=re.escape(expected)):
        render_fire(scheduled(**kwargs), KOLKATA_9AM)


def test_fire_key_is_per_schedule_and_per_second_and_a_valid_key() -> None:
    later = datetime(2026, 11, 23, 3, 30, 1, tzinfo=UTC)
    assert fire_key("daily", KOLKATA_9AM) == fire_key("daily", KOLKATA_9AM.astimezone())
    assert len({fire_key("daily", KOLKATA_9AM), fire_key("daily", later), fire_key("weekly", KOLKATA_9AM)}) == 3
    assert IDEMPOTENCY_KEY_PATTERN.fullmatch(fire_key("a" * 64, KOLKATA_9AM))
