"""The ledger at scale on real parts: a 100,000-call campaign through `python worker.py` processes, the Temporal dev
server and the simulator over HTTP, its worker SIGKILLed while record_calls writes (after a heartbeat carried its
page offset); the ledger then holds exactly the simulator's calls, and recording them again adds none. SQLite's and
PostgreSQL's campaigns run at once: about 2.5 minutes on 2 cores (mostly the 30 s heartbeat timeout and 1,000
history pages read twice), so not part of the default run: `pytest -m soak tests/test_ledger_scale.py`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import func, select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import ActivityEnvironment

from activities.ledger.record import RecordActivities
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from contract.ledger import RecordCallsInput, RecordCallsResult
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ledger import migrate
from ledger.engine import create_engine
from ledger.store import Ledger
from ledger.tables import calls, contacts
from ringg import RinggClient, make_http_client
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import Diagnostics, completed, kill_worker, start_worker_process
from tests.postgres_server import fresh_database

pytestmark = [pytest.mark.integration, pytest.mark.soak, pytest.mark.timeout(1500)]

SIM_KEY = "sim-ledger-scale-key-81d4"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
INVALID_EVERY = 1001
ROWS = 100_100  # 100 rows with unusable numbers (pre-flight drops them): 100,000 contacts and calls
CALLS = ROWS - ROWS // INVALID_EVERY
# Simulated seconds run 1,000 times faster than wall ones and the workspace starts 1,000 calls a simulated second:
# the 100,000 calls (and their retries, 30 simulated s later) are over within a few wall seconds of the launch.
TIME_SCALE = 0.001
CALL_RATE = 1000.0
FAST = PollingConfig(upload_initial_s=0.5, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=2)
BACKENDS = ("sqlite", "postgresql")
SCENARIO_TIMEOUT_S = 900.0
SLOW_PAGE_S = 0.05


@dataclass
class Run:
    """One backend's campaign: what the ledger, the simulator and the workers said."""

    url: str
    diag: Diagnostics
    req: CampaignRequest | None = None
    key: str = ""
    result: CampaignResult | None = None
    killed_at_calls: int = 0
    heartbeated_offset: int = 0
    recorded: list[dict[str, Any]] = field(default_factory=list)  # the workers' calls_recorded log lines
    truth: Counter[str] = field(default_factory=Counter)  # the simulator's calls by status
    truth_ids: set[str] = field(default_factory=set)
    ledger: Counts | None = None
    ledger_ids: set[str] = field(default_factory=set)
    again: RecordCallsResult | None = None
    after_again: Counts | None = None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: str | None = None


@dataclass(frozen=True)
class Counts:
    calls: int
    distinct_call_ids: int
    contacts: int
    by_status: Counter[str]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=TIME_SCALE) as running:
        with SimAdmin(running) as admin:
            admin.configure(call_rate=CALL_RATE)
            admin.set_credits(10 * CALLS * len(BACKENDS))
        yield running


async def ledger_counts(url: str, key: str) -> Counts:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            mine = calls.c.campaign_key == key
            n = (await conn.execute(select(func.count()).where(mine))).scalar_one()
            distinct = (await conn.execute(select(func.count(calls.c.call_id.distinct())).where(mine))).scalar_one()
            people = (await conn.execute(select(func.count()).where(contacts.c.campaign_key == key))).scalar_one()
            rows = await conn.execute(select(calls.c.status, func.count()).where(mine).group_by(calls.c.status))
            return Counts(int(n), int(distinct), int(people), Counter({str(s): int(c) for s, c in rows}))
    finally:
        await engine.dispose()


async def ledger_call_ids(url: str, key: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set((await conn.execute(select(calls.c.call_id).where(calls.c.campaign_key == key))).scalars())
    finally:
        await engine.dispose()


async def calls_in_ledger(url: str, key: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(calls.c.campaign_key == key))).scalar_one())
    finally:
        await engine.dispose()


