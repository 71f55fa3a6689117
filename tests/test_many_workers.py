"""Many workers: three `python worker.py` processes on one task queue run 30 campaigns; one is SIGKILLed while
the campaigns are mid-way. Every campaign completes, each with one launched upload and one launch."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from client.launcher import start_campaign
from devtools import devstack
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import (
    Diagnostics,
    check_exactly_once,
    make_request,
    stage_of,
    start_worker_process,
    wait_until,
)

pytestmark = pytest.mark.integration

CAMPAIGNS = 30


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key="sim-many-workers-key-61c0", time_scale=0.05) as running:
        yield running


async def test_three_workers_thirty_campaigns_one_worker_killed(
    dev_server: devstack.Proc, stack_client: Client, sim: RunningSimulator, tmp_path: Path
) -> None:
    diag = Diagnostics(sim)
    task_queue = f"many-{tmp_path.name}"
    address = dev_server.extra["address"]
    workers = [start_worker_process(tmp_path, sim, address, task_queue, f"worker-{n}") for n in range(3)]
    diag.procs += workers
    try:
        with SimAdmin(sim) as admin:
            requests = [make_request(tmp_path, f"many-{i}", admin) for i in range(CAMPAIGNS)]
            outcomes = await asyncio.gather(*(start_campaign(stack_client, r, task_queue=task_queue) for r in requests))
            diag.note(f"{CAMPAIGNS} campaigns started")

            async def mid_way() -> bool:
                stages = Counter([await stage_of(o.handle) for o in outcomes])
                launched = stages["monitoring"] + stages["completed"]
                return launched >= CAMPAIGNS // 3 and CAMPAIGNS - stages["completed"] >= CAMPAIGNS // 3

            await wait_until(mid_way, "a third launched and a third still running", diag, timeout_s=150)
            victim = workers[1]
            victim.popen.kill()
            victim.popen.wait(timeout=10)
            diag.note(f"SIGKILLed {victim.name}; stages {Counter([await stage_of(o.handle) for o in outcomes])}")

            results = await asyncio.wait_for(asyncio.gather(*(o.handle.result() for o in outcomes)), timeout=240)
            diag.note("all campaigns ended")
            problems = [p for r, res in zip(requests, results, strict=True) for p in check_exactly_once(admin, r, res)]
            assert not problems, diag("; ".join(problems))
            launches = admin.stats()["launches"]
            assert sorted(launches[r.list_id or ""] for r in results) == [1] * CAMPAIGNS, diag(
                "a list was launched twice"
            )
            survivors = [w for w in workers if w is not victim]
            assert all(w.popen.poll() is None for w in survivors), diag("a surviving worker died")
            logs = [(tmp_path / f"{w.name}.log").read_text() for w in survivors]
            assert all('"activity": ' in log for log in logs), diag("a surviving worker ran no activity")
    finally:
        for worker in workers:
            devstack.stop(worker, kill=True)
