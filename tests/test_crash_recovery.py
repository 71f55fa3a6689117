"""Crash recovery on real processes: the worker SIGKILLed with campaigns pinned in every stage, the dev server killed
and restarted on its SQLite file; each campaign completes with one launch and one launched upload (crash_helpers)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from client.connect import connect_when_ready
from client.launcher import start_campaign
from contract import search_attributes as sa
from devtools import devstack
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import (
    Case,
    Diagnostics,
    check_exactly_once,
    completed,
    make_request,
    stage_of,
    start_pinned_by_delay,
    start_worker_process,
    wait_for_stage,
)
from tests.stack_helpers import uploads_named

pytestmark = pytest.mark.integration

SIM_KEY = "sim-crash-key-2e7b"
TIME_SCALE = 0.005


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=TIME_SCALE) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        defaults = client.config()
        try:
            yield client
        finally:
            client.clear_faults()
            client.configure(
                schedule_delay_s=defaults["schedule_delay_s"],
                upload_base_s=defaults["upload_base_s"],
                upload_rows_per_s=defaults["upload_rows_per_s"],
            )


def sim_seconds(wall_s: float) -> float:
    """The simulated duration that lasts `wall_s` wall-clock seconds at the module's time scale."""
    return wall_s / TIME_SCALE


@dataclass
class WorkerCrash:
    cases: dict[str, Case]
    diag: Diagnostics
    worker_logs: dict[str, str]


# The cases pinned by a one-shot delay fault, by id: stage at the kill, endpoint delayed, delay in seconds. The
# simulator reads a delayed request's body first and commits it when the delay ends, even if the client has died
# meanwhile. A short delay (longer than the rest of the set-up) commits the dead worker's POST before the retry
# (the 20 s heartbeat timeout + 2 s backoff after the POST) looks at Ringg; a long one commits it only after the
# retry has sent its own.
PINNED_BY_DELAY: dict[str, tuple[str, str, float]] = {
    "launch_in_flight_committed_before_retry": ("launching", "make_call_async", 14.0),
    "launch_in_flight_committed_after_retry": ("launching", "make_call_async", 40.0),
    "balance_check_in_flight": ("checking_balance", "check_balance", 25.0),
    "upload_in_flight_committed_before_retry": ("uploading", "upload_csv", 14.0),
    "upload_in_flight_committed_after_retry": ("uploading", "upload_csv", 45.0),
}
CASE_IDS = ("monitoring", "upload_status_polling", *PINNED_BY_DELAY)


@pytest_asyncio.fixture(scope="module")
async def worker_crash(
    stack_client: Client, dev_server: devstack.Proc, sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkerCrash]:
    """Seven campaigns on one `python worker.py`, each pinned inside its stage at the same moment, then one
    SIGKILL and a new worker process on the same task queue; yields once every campaign has finished and every
    delayed request has been answered by the simulator. Pinned by:
      monitoring             calls scheduled 30 s after launch (schedule_delay_s): it polls across the crash;
      upload_status_polling  Ringg processes the list for 25 s (upload_base_s): upload-status polls span the crash;
      launch_in_flight_*     make-call-async delayed: the POST is in flight (retried after the 20 s heartbeat);
      balance_check_in_flight check-balance delayed: the POST is in flight (retried after the 60 s start-to-close);
      upload_in_flight_*     upload-csv delayed: the POST is in flight (retried after the 20 s heartbeat).
    """
    tmp_path = tmp_path_factory.mktemp("worker-crash")
    diag = Diagnostics(sim)
    task_queue = f"crash-{uuid.uuid4()}"
    address = dev_server.extra["address"]
    cases: dict[str, Case] = {}
    with SimAdmin(sim) as admin:
        defaults = admin.config()
        diag.procs.append(start_worker_process(tmp_path, sim, address, task_queue, "worker-1"))
        try:
            admin.configure(schedule_delay_s=sim_seconds(30))
            req = make_request(tmp_path, "monitoring", admin)
            cases["monitoring"] = Case(
                "monitoring", req, await start_campaign(stack_client, req, task_queue=task_queue)
            )
            await wait_for_stage(cases["monitoring"].outcome.handle, "monitoring", diag, timeout_s=60)
            admin.configure(schedule_delay_s=defaults["schedule_delay_s"])
            diag.note("monitoring: launched, calls scheduled 30 s later")

            admin.configure(upload_base_s=sim_seconds(25))
            req = make_request(tmp_path, "processing", admin)
            outcome = await start_campaign(stack_client, req, task_queue=task_queue)
            cases["upload_status_polling"] = Case("processing_upload", req, outcome)
            await wait_for_stage(outcome.handle, "processing_upload", diag)
            admin.configure(upload_base_s=defaults["upload_base_s"])
            diag.note("upload_status_polling: uploaded, ready 25 s later")

            # A delay fault applies to the next request from anyone: each is added once the campaigns before it
            # are past that endpoint, and none of them reaches an endpoint of a later case before the kill.
            for case_id, (stage, endpoint, delay_s) in PINNED_BY_DELAY.items():
                cases[case_id] = await start_pinned_by_delay(
                    stack_client,
                    admin,
                    make_request(tmp_path, case_id, admin),
                    task_queue,
                    diag,
                    endpoint=endpoint,
                    stage=stage,
                    delay_s=delay_s,
                )

            pinned = {case_id: await stage_of(case.outcome.handle) for case_id, case in cases.items()}
            expected = {case_id: case.stage for case_id, case in cases.items()}
            assert pinned == expected, diag(f"not every campaign is in its stage: {pinned}")
            first = diag.procs[0]
            devstack.stop(first, kill=True)
            killed_at = time.monotonic()
            diag.note(f"worker-1 SIGKILLed (exit {first.popen.returncode}), every campaign in its stage")
            assert first.popen.returncode == -signal.SIGKILL, diag("worker-1 was not killed by SIGKILL")

            second = start_worker_process(tmp_path, sim, address, task_queue, "worker-2")
            diag.procs.append(second)
            diag.note("worker-2 started")
            results = await asyncio.gather(*(completed(c.outcome.handle, diag, 200) for c in cases.values()))
            for case, result in zip(cases.values(), results, strict=True):
                case.result = result
            diag.note(f"all finished {time.monotonic() - killed_at:.1f}s after the kill")
            # Count launches only once the simulator has answered (and so committed) every delayed request.
            await asyncio.sleep(max(0.0, max(c.delayed_until for c in cases.values()) + 1.0 - time.monotonic()))
            assert second.popen.poll() is None, diag("worker-2 died")
            for case_id, case in cases.items():
                diag.note(f"{case_id}: {len(uploads_named(admin, case.req.campaign_name))} upload(s) on Ringg")
            diag.note("scenario done")
            print("\n".join(diag.events))
        finally:
            admin.clear_faults()
            admin.configure(schedule_delay_s=defaults["schedule_delay_s"], upload_base_s=defaults["upload_base_s"])
            for proc in diag.procs:
                devstack.stop(proc)
    yield WorkerCrash(cases, diag, {p.name: p.log_path.read_text(errors="replace") for p in diag.procs})


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_worker_sigkill_in_stage_then_new_worker(
    worker_crash: WorkerCrash, sim: RunningSimulator, case_id: str
) -> None:
    """The campaign pinned in one stage when its worker was SIGKILLed completes under the new worker process with
    exactly one launch, one launched upload, and the launched list as its result's list_id."""
    case = worker_crash.cases[case_id]
    assert case.result is not None
    with SimAdmin(sim) as admin:
        problems = check_exactly_once(admin, case.req, case.result)
    assert not problems, worker_crash.diag("invariants broken after the crash:\n" + "\n".join(problems))


