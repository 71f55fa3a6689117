"""`starter.py` as an operator runs it (a real subprocess): start from a YAML request with --wait, a repeat of
the same request, status by list id, cancel by idempotency key, and readable errors for bad input."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from client.launcher import idempotency_key_for
from contract.campaign import CampaignRequest
from contract.search_attributes import CAMPAIGN_STAGE
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.idempotency import workflow_id_for
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import starter, starter_streams, worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-cli-key-77aa"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    # A seed of its own: list ids come from the seed, and `status <list id>` must not find another module's campaign
    # with the same id on the shared dev server.
    with running_simulator(api_key=SIM_KEY, time_scale=0.005, extra_args=["--seed", "4711"]) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="cli") as running:
        yield running


async def listed_eventually(dev_server: devstack.Proc, workflow_id: str, *filters: str) -> tuple[int, str]:
    for _ in range(20):
        code, out = await starter(dev_server, "list", *filters)
        if code != 0 or workflow_id in out:
            return code, out
        await asyncio.sleep(0.5)
    raise AssertionError(f"{workflow_id} not listed with {filters}: {out}")


@pytest.fixture
def window(sim: RunningSimulator) -> dict[str, Any]:
    """The window and call_config of a campaign open now on the simulator's clock."""
    with SimAdmin(sim) as admin:
        return admin.window()


def contact_rows(req: CampaignRequest) -> list[dict[str, str]]:
    with open(req.csv_uri, newline="") as f:
        return list(csv.DictReader(f))


def request_file(
    tmp_path: Path, window: dict[str, Any], rows: int = 60, **extra: object
) -> tuple[Path, CampaignRequest]:
    data = {
        "campaign_name": f"CLI {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-cli",
        "csv_uri": str(write_sample_csv(tmp_path / "contacts.csv", rows)),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        **window,
        "polling": {"upload_initial_s": 0.3, "monitor_initial_s": 0.5, "monitor_max_s": 1},
        **extra,
    }
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, CampaignRequest.model_validate(data)


async def test_start_wait_repeat_and_status(
    dev_server: devstack.Proc, stack_client: Client, worker: Worker, tmp_path: Path, window: dict[str, Any]
) -> None:
    path, req = request_file(tmp_path, window)
    code, out = await starter(dev_server, "start", "--request", str(path), "--wait", "--task-queue", worker.task_queue)
    assert code == 0, out
    assert "Started: campaign" in out and "Result" in out and "completed" in out
    workflow_id = workflow_id_for(await idempotency_key_for(req), req.campaign_name)
    result = await stack_client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id).result()
    assert result.list_id and result.list_id in out

    code, again = await starter(dev_server, "start", "--request", str(path), "--task-queue", worker.task_queue)
    assert code == 0 and "Already completed" in again, again

    code, status = await starter(dev_server, "status", result.list_id, "--wait")
    assert code == 0 and "COMPLETED" in status and workflow_id in status, status
    # Off a terminal, --wait prints one line each time the progress changes, never the same line twice.
    lines = [line for line in out.splitlines() if "calls finished" in line]
    assert lines and "60/60 calls finished" in lines[-1], out
    assert len(lines) == len(set(lines)), out

    # Visibility is eventually consistent: a campaign that just closed may take a moment to be listed as such.
    code, listed = await listed_eventually(
        dev_server, workflow_id, "--name", req.campaign_name.lower(), "--status", "completed"
    )
    assert code == 0 and "1 campaign(s)" in listed, listed
    code, listed = await listed_eventually(
        dev_server, workflow_id, "--stage", "completed", "--name-prefix", req.campaign_name
    )
    assert code == 0 and result.list_id in listed, listed
    code, listed = await starter(dev_server, "list", "--stage", 'bad"quote')
    assert code == 2 and "double quote" in listed, listed  # bad input


