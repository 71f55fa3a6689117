"""`starter.py export` end to end on real parts (dev server binary, simulator over HTTP, a real worker): the CSV
matches the simulator's ground truth call for call, and the export's history holds no contact data."""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, sample_phones_and_names, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import readable, starter, starter_streams, worker_for

pytestmark = pytest.mark.integration

SIM_KEY = "sim-export-key-3c9d"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="export") as running:
        yield running


async def test_export_writes_the_simulators_calls_to_csv(
    dev_server: devstack.Proc, stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 150)
    with SimAdmin(sim) as admin:
        window = admin.window()  # open now on the simulator's clock
    req = CampaignRequest(
        campaign_name=f"Export {uuid.uuid4().hex[:6]}",
        agent_id="agent-export",
        csv_uri=str(csv_path),
        variables_map=DEFAULT_MAP,
        from_numbers=[NUMBER_ID],
        **window,
        polling=PollingConfig(upload_initial_s=0.3, monitor_initial_s=0.5, monitor_max_s=1),
    )
    campaign = await (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle.result()
    assert campaign.status == "completed" and campaign.list_id
    list_id = campaign.list_id

    out_dir = tmp_path / "exports"
    code, out = await starter(dev_server, "export", list_id, "--out", str(out_dir), "--task-queue", worker.task_queue)
    assert code == 0, out
    csv_file, jsonl_file = (out_dir / f"calls-{list_id}.{ext}" for ext in ("csv", "jsonl"))
    summary_file = out_dir / f"summary-{list_id}.json"
    lines = out.splitlines()  # the paths whole, one a line, below the table
    assert f"csv: {csv_file}" in lines and f"summary: {summary_file}" in lines and "150 (2 page(s)" in out, out
    args = ("export", list_id, "--out", str(out_dir), "--format", "csv", "--json", "--task-queue", worker.task_queue)
    code, printed, err = await starter_streams(dev_server, *args)
    exported = json.loads(printed)
    assert code == 0 and exported["files"] == {"csv": str(csv_file)} and exported["rows"] == 150, err

    with SimAdmin(sim) as admin:
        truth = admin.campaign_calls(list_id)
    with csv_file.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(truth) == len(rows) == 150
    assert [r["call_id"] for r in rows] == [c["call_id"] for c in truth]
    assert [r["number"] for r in rows] == [c["to_number"] for c in truth]
    assert [r["name"] for r in rows] == [c["name"] for c in truth]
    assert [(r["status"], r["sub_status"]) for r in rows] == [(c["status"], c["sub_status"]) for c in truth]
    assert [int(r["attempts"]) for r in rows] == [c["attempts"] for c in truth]
    assert [float(r["duration_s"] or 0) for r in rows] == [float(c["duration"]) for c in truth]
    assert [float(r["cost"] or 0) for r in rows] == [float(c["cost"]) for c in truth]
    assert len(jsonl_file.read_text(encoding="utf-8").splitlines()) == 150

    summary = json.loads(summary_file.read_text())
    assert summary["by_status"] == dict(Counter(c["status"] for c in truth)) == campaign.calls_by_status
    assert summary["total_cost"] == pytest.approx(sum(float(c["cost"]) for c in truth))

    match = re.search(r"as (export-\S+-[0-9a-f]{8})", out)
    assert match, out
    history = readable((await stack_client.get_workflow_handle(match.group(1)).fetch_history()).to_json())
    phones, names = sample_phones_and_names(csv_path)
    assert SIM_KEY not in history and str(out_dir) in history and list_id in history
    assert not [p for p in phones if p in history], "a phone number is in the export's workflow history"
    assert not [n for n in names if n in history], "a contact name is in the export's workflow history"
