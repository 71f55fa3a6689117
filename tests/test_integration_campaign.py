"""End to end on real parts: the Temporal dev server binary, the Ringg simulator over HTTP and a real worker.
Asserts on the simulator's recorded uploads and launches, and scans history for secrets and PII."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from devtools.sample_csv import DEFAULT_MAP, sample_phones_and_names, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import readable, uploads_named, worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-integration-key-5b7c"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FAST = PollingConfig(upload_initial_s=0.5, upload_max_s=2, monitor_initial_s=0.5, monitor_max_s=2)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        yield client


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="it") as running:
        yield running


@pytest.fixture
def window(admin: SimAdmin) -> dict[str, Any]:
    """The window and call_config of a campaign open now on the simulator's clock."""
    return admin.window()


def make_request(csv_path: Path, window: dict[str, Any], **overrides: object) -> CampaignRequest:
    data: dict[str, object] = {
        "campaign_name": f"Renewals {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-renewals",
        "csv_uri": str(csv_path),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        **window,
        "polling": FAST,
    }
    return CampaignRequest.model_validate({**data, **overrides})


async def history_text(client: Client, workflow_id: str) -> str:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return readable(history.to_json())


async def test_large_campaign_completes_with_exactly_one_launch(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    # 12 rows with unusable numbers (found by pre-flight, removed before upload) and 5 rows Ringg itself
    # rejects (its do-not-call registry: every 1,000th row it receives).
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 6000, invalid_every=500)
    req = make_request(csv_path, window, remove_invalid_rows=True)
    admin.configure(dnc_every=1000)
    try:
        outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
        result = await outcome.handle.result()
    finally:
        admin.configure(dnc_every=0)

    assert result.flow == "large" and result.status == "completed" and result.list_id
    assert result.data_rows == 6000 and result.unusable_rows == 12 and result.duplicate_rows == 0
    assert result.contacts_report is not None and result.idempotency_key in result.contacts_report
    local = Path(result.contacts_report).read_text().splitlines()
    assert len(local) == 1 + 12 and local[1].startswith("501,")
    assert result.invalid_rows == 5, "Ringg's own rejections are counted"
    assert result.invalid_rows_report is not None, "Ringg's invalid rows were not saved for the CSV's owner"
    assert Path(result.invalid_rows_report).parent == Path(result.contacts_report).parent
    assert len(Path(result.invalid_rows_report).read_text().splitlines()) == 1 + 5
    assert admin.stats()["launches"] == {**admin.stats()["launches"], result.list_id: 1}
    (upload,) = uploads_named(admin, req.campaign_name)
    assert (upload["rows"], upload["valid_rows"]) == (5988, 5983), "the cleaned file was not what Ringg received"
    truth = Counter(call["status"] for call in admin.campaign_calls(result.list_id))
    assert result.calls_by_status == dict(truth) and result.total_calls == 6000 - 12 - 5

    text = await history_text(stack_client, outcome.workflow_id)
    phones, names = sample_phones_and_names(csv_path)
    assert SIM_KEY not in text
    assert not [p for p in phones if p in text], "a phone number of the CSV is in workflow history"
    assert not [n for n in names if n in text], "a contact name of the CSV is in workflow history"


async def test_same_request_again_returns_the_same_campaign(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 300)
    req = make_request(csv_path, window)
    first = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    again = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    assert again.workflow_id == first.workflow_id and again.state == "running"
    result = await first.handle.result()
    after = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    assert after.state == "completed" and (await after.handle.result()).list_id == result.list_id
    assert result.flow == "standard" and admin.stats()["launches"][result.list_id] == 1
    assert len(uploads_named(admin, req.campaign_name)) == 1


