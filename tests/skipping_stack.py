"""Temporal's time-skipping test server and the Ringg simulator on one clock: before every activity runs, the
simulator's clock is moved forward to the Temporal time the activity was scheduled at, so a workflow that sleeps
hours on Temporal timers finds the simulator hours later too. Fixtures (conftest.py re-exports them): skipping_env,
skipping_sim, skipping_admin, skipping_worker; skipping_stack() builds a worker with extra workflows or activities.

Both servers are new for each test. The test server's clock jumps to its next pending timer the moment a result()
returns, and every workflow leaves its 10-year default execution timeout pending: after a result() the clock may
read years ahead, so the server is not reused, and a test runs one workflow to its result (start others together,
before awaiting)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.plugin import SimplePlugin
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
    WorkerConfig,
)

from client.converter import DATA_CONVERTER
from client.search_attribute_setup import WANTED
from contract import search_attributes as sa
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from runtime.settings import MAX_CONCURRENT_ACTIVITIES
from tests.stack_helpers import server_binary, worker_for

SKIPPING_SIM_KEY = "sim-skipping-key-2c9e"
# Wall seconds per simulated second of the harness's simulator: calls move on between polls, but in the few
# seconds a test runs the simulator alone gets minutes ahead, never hours; hours come from Temporal's timers.
SKIPPING_TIME_SCALE = 0.01


async def start_skipping_env(test_server: str) -> WorkflowEnvironment:
    """The time-skipping test server (`test_server`: its binary) with the campaign search attributes registered:
    it has no ListSearchAttributes, so they are added without looking first (the server is new). A real server
    has TemporalNamespaceDivision built in (key claims set it); the test server learns it here."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=test_server
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={**WANTED, sa.NAMESPACE_DIVISION.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )
    except BaseException:
        await env.shutdown()
        raise
    return env


@dataclass(frozen=True)
class ClockStep:
    """One activity attempt: when Temporal scheduled it and what the simulator's clock read once moved there."""

    activity_type: str
    attempt: int
    scheduled: float  # Temporal (test server) epoch seconds
    sim_after: float  # the simulator's clock after the advance


@dataclass
class SimClockFollower(Interceptor):
    """Worker interceptor: before each activity attempt, moves the simulator's clock forward to the attempt's
    scheduled time on Temporal's clock (activity.info().current_attempt_scheduled_time, which the test server sets
    from its own skipped clock). The interceptor runs on the worker's event loop for async and threaded activities
    alike (temporalio calls execute_activity before handing a sync activity to its executor)."""

    admin: httpx.AsyncClient
    steps: list[ClockStep] = field(default_factory=list)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FollowTemporalClock(next, self)

    async def advance(self, epoch: float) -> float:
        # Temporal's time is the world's time here: the wall clock the simulator dates launches by moves with it, so
        # history queries dated by workflow time (a campaign's start) find them however far time was skipped.
        resp = await self.admin.post("/clock", json={"advance_to": epoch, "wall_to": epoch})
        if resp.status_code == 422:
            # Not retryable: the simulator cannot follow (see the module docstring: a result() has returned).
            raise ApplicationError(
                f"the simulator cannot jump to Temporal's time {datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M} "
                f"UTC: {resp.json().get('detail')}; was a workflow started after another's result() in this test?",
                type="SimClockUnreachable",
                non_retryable=True,
            )
        resp.raise_for_status()
        return float(resp.json()["epoch"])


class _FollowTemporalClock(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, follower: SimClockFollower) -> None:
        super().__init__(next)
        self._follower = follower

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        scheduled = info.current_attempt_scheduled_time.timestamp()
        sim_after = await self._follower.advance(scheduled)
        self._follower.steps.append(ClockStep(info.activity_type, info.attempt, scheduled, sim_after))
        return await self.next.execute_activity(input)


