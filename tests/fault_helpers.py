"""Shared pieces of the fault-injection integration tests (tests/test_fault_matrix.py): campaign requests,
simulator "lanes" (a simulator subprocess + its own worker), fault descriptions and invariant checks."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from devtools.sample_csv import DEFAULT_MAP
from ringg_sim.config import DEFAULT_POOL_ID
from ringg_sim.testing import RunningSimulator, SimAdmin, start_simulator, stop_simulator
from tests.stack_helpers import worker_for as stack_worker_for
from workflows.campaign import CampaignWorkflow

SIM_KEY = "sim-fault-matrix-key-3e1d"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
TIME_SCALE = 0.005
FAST_CALL_RATE = 50.0  # calls per simulated second: a tiny campaign's calls all start at once
# The client gives up after 2 s; "slow" faults answer after 3 s, after the client gave up.
CLIENT_TIMEOUT = httpx.Timeout(2.0, connect=2.0)
SLOW_S = 3.0
CONFIRM_WITHIN_S = 3.0
CASE_TIMEOUT_S = 60.0
FAST = PollingConfig(upload_initial_s=0.3, upload_max_s=1, monitor_initial_s=0.3, monitor_max_s=1)

RequestFlow = Literal["large", "standard"]


@dataclass(frozen=True)
class Fault:
    """One fault rule for the simulator's /_sim/faults, named for test IDs and messages."""

    name: str
    kind: str
    times: int = 1
    retry_after: float | None = None
    status: int | None = None
    delay_s: float | None = None

    def add_to(self, admin: SimAdmin, endpoint: str) -> None:
        admin.add_fault(
            endpoint,
            self.kind,
            times=self.times,
            retry_after=self.retry_after,
            status=self.status,
            delay_s=self.delay_s,
        )

    def __str__(self) -> str:
        return self.name


def make_request(
    csv_path: Path,
    admin: SimAdmin,
    *,
    flow: RequestFlow,
    pool: bool = False,
    name: str = "Faults",
    **overrides: object,
) -> CampaignRequest:
    """A small campaign whose window is open now on `admin`'s simulator clock (retries wait 30 simulated s);
    `flow` forces the large or standard flow whatever the row count; `pool` launches the standard flow with
    v2/start (number_pool_id) instead of start (from_numbers)."""
    data: dict[str, object] = {
        "campaign_name": f"{name} {uuid.uuid4().hex[:8]}",
        "agent_id": "agent-faults",
        "csv_uri": str(csv_path),
        "variables_map": DEFAULT_MAP,
        **admin.window(retry_minutes=0.5),
        "flow": flow,
        "polling": FAST,
    }
    if pool:
        data["number_pool_id"] = DEFAULT_POOL_ID
    else:
        data["from_numbers"] = [NUMBER_ID]
    return CampaignRequest.model_validate({**data, **overrides})


PENDING_CALL_STATUSES = ("registered", "ongoing", "retry")


def invariant_problems(admin: SimAdmin, req: CampaignRequest, result: CampaignResult | None) -> list[str]:
    """The campaign completed (the workflow returned, Ringg shows the list completed and the result counts
    every valid row's call in a final status) and DESIGN.md's invariants hold: exactly one upload for the
    request, the result's list is that upload, and that list was launched exactly once. Returns what is
    wrong (empty when all is well).

    Not checked here: result.status, which can be Ringg's stale "ongoing" (see
    test_fault_matrix.test_finished_campaign_result_reports_a_final_status)."""
    stats = admin.stats()
    uploads = [u for u in stats["uploads"] if str(u["campaign_name"]).startswith(req.campaign_name + " [rc-")]
    problems: list[str] = []
    if len(uploads) != 1:
        problems.append(f"expected exactly 1 upload for {req.campaign_name!r}, the simulator has {len(uploads)}")
    if result is None:
        return [*problems, "no workflow result"]
    if result.status == "duplicate" or result.duplicate_of:
        problems.append(f"the campaign ended as a duplicate of {result.duplicate_of}")
    if uploads and result.list_id != uploads[0]["list_id"]:
        problems.append(f"result list_id {result.list_id} is not the upload's list {uploads[0]['list_id']}")
    ringg_status = stats["campaigns"].get(result.list_id or "")
    if ringg_status != "completed":
        problems.append(f"the simulator shows list {result.list_id} {ringg_status!r}, not 'completed'")
    pending = {s: n for s, n in result.calls_by_status.items() if s in PENDING_CALL_STATUSES and n}
    expected = uploads[0]["valid_rows"] if uploads else None
    if pending or result.total_calls != expected:
        problems.append(f"the result counted {result.calls_by_status} ({expected} calls expected, none pending)")
    launches = stats["launches"].get(result.list_id or "", 0)
    if launches != 1:
        problems.append(f"expected exactly 1 launch of list {result.list_id}, the simulator counted {launches}")
    return problems