async def test_cancel_after_launch_terminates_the_list_on_ringg(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    admin.configure(call_rate=0.5)
    try:
        csv_path = write_sample_csv(tmp_path / "contacts.csv", 400)
        outcome = await start_campaign(stack_client, make_request(csv_path, window), task_queue=worker.task_queue)
        for _ in range(200):
            progress = await outcome.handle.query(CampaignWorkflow.progress)
            if progress.stage == "monitoring":
                break
            await asyncio.sleep(0.1)
        assert progress.stage == "monitoring" and progress.list_id
        await outcome.handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await outcome.handle.result()
    finally:
        admin.configure(call_rate=2.0)
    assert isinstance(info.value.cause, CancelledError)
    terminations = [t for t in admin.stats()["terminations"] if t["campaign_id"] == progress.list_id]
    assert len(terminations) == 1 and terminations[0]["cancelled"] > 0
    statuses = Counter(call["status"] for call in admin.campaign_calls(progress.list_id))
    assert statuses["cancelled"] == terminations[0]["cancelled"]


async def test_csv_missing_mobile_column_fails_before_any_upload(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    csv_path = tmp_path / "contacts.csv"
    csv_path.write_text("Phone,Name\n+919876543210,Asha\n", encoding="utf-8")
    before = admin.stats()["requests"]
    outcome = await start_campaign(stack_client, make_request(csv_path, window), task_queue=worker.task_queue)
    with pytest.raises(WorkflowFailureError) as info:
        await outcome.handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCsv" and cause.non_retryable
    assert "'Mobile Number'" in cause.message and "the header has 2 columns" in cause.message
    assert "Phone" not in cause.message  # the file's own header names are not quoted back
    after = admin.stats()["requests"]
    assert {k: after.get(k, 0) - before.get(k, 0) for k in ("upload_csv", "save", "campaign_all")} == {
        "upload_csv": 0,
        "save": 0,
        "campaign_all": 0,
    }


async def test_invalid_and_duplicate_rows_fail_the_campaign_with_a_report_unless_removed(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    csv_path = tmp_path / "contacts.csv"
    rows = [f"+9198765{i:05d},Name {i},POL-{i},01/12/2026" for i in range(1, 41)]
    rows[9] = "98765 00001,Ravi,POL-10,01/12/2026"  # the number of row 2, written another way
    rows[19] = "12-AB,Meera,POL-20,01/12/2026"
    csv_path.write_text("Mobile Number,Name,Policy ID,Due Date\n" + "\n".join(rows) + "\n", encoding="utf-8")
    before = admin.stats()["requests"]

    refused = await start_campaign(stack_client, make_request(csv_path, window), task_queue=worker.task_queue)
    with pytest.raises(WorkflowFailureError) as info:
        await refused.handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCsv" and cause.non_retryable
    assert "2 of 40 rows cannot be called (1 unusable row, 1 duplicate number; rows 11, 21)" in cause.message
    assert "remove_invalid_rows=true to call only the 38 valid rows" in cause.message
    progress = await refused.handle.query(CampaignWorkflow.progress)
    assert progress.stage == "failed" and progress.contacts_report and progress.contacts_report in cause.message
    report = Path(progress.contacts_report).read_text().splitlines()
    assert report[1].startswith("11,same number as row 2 (+919876500001)") and report[2].startswith("21,")
    after = admin.stats()["requests"]
    assert after.get("save", 0) == before.get("save", 0) and after.get("upload_csv", 0) == before.get("upload_csv", 0)

    cleaned = await start_campaign(
        stack_client, make_request(csv_path, window, remove_invalid_rows=True), task_queue=worker.task_queue
    )
    result = await cleaned.handle.result()
    assert result.status == "completed" and result.flow == "standard" and result.total_calls == 38 and result.list_id
    assert (result.unusable_rows, result.duplicate_rows) == (1, 1) and result.contacts_report
    called = {call["to_number"] for call in admin.campaign_calls(result.list_id)}
    assert len(called) == 38 and "+919876500001" in called


async def test_unknown_caller_number_fails_before_upload_and_spam_is_reported(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path, window: dict[str, Any]
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 50)
    before = admin.stats()["requests"]
    bad = await start_campaign(
        stack_client, make_request(csv_path, window, from_numbers=["no-such-number"]), task_queue=worker.task_queue
    )
    with pytest.raises(WorkflowFailureError) as info:
        await bad.handle.result()
    cause = info.value.cause
    assert (
        isinstance(cause, ApplicationError)
        and cause.type == "UnknownCallerNumber"
        and "no-such-number" in cause.message
    )
    after = admin.stats()["requests"]
    assert after.get("save", 0) == before.get("save", 0) and after.get("upload_csv", 0) == before.get("upload_csv", 0)

    spam_id = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e02"
    ok = await start_campaign(
        stack_client, make_request(csv_path, window, from_numbers=[NUMBER_ID, spam_id]), task_queue=worker.task_queue
    )
    result = await ok.handle.result()
    assert result.status == "completed" and len(result.warnings) == 1 and "flagged as spam" in result.warnings[0]
