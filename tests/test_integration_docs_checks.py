"""Issue 12's product rules end to end on real parts (dev server binary, the simulator over HTTP, a real worker):
rows Ringg invalidates stop the campaign before launch unless tolerated, the number pool is checked before upload,
upload progress is reported, and contacts a stopped campaign never dialled are counted and exported as such."""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.export.calls import ExportActivities
from client.launcher import start_campaign
from contract.campaign import CampaignProgress, CampaignRequest, CampaignResult, PollingConfig
from contract.export import ExportInput
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.window import WINDOW_FORMAT
from ringg import RinggClient, TerminateRequest, make_http_client
from ringg_sim.config import DEFAULT_POOL_ID
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import uploads_named, worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-docs-checks-key-81d0"
IST = ZoneInfo("Asia/Kolkata")
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FAST = PollingConfig(upload_initial_s=0.2, upload_max_s=0.5, monitor_initial_s=0.3, monitor_max_s=1)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        defaults = client.config()
        yield client
        knobs = ("dnc_every", "upload_rows_per_s", "call_rate", "schedule_delay_s")
        client.configure(**{k: defaults[k] for k in knobs})


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="docs") as running:
        yield running


def window(start: datetime, end: datetime) -> dict[str, object]:
    """Request fields of a window open all day from `start` to `end` (Asia/Kolkata)."""
    return {
        "campaign_start_time": start.astimezone(IST).strftime(WINDOW_FORMAT),
        "campaign_end_time": end.astimezone(IST).strftime(WINDOW_FORMAT),
        "call_config": {
            "call_time": {"call_start_time": "00:00", "call_end_time": "23:59", "timezone": IST.key},
            # one retry, a minute later: a simulator that honours retry minutes finishes in seconds
            "call_retry_config": {"retry_count": 1, "retry_busy": 1, "retry_not_picked": 1, "retry_failed": 1},
        },
    }


def make_request(csv_path: Path, **overrides: object) -> CampaignRequest:
    """A window open now: a simulator that honours windows, whose clock runs ahead of the wall clock, keeps it
    open for this module's run (72 simulated hours at time scale 0.005 are 21 wall minutes)."""
    now = datetime.now(UTC)
    data: dict[str, object] = {
        "campaign_name": f"Docs {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-docs",
        "csv_uri": str(csv_path),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        **window(now - timedelta(hours=1), now + timedelta(hours=72)),
        "polling": FAST,
    }
    return CampaignRequest.model_validate({**data, **overrides})


async def failure_of(handle: WorkflowHandle[CampaignWorkflow, CampaignResult]) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable, cause
    return cause


async def progress_when(
    handle: WorkflowHandle[CampaignWorkflow, CampaignResult], ok: object, timeout_s: float = 30
) -> CampaignProgress:
    assert callable(ok)
    async with asyncio.timeout(timeout_s):
        while True:
            progress = await handle.query(CampaignWorkflow.progress)
            if ok(progress):
                return progress
            await asyncio.sleep(0.05)


def launched_lists(admin: SimAdmin, campaign_name: str) -> list[str]:
    launches = admin.stats()["launches"]
    return [u["list_id"] for u in uploads_named(admin, campaign_name) if launches.get(u["list_id"])]


