"""Window checks in the campaign's timezone: known zone, end not past, a daily call time that fits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contacts.preflight import CsvActivities
from contract.preflight import PreflightInput
from domain.window import window_problems

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 17:30 in Asia/Kolkata


def call_time(**fields: str) -> dict[str, Any]:
    return {"call_time": fields}


@pytest.mark.parametrize(
    ("start", "end", "config", "expected"),
    [
        ("24/11/2026, 09:00", "24/11/2026, 18:00", call_time(call_start_time="09:00", call_end_time="18:00"), None),
        (None, None, {}, None),
        ("23/11/2026, 09:00", "23/11/2026, 17:00", {}, "already past in Asia/Kolkata (it is now 23/11/2026, 17:30"),
        ("23/11/2026, 09:00", "23/11/2026, 18:00", {}, None),  # still open in Kolkata
        ("23/11/2026, 09:00", "23/11/2026, 13:00", call_time(timezone="America/New_York"), None),  # 07:00 there
        ("24/11/2026, 09:00", "24/11/2026, 18:00", call_time(timezone="Mars/Olympus"), "not a known IANA timezone"),
        (
            "24/11/2026, 09:00",
            "24/11/2026, 12:00",
            call_time(call_start_time="14:00", call_end_time="18:00"),
            "never falls inside",
        ),
        ("24/11/2026, 09:00", "26/11/2026, 12:00", call_time(call_start_time="14:00", call_end_time="18:00"), None),
        ("24/11/2026, 09:00", "24/11/2026, 18:00", call_time(call_start_time="9am"), 'must look like "HH:MM"'),
        (
            "24/11/2026, 09:00",
            "24/11/2026, 18:00",
            call_time(call_start_time="18:00", call_end_time="09:00"),
            "must be before",
        ),
    ],
)
def test_window_problems(start: str | None, end: str | None, config: dict[str, Any], expected: str | None) -> None:
    problems = window_problems(start, end, config, NOW)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


async def test_preflight_refuses_a_window_already_past(tmp_path: Path) -> None:
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("Mobile Number\n+919876543210\n")
    inp = PreflightInput(
        csv_uri=str(csv_path),
        variables_map={"mobile_number": "Mobile Number"},
        campaign_name="Late",
        agent_id="a",
        campaign_start_time="01/01/2020, 09:00",
        campaign_end_time="01/01/2020, 18:00",
    )
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(CsvActivities().preflight_csv, inp)
    assert info.value.type == "InvalidCampaignRequest" and info.value.non_retryable
    assert "campaign_end_time 01/01/2020, 18:00 is already past in Asia/Kolkata" in info.value.message
