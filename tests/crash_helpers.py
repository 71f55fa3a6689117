"""Helpers for the crash-recovery tests: real worker processes, stage detection without a worker (search
attribute CampaignStage via describe), simulator counters and failure diagnostics with log tails."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHandle

from client.launcher import StartOutcome, start_campaign
from contract import search_attributes as sa
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
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


def start_worker_process(
    data_dir: Path, sim: RunningSimulator, address: str, task_queue: str, name: str
) -> devstack.Proc:
    """`python worker.py` as a real process (public contract: configured by environment only)."""
    return devstack.start_worker(
        data_dir,
        name=name,
        env={
            "RINGG_API_KEY": sim.api_key,
            "RINGG_BASE_URL": sim.base_url,
            "TEMPORAL_ADDRESS": address,
            "RINGG_TASK_QUEUE": task_queue,
            "PYTHONUNBUFFERED": "1",
        },
    )


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


async def stage_of(handle: Handle) -> str | None:
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


async def wait_for_stage(handle: Handle, stage: str, diag: Diagnostics, *, timeout_s: float = 30.0) -> None:
    async def reached() -> bool:
        return await stage_of(handle) == stage

    await wait_until(reached, f"{handle.id} is in stage {stage!r}", diag, timeout_s=timeout_s)


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


def check_exactly_once(admin: SimAdmin, req: CampaignRequest, result: CampaignResult) -> Sequence[str]:
    """The invariants of one campaign after a crash; returns the problems found (empty when all hold)."""
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
    if result.total_calls != 20:
        problems.append(f"{result.total_calls} calls counted (expected 20)")
    return [f"{req.campaign_name!r}: {p}" for p in problems]
