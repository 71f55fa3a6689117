"""Helpers for the crash-recovery tests: real worker processes (started, SIGKILLed), stage detection without a
worker (search attribute CampaignStage via describe), simulator counters, the exactly-once checks of a campaign
and of a program's waves, workflow tasks that failed on replay, and failure diagnostics with log tails."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle

from client.launcher import StartOutcome, start_campaign
from contract import search_attributes as sa
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from contract.program import ProgramResult
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin
from tests.stack_helpers import uploads_named
from workflows.campaign import CampaignWorkflow

NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FAST = PollingConfig(
    upload_initial_s=0.5,
    upload_max_s=1,
    monitor_initial_s=0.5,
    monitor_max_s=2,
    balance_initial_s=1,
    balance_max_s=2,
)

Handle = WorkflowHandle[CampaignWorkflow, CampaignResult]
R = TypeVar("R")


def start_worker_process(
    data_dir: Path,
    sim: RunningSimulator,
    address: str,
    task_queue: str,
    name: str,
    *,
    extra: dict[str, str] | None = None,
) -> devstack.Proc:
    """`python worker.py` as a real process (public contract: configured by environment only); `extra`: more of
    its environment (e.g. CAMPAIGN_LEDGER_URL)."""
    return devstack.start_worker(
        data_dir,
        name=name,
        env={
            "RINGG_API_KEY": sim.api_key,
            "RINGG_BASE_URL": sim.base_url,
            "TEMPORAL_ADDRESS": address,
            "RINGG_TASK_QUEUE": task_queue,
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        },
    )


def kill_worker(proc: devstack.Proc, diag: Diagnostics, why: str) -> None:
    """SIGKILLs a worker process (no shutdown, no heartbeat or task completion sent) and checks it died of it."""
    devstack.stop(proc, kill=True)
    diag.note(f"{proc.name} SIGKILLed (exit {proc.popen.returncode}): {why}")
    assert proc.popen.returncode == -signal.SIGKILL, diag(f"{proc.name} was not killed by SIGKILL")


def make_request(tmp_path: Path, label: str, admin: SimAdmin, *, rows: int = 20) -> CampaignRequest:
    """A large-flow campaign (forced with flow="large") over a small CSV; a unique name, hence a unique key; its
    window is open now on `admin`'s simulator clock (retries wait 30 simulated s)."""
    name = f"Crash {label} {uuid.uuid4().hex[:8]}"
    csv_path = write_sample_csv(tmp_path / f"contacts-{label}.csv", rows)
    return CampaignRequest.model_validate(
        {
            "campaign_name": name,
            "agent_id": "agent-crash",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            "flow": "large",
            **admin.window(retry_minutes=0.5),
            "polling": FAST,
        }
    )


class Diagnostics:
    """Collects the processes of a test so that every assertion message carries their log tails."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.procs: list[devstack.Proc] = []
        self.events: list[str] = []
        self._t0 = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def note(self, event: str) -> None:
        self.events.append(f"{self.elapsed():6.1f}s {event}")

    def __call__(self, headline: str) -> str:
        parts = [headline, "timeline:", *self.events]
        for proc in self.procs:
            parts += [f"--- {proc.name} (pid {proc.pid}, exit {proc.popen.poll()}) log tail ---", proc.log_tail(40)]
        parts += ["--- simulator log tail ---", self.sim.log_tail(20)]
        return "\n".join(parts)


async def stage_of(handle: WorkflowHandle[Any, Any]) -> str | None:
    """The campaign's stage as the server sees it (search attribute): works while no worker is running."""
    description = await handle.describe()
    return description.typed_search_attributes.get(sa.CAMPAIGN_STAGE)


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, diag: Diagnostics, *, timeout_s: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(diag(f"timed out after {timeout_s:.0f}s waiting until {what}"))
        await asyncio.sleep(0.1)


async def wait_for_stage(
    handle: WorkflowHandle[Any, Any], stage: str, diag: Diagnostics, *, timeout_s: float = 30.0
) -> None:
    async def reached() -> bool:
        return await stage_of(handle) == stage

    await wait_until(reached, f"{handle.id} is in stage {stage!r}", diag, timeout_s=timeout_s)


async def completed(handle: WorkflowHandle[Any, R], diag: Diagnostics, timeout_s: float) -> R:
    """The workflow's result; a failure or a timeout fails the test with the diagnostics."""
    try:
        result = await asyncio.wait_for(handle.result(), timeout_s)
    except WorkflowFailureError as err:
        raise AssertionError(diag(f"{handle.id} failed: {err.cause!r}")) from err
    except TimeoutError as err:
        raise AssertionError(diag(f"{handle.id} did not finish within {timeout_s:.0f}s")) from err
    diag.note(f"{handle.id} finished: {getattr(result, 'status', result)}")
    return result


def request_count(admin: SimAdmin, endpoint: str) -> int:
    return int(admin.stats()["requests"].get(endpoint, 0))


