"""Programs through the entry points: the HTTP API (`python -m api`) and `starter.py`, against the dev server, a
worker and the simulator — started, found, steered and refused with every problem at once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from temporalio.client import Client
from temporalio.worker import Worker

from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.api_helpers import RunningApi, curl, start_api
from tests.stack_helpers import starter, starter_streams, worker_for

SIM_KEY = "sim-program-entry-5d1a"
TOKEN = "program-entry-token-8c1e"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
POLLING = {"upload_initial_s": 0.2, "upload_max_s": 0.5, "monitor_initial_s": 0.3, "monitor_max_s": 0.6}

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.002) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="program-entry") as running:
        yield running


@pytest.fixture(scope="module")
def api(dev_server: devstack.Proc, worker: Worker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    running = start_api(
        tmp_path_factory.mktemp("api"), address=dev_server.extra["address"], task_queue=worker.task_queue, token=TOKEN
    )
    yield running
    devstack.stop(running.proc)


def body(sim: RunningSimulator, csv: Path, **program: Any) -> dict[str, Any]:
    with SimAdmin(sim) as admin:
        window = admin.window(retry_count=0)
    return {
        "campaign_name": f"Entry {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-entry",
        "csv_uri": str(csv),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        "flow": "standard",
        "polling": POLLING,
        **window,
        **program,
    }


async def until(api: RunningApi, path: str, done: Any, timeout_s: float = 90) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = await curl("GET", api.base_url + path, token=TOKEN)
        if done(answer.body):
            return dict(answer.body)
        assert asyncio.get_running_loop().time() < deadline, f"{path} never got there: {answer.body}"
        await asyncio.sleep(0.3)


async def test_the_api_starts_a_program_and_approves_its_pilot(
    api: RunningApi, sim: RunningSimulator, tmp_path: Path
) -> None:
    request = body(sim, write_sample_csv(tmp_path / "c.csv", 24), pilot={"rows": 4, "approve": "manual"})
    first = await curl("POST", f"{api.base_url}/v1/campaigns", token=TOKEN, json_body=request)
    assert first.status == 201, first.body
    location = first.body["location"]
    assert location.startswith("/v1/programs/program-pg-") and first.body["state"] == "started"
    again = await curl("POST", f"{api.base_url}/v1/programs", token=TOKEN, json_body=request)
    assert again.status == 200 and again.body["workflow_id"] == first.body["workflow_id"]

    waiting = await until(api, location, lambda b: (b.get("progress") or {}).get("stage") == "awaiting approval")
    assert waiting["progress"]["pilot"]["contacts"] == 4 and waiting["progress"]["approval_deadline"]
    refused = await curl("POST", f"{api.base_url}{location}/pause", token=TOKEN, json_body={})
    assert refused.status == 409 and "awaiting approval" in refused.body["error"]
    approved = await curl("POST", f"{api.base_url}{location}/approve", token=TOKEN, json_body={"by": "api-test"})
    assert approved.status == 200 and approved.body["action"] == "approve"
    done = await until(api, location, lambda b: b["status"] != "running")
    assert done["result"]["status"] == "completed" and done["result"]["approval"] == "approved by api-test"
    assert sum(done["result"]["calls_by_wave"].values()) == 24
    closed = await curl("POST", f"{api.base_url}{location}/resume", token=TOKEN, json_body={})
    assert closed.status == 409


async def test_the_api_lists_every_problem_of_a_program_in_one_422(
    api: RunningApi, sim: RunningSimulator, tmp_path: Path
) -> None:
    request = body(
        sim,
        write_sample_csv(tmp_path / "c.csv", 5),
        pilot={"rows": 2, "share": 0.5, "approve": "auto"},
        follow_up=[{"after": "1h", "statuses": ["answered"]}],
        agent_id="",
    )
    answer = await curl("POST", f"{api.base_url}/v1/campaigns", token=TOKEN, json_body=request)
    assert answer.status == 422, answer.body
    text = json.dumps(answer.body)
    for words in ("agent_id", "exactly one of rows", "at least one threshold", "'answered' is never re-dialled"):
        assert words in text


async def test_the_starter_runs_a_program_from_a_yaml_file_and_reports_it(
    dev_server: devstack.Proc, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    request = body(
        sim,
        write_sample_csv(tmp_path / "c.csv", 12, seed=5),
        pilot={"rows": 3, "approve": "auto", "min_connect_rate": 0},
        follow_up=[{"after": "1s", "statuses": ["no_answer", "failed", "error"]}],
    )
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(request))
    code, out = await starter(dev_server, "start", "-r", str(path), "--wait", "--task-queue", worker.task_queue)
    assert code == 0, out
    assert "Started: campaign program" in out and "auto-approved" in out and "wave pilot" in out
    workflow_id = out.split("workflow id ")[1].split()[0]
    code, out = await starter(dev_server, "status", workflow_id, "--json")
    assert code == 0 and json.loads(out)["kind"] == "program"
    code, out, err = await starter_streams(dev_server, "approve", workflow_id, "--json")
    assert code == 1 and out == "" and "no longer running" in err, (out, err)
    code, out, _ = await starter_streams(dev_server, "status", workflow_id, columns=60)
    assert code == 0 and f"workflow id: {workflow_id}" in out.splitlines(), out
    code, out = await starter(dev_server, "list", "--name", request["campaign_name"])
    assert code == 0 and workflow_id in out

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**request, "pilot": {"rows": 3, "approve": "auto"}, "windows": {"days": ["xday"]}}))
    code, out = await starter(dev_server, "start", "-r", str(bad), "--task-queue", worker.task_queue)
    assert code == 2 and "at least one threshold" in out and "xday" in out


async def test_a_script_approves_a_pilot_and_waits_for_the_program_with_json(
    dev_server: devstack.Proc, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(body(sim, write_sample_csv(tmp_path / "c.csv", 8), pilot={"rows": 2})))
    code, out, err = await starter_streams(
        dev_server, "start", "-r", str(path), "--json", "--task-queue", worker.task_queue
    )
    assert code == 0, err
    workflow_id = json.loads(out)["workflow_id"]
    for _ in range(120):
        code, out, err = await starter_streams(dev_server, "status", workflow_id, "--json")
        if code != 0 or (json.loads(out) or {}).get("stage") == "awaiting approval":
            break
        await asyncio.sleep(0.5)
    assert code == 0 and json.loads(out)["stage"] == "awaiting approval", (out, err)

    code, out, err = await starter_streams(dev_server, "approve", workflow_id, "--by", "cli-test", "--json")
    approved = json.loads(out)
    assert code == 0 and approved["workflow_id"] == workflow_id and approved["action"] == "approve", err
    assert approved["progress"]["kind"] == "program", approved
    # --wait holds until the program has ended, as for a campaign.
    code, out, err = await starter_streams(dev_server, "status", workflow_id, "--wait", "--json")
    ended = json.loads(out)
    assert code == 0 and ended["stage"] == "completed" and ended["approval"] == "approved by cli-test", (out, err)