async def wait_until(predicate: Callable[[], Any], *, timeout_s: float, what: str, every_s: float = 0.05) -> Any:
    """Awaits a truthy predicate() (sync or async), failing with `what` after timeout_s."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                value = predicate()
                if asyncio.iscoroutine(value):
                    value = await value
                if value:
                    return value
                await asyncio.sleep(every_s)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}") from None


async def stage_of(handle: WorkflowHandle[CampaignWorkflow, CampaignResult]) -> str:
    return (await handle.query(CampaignWorkflow.progress)).stage


@dataclass
class Lane:
    """A simulator subprocess with its own in-process worker (unique task queue) on the shared dev server."""

    sim: RunningSimulator
    admin: SimAdmin
    worker: Worker
    client: Client
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    @property
    def task_queue(self) -> str:
        return self.worker.task_queue

    async def start(self, req: CampaignRequest) -> WorkflowHandle[CampaignWorkflow, CampaignResult]:
        outcome = await start_campaign(self.client, req, task_queue=self.task_queue)
        self.handles.append(outcome.handle)
        return outcome.handle

    async def run(self, req: CampaignRequest, timeout_s: float = CASE_TIMEOUT_S) -> CampaignResult:
        """Starts the campaign and awaits its result; a campaign still running after timeout_s is terminated."""
        handle = await self.start(req)
        try:
            async with asyncio.timeout(timeout_s):
                return await handle.result()
        except TimeoutError:
            with contextlib.suppress(Exception):
                await handle.terminate("test timed out")
            raise AssertionError(
                f"campaign {req.campaign_name!r} did not finish within {timeout_s:g}s; "
                f"simulator log:\n{self.sim.log_tail()}"
            ) from None


@contextlib.asynccontextmanager
async def worker_for(
    client: Client,
    sim: RunningSimulator,
    *,
    prefix: str = "faults",
    api_key: str | None = None,
    timeout: httpx.Timeout = CLIENT_TIMEOUT,
) -> AsyncIterator[Worker]:
    """A worker over `sim` with a 2 s client timeout and a 3 s confirm window (quick 'slow response' cases)."""
    async with stack_worker_for(
        client, sim, prefix=prefix, api_key=api_key, timeout=timeout, confirm_within_s=CONFIRM_WITHIN_S
    ) as worker:
        yield worker


@contextlib.asynccontextmanager
async def open_lane(client: Client, *, call_rate: float = FAST_CALL_RATE) -> AsyncIterator[Lane]:
    """A fresh simulator (started off the event loop) plus a worker for it; everything stops on exit, and a
    campaign the lane left running is terminated first."""
    async with contextlib.AsyncExitStack() as stack:
        sim = await asyncio.to_thread(start_simulator, api_key=SIM_KEY, time_scale=TIME_SCALE)
        stack.push_async_callback(asyncio.to_thread, stop_simulator, sim)
        admin = stack.enter_context(SimAdmin(sim))
        admin.configure(call_rate=call_rate)
        worker = await stack.enter_async_context(worker_for(client, sim, prefix="lane"))
        lane = Lane(sim=sim, admin=admin, worker=worker, client=client)
        try:
            yield lane
        finally:
            for handle in lane.handles:
                with contextlib.suppress(Exception):
                    await handle.terminate("test lane closing")


def elapsed_since(t0: float) -> float:
    return time.monotonic() - t0