async def test_dev_server_killed_and_restarted_mid_campaign(
    sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    """Our own dev server (SQLite file under tmp_path) is SIGKILLed while a campaign is monitoring, left down a few
    seconds, and started again on the same port with the same --db-filename. The same worker process (it is
    never restarted) and the same client reconnect by themselves; the campaign completes with one launch."""
    diag = Diagnostics(sim)
    defaults = admin.config()
    data_dir = tmp_path / "temporal"
    data_dir.mkdir()
    port = devstack.free_port()
    server = devstack.start_dev_server(data_dir, port=port, ui=False)
    diag.procs.append(server)
    address = server.extra["address"]
    task_queue = f"crash-server-{uuid.uuid4()}"
    try:
        client = await connect_when_ready(address)
        worker = start_worker_process(tmp_path, sim, address, task_queue, "worker")
        diag.procs.append(worker)

        admin.configure(schedule_delay_s=sim_seconds(20))
        req = make_request(tmp_path, "server-restart", admin)
        outcome = await start_campaign(client, req, task_queue=task_queue)
        await wait_for_stage(outcome.handle, "monitoring", diag, timeout_s=60)
        admin.configure(schedule_delay_s=defaults["schedule_delay_s"])
        list_id = (await outcome.handle.describe()).typed_search_attributes.get(sa.BULK_LIST_ID)
        assert list_id is not None, diag("no BulkListId on a monitoring campaign")
        diag.note("monitoring: launched, calls scheduled 20 s later")

        status_at_kill = admin.stats()["campaigns"][list_id]
        devstack.stop(server, kill=True)
        diag.note(f"dev server SIGKILLed (exit {server.popen.returncode}); Ringg status {status_at_kill!r}")
        assert status_at_kill == "scheduled", diag("the campaign was not still running on Ringg at the kill")
        await asyncio.sleep(3)
        assert worker.popen.poll() is None, diag("the worker exited while the server was down")
        restarted = devstack.start_dev_server(data_dir, port=port, ui=False)
        diag.procs.append(restarted)
        diag.note("dev server restarted on the same port and SQLite file")

        result = await completed(outcome.handle, diag, 120)
        problems = check_exactly_once(admin, req, result)
        assert not problems, diag("invariants broken after the server restart:\n" + "\n".join(problems))
        assert worker.popen.poll() is None, diag("the worker did not survive the server restart")
        print("\n".join(diag.events))
    finally:
        for proc in sorted(diag.procs, key=lambda p: p.name.startswith("temporal")):  # the worker first
            devstack.stop(proc)
