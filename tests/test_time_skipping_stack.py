"""The time-skipping stack (tests/skipping_stack.py): Temporal's test server skips hours of timers and the
simulator's clock follows it, so a campaign whose window opens hours ahead runs in seconds of wall time, and a
campaign a parent workflow starts after more than a day of timers still finds its calls."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment

from activities.ringg.activities import RinggActivities
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, CampaignResult
from contract.ringg_steps import CallerNumbersInput
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import WINDOW_FORMAT, RunningSimulator, SimAdmin, open_window
from tests.skipping_stack import SKIPPING_TIME_SCALE, SkippingStack, skipping_stack, sync_sim_clock
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

KOLKATA = ZoneInfo("Asia/Kolkata")
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
HOUR = 3600.0


def _opening(now: float, hours: float) -> datetime:
    """The first whole minute at least `hours` after `now` in Asia/Kolkata, moved to the next midnight when it falls
    in the day's last hour, so a one-hour daily call time starting then fits the same day."""
    at = datetime.fromtimestamp(now + hours * HOUR, KOLKATA).replace(second=0, microsecond=0) + timedelta(minutes=1)
    if at.hour == 23:
        at = (at + timedelta(days=1)).replace(hour=0, minute=0)
    return at


async def test_a_campaign_whose_window_opens_in_three_hours_runs_in_seconds(
    skipping_env: WorkflowEnvironment, skipping_worker: SkippingStack, skipping_admin: SimAdmin, tmp_path: Path
) -> None:
    now = await sync_sim_clock(skipping_env, skipping_admin)
    opens = _opening(now, 3)
    window = open_window(now, daily=(opens.strftime("%H:%M"), (opens + timedelta(hours=1)).strftime("%H:%M")))
    window["campaign_start_time"] = opens.strftime(WINDOW_FORMAT)
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 12)
    req = CampaignRequest.model_validate(
        {
            "campaign_name": f"Skipped hours {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-skipping",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            **window,
        }
    )

    started = time.monotonic()
    outcome = await start_campaign(skipping_worker.client, req, task_queue=skipping_worker.task_queue)
    # Without the follower the campaign would poll until the test's timeout: the simulator would never get there.
    result = await asyncio.wait_for(outcome.handle.result(), timeout=60)
    wall = time.monotonic() - started

    assert result.status == "completed" and result.list_id and result.total_calls == 12
    assert wall < 3 * HOUR * SKIPPING_TIME_SCALE / 2, f"{wall:.1f}s: the simulator's own pace could have got there"
    assert (await skipping_env.get_current_time()).timestamp() >= opens.timestamp()
    truth = skipping_admin.campaign_calls(result.list_id)
    assert skipping_admin.stats()["launches"][result.list_id] == 1
    assert sorted(Counter(c["to_number"] for c in truth).values()) == [1] * 12, "every contact is on the list once"
    assert all(c["attempts"] >= 1 and c["ended"] for c in truth), "every contact was called"
    assert result.calls_by_status == dict(Counter(c["status"] for c in truth))
    attempts = [datetime.fromisoformat(a["at"]).timestamp() for c in truth for a in c["attempt_log"]]
    assert min(attempts) >= opens.timestamp(), "a call was placed before the window opened"
    steps = skipping_worker.steps
    assert all(s.sim_after >= s.scheduled for s in steps), "the simulator lagged Temporal's clock"
    assert any(s.scheduled >= opens.timestamp() for s in steps), "no activity ran after the window opened"


class NapInput(BaseModel):
    admin_url: str


class NapResult(BaseModel):
    started_at: float  # Temporal's clock when the workflow began
    sim_in_thread: float  # the simulator's clock, read inside a threaded activity after a 2-hour timer


class SimClockRead(BaseModel):
    admin_url: str


class SimClockReading(BaseModel):
    epoch: float


@activity.defn
def read_sim_clock(inp: SimClockRead) -> SimClockReading:
    """A threaded (plain def) activity: what the simulator's clock reads once the follower has moved it."""
    with SimAdmin(inp.admin_url) as admin:
        return SimClockReading(epoch=admin.now())


