"""Per-contact local-time windows on the time-skipping stack: contacts in three US timezones become three waves,
each launched only when the daily call time opens in its own zone (hours apart, skipped in seconds of wall time),
each contact called once, no call placed before its zone's window."""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from client.program_launcher import start_program
from client.program_lookup import ProgramHandle
from contract.program import ProgramRequest, ProgramResult
from ringg_sim.testing import WINDOW_FORMAT, SimAdmin
from tests.skipping_stack import SkippingStack, sync_sim_clock
from workflows.program import CampaignProgramWorkflow

pytestmark = pytest.mark.integration

NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
ZONES = {"America/New_York": "212", "America/Chicago": "312", "America/Los_Angeles": "415"}
PER_ZONE = 4


def _daily_start(now: float) -> datetime:
    """A daily call start an hour after `now` in New York (whole minute), moved to 00:00 when a two-hour window
    from it would cross midnight."""
    at = datetime.fromtimestamp(now, ZoneInfo("America/New_York")) + timedelta(hours=1, minutes=1)
    at = at.replace(second=0, microsecond=0)
    if at.hour >= 22:
        at = (at + timedelta(days=1)).replace(hour=0, minute=0)
    return at


def _opening(now: float, zone: str, start: datetime) -> float:
    """The first instant at or after `now` when the local time in `zone` reads start's HH:MM (every day allowed)."""
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    candidate = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if candidate.timestamp() < now:
        candidate += timedelta(days=1)
    return candidate.timestamp()


async def _run_to_the_end(env: WorkflowEnvironment, handle: ProgramHandle) -> ProgramResult:
    """Awaits the program (time skips while its waves run); when every wave left is waiting for its window, moves
    the test server's clock to the next opening (the server does not always skip to it on its own)."""
    result = asyncio.ensure_future(handle.result())
    for _ in range(600):
        done, _pending = await asyncio.wait({result}, timeout=0.3)
        if done:
            return result.result()
        progress = await handle.query(CampaignProgramWorkflow.progress)
        left = [w for w in progress.waves if not w.finished]
        if left and all(w.status == "waiting" and w.opens_at for w in left):
            opening = min(datetime.fromisoformat(str(w.opens_at)) for w in left)
            ahead = (opening - await env.get_current_time()).total_seconds()
            if ahead > 0:
                try:
                    await env.sleep(ahead + 1)
                except RPCError as err:
                    # a long sleep the test server cannot skip at once (a loaded machine, an activity still in
                    # flight) ends as 'Timeout expired' (status CANCELLED); its clock is read again on the next round
                    if err.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                        raise
    result.cancel()
    raise AssertionError(f"the program did not finish: {progress.stage} {progress.message}")


async def test_three_timezones_run_as_three_waves_each_when_its_window_opens(
    skipping_env: WorkflowEnvironment, skipping_worker: SkippingStack, skipping_admin: SimAdmin, tmp_path: Path
) -> None:
    now = await sync_sim_clock(skipping_env, skipping_admin)
    start = _daily_start(now)
    daily = (start.strftime("%H:%M"), (start + timedelta(hours=2)).strftime("%H:%M"))
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mobile Number", "Name"])
        for zone, area in ZONES.items():
            for i in range(PER_ZONE):
                writer.writerow([f"+1{area}55501{i:02d}", f"{zone.split('/')[1]} {i}"])
    kolkata = ZoneInfo("Asia/Kolkata")
    req = ProgramRequest.model_validate(
        {
            "campaign_name": f"Zones {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-zones",
            "csv_uri": str(path),
            "country_code": "+1",
            "variables_map": {"mobile_number": "Mobile Number", "callee_name": "Name"},
            "from_numbers": [NUMBER_ID],
            "flow": "standard",
            "campaign_start_time": datetime.fromtimestamp(now - 60, kolkata).strftime(WINDOW_FORMAT),
            "campaign_end_time": datetime.fromtimestamp(now + 3 * 86_400, kolkata).strftime(WINDOW_FORMAT),
            "call_config": {
                "call_time": {"call_start_time": daily[0], "call_end_time": daily[1], "timezone": "Asia/Kolkata"},
                "call_retry_config": {"retry_count": 0, "retry_busy": 1, "retry_not_picked": 1, "retry_failed": 1},
            },
            "windows": {"mode": "per_contact_timezone", "default_zone": "America/New_York"},
            # short polls: while the test server does not skip (it sometimes stalls), they cost little wall time
            "polling": {"upload_initial_s": 0.5, "monitor_initial_s": 1, "monitor_max_s": 2},
        }
    )
    started = await start_program(skipping_worker.client, req, task_queue=skipping_worker.task_queue)
    result = await _run_to_the_end(skipping_env, started.handle)
    assert result.status == "completed", result.message
    assert result.zones == dict.fromkeys(ZONES, PER_ZONE)
    waves = {str(w.zone): w for w in result.waves}
    assert set(waves) == set(ZONES) and all(w.phase == "main" for w in waves.values())
    openings = {zone: _opening(now, zone, start) for zone in ZONES}
    # New York opens first, Chicago an hour later, Los Angeles three hours after New York.
    assert openings["America/New_York"] < openings["America/Chicago"] < openings["America/Los_Angeles"]
    for zone, wave in waves.items():
        child = await skipping_worker.client.get_workflow_handle(wave.workflow_id).describe()
        launched = child.start_time.timestamp()
        assert openings[zone] <= launched < openings[zone] + 600, f"{zone}: launched before or long after opening"
        assert wave.opens_at is not None
        assert datetime.fromisoformat(wave.opens_at).timestamp() == pytest.approx(openings[zone])
        calls = [c for lid in wave.list_ids for c in skipping_admin.campaign_calls(lid)]
        area = ZONES[zone]
        assert sorted(c["to_number"][2:5] for c in calls) == [area] * PER_ZONE, "a wave holds only its zone"
        first = min(datetime.fromisoformat(a["at"]).timestamp() for c in calls for a in c["attempt_log"])
        assert first >= openings[zone], f"{zone}: a call was placed before its window opened"
        (launch,) = skipping_admin.campaign(wave.list_ids[0])["launches"]  # launched once
        assert launch["window"]["timezone"] == zone and launch["call_time"] == list(daily)
        assert datetime.fromisoformat(launch["launched_at"]).timestamp() >= openings[zone]
    dialled = Counter(
        c["to_number"] for w in waves.values() for lid in w.list_ids for c in skipping_admin.campaign_calls(lid)
    )
    assert len(dialled) == 3 * PER_ZONE and set(dialled.values()) == {1}
