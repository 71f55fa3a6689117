"""Recurring campaigns on real parts (dev server, simulator, worker), driven through `starter.py schedule` as an
operator would: each tick launches once, a re-fire launches nothing, and describe shows what each fire did."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import yaml
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, WorkflowFailureError
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.app import app
from contract.schedules import FireResult
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import starter_streams, worker_for

pytestmark = pytest.mark.integration

SIM_KEY = "sim-schedules-key-91c2"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="sched") as running:
        yield running


async def cli(dev_server: devstack.Proc, *args: str) -> tuple[int, str]:
    """The typer app in a thread (each command runs its own event loop, as from a terminal)."""
    argv = ["schedule", *args, "--address", dev_server.extra["address"]]
    result = await asyncio.to_thread(CliRunner().invoke, app, argv, env={"COLUMNS": "250"})
    return result.exit_code, result.output


async def cli_json(dev_server: devstack.Proc, *args: str) -> tuple[int, Any]:
    """`starter.py schedule <args> --json` as a script runs it (a subprocess: in-process, this test's worker logs
    would share the captured stdout): (exit code, the one JSON document on stdout)."""
    code, out, err = await starter_streams(dev_server, "schedule", *args, "--json")
    try:
        return code, json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"not one JSON document on stdout: {out!r}; stderr: {err[-2000:]!r}") from None


def template_file(tmp_path: Path, campaign_name: str) -> Path:
    """Contacts for yesterday, today and tomorrow in Kolkata, so any fire of the test finds its day's file."""
    today = datetime.now(KOLKATA).date()
    for offset in (-1, 0, 1):
        write_sample_csv(tmp_path / f"contacts-{today + timedelta(days=offset):%Y-%m-%d}.csv", 20)
    template = {
        "campaign_name": campaign_name + " {date}",
        "agent_id": "agent-sched",
        "csv_uri": str(tmp_path / "contacts-{date}.csv"),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        "flow": "standard",
        # each fire's window comes from the schedule (real fire times: the simulator's clock must not be 36 hours
        # ahead, i.e. its module must run less than ~10 minutes at time scale 0.005)
        "call_config": {
            "call_time": {"timezone": "Asia/Kolkata"},
            "call_retry_config": {"retry_count": 1, "retry_busy": 1, "retry_not_picked": 1, "retry_failed": 1},
        },
        "polling": {"upload_initial_s": 0.3, "monitor_initial_s": 0.3, "monitor_max_s": 1},
        "window": {"hours": 36},  # a tick backfilled from earlier today is still open
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    return path


def launches(admin: SimAdmin, campaign_name: str) -> dict[str, int]:
    """Launch count per uploaded list of this test's campaigns (the simulator's own record)."""
    stats = admin.stats()
    lists = [str(u["list_id"]) for u in stats["uploads"] if str(u["campaign_name"]).startswith(campaign_name + " ")]
    return {list_id: int(stats["launches"].get(list_id, 0)) for list_id in lists}


async def next_fire(client: Client, schedule_id: str, fired_before: int) -> FireResult:
    """Waits for the schedule's next started fire (by count), then for that run's result."""
    schedule = client.get_schedule_handle(schedule_id)
    for _ in range(100):
        description = await schedule.describe()
        if description.info.num_actions > fired_before:
            latest = max(description.info.recent_actions, key=lambda a: a.started_at).action
            assert isinstance(latest, ScheduleActionExecutionStartWorkflow)
            handle = client.get_workflow_handle(
                latest.workflow_id, run_id=latest.first_execution_run_id, result_type=FireResult
            )
            return await asyncio.wait_for(handle.result(), timeout=60)
        await asyncio.sleep(0.1)
    raise AssertionError(f"schedule {schedule_id} did not fire")


async def test_each_tick_launches_once_and_a_refire_launches_nothing(
    dev_server: devstack.Proc, stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    schedule_id = f"it-{uuid.uuid4().hex[:8]}"
    name = f"Sched {uuid.uuid4().hex[:6]}"
    # Fires daily at a local hour that passed 2-3 hours ago: no natural fire during the test, and a recent tick.
    hour = (datetime.now(KOLKATA) - timedelta(hours=2)).hour
    args = ["--request", str(template_file(tmp_path, name)), "--cron", f"0 {hour} * * *", "--timezone", "Asia/Kolkata"]
    code, out = await cli(dev_server, "create", schedule_id, *args, "--task-queue", worker.task_queue)
    assert code == 0 and f"Created schedule {schedule_id}" in out, out
    code, out = await cli(dev_server, "create", schedule_id, *args, "--task-queue", worker.task_queue)
    assert code == 0 and "already exists with this definition: nothing changed" in out, out
    code, doc = await cli_json(dev_server, "create", schedule_id, *args, "--task-queue", worker.task_queue)
    assert code == 0 and doc["schedule_id"] == schedule_id and doc["state"] == "exists" and doc["next_fires"], doc
    code, out = await cli(dev_server, "create", schedule_id, *args, "--overlap", "allow_all")
    assert code == 1 and "already exists with a different template, timing, policy or task queue" in out, out

    with SimAdmin(sim) as admin:
        results: list[FireResult] = []
        for fired in range(2):  # two triggers are two ticks ("now" each time); the second for a script
            if fired == 0:
                code, out = await cli(dev_server, "trigger", schedule_id)
                assert code == 0 and f"Fired {schedule_id}" in out, out
            else:
                code, doc = await cli_json(dev_server, "trigger", schedule_id)
                assert code == 0 and doc["state"] == "fired" and doc["fire_workflow_id"], doc
                out = str(doc["campaign_workflow_id"])
            results.append(await next_fire(stack_client, schedule_id, fired))
            assert results[-1].outcome == "ran" and results[-1].campaign is not None
            assert results[-1].campaign.status == "completed", results[-1]
            assert results[-1].campaign_workflow_id in out
        assert results[0].idempotency_key != results[1].idempotency_key
        assert sorted(launches(admin, name).values()) == [1, 1]

        tick = datetime.now(KOLKATA).replace(hour=hour, minute=0, second=0, microsecond=0)
        tick -= timedelta(days=1) if tick > datetime.now(KOLKATA) else timedelta(0)
        start = f"{tick:%d/%m/%Y, %H:%M}"
        code, out = await cli(dev_server, "backfill", schedule_id, "--start", start)
        assert code == 0 and "Backfill requested" in out, out
        backfilled = await next_fire(stack_client, schedule_id, 2)
        assert backfilled.outcome == "ran" and backfilled.fire_time == tick.isoformat()
        assert backfilled.idempotency_key == f"sched-{schedule_id}-{tick.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        assert sorted(launches(admin, name).values()) == [1, 1, 1]

        code, out = await cli(dev_server, "backfill", schedule_id, "--start", start, "--overlap", "allow_all")
        assert code == 0, out
        refired = await next_fire(stack_client, schedule_id, 3)
        assert refired.outcome == "already_fired" and refired.campaign is None
        assert refired.campaign_workflow_id == backfilled.campaign_workflow_id
        assert sorted(launches(admin, name).values()) == [1, 1, 1], "a re-fired tick uploaded or launched again"

    code, out = await cli(dev_server, "describe", schedule_id)
    assert code == 0, out
    assert "4 fired, 0 skipped (overlap)" in out and "already fired, nothing launched" in out, out
    assert out.count(": completed, list ") == 3 and "nothing to do: the schedule is healthy" in out, out
    assert any(line.startswith("fire 1: ") for line in out.splitlines()), out  # fire IDs whole, below
    code, out = await cli(dev_server, "describe", schedule_id, "--json")
    report = json.loads(out)
    assert code == 0 and report["schedule_id"] == schedule_id and report["fires_started"] == 4, out
    assert len(report["recent"]) == 4 and all(r["workflow_id"] for r in report["recent"]), out
    code, out = await cli(dev_server, "list", "--json")
    assert code == 0 and schedule_id in [row["schedule_id"] for row in json.loads(out)], out

    code, out = await cli(dev_server, "pause", schedule_id, "--note", "holiday")
    assert code == 0 and "Paused schedule" in out, out
    code, out = await cli(dev_server, "describe", schedule_id)
    assert "PAUSED — holiday" in out and "schedule unpause" in out, out
    code, out = await cli(dev_server, "delete", schedule_id, "--yes")
    assert code == 0 and f"Deleted schedule {schedule_id}" in out, out
    code, out = await cli(dev_server, "describe", schedule_id)
    assert code == 3 and f"no schedule '{schedule_id}'" in out, out


async def test_failed_and_skipped_fires_are_visible(
    dev_server: devstack.Proc, stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    schedule_id = f"it-{uuid.uuid4().hex[:8]}"
    name = f"Sched {uuid.uuid4().hex[:6]}"
    hour = (datetime.now(KOLKATA) - timedelta(hours=2)).hour
    args = ["--file", str(template_file(tmp_path, name)), "--cron", f"0 {hour} * * *"]
    code, out = await cli(dev_server, "create", schedule_id, *args, "--task-queue", worker.task_queue)
    assert code == 0, out

    # A tick from three days ago: its 36-hour window is over, so its campaign fails in pre-flight.
    old = (datetime.now(KOLKATA) - timedelta(days=3)).replace(hour=hour, minute=0, second=0, microsecond=0)
    code, out = await cli(dev_server, "backfill", schedule_id, "--start", old.isoformat())
    assert code == 0, out
    with pytest.raises(WorkflowFailureError):
        await next_fire(stack_client, schedule_id, 0)

    with SimAdmin(sim) as admin:
        admin.configure(call_rate=0.001)  # the next campaign keeps calling until cancelled
        try:
            code, out = await cli(dev_server, "trigger", schedule_id)
            assert code == 0 and "Fired" in out, out
            for _ in range(200):  # until its campaign is launched and calling
                if launches(admin, name):
                    break
                await asyncio.sleep(0.1)
            description = await stack_client.get_schedule_handle(schedule_id).describe()
            [running] = description.info.running_actions
            assert isinstance(running, ScheduleActionExecutionStartWorkflow)
            code, out = await cli(dev_server, "trigger", schedule_id)
            assert code == 1 and "the trigger was skipped" in out and running.workflow_id in out, out
            code, out = await cli(dev_server, "describe", schedule_id)
        finally:
            admin.configure(call_rate=2.0)
        fire = stack_client.get_workflow_handle(running.workflow_id)
        await fire.cancel()  # cancels its campaign, which terminates it on Ringg
        with pytest.raises(WorkflowFailureError):
            await fire.result()
        assert list(launches(admin, name).values()) == [1], "only the triggered tick launched"
    assert code == 0 and "2 fired, 1 skipped (overlap)" in out, out
    assert "FAILED" in out and "is already past in Asia/Kolkata" in out and "running campaign campaign-sched-" in out
    assert f"schedule backfill {schedule_id} --start {old:%Y-%m-%dT%H:%M:%S}" in out, out
    assert "1 fire(s) were skipped because the previous fire was still running (overlap SKIP)" in out, out
    code, out = await cli(dev_server, "delete", schedule_id, "-y")
    assert code == 0, out