async def test_ringg_invalid_rows_stop_a_large_campaign_before_launch_with_the_report_and_progress_shown(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    # Every 100th row is on Ringg's do-not-call registry: numbers the product's own checks cannot catch.
    # At 1 row per simulated second the upload takes ~2 s (time scale 0.005): several polls show its progress.
    admin.configure(dnc_every=100, upload_rows_per_s=1)
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 400), flow="large")
    handle = (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle

    midway = await progress_when(
        handle, lambda p: p.upload is not None and 0 < (p.upload.processed_rows or 0) < (p.upload.total_rows or 0)
    )
    cause = await failure_of(handle)
    final = await handle.query(CampaignWorkflow.progress)

    assert midway.stage == "processing_upload" and midway.upload is not None and midway.upload.total_rows == 400
    assert midway.upload.percent is not None and 0 < midway.upload.percent < 100
    assert cause.type == "RinggInvalidRows" and "Ringg found 4 invalid rows" in cause.message
    assert "Fix the CSV and re-upload it" in cause.message and "remove_invalid_rows=true" in cause.message
    assert final.invalid_rows_report is not None and final.invalid_rows_report in cause.message
    assert len(Path(final.invalid_rows_report).read_text().splitlines()) == 1 + 4
    assert final.upload is not None and (final.upload.total_rows, final.upload.failed_rows) == (400, 4)
    assert final.upload.percent == 100.0
    assert launched_lists(admin, req.campaign_name) == [], "a list with invalid rows was launched"


async def test_ringg_invalid_rows_never_launch_a_standard_campaign(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """Ringg's save refuses the whole list (400) or, more forgiving, reports failed_rows: never launched."""
    admin.configure(dnc_every=10)
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 40))
    cause = await failure_of((await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle)
    assert cause.type == "RinggInvalidRows" and "Ringg found 4 invalid rows" in cause.message
    assert "remove_invalid_rows=true" in cause.message
    assert launched_lists(admin, req.campaign_name) == []


async def test_more_invalid_rows_than_the_share_allows_stop_a_standard_campaign_with_the_report(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """With a share allowed, Ringg is asked to skip invalid rows, so save creates the list; 4 of 40 (10%) is more
    than 5%: not launched, and the list's invalid-rows report is saved."""
    admin.configure(dnc_every=10)
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 40), max_invalid_row_share=0.05)
    handle = (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle
    cause = await failure_of(handle)
    progress = await handle.query(CampaignWorkflow.progress)
    assert cause.type == "RinggInvalidRows" and "more than the 5% max_invalid_row_share allows" in cause.message
    assert progress.invalid_rows_report is not None and progress.invalid_rows_report in cause.message
    assert len(Path(progress.invalid_rows_report).read_text().splitlines()) == 1 + 4
    assert launched_lists(admin, req.campaign_name) == []


async def test_a_tolerated_share_of_ringg_invalid_rows_is_skipped_and_the_rest_called(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    admin.configure(dnc_every=100)
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 300), flow="large", max_invalid_row_share=0.02)
    result = await (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle.result()
    assert result.status == "completed" and result.invalid_rows == 3 and result.total_calls == 297
    assert "Ringg invalidated 3 rows, within max_invalid_row_share (2%): they are not called" in result.warnings
    assert launched_lists(admin, req.campaign_name) == [result.list_id]


async def test_the_number_pool_is_checked_before_any_upload(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 30)
    unknown = make_request(csv_path, from_numbers=None, number_pool_id="pool-not-in-this-workspace")
    cause = await failure_of((await start_campaign(stack_client, unknown, task_queue=worker.task_queue)).handle)
    assert cause.type == "UnknownNumberPool" and "pool-not-in-this-workspace" in cause.message
    assert DEFAULT_POOL_ID in cause.message, "the known pools are named"
    assert uploads_named(admin, unknown.campaign_name) == []

    known = make_request(csv_path, from_numbers=None, number_pool_id=DEFAULT_POOL_ID)
    result = await (await start_campaign(stack_client, known, task_queue=worker.task_queue)).handle.result()
    assert result.status == "completed" and result.total_calls == 30


async def test_contacts_a_stopped_campaign_never_dialled_are_counted_and_exported_as_not_called(
    stack_client: Client, worker: Worker, admin: SimAdmin, sim: RunningSimulator, tmp_path: Path
) -> None:
    """Ringg stops the campaign (terminate: queued calls are cancelled without an attempt, as at a window's end);
    the workflow counts them apart from failed calls, and the export marks each one."""
    admin.configure(call_rate=0.5)  # 200 calls take 400 simulated seconds: most are still queued below
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 200))
    handle = (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle
    started = await progress_when(handle, lambda p: p.stage == "monitoring" and p.calls.by_status.get("ongoing"))
    assert started.list_id is not None
    list_id = started.list_id
    async with make_http_client(sim.base_url, SecretStr(SIM_KEY)) as http:
        ringg = RinggClient(http)
        await ringg.terminate(TerminateRequest(campaign_id=list_id))
        result = await handle.result()
        now = datetime.now(UTC)
        export_in = ExportInput(
            list_id=list_id,
            out_uri=str(tmp_path / "export"),
            formats=["csv"],
            since=now - timedelta(days=1),
            until=now + timedelta(days=1),
        )
        exported = await ActivityEnvironment().run(ExportActivities(ringg).export_calls, export_in)

    truth = admin.campaign_calls(list_id)
    never = {c["call_id"] for c in truth if c["status"] == "cancelled" and c["attempts"] == 0}
    assert 0 < len(never) < 200
    assert result.status == "terminated" and result.not_called == len(never)
    assert result.calls_by_status["cancelled"] >= len(never)
    with open(exported.files["csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["call_id"] for r in rows if r["outcome"] == "not_called"} == never
    assert not {r["status"] for r in rows if r["outcome"] == "not_called"} - {"cancelled"}
    assert exported.summary.not_called == len(never)


async def test_a_campaign_waiting_for_its_start_is_polled_by_its_status_alone(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    admin.configure(schedule_delay_s=1000)  # Ringg holds the launched campaign "scheduled" for ~5 s
    req = make_request(write_sample_csv(tmp_path / "contacts.csv", 30))
    before = len(admin.requests("history"))
    handle = (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle
    waiting = await progress_when(handle, lambda p: p.stage == "monitoring" and p.polls >= 3)
    during = admin.requests("history")[before:]
    result = await handle.result()

    assert waiting.ringg_status == "scheduled" and "waiting for the campaign's start time" in waiting.message
    assert during == [], "call history was read while Ringg said the campaign had not started"
    assert result.status == "completed" and result.total_calls == 30


async def test_a_window_closing_with_contacts_left_reports_them_as_never_called(
    stack_client: Client, worker: Worker, admin: SimAdmin, sim: RunningSimulator, tmp_path: Path
) -> None:
    """Issue 12's window end to end: 20 simulated minutes at 1 call every 50 s leave most of 60 contacts uncalled;
    Ringg completes the campaign at the window's end and cancels the rest without an attempt. Needs a simulator
    that honours windows on a simulated clock (GET /_sim/clock); skipped on one that calls regardless."""
    clock = httpx.get(f"{sim.admin_url}/clock", timeout=10)
    if clock.status_code == 404:
        pytest.skip("this simulator does not honour campaign windows (no /_sim/clock)")
    sim_now = datetime.fromtimestamp(float(clock.json()["epoch"]), UTC)
    admin.configure(call_rate=0.02)
    req = make_request(
        write_sample_csv(tmp_path / "contacts.csv", 60),
        **window(sim_now - timedelta(minutes=1), sim_now + timedelta(minutes=20)),
    )
    result = await (await start_campaign(stack_client, req, task_queue=worker.task_queue)).handle.result()

    assert result.list_id is not None
    truth = admin.campaign_calls(result.list_id)
    never = {c["call_id"] for c in truth if c["status"] == "cancelled" and c["attempts"] == 0}
    assert result.status == "completed" and 0 < len(never) < 60
    assert result.not_called == len(never) and result.calls_by_status["cancelled"] >= len(never)
    assert result.calls_by_status.get("failed", 0) + len(never) <= 60, "never-called contacts counted as failed"