@workflow.defn(sandboxed=False)
class NapThenCallRinggWorkflow:
    """Sleeps 2 hours, reads the simulator's clock in a threaded activity, sleeps 1 hour more, then runs one of the
    product's activities against the simulator (the workspace's caller numbers)."""

    @workflow.run
    async def run(self, inp: NapInput) -> NapResult:
        started_at = workflow.now().timestamp()
        await workflow.sleep(timedelta(hours=2))
        reading = await workflow.execute_activity(
            read_sim_clock, SimClockRead(admin_url=inp.admin_url), start_to_close_timeout=timedelta(seconds=30)
        )
        await workflow.sleep(timedelta(hours=1))
        await workflow.execute_activity_method(
            RinggActivities.check_caller_numbers,
            CallerNumbersInput(from_numbers=[NUMBER_ID]),
            start_to_close_timeout=timedelta(seconds=30),
        )
        return NapResult(started_at=started_at, sim_in_thread=reading.epoch)


async def test_a_workflow_sleeping_hours_finds_the_simulator_hours_later(
    skipping_env: WorkflowEnvironment, skipping_sim: RunningSimulator, skipping_admin: SimAdmin
) -> None:
    await sync_sim_clock(skipping_env, skipping_admin)
    requests_before = skipping_admin.stats()["requests"].get("workspace_numbers", 0)
    async with skipping_stack(
        skipping_env, skipping_sim, workflows=[NapThenCallRinggWorkflow], activities=[read_sim_clock]
    ) as stack:
        started = time.monotonic()
        result = await stack.client.execute_workflow(
            NapThenCallRinggWorkflow.run,
            NapInput(admin_url=skipping_sim.admin_url),
            id=f"nap-{uuid.uuid4()}",
            task_queue=stack.task_queue,
        )
        wall = time.monotonic() - started

    assert wall < 10, f"{wall:.1f}s of wall time for 3 hours of timers"
    assert result.sim_in_thread >= result.started_at + 2 * HOUR, "the threaded activity saw the simulator lag"
    assert skipping_admin.now() >= result.started_at + 3 * HOUR
    assert skipping_admin.stats()["requests"].get("workspace_numbers", 0) == requests_before + 1
    assert [s.activity_type for s in stack.steps] == ["read_sim_clock", "check_caller_numbers"]


class LaterCampaignInput(BaseModel):
    hours: float
    request: CampaignRequest


@workflow.defn(sandboxed=False)
class LaterCampaignWorkflow:
    """A program's shape: waits `hours` on a Temporal timer, then runs today's CampaignWorkflow as a child."""

    @workflow.run
    async def run(self, inp: LaterCampaignInput) -> CampaignResult:
        await workflow.sleep(timedelta(hours=inp.hours))
        return await workflow.execute_child_workflow(
            CampaignWorkflow.run, inp.request, id=f"{workflow.info().workflow_id}-wave"
        )


async def test_a_campaign_started_after_thirty_hours_of_timers_finds_its_calls(
    skipping_env: WorkflowEnvironment, skipping_sim: RunningSimulator, skipping_admin: SimAdmin, tmp_path: Path
) -> None:
    """Ringg's history is queried from a day before the campaign's start (workflow time) and the simulator dates a
    launch by its wall clock: the follower moves that clock with Temporal's, or a day of skipped time would hide
    every call (the campaign would end with no counts)."""
    now = await sync_sim_clock(skipping_env, skipping_admin)
    hours = 30
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 5)
    req = CampaignRequest.model_validate(
        {
            "campaign_name": f"Thirty hours later {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-skipping",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            **open_window(now + hours * HOUR),
        }
    )
    async with skipping_stack(skipping_env, skipping_sim, workflows=[LaterCampaignWorkflow]) as stack:
        result = await asyncio.wait_for(
            stack.client.execute_workflow(
                LaterCampaignWorkflow.run,
                LaterCampaignInput(hours=hours, request=req),
                id=f"later-{uuid.uuid4()}",
                task_queue=stack.task_queue,
            ),
            timeout=60,
        )

    assert result.status == "completed" and result.list_id and result.total_calls == 5
    truth = skipping_admin.campaign_calls(result.list_id)
    assert result.calls_by_status == dict(Counter(c["status"] for c in truth))
    first = min(datetime.fromisoformat(a["at"]).timestamp() for c in truth for a in c["attempt_log"])
    assert first >= now + hours * HOUR, "a call was placed before the wave was started"
