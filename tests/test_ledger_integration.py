"""The contact ledger end to end, on SQLite and PostgreSQL: real dev server, the simulator over HTTP and a real
worker recording in the test's own ledger. A number opted out in campaign A (stop_numbers) is not uploaded in
campaign B; a frequency cap of 1 call in 7 days drops the numbers campaign A called."""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from contract.messages import StopNumbersRequest
from devtools.sample_csv import DEFAULT_MAP, HEADER, phone_for
from ledger import migrate
from ledger.store import Ledger
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import uploads_named, worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("ledger-integration")]

SIM_KEY = "sim-ledger-key-81c2"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FAST = PollingConfig(upload_initial_s=0.5, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=1)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.002) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        yield client


@pytest_asyncio.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    await migrate.upgrade(ledger_url)
    store = Ledger.open(ledger_url)
    yield store
    await store.close()


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator, ledger: Ledger) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="ledger", ledger=ledger) as running:
        yield running


def write_contacts(path: Path, indexes: range | list[int]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in indexes:
            writer.writerow((phone_for(i), f"Contact {i}", f"POL-{100000 + i}", "12/12/2026"))
    return path


def request(csv_path: Path, admin: SimAdmin, **fields: Any) -> CampaignRequest:
    return CampaignRequest.model_validate(
        {
            "campaign_name": f"Ledger {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-ledger",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            **admin.window(),
            "polling": FAST,
            **fields,
        }
    )


async def run(client: Client, worker: Worker, csv_path: Path, admin: SimAdmin, **fields: Any) -> CampaignResult:
    started = await start_campaign(client, request(csv_path, admin, **fields), task_queue=worker.task_queue)
    return await started.handle.result()


def uploaded_numbers(admin: SimAdmin, result: CampaignResult) -> set[str]:
    (upload,) = uploads_named(admin, result.campaign_name)
    return {call["to_number"] for call in admin.campaign_calls(upload["list_id"])}


async def test_a_number_opted_out_in_one_campaign_is_not_uploaded_in_the_next(
    stack_client: Client, worker: Worker, admin: SimAdmin, ledger: Ledger, tmp_path: Path
) -> None:
    """Campaign A's opt-outs (its stop_numbers update, mid-campaign) go on the suppression list; campaign B over
    the same file uploads everyone else and lists the opted-out rows in its contacts report."""
    contacts = write_contacts(tmp_path / "contacts.csv", range(1, 41))
    opted_out = {phone_for(i) for i in (35, 36, 37, 38, 39, 40)}
    admin.configure(call_rate=0.5)  # slow dialling: the last rows are still queued when they opt out
    try:
        req = request(contacts, admin, flow="large", external_id_column="Policy ID")
        started = await start_campaign(stack_client, req, task_queue=worker.task_queue)
        for _ in range(300):
            if (await started.handle.query(CampaignWorkflow.progress)).stage == "monitoring":
                break
            await asyncio.sleep(0.1)
        optouts = tmp_path / "optouts.txt"
        optouts.write_text("\n".join(sorted(opted_out)) + "\n")
        stopped = await started.handle.execute_update(
            CampaignWorkflow.stop_numbers, StopNumbersRequest(numbers_uri=str(optouts))
        )
        assert stopped.numbers == 6 and stopped.suppressed == 6
    finally:
        admin.configure(call_rate=50.0)
    first = await started.handle.result()
    assert first.status == "completed"
    listed = await ledger.suppressions_page(limit=100)
    assert {s.number for s in listed} == opted_out
    assert all(s.reason == "opted out (stop_numbers)" and first.idempotency_key in s.source for s in listed)

    second = await run(stack_client, worker, contacts, admin, flow="large")
    assert second.status == "completed" and second.suppressed_rows == 6 and second.capped_rows == 0
    assert uploaded_numbers(admin, second) == {phone_for(i) for i in range(1, 41)} - opted_out
    assert second.contacts_report is not None
    with Path(second.contacts_report).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    assert [int(r[0]) for r in rows] == [36, 37, 38, 39, 40, 41]  # spreadsheet rows, in order
    assert all(r[1].startswith("suppressed: opted out (stop_numbers)") for r in rows)
    outcomes = await ledger.contact_outcomes(second.idempotency_key)
    assert outcomes.get("suppressed") == 6 and sum(outcomes.values()) == 40
    first_view = await ledger.campaign(first.idempotency_key)
    assert first_view is not None and first_view.status == "completed" and first_view.list_ids == [first.list_id]
    assert sum(first_view.calls_by_status.values()) == 40
    page = await ledger.contacts_page(first.idempotency_key, limit=1)
    assert page[0].external_id == "POL-100001" and page[0].row == 2


async def test_a_frequency_cap_drops_the_numbers_another_campaign_called(
    stack_client: Client, worker: Worker, admin: SimAdmin, ledger: Ledger, tmp_path: Path
) -> None:
    first = await run(stack_client, worker, write_contacts(tmp_path / "a.csv", range(1, 11)), admin)
    assert first.status == "completed" and first.total_calls == 10
    assert sum((await ledger.calls_by_status(first.idempotency_key)).values()) == 10

    both = write_contacts(tmp_path / "b.csv", range(1, 21))
    second = await run(stack_client, worker, both, admin, frequency_cap={"calls": 1, "days": 7})
    assert second.status == "completed" and second.capped_rows == 10 and second.suppressed_rows == 0
    assert uploaded_numbers(admin, second) == {phone_for(i) for i in range(11, 21)}
    # without the cap the same file calls everyone
    third = await run(stack_client, worker, both, admin, campaign_name=f"Uncapped {uuid.uuid4().hex[:6]}")
    assert third.capped_rows == 0 and len(uploaded_numbers(admin, third)) == 20