@dataclass
class SkippingStack:
    """A running worker of the product on the time-skipping server: its task queue, the client to start workflows
    with (the environment's), and every clock step the interceptor took."""

    worker: Worker
    client: Client
    follower: SimClockFollower

    @property
    def task_queue(self) -> str:
        return self.worker.task_queue

    @property
    def steps(self) -> list[ClockStep]:
        return self.follower.steps


@contextlib.asynccontextmanager
async def skipping_stack(
    env: WorkflowEnvironment,
    sim: RunningSimulator,
    *,
    prefix: str = "skip",
    workflows: Sequence[type] = (),
    activities: Sequence[Callable[..., Any]] = (),
    **worker_options: Any,
) -> AsyncIterator[SkippingStack]:
    """The product's worker (runtime.worker_app.build_worker through tests.stack_helpers.worker_for: every workflow
    and activity, over `sim`) on a fresh task queue of `env`, plus `workflows` and `activities` (a program workflow
    under test, a test's own workflow; plain `def` activities run on a thread pool), with the clock follower
    installed. `worker_options` go to worker_for."""
    with contextlib.ExitStack() as stack:
        threaded = [fn for fn in activities if not inspect.iscoroutinefunction(fn)]
        executor = stack.enter_context(ThreadPoolExecutor(max_workers=MAX_CONCURRENT_ACTIVITIES)) if threaded else None
        async with httpx.AsyncClient(base_url=sim.admin_url, timeout=httpx.Timeout(10.0)) as admin:
            follower = SimClockFollower(admin)
            # A client's plugin applies to every worker built on that client: build_worker stays as in production.
            plugin = _HarnessPlugin(follower, workflows, activities, executor)
            config = env.client.config()
            config["plugins"] = [plugin]
            client = Client(**config)
            async with worker_for(client, sim, prefix=prefix, **worker_options) as worker:
                yield SkippingStack(worker, env.client, follower)


class _HarnessPlugin(SimplePlugin):
    """Adds the clock follower, the test's workflows and activities, and (for threaded activities) an executor."""

    def __init__(
        self,
        follower: SimClockFollower,
        workflows: Sequence[type],
        activities: Sequence[Callable[..., Any]],
        executor: ThreadPoolExecutor | None,
    ) -> None:
        super().__init__(
            "sim-clock-follower",
            interceptors=[follower],
            workflows=list(workflows) or None,
            activities=list(activities) or None,
        )
        self._executor = executor

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        config = super().configure_worker(config)
        if self._executor is not None and config.get("activity_executor") is None:
            config["activity_executor"] = self._executor
        return config


async def sync_sim_clock(env: WorkflowEnvironment, admin: SimAdmin) -> float:
    """Moves the simulator's clock to the test server's time if that is ahead (after env.sleep(...), say); returns
    the simulator's reading, the instant to build windows from."""
    now: datetime = await env.get_current_time()
    return admin.advance_clock(now.timestamp())


# -- fixtures (conftest.py re-exports them) ---------------------------------------------------------------------


@pytest_asyncio.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A new time-skipping test server (about 0.2 s), the campaign search attributes registered; its clock starts
    at the wall clock's reading."""
    env = await start_skipping_env(server_binary("temporal-test-server"))
    yield env
    await env.shutdown()


@pytest.fixture
def skipping_sim() -> Iterator[RunningSimulator]:
    """A new simulator (about 1 s) at SKIPPING_TIME_SCALE: its clock starts at the wall clock's reading too."""
    with running_simulator(api_key=SKIPPING_SIM_KEY, time_scale=SKIPPING_TIME_SCALE) as running:
        yield running


@pytest.fixture
def skipping_admin(skipping_sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(skipping_sim) as admin:
        yield admin


@pytest_asyncio.fixture
async def skipping_worker(
    skipping_env: WorkflowEnvironment, skipping_sim: RunningSimulator
) -> AsyncIterator[SkippingStack]:
    """The product's worker on skipping_env over skipping_sim, with the clock follower."""
    async with skipping_stack(skipping_env, skipping_sim) as stack:
        yield stack