async def heartbeated_offset(client: Client, handle: WorkflowHandle[Any, Any]) -> int:
    """The page offset in the last heartbeat the server holds for the campaign's pending record_calls."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name != "record_calls" or not pending.heartbeat_details.payloads:
            continue
        details = await client.data_converter.decode(pending.heartbeat_details.payloads)
        if details and isinstance(details[-1], dict):
            return int(details[-1].get("offset", 0))
    return 0


class SlowHistory:
    """While any campaign waits for its kill, the simulator answers each history page SLOW_PAGE_S late (a delay
    fault), so a SIGKILL finds record_calls mid-write on any machine: its first heartbeat with a page offset reaches
    the server only after the SDK's throttle (0.8 x the 30 s heartbeat timeout), by when an unhindered recording
    might be over."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.waiting = 0

    @contextlib.contextmanager
    def slowed(self) -> Iterator[None]:
        with SimAdmin(self.sim) as admin:
            if self.waiting == 0:
                admin.add_fault("history", "delay", times=-1, delay_s=SLOW_PAGE_S)
            self.waiting += 1
            try:
                yield
            finally:
                self.waiting -= 1
                if self.waiting == 0:
                    admin.clear_faults()


async def wait_until_recording(client: Client, run: Run, handle: WorkflowHandle[Any, Any], slow: SlowHistory) -> None:
    """Returns once record_calls has written some calls and heartbeated a page offset past 0, with less than 90 %
    of the calls written: a SIGKILL now hits it mid-write, and its retry must resume from that offset."""
    deadline = time.monotonic() + 600

    async def check() -> tuple[int, int]:
        assert time.monotonic() < deadline, run.diag("record_calls heartbeated no page offset within 600 s")
        assert not (await handle.describe()).close_time, run.diag("the campaign ended before record_calls was seen")
        await asyncio.sleep(0.2)
        return await calls_in_ledger(run.url, run.key), await heartbeated_offset(client, handle)

    written, offset = await check()
    while written < CALLS // 20:
        written, offset = await check()
    with slow.slowed():
        while not offset:
            written, offset = await check()
        written = await calls_in_ledger(run.url, run.key)
        assert written <= CALLS * 9 // 10, run.diag(f"record_calls wrote {written} calls before a heartbeat showed")
        run.killed_at_calls, run.heartbeated_offset = written, offset
        kill_worker(run.diag.procs[0], run.diag, f"record_calls at {written} calls, heartbeat offset {offset}")


def make_request(tmp_path: Path, admin: SimAdmin, backend: str) -> CampaignRequest:
    csv_path = write_sample_csv(tmp_path / f"contacts-{backend}.csv", ROWS, invalid_every=INVALID_EVERY)
    return CampaignRequest.model_validate(
        {
            "campaign_name": f"Ledger scale {backend} {uuid.uuid4().hex[:8]}",
            "agent_id": "agent-ledger-scale",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            "flow": "large",
            "remove_invalid_rows": True,
            **admin.window(hours_after=30 * 24, retry_minutes=0.5),
            "polling": FAST,
        }
    )


def recorded_lines(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if '"calls_recorded"' in line]


async def record_again(sim: RunningSimulator, run: Run) -> RecordCallsResult:
    """The recording activity once more, in this process (the worker's RecordActivities over the simulator's HTTP
    API and the same ledger): a re-run, as after a retry that found the work done."""
    assert run.req is not None and run.result is not None and run.result.list_id
    ledger = Ledger.open(run.url)
    try:
        async with make_http_client(sim.base_url, SecretStr(sim.api_key)) as http:
            now = datetime.now(UTC)
            return await ActivityEnvironment().run(
                RecordActivities(ledger, RinggClient(http)).record_calls,
                RecordCallsInput(
                    idempotency_key=run.key,
                    campaign_name=run.req.campaign_name,
                    list_ids=[run.result.list_id],
                    since=now - timedelta(days=2),
                    until=now + timedelta(days=1),
                    final_status="completed",
                ),
            )
    finally:
        await ledger.close()


async def scenario(
    client: Client, sim: RunningSimulator, address: str, data: Path, backend: str, run: Run, slow: SlowHistory
) -> None:
    marks = run.timings
    t0 = time.monotonic()
    task_queue = f"ledger-scale-{backend}-{uuid.uuid4()}"
    env = {"CAMPAIGN_LEDGER_URL": run.url}
    with SimAdmin(sim) as admin:
        run.req = make_request(data, admin, backend)
    first = start_worker_process(data, sim, address, task_queue, f"{backend}-worker-1", extra=env)
    run.diag.procs.append(first)
    outcome = await start_campaign(client, run.req, task_queue=task_queue)
    run.key = outcome.idempotency_key
    await wait_until_recording(client, run, outcome.handle, slow)
    marks["kill"] = time.monotonic() - t0
    second = start_worker_process(data, sim, address, task_queue, f"{backend}-worker-2", extra=env)
    run.diag.procs.append(second)
    run.result = await completed(outcome.handle, run.diag, SCENARIO_TIMEOUT_S)
    marks["campaign"] = time.monotonic() - t0
    run.recorded = recorded_lines(second.log_path.read_text(errors="replace"))
    for proc in run.diag.procs:
        devstack.stop(proc)
    run.ledger = await ledger_counts(run.url, run.key)
    run.ledger_ids = await ledger_call_ids(run.url, run.key)
    with SimAdmin(sim) as admin:
        truth = await asyncio.to_thread(admin.campaign_calls, str(run.result.list_id))
    run.truth = Counter(str(c["status"]) for c in truth)
    run.truth_ids = {str(c["call_id"]) for c in truth}
    marks["checked"] = time.monotonic() - t0
    run.again = await record_again(sim, run)
    run.after_again = await ledger_counts(run.url, run.key)
    marks["again"] = time.monotonic() - t0


