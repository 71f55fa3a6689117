"""Opt-outs mid-campaign: the `stop_numbers` update terminates numbers from a file inside the launched campaign,
100 per request, and the numbers never enter workflow history."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.contacts.numbers import batches, normalise, read_numbers
from activities.ringg.activities import RinggActivities
from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from contract.messages import StopNumbersRequest
from contract.ringg_steps import TerminateNumbersInput
from devtools.sample_csv import DEFAULT_MAP, phone_for, write_sample_csv
from ringg import RinggClient, make_http_client
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import worker_for
from workflows.campaign import CampaignWorkflow

SIM_KEY = "sim-stop-numbers-key-5f1e"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+91 98765 43210", "+919876543210"),
        ("98765-43210", "+919876543210"),
        ("0091 9876543210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("Mobile Number", None),
        ("12", None),
    ],
)
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise(raw, "+91") == expected


def test_read_numbers_dedupes_and_skips_the_header(tmp_path: Path) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("Mobile Number,Name\n+919876543210,A\n98765 43210,A again\n\n+14155550100,B\n")
    assert read_numbers(path, "+91") == ["+919876543210", "+14155550100"]
    assert [len(b) for b in batches([str(i) for i in range(250)])] == [100, 100, 50]


async def test_terminate_numbers_sends_batches_of_100(tmp_path: Path) -> None:
    sent: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"message": "Calls terminated successfully!"})

    path = tmp_path / "optouts.txt"
    path.write_text("\n".join(phone_for(i) for i in range(1, 251)) + "\n")
    async with make_http_client(
        "https://ringg.test/ca/api/v0", SecretStr("k"), transport=httpx.MockTransport(handler)
    ) as http:
        acts = RinggActivities(RinggClient(http))
        result = await ActivityEnvironment().run(
            acts.terminate_numbers, TerminateNumbersInput(list_id="L1", numbers_uri=str(path), country_code="+91")
        )
        empty = tmp_path / "empty.txt"
        empty.write_text("no numbers here\n")
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(
                acts.terminate_numbers, TerminateNumbersInput(list_id="L1", numbers_uri=str(empty), country_code="+91")
            )
    assert result.numbers == 250 and result.batches == 3
    assert [len(body["mobile_numbers"]) for body in sent] == [100, 100, 50]  # type: ignore[arg-type]
    assert all(body["campaign_id"] == "L1" for body in sent)
    assert info.value.non_retryable and "holds no phone number" in info.value.message


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="stop") as running:
        yield running


@pytest.mark.integration
async def test_stop_numbers_mid_campaign_cancels_only_those_calls(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 400)
    with SimAdmin(sim) as admin:
        window = admin.window()  # open now on the simulator's clock
    req = CampaignRequest(
        campaign_name=f"Opt-outs {uuid.uuid4().hex[:6]}",
        agent_id="agent-stop",
        csv_uri=str(csv_path),
        variables_map=DEFAULT_MAP,
        from_numbers=["3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"],
        flow="large",
        polling=PollingConfig(upload_initial_s=0.3, monitor_initial_s=0.5, monitor_max_s=1),
        **window,
    )
    with SimAdmin(sim) as admin:
        admin.configure(call_rate=0.5)
        try:
            outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
            with pytest.raises(WorkflowUpdateFailedError):  # refused before the launch: nothing to stop yet
                await outcome.handle.execute_update(CampaignWorkflow.stop_numbers, StopNumbersRequest(numbers_uri="x"))
            for _ in range(200):
                progress = await outcome.handle.query(CampaignWorkflow.progress)
                if progress.stage == "monitoring":
                    break
                await asyncio.sleep(0.1)
            opted_out = [phone_for(i) for i in range(300, 400)] + ["98765 00000"]  # the last is not in the list
            optouts = tmp_path / "optouts.txt"
            optouts.write_text("\n".join(opted_out) + "\n")
            stopped = await outcome.handle.execute_update(
                CampaignWorkflow.stop_numbers, StopNumbersRequest(numbers_uri=str(optouts))
            )
            assert stopped.numbers == 101 and stopped.batches == 2
            calls = admin.campaign_calls(str(progress.list_id))
            await outcome.handle.cancel()  # only to end the slow campaign early
        finally:
            admin.configure(call_rate=2.0)
    by_number = {call["to_number"]: call["status"] for call in calls}
    assert Counter(by_number[n] for n in opted_out[:-1]) == Counter({"cancelled": 100})
    assert Counter(by_number[phone_for(i)] for i in range(1, 5))["cancelled"] == 0
