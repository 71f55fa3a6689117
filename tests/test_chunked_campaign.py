"""A 12,000-row campaign on a workspace without the large flow, on real parts (dev server, simulator started with
--no-large-flow, a worker): it runs on the standard flow in three chunks, each saved and launched once, its counts
the simulator's truth; also when the worker process is SIGKILLed while a chunk's save is in flight."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from typer.testing import CliRunner

from cli.app import app
from client.launcher import start_campaign
from contract import search_attributes as sa
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, phone_for, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import Diagnostics, wait_until
from tests.stack_helpers import worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-chunks-key-91c4"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
ROWS, INVALID_EVERY = 12_000, 1_000  # 12 unusable rows: 11,988 valid, 3 chunks of 3,996
FAST = PollingConfig(upload_initial_s=0.5, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=2)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005, extra_args=["--no-large-flow"]) as running:
        with SimAdmin(running) as admin:
            admin.configure(call_rate=20)  # 4,000 calls a launch in ~1 s of wall time
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        yield client


def make_request(tmp_path: Path, label: str, admin: SimAdmin) -> CampaignRequest:
    csv_path = write_sample_csv(tmp_path / f"contacts-{label}.csv", ROWS, invalid_every=INVALID_EVERY)
    return CampaignRequest.model_validate(
        {
            "campaign_name": f"Chunks {label} {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-chunks",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            "remove_invalid_rows": True,
            **admin.window(),  # open now on the simulator's clock
            "polling": FAST,
        }
    )


def chunk_uploads(admin: SimAdmin, campaign_name: str) -> list[dict[str, Any]]:
    return [u for u in admin.stats()["uploads"] if str(u["campaign_name"]).startswith(campaign_name + " (part ")]


def check_chunked(admin: SimAdmin, req: CampaignRequest, result: CampaignResult) -> list[str]:
    """Every invariant of a chunked campaign; returns the problems found."""
    problems: list[str] = []
    uploads = chunk_uploads(admin, req.campaign_name)
    launches: dict[str, int] = admin.stats()["launches"]
    if result.status != "completed" or result.flow != "standard" or result.chunks != 3:
        problems.append(f"status {result.status}, flow {result.flow}, chunks {result.chunks}")
    if result.flow_note != "large flow not enabled on this workspace: standard flow in 3 chunks":
        problems.append(f"flow_note {result.flow_note!r}")
    names = sorted(u["campaign_name"].split(" [")[0] for u in uploads)
    if names != [f"{req.campaign_name} (part {n}/3)" for n in (1, 2, 3)]:
        problems.append(f"uploads on Ringg: {names} (expected one per chunk)")
    if sorted(u["list_id"] for u in uploads) != sorted(result.list_ids) or result.list_id != result.list_ids[0]:
        problems.append(f"result lists {result.list_id} / {result.list_ids} are not the chunks' lists")
    if [u["valid_rows"] for u in uploads] != [3996] * 3:
        problems.append(f"rows per chunk {[u['valid_rows'] for u in uploads]} (expected 3 x 3,996)")
    if [launches.get(lid, 0) for lid in result.list_ids] != [1, 1, 1]:
        problems.append(f"launches per list: {[launches.get(lid, 0) for lid in result.list_ids]}")
    calls = [call for lid in result.list_ids for call in admin.campaign_calls(lid)]
    truth = Counter(call["status"] for call in calls)
    if result.calls_by_status != dict(truth) or result.total_calls != 11_988:
        problems.append(f"counts {result.calls_by_status} ({result.total_calls}) but Ringg's truth is {dict(truth)}")
    valid = {phone_for(i) for i in range(1, ROWS + 1) if i % INVALID_EVERY}
    called = [call["to_number"] for call in calls]
    if len(called) != len(set(called)) or set(called) != valid:
        problems.append(f"{len(called)} calls to {len(set(called))} numbers; {len(valid - set(called))} valid unmet")
    return [f"{req.campaign_name!r}: {p}" for p in problems]


async def test_12000_rows_without_the_large_flow_run_in_three_chunks_launched_once_each(
    stack_client: Client, dev_server: devstack.Proc, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    req = make_request(tmp_path, "inproc", admin)
    refused_before = len(admin.requests("upload_csv"))
    async with worker_for(stack_client, sim, prefix="chunks") as worker:
        outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
        result = await asyncio.wait_for(outcome.handle.result(), 120)
        progress = await outcome.handle.query(CampaignWorkflow.progress)
        description = await outcome.handle.describe()
        export = ["export", outcome.workflow_id, "--out", str(tmp_path / "export"), "--format", "csv"]
        export += ["--address", dev_server.extra["address"], "--task-queue", worker.task_queue]
        exported = await asyncio.to_thread(CliRunner().invoke, app, export)

    assert exported.exit_code == 0, exported.output
    assert "list 3 of 3" in exported.output, "a campaign in chunks is exported list by list"
    files = sorted((tmp_path / "export").glob("calls-*.csv"))
    assert [f.name for f in files] == sorted(f"calls-{list_id}.csv" for list_id in result.list_ids)
    assert sum(len(f.read_text().splitlines()) - 1 for f in files) == result.total_calls
    assert check_chunked(admin, req, result) == []
    refused = admin.requests("upload_csv")[refused_before:]
    assert [r["status"] for r in refused] == [403], "the large flow was tried once, refused, and not again"
    assert progress.flow_note == result.flow_note and progress.list_ids == result.list_ids
    assert description.typed_search_attributes.get(sa.BULK_LIST_ID) == result.list_ids[0]
    assert result.data_rows == ROWS and result.unusable_rows == 12 and result.contacts == 11_988


async def test_worker_sigkilled_while_a_chunk_is_saved_launches_every_chunk_once(
    stack_client: Client, dev_server: devstack.Proc, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    """Chunk 1 saved and launched, chunk 2's save held by the simulator for 5 s (it commits after the worker is
    dead): SIGKILL, then a new worker. Its retry finds chunk 2's list under the chunk's tag, launches it once, and
    goes on with chunk 3; no chunk is saved or launched twice."""
    diag = Diagnostics(sim)
    task_queue = f"chunks-crash-{uuid.uuid4()}"
    env = {
        "RINGG_API_KEY": sim.api_key,
        "RINGG_BASE_URL": sim.base_url,
        "TEMPORAL_ADDRESS": dev_server.extra["address"],
        "RINGG_TASK_QUEUE": task_queue,
        "RINGG_CONFIRM_WINDOW_S": "2",
        "PYTHONUNBUFFERED": "1",
    }
    req = make_request(tmp_path, "crash", admin)
    saves_before = int(admin.stats()["requests"].get("save", 0))
    admin.add_fault("save", "delay", times=1, delay_s=0)  # chunk 1: as usual
    admin.add_fault("save", "delay", times=1, delay_s=5)  # chunk 2: in flight when the worker dies
    first = devstack.start_worker(tmp_path, env=env, name="worker-1")
    diag.procs.append(first)
    try:
        outcome = await start_campaign(stack_client, req, task_queue=task_queue)

        async def second_save_in_flight() -> bool:
            return int(admin.stats()["requests"].get("save", 0)) >= saves_before + 2

        await wait_until(second_save_in_flight, "chunk 2's save is in flight", diag, timeout_s=60)
        (launched,) = chunk_uploads(admin, req.campaign_name)
        assert admin.stats()["launches"].get(launched["list_id"]) == 1, diag("chunk 1 was not launched first")
        devstack.stop(first, kill=True)
        diag.note(f"worker-1 SIGKILLed with chunk 2's save in flight (exit {first.popen.returncode})")
        killed_at = time.monotonic()
        diag.procs.append(devstack.start_worker(tmp_path, env=env, name="worker-2"))
        result = await asyncio.wait_for(outcome.handle.result(), 120)
        diag.note(f"finished {time.monotonic() - killed_at:.1f}s after the kill")
        problems = check_chunked(admin, req, result)
        assert not problems, diag("invariants broken after the crash:\n" + "\n".join(problems))
        second = diag.procs[-1].log_path.read_text(errors="replace")
        assert "upload_reused_existing_list" in second, diag("worker-2 did not adopt the dead worker's chunk 2 save")
    finally:
        admin.clear_faults()
        for proc in diag.procs:
            devstack.stop(proc)
