"""Webhooks end to end on real parts (`starter.py webhooks subscribe`, simulator events with duplicates and lost
first attempts, the receiver over HTTP): each call counted once, as the truth, by webhook and by fewer polls."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.worker import Worker

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ledger.engine import ledger_url
from ledger.store import Ledger
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from runtime.webhook_settings import WebhookSettings
from tests.stack_helpers import starter, starter_streams, worker_for
from webhooks.app import create_app
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-webhooks-it-key-2f6e"
SECRET = "webhook-secret-for-tests-8c1d"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
POLLING = PollingConfig(
    upload_initial_s=0.3, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=2, webhook_grace_s=20
)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.03) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="webhooks", webhook_secret=SECRET) as running:
        yield running


@pytest_asyncio.fixture
async def receiver_url(stack_client: Client) -> AsyncIterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(WebhookSettings(secret=SecretStr(SECRET), flush_s=0.2), stack_client)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/webhooks/ringg"
    server.should_exit = True
    await task


def request(csv_path: Path, agent: str, window: dict[str, Any]) -> CampaignRequest:
    """A campaign whose window (SimAdmin.window()) is open now on the simulator's clock."""
    return CampaignRequest(
        campaign_name=f"Webhooks {uuid.uuid4().hex[:6]}",
        agent_id=agent,
        csv_uri=str(csv_path),
        variables_map=DEFAULT_MAP,
        from_numbers=[NUMBER_ID],
        polling=POLLING,
        **window,
    )


async def test_webhook_and_polling_counts_equal_the_truth_and_polling_slows_down(
    dev_server: devstack.Proc,
    stack_client: Client,
    worker: Worker,
    sim: RunningSimulator,
    receiver_url: str,
    tmp_path: Path,
) -> None:
    # The subscription runs on the worker, which holds the key and the secret.
    code, out = await starter(
        dev_server, "webhooks", "subscribe", "--agent-id", "agent-hooked", "--url", receiver_url,
        "--task-queue", worker.task_queue,
    )  # fmt: skip
    assert code == 0 and "X-Webhook-Secret" in out and "agent-hooked" in out, out
    code, out, err = await starter_streams(
        dev_server, "webhooks", "subscribe", "--agent-id", "agent-hooked", "--url", receiver_url, "--json",
        "--task-queue", worker.task_queue,
    )  # fmt: skip
    subscribed = json.loads(out)
    assert code == 0 and subscribed["agent_id"] == "agent-hooked" and subscribed["callback_url"] == receiver_url, err
    code, out = await starter(dev_server, "webhooks", "subscribe", "--agent-id", "a", "--url", "http://example.com/x")
    assert code == 1 and "must be https://" in out, out

    csv_path = write_sample_csv(tmp_path / "contacts.csv", 300)
    with SimAdmin(sim) as admin:
        admin.configure(webhook_duplicate_every=3, webhook_drop_every=5)
        window = admin.window()
        try:
            hooked, plain = await asyncio.gather(
                start_campaign(stack_client, request(csv_path, "agent-hooked", window), task_queue=worker.task_queue),
                start_campaign(stack_client, request(csv_path, "agent-plain", window), task_queue=worker.task_queue),
            )
            hooked_result, plain_result = await asyncio.gather(hooked.handle.result(), plain.handle.result())
        finally:
            admin.configure(webhook_duplicate_every=0, webhook_drop_every=0)
        assert hooked_result.list_id and plain_result.list_id
        truth = Counter(call["status"] for call in admin.campaign_calls(hooked_result.list_id))
        stats = admin.stats()["webhooks"]

    assert hooked_result.calls_by_status == dict(truth), "polling counts differ from Ringg's truth"
    # The receiver recorded each webhook's call in the ledger; the campaign's end recording made it exact.
    ledger = Ledger.open(ledger_url(os.environ))
    try:
        assert await ledger.calls_by_status(hooked_result.idempotency_key) == dict(truth)
    finally:
        await ledger.close()
    progress = await stack_client.get_workflow_handle_for(CampaignWorkflow.run, hooked.workflow_id).query(
        CampaignWorkflow.progress
    )
    expected_by_webhook = {"completed": truth["completed"], "failed": truth["failed"] + truth["error"]}
    assert progress.webhook_calls == {k: v for k, v in expected_by_webhook.items() if v}, (
        progress.webhook_calls,
        stats,
    )
    assert stats["duplicates_sent"] > 0 and stats["lost_attempts"] > 0, "the faults were not exercised"

    plain_progress = await stack_client.get_workflow_handle_for(CampaignWorkflow.run, plain.workflow_id).query(
        CampaignWorkflow.progress
    )
    assert not plain_progress.webhook_calls
    assert progress.polls < plain_progress.polls, (progress.polls, plain_progress.polls)
