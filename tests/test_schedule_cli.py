"""`starter.py schedule create` refuses what cannot work before it reaches Temporal, with every problem listed;
backfill times and the operator hints of `describe`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli.app import app
from cli.schedule_view import next_steps, window_text
from client.schedule_report import FireRow, ScheduleReport
from contract.schedules import WindowSpec
from domain.schedule_input import ScheduleInputError, parse_local_time

UNREACHABLE = "127.0.0.1:1"
BASE = ["--name", "Renewals", "--agent-id", "agent-1", "--csv", "/data/c-{date}.csv", "--from-number", "n-1"]
BASE += ["--call-config", '{"call_time": {"timezone": "Asia/Kolkata"}}']  # a later --call-config wins


def create(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["schedule", "create", "daily", *args, "--address", UNREACHABLE], env={"COLUMNS": "300"}
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--cron", "0 9 * *", "--until", "18:00"], '--cron takes 5 fields "minute hour day-of-month month'),
        (["--cron", "0 25 * * *", "--until", "18:00"], "hour: '25' is outside 0-23"),
        (["--cron", "0 9 * * *", "--timezone", "Asia/Kolkatta", "--until", "18:00"], "'Asia/Kolkatta' is not a known"),
        (["--cron", "0 19 * * 1-5", "--until", "18:00"], "the 19:00 fire would start no campaign"),
        (["--at", "08:00", "--at", "19:30", "--until", "18:00"], "window end is before the fire time"),
        (["--cron", "0 9 * * *", "--at", "09:00", "--until", "18:00"], "give either --cron"),
        (["--until", "18:00"], "give either --cron"),
        (["--cron", "0 9 * * *"], "give exactly one window end"),
        (["--cron", "0 9 * * *", "--until", "18:00", "--hours", "3"], "give exactly one window end"),
        (["--cron", "0 9 * * *", "--timezone", "Europe/London", "--until", "18:00"], "differs from the campaign's"),
        (["--cron", "0 9 * * *", "--until", "18:00", "--catchup", "5s"], "--catchup must be at least 10 s"),
        (["--cron", "0 9 * * *", "--until", "18:00", "--overlap", "sometimes"], "--overlap must be one of"),
        (["--cron", "0 9 * * *", "--until", "18:00", "--call-config", "{bad"], "--call-config is not valid JSON"),
    ],
)
def test_create_refuses_bad_options_before_connecting(args: list[str], expected: str) -> None:
    code, out = create(*BASE, *args)
    assert code == 2 and expected in out and "cannot reach Temporal" not in out, out


def test_every_problem_is_listed_at_once() -> None:
    code, out = create(*BASE, "--cron", "61 9 * * *", "--until", "18:00", "--overlap", "x", "--catchup", "1s")
    # Three options and the template's file (outside CAMPAIGN_CSV_DIRS): all four in one answer.
    assert code == 2 and out.count("\n  - ") == 4 and "outside the folders" in out, out


def test_daily_call_time_outside_the_fire_window_is_refused() -> None:
    call_config = '{"call_time": {"call_start_time": "19:00", "call_end_time": "21:00"}}'
    code, out = create(*BASE, "--cron", "0 9 * * 1-5", "--hours", "8", "--call-config", call_config)
    assert code == 2 and "never falls inside the campaign window" in out, out


def write_template(tmp_path: Path, **fields: Any) -> Path:
    data = {"campaign_name": "Renewals {date}", "agent_id": "a-1", "csv_uri": "/d/{date}.csv", "from_numbers": ["n"]}
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump({**data, **fields}))
    return path


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"idempotency_key": "k-1"}, "remove idempotency_key from the template"),
        ({"campaign_end_time": "01/01/2030, 18:00"}, "remove campaign_start_time/campaign_end_time"),
        ({"csv_uri": "/d/{day}.csv"}, "csv_uri: unknown placeholder '{day}'"),
        ({"window": {"until": "18:00", "length": 3}}, "the window is not valid (length: Extra inputs"),
        ({"agent_id": None}, "agent_id"),
    ],
)
def test_template_file_problems(tmp_path: Path, fields: dict[str, Any], expected: str) -> None:
    code, out = create("--file", str(write_template(tmp_path, **fields)), "--cron", "0 9 * * *", "--until", "18:00")
    assert code == 2 and expected in out, out


def test_a_valid_definition_gets_as_far_as_connecting(tmp_path: Path) -> None:
    """The file's window is replaced by the flags' (here --until over the file's hours)."""
    path = write_template(
        tmp_path,
        csv_uri=str(tmp_path / "{date}.csv"),
        window={"hours": 400},
        call_config={"call_time": {"timezone": "Europe/London"}},
    )
    code, out = create("-r", str(path), "--at", "09:00", "--days", "mon-fri", "--until", "18:00")
    assert code == 1 and "cannot reach Temporal at 127.0.0.1:1" in out, out


def test_backfill_times_are_read_in_the_schedule_timezone() -> None:
    expected = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    assert parse_local_time("23/11/2026, 09:00", "Asia/Kolkata", "--start") == expected
    assert parse_local_time("2026-11-23T09:00", "Asia/Kolkata", "--start") == expected
    assert parse_local_time("2026-11-23T03:30:00+00:00", "Asia/Kolkata", "--start") == expected
    with pytest.raises(ScheduleInputError, match='--end takes "DD/MM/YYYY, HH:MM" or ISO 8601'):
        parse_local_time("yesterday", "UTC", "--end")


def report(**fields: Any) -> ScheduleReport:
    base: dict[str, Any] = {
        "schedule_id": "daily",
        "paused": False,
        "note": "",
        "when": 'cron "0 9 * * *" in Asia/Kolkata',
        "timezone": "Asia/Kolkata",
        "overlap": "SKIP",
        "catchup": timedelta(minutes=10),
        "scheduled": None,
        "next_fires": [],
        "fires_started": 3,
        "skipped_overlap": 0,
        "missed_catchup": 0,
        "buffer_dropped": 0,
        "running": [],
    }
    return ScheduleReport(**{**base, **fields})


def test_describe_says_what_to_do_next() -> None:
    assert next_steps(report()) == ["nothing to do: the schedule is healthy"]
    failed = FireRow(datetime(2026, 11, 23, 3, 30, tzinfo=UTC), "schedule-daily-x", "FAILED", "CSV missing", True)
    steps = " | ".join(next_steps(report(recent=[failed], skipped_overlap=2, missed_catchup=1, paused=True)))
    assert "schedule backfill daily --start 2026-11-23T09:00:00" in steps
    assert "2 fire(s) were skipped because the previous fire was still running (overlap SKIP)" in steps
    assert "1 fire(s) were missed" in steps and "catch-up window (10 min)" in steps
    assert "schedule unpause daily" in steps


def test_window_text() -> None:
    assert window_text(WindowSpec(until="18:00")) == "fire time → 18:00 the same day"
    assert window_text(WindowSpec(hours=8, start_delay_minutes=15)) == "fire time + 15 min → 8 h later"