@pytest_asyncio.fixture(scope="module")
async def runs(
    request: pytest.FixtureRequest,
    stack_client: Client,
    dev_server: devstack.Proc,
    sim: RunningSimulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, Run]]:
    """Both backends' campaigns, run at once; PostgreSQL's is skipped (with the reason) where it cannot start."""
    data = tmp_path_factory.mktemp("ledger-scale")
    address = dev_server.extra["address"]
    found: dict[str, Run] = {}
    async with contextlib.AsyncExitStack() as stack:
        found["sqlite"] = Run(f"sqlite+aiosqlite:///{data / 'ledger.sqlite3'}", Diagnostics(sim))
        try:
            server_url: str = request.getfixturevalue("postgres_url")
            pg_url = await stack.enter_async_context(fresh_database(server_url))
            found["postgresql"] = Run(pg_url, Diagnostics(sim))
        except pytest.skip.Exception as skipped:
            found["postgresql"] = Run("", Diagnostics(sim), skipped=str(skipped))
        active = {backend: run for backend, run in found.items() if not run.skipped}
        for run in active.values():  # one at a time: Alembic's migration context is global to the process
            await migrate.upgrade(run.url)
        started = time.monotonic()
        slow = SlowHistory(sim)
        try:
            await asyncio.gather(
                *(scenario(stack_client, sim, address, data, backend, run, slow) for backend, run in active.items())
            )
        finally:
            for run in active.values():
                for proc in run.diag.procs:
                    devstack.stop(proc)
        for backend, run in active.items():
            print(f"\n{backend}: " + ", ".join(f"{k} {v:.0f}s" for k, v in run.timings.items()))
            print("\n".join(run.diag.events))
        print(f"both: {time.monotonic() - started:.0f}s")
        yield found


@pytest.mark.parametrize("backend", BACKENDS)
def test_ledger_holds_the_simulators_calls_after_a_sigkill_mid_recording(runs: dict[str, Run], backend: str) -> None:
    """100,000 calls: the ledger's calls are the simulator's (same ids, same per-status counts, none twice), its
    contacts the valid rows; the SIGKILLed recording resumed from its heartbeated offset on the new worker."""
    run = runs[backend]
    if run.skipped:
        pytest.skip(run.skipped)
    assert run.result is not None and run.ledger is not None
    assert run.result.status == "completed" and run.result.total_calls == CALLS, run.diag(f"result {run.result}")
    assert len(run.truth_ids) == CALLS and sum(run.truth.values()) == CALLS
    assert run.ledger.calls == run.ledger.distinct_call_ids == CALLS, run.diag(f"ledger {run.ledger}")
    assert run.ledger_ids == run.truth_ids
    assert run.ledger.by_status == run.truth, run.diag(f"ledger {run.ledger.by_status} != simulator {run.truth}")
    assert run.ledger.contacts == CALLS == run.result.contacts
    (line,) = run.recorded
    assert line["attempt"] >= 2, run.diag(f"the second worker's recording was not a retry: {line}")
    assert 0 < run.heartbeated_offset <= line["resumed_at_offset"] < CALLS, run.diag(f"did not resume: {line}")
    assert line["calls"] == CALLS, run.diag(f"the checkpoint counts {line['calls']} calls")


@pytest.mark.parametrize("backend", BACKENDS)
def test_recording_again_adds_nothing(runs: dict[str, Run], backend: str) -> None:
    run = runs[backend]
    if run.skipped:
        pytest.skip(run.skipped)
    assert run.again is not None and run.ledger is not None
    assert run.again.calls == CALLS and run.again.new_calls == 0, run.again
    assert run.after_again == run.ledger
    assert run.again.calls_by_status == dict(run.truth)
