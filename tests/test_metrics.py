"""The worker's Prometheus endpoint on real parts: after a campaign and an export against the simulator, /metrics
serves the SDK's metrics and the campaign counters with the values the run implies."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from contract.export import ExportRequest
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from runtime.settings import WorkerSettings
from runtime.worker_app import run_worker
from workflows.export import ExportCampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-metrics-key-9e21"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Prometheus text format: metric name -> [(labels, value)]."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            name, labels, value = match.groups()
            samples[name].append((dict(LABEL.findall(labels or "")), float(value)))
    return samples


def total(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **where: str) -> float:
    return sum(v for labels, v in samples.get(name, []) if all(labels.get(k) == w for k, w in where.items()))


async def scrape(url: str, timeout_s: float = 20.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(timeout=5.0) as http:
        while True:
            try:
                response = await http.get(url)
                if response.status_code == 200:
                    return response.text
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(0.2)


async def test_metrics_endpoint_serves_sdk_metrics_and_campaign_counters(
    dev_server: devstack.Proc, stack_client: Client, sim: RunningSimulator, tmp_path: Path
) -> None:
    bind = f"127.0.0.1:{devstack.free_port()}"
    settings = WorkerSettings(
        ringg_api_key=SecretStr(SIM_KEY),
        ringg_base_url=sim.base_url,
        temporal_address=dev_server.extra["address"],
        task_queue=f"metrics-{uuid.uuid4()}",
        metrics_bind=bind,
        report_dir=tmp_path / "reports",
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop))
    try:
        await scrape(f"http://{bind}/metrics")
        with SimAdmin(sim) as admin:
            window = admin.window()  # open now on the simulator's clock
        req = CampaignRequest(
            campaign_name=f"Metrics {uuid.uuid4().hex[:6]}",
            agent_id="agent-metrics",
            csv_uri=str(write_sample_csv(tmp_path / "contacts.csv", 40)),
            variables_map=DEFAULT_MAP,
            from_numbers=["3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"],
            **window,
            polling=PollingConfig(upload_initial_s=0.3, monitor_initial_s=0.5, monitor_max_s=1),
        )
        result = await (await start_campaign(stack_client, req, task_queue=settings.task_queue)).handle.result()
        assert result.status == "completed" and result.list_id
        exported = await stack_client.execute_workflow(
            ExportCampaignWorkflow.run,
            ExportRequest(list_id=result.list_id, out_uri=str(tmp_path / "exports"), formats=["csv"]),
            id=f"export-{uuid.uuid4()}",
            task_queue=settings.task_queue,
        )
        metrics = parse(await scrape(f"http://{bind}/metrics"))
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)

    # The SDK's own metrics, served by the same runtime.
    assert total(metrics, "temporal_workflow_completed", workflow_type="CampaignWorkflow") == 1
    assert total(metrics, "temporal_workflow_completed", workflow_type="ExportCampaignWorkflow") == 1
    assert total(metrics, "temporal_activity_execution_latency_count", activity_type="export_calls") == 1
    assert "temporal_worker_task_slots_available" in metrics
    # Campaign counters from activities...
    assert total(metrics, "ringg_api_requests", endpoint="campaign/save", outcome="ok") == 1
    assert total(metrics, "ringg_api_requests", endpoint="campaign/start", method="POST", outcome="ok") == 1
    assert total(metrics, "ringg_api_requests", endpoint="calling/history", outcome="ok") >= 2
    assert total(metrics, "ringg_api_requests", outcome="server_error") == 0
    assert total(metrics, "ringg_api_request_latency_count", endpoint="campaign/save") == 1
    assert total(metrics, "campaign_uploads", flow="standard", outcome="uploaded") == 1
    assert total(metrics, "campaigns_launched", flow="standard", outcome="launched") == 1
    assert total(metrics, "export_rows", activity_type="export_calls") == exported.rows == 40
    # ...and from workflows (replay-safe).
    assert total(metrics, "campaigns_started") == 1
    assert total(metrics, "campaigns_finished", stage="completed") == 1
    calls = {labels["status"]: int(v) for labels, v in metrics["campaign_calls"]}
    assert calls == result.calls_by_status and sum(calls.values()) == 40
    assert total(metrics, "campaign_exports") == 1
    assert all(labels.get("service") == "ringg-campaign-worker" for labels, _ in metrics["campaign_uploads"])