@dataclass
class Case:
    """One campaign of a crash scenario: the stage it is pinned in when the worker dies, and how it ended."""

    stage: str
    req: CampaignRequest
    outcome: StartOutcome
    delayed_until: float = 0.0  # time.monotonic() by which the simulator has answered its delayed request
    result: CampaignResult | None = None


async def start_pinned_by_delay(
    client: Client,
    admin: SimAdmin,
    req: CampaignRequest,
    task_queue: str,
    diag: Diagnostics,
    *,
    endpoint: str,
    stage: str,
    delay_s: float,
) -> Case:
    """Starts a campaign with a one-shot delay fault on `endpoint` and returns once that request is in flight
    (the simulator counts a request before it sleeps) and the campaign shows `stage`. Only this campaign may
    reach `endpoint` meanwhile, since the fault applies to the next request from anyone."""
    before = request_count(admin, endpoint)
    admin.add_fault(endpoint, "delay", times=1, delay_s=delay_s)
    outcome = await start_campaign(client, req, task_queue=task_queue)

    async def in_flight() -> bool:
        return request_count(admin, endpoint) > before

    await wait_until(in_flight, f"{req.campaign_name!r} has a request to {endpoint} in flight", diag)
    sent_at = time.monotonic()
    await wait_for_stage(outcome.handle, stage, diag)
    diag.note(f"{req.campaign_name!r}: {endpoint} in flight (delayed {delay_s:g}s), stage {stage}")
    return Case(stage, req, outcome, delayed_until=sent_at + delay_s)


def check_exactly_once(
    admin: SimAdmin, req: CampaignRequest, result: CampaignResult, *, calls: int = 20
) -> Sequence[str]:
    """The invariants of one campaign after a crash (`calls`: its contacts); returns the problems found (empty when
    all hold)."""
    stats = admin.stats()
    launches: dict[str, int] = stats["launches"]
    uploads = uploads_named(admin, req.campaign_name)
    launched = [u for u in uploads if launches.get(str(u["list_id"]), 0) > 0]
    problems: list[str] = []
    if result.status != "completed":
        problems.append(f"status {result.status!r} (expected 'completed')")
    if result.list_id is None or launches.get(result.list_id) != 1:
        problems.append(f"launches of result list {result.list_id}: {launches.get(result.list_id or '', 0)}")
    if len(launched) != 1:
        problems.append(f"{len(launched)} launched uploads for the campaign (of {len(uploads)} uploads)")
    elif launched[0]["list_id"] != result.list_id:
        problems.append(f"launched list {launched[0]['list_id']} is not the result's list {result.list_id}")
    if result.total_calls != calls:
        problems.append(f"{result.total_calls} calls counted (expected {calls})")
    return [f"{req.campaign_name!r}: {p}" for p in problems]


def check_waves_once(admin: SimAdmin, result: ProgramResult) -> Sequence[str]:
    """A program's waves after a crash: every wave that reached Ringg has one upload (under the wave's campaign
    name) and one launch of it, and the program has no upload beyond its waves' (no wave launched twice, under
    its key or another). Returns the problems found (empty when all hold)."""
    stats = admin.stats()
    launches: dict[str, int] = stats["launches"]
    problems: list[str] = []
    expected: set[str] = set()
    for w in result.waves:
        if not w.list_ids:
            continue
        uploads = uploads_named(admin, f"{result.campaign_name} · {w.wave_id}")
        found = {str(u["list_id"]) for u in uploads}
        expected |= found
        if found != set(w.list_ids) or len(uploads) != 1:
            problems.append(f"wave {w.wave_id}: {len(uploads)} uploads {sorted(found)} for its lists {w.list_ids}")
        for list_id in w.list_ids:
            if launches.get(list_id, 0) != 1:
                problems.append(f"wave {w.wave_id}: list {list_id} launched {launches.get(list_id, 0)} times")
    named = [u for u in stats["uploads"] if str(u["campaign_name"]).startswith(f"{result.campaign_name} · ")]
    stray = sorted(str(u["campaign_name"]) for u in named if str(u["list_id"]) not in expected)
    if stray:
        problems.append(f"uploads of no wave in the result: {stray}")
    return [f"{result.campaign_name!r}: {p}" for p in problems]


# Workflow-task failures a healthy run may show: a command raced a new event, a sticky worker went away.
BENIGN_TASK_FAILURES = frozenset(
    {
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
    }
)


async def task_failures(client: Client, workflow_id: str) -> Sequence[str]:
    """The workflow tasks of a workflow's history that failed for a real reason: a replay on the new worker that
    diverged from what the killed one recorded (non-determinism), or a workflow bug the worker kept retrying."""
    problems: list[str] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            continue
        failed = event.workflow_task_failed_event_attributes
        if failed.cause not in BENIGN_TASK_FAILURES:
            cause = WorkflowTaskFailedCause.Name(failed.cause)
            problems.append(f"{workflow_id}: workflow task {event.event_id} failed ({cause}): {failed.failure.message}")
    return problems