async def test_json_for_scripts_and_whole_ids_at_any_width(
    dev_server: devstack.Proc, worker: Worker, tmp_path: Path, window: dict[str, Any]
) -> None:
    """--json prints one document on stdout and nothing else there; a narrow terminal never cuts an ID."""
    path, req = request_file(tmp_path, window, rows=20)
    tq = ("--task-queue", worker.task_queue)
    code, out, _ = await starter_streams(dev_server, "start", "--request", str(path), "--wait", "--json", *tq)
    assert code == 0, out
    started = json.loads(out)
    workflow_id = started["workflow_id"]
    assert started["state"] == "started" and started["campaign_name"] == req.campaign_name
    assert started["result"]["status"] == "completed" and started["result"]["total_calls"] == 20

    code, out, err = await starter_streams(dev_server, "start", "--request", str(path), "--json", *tq)
    assert code == 0, (out, err)
    assert json.loads(out)["state"] == "completed" and json.loads(out)["workflow_id"] == workflow_id

    code, out, err = await starter_streams(dev_server, "watch", workflow_id, "--once", "--json")
    assert code == 0 and json.loads(out)["stage"] == "completed", err[:3000]
    code, out, err = await starter_streams(dev_server, "watch", workflow_id, "--json")
    *progress_lines, last = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and last["result"]["status"] == "completed" and progress_lines, err[:3000]

    for _ in range(20):  # visibility lags a moment behind
        code, out, _ = await starter_streams(dev_server, "list", "--name", req.campaign_name, "--json")
        rows = json.loads(out)
        if rows and rows[0]["status"] == "completed":
            break
        await asyncio.sleep(0.5)
    assert code == 0 and [r["workflow_id"] for r in rows] == [workflow_id], rows
    assert rows[0]["campaign_name"] == req.campaign_name and rows[0]["idempotency_key"] == started["idempotency_key"]

    # At 60 columns the IDs no longer fit a table cell: list numbers its rows and prints each ID whole below;
    # status prints the workflow ID whole below its tables.
    code, out, _ = await starter_streams(dev_server, "list", "--name", req.campaign_name, columns=60)
    assert code == 0 and f"1  {workflow_id}" in out.splitlines(), out
    code, out, _ = await starter_streams(dev_server, "status", workflow_id, columns=60)
    assert code == 0 and f"workflow id: {workflow_id}" in out.splitlines(), out
    # A message names the ID whole on one line, however narrow (the consoles never fold a printed line).
    code, out, _ = await starter_streams(dev_server, "start", "--request", str(path), *tq, columns=60)
    said = [line for line in out.splitlines() if line.startswith("Already completed:")]
    assert code == 0 and len(workflow_id) > 60 and said and said[0].endswith(f"workflow id {workflow_id}"), out
    code, out, err = await starter_streams(dev_server, "cancel", workflow_id, "--json", columns=60)
    assert code == 4 and out == "" and f"campaign {workflow_id} has already ended" in err, (out, err)


async def test_cancel_by_idempotency_key_terminates_on_ringg(
    dev_server: devstack.Proc,
    stack_client: Client,
    worker: Worker,
    sim: RunningSimulator,
    tmp_path: Path,
    window: dict[str, Any],
) -> None:
    with SimAdmin(sim) as admin:
        admin.configure(call_rate=0.05)
        try:
            path, req = request_file(tmp_path, window, rows=300)
            code, out = await starter(dev_server, "start", "--request", str(path), "--task-queue", worker.task_queue)
            assert code == 0, out
            key = await idempotency_key_for(req)
            handle = stack_client.get_workflow_handle(workflow_id_for(key, req.campaign_name))
            for _ in range(300):
                if (await handle.describe()).typed_search_attributes.get(CAMPAIGN_STAGE) == "monitoring":
                    break
                await asyncio.sleep(0.1)
            optouts = tmp_path / "optouts.txt"
            optouts.write_text("".join(f"{row['Mobile Number']}\n" for row in contact_rows(req)[-3:]))
            code, out, err = await starter_streams(dev_server, "stop-numbers", key, "--file", str(optouts), "--json")
            stopped = json.loads(out)
            assert code == 0 and stopped["workflow_id"] == handle.id and stopped["numbers"] == 3, (out, err)
            code, out, err = await starter_streams(dev_server, "cancel", key, "--json")
            assert code == 0 and json.loads(out) == {"workflow_id": handle.id, "state": "cancel_requested"}, err
            for _ in range(300):
                if (await handle.describe()).status == WorkflowExecutionStatus.CANCELED:
                    break
                await asyncio.sleep(0.1)
            assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
            code, out = await starter(dev_server, "cancel", key)
            assert code == 4 and "already ended (canceled): nothing to cancel" in out, out
            code, out = await starter(dev_server, "status", key)
            assert code == 1 and "CANCELED" in out and "ended canceled" in out, out
            assert any(t["cancelled"] > 0 for t in admin.stats()["terminations"])
        finally:
            admin.configure(call_rate=2.0)


async def test_bad_input_is_refused_with_what_to_fix(
    dev_server: devstack.Proc, tmp_path: Path, window: dict[str, Any]
) -> None:
    path, _ = request_file(tmp_path, window, number_pool_id="pool-1", concurrency_percentage=150)
    code, out = await starter(dev_server, "start", "--request", str(path))
    assert code == 2, "bad input: nothing started"
    assert "exactly one of from_numbers" in out and "concurrency_percentage" in out
    code, out = await starter(dev_server, "status", "no-such-campaign")
    assert code == 3 and "no campaign found for 'no-such-campaign'" in out, out
