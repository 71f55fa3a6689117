"""CampaignWorkflow on the time-skipping server with stub activities: stage order, polling, balance waits,
cancellation and duplicate claims, without any real Ringg call."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from client.converter import DATA_CONVERTER
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from contract.claim import ClaimOwnerInput, ClaimOwnerResult
from contract.errors import INVALID_CSV, NOTHING_TO_CALL, RINGG_BUDGET_BUSY, UNKNOWN_NUMBER_POOL, UPLOAD_PENDING
from contract.preflight import PreflightInput, PreflightResult
from contract.ringg_checks import NotCalledInput, NotCalledResult, NumberPoolInput, NumberPoolResult
from contract.ringg_steps import (
    BalanceResult,
    CallerNumbersInput,
    CallerNumbersResult,
    CampaignSnapshot,
    InvalidRowsInput,
    InvalidRowsResult,
    LaunchInput,
    LaunchResult,
    ListRef,
    SnapshotInput,
    TerminateInput,
    TerminateResult,
    UploadInput,
    UploadResult,
    UploadStatusResult,
)
from contract.search_attributes import ALL_KEYS
from tests.ledger_fakes import LedgerFake
from tests.skipping_stack import start_skipping_env
from tests.stack_helpers import server_binary
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow

FAST = PollingConfig(
    upload_initial_s=0.2,
    upload_max_s=0.5,
    monitor_initial_s=0.2,
    monitor_max_s=1,
    balance_initial_s=0.3,
    balance_max_s=1,
)


@dataclass
class FakeRingg:
    """Stub activities that record what the workflow asked for."""

    rows: int = 6000
    key: str = "ik-test"
    pending_polls: int = 2
    sufficient_after: int = 0
    finish_after: int = 2
    preflight_error: ApplicationError | None = None
    spam_numbers: list[str] = field(default_factory=list)
    ringg_invalid: int = 10
    unusable_rows: int = 0  # rows pre-flight rejects
    upload_gate: asyncio.Event | None = None  # when set up, the second upload-status read waits for it
    save_counts: tuple[int, int, int] | None = None  # standard flow: save's (total, successful, failed) rows
    known_pools: tuple[str, ...] = ("pool-1",)
    final_counts: dict[str, int] = field(default_factory=lambda: {"completed": 5900, "failed": 90})
    pending_counts: dict[str, int] = field(default_factory=lambda: {"registered": 5000, "ongoing": 990})
    snapshot_times: list[datetime] = field(default_factory=list)
    budget_busy_launches: int = (
        0  # launch attempts that find the Ringg budget busy  # each snapshot's scheduled time (server clock)
    )
    final_status: str = "completed"
    never_called: int = 0
    has_ongoing_calls: bool | None = None
    terminate_error: ApplicationError | None = None
    calls: Counter[str] = field(default_factory=Counter)
    launches: list[LaunchInput] = field(default_factory=list)
    uploads: list[UploadInput] = field(default_factory=list)
    terminated: list[str] = field(default_factory=list)
    launched: asyncio.Event = field(default_factory=asyncio.Event)
    ledger: LedgerFake = field(default_factory=LedgerFake)

    def activities(self) -> list[Any]:
        fake = self

        @activity.defn(name="preflight_csv")
        async def preflight_csv(inp: PreflightInput) -> PreflightResult:
            fake.calls["preflight_csv"] += 1
            if fake.preflight_error:
                raise fake.preflight_error
            return PreflightResult(
                data_rows=fake.rows,
                content_hash="h",
                idempotency_key=inp.idempotency_key or fake.key,
                valid_rows=fake.rows - fake.unusable_rows,
                unusable_rows=fake.unusable_rows,
                first_problem_rows=list(range(2, 2 + min(fake.unusable_rows, 5))),
                report_path="/reports/contacts-report.csv" if fake.unusable_rows else None,
            )

        @activity.defn(name="find_claim_owner")
        async def find_claim_owner(inp: ClaimOwnerInput) -> ClaimOwnerResult:
            return ClaimOwnerResult(owner_workflow_id=None if inp.running_only else "the-owner")

        @activity.defn(name="check_caller_numbers")
        async def check_caller_numbers(inp: CallerNumbersInput) -> CallerNumbersResult:
            fake.calls["check_caller_numbers"] += 1
            return CallerNumbersResult(
                spam=[f"{n} is flagged as spam" for n in inp.from_numbers if n in fake.spam_numbers]
            )

        @activity.defn(name="check_number_pool")
        async def check_number_pool(inp: NumberPoolInput) -> NumberPoolResult:
            fake.calls["check_number_pool"] += 1
            if inp.number_pool_id not in fake.known_pools:
                raise ApplicationError(
                    f"number_pool_id {inp.number_pool_id} is not a number pool of this Ringg workspace",
                    type=UNKNOWN_NUMBER_POOL,
                    non_retryable=True,
                )
            return NumberPoolResult(members=2)

        @activity.defn(name="upload_contacts")
        async def upload_contacts(inp: UploadInput) -> UploadResult:
            fake.calls["upload_contacts"] += 1
            fake.uploads.append(inp)
            if inp.flow == "standard" and fake.save_counts is not None:
                total, good, bad = fake.save_counts
                return UploadResult(
                    list_id="list-1", ringg_status="draft", contacts=good, invalid_rows=bad, total_rows=total
                )
            return UploadResult(list_id="list-1", ringg_status="verifying", contacts=None)

        @activity.defn(name="get_upload_status")
        async def get_upload_status(ref: ListRef) -> UploadStatusResult:
            fake.calls["get_upload_status"] += 1
            if fake.calls["get_upload_status"] <= fake.pending_polls:
                raise ApplicationError("still processing", type=UPLOAD_PENDING)
            return UploadStatusResult(status="completed", contacts=fake.rows - 10, invalid_rows=10)

        @activity.defn(name="read_upload_status")
        async def read_upload_status(ref: ListRef) -> UploadStatusResult:
            fake.calls["read_upload_status"] += 1
            polls, bad = fake.calls["read_upload_status"], fake.ringg_invalid
            if polls == 2 and fake.upload_gate is not None:
                await fake.upload_gate.wait()
            if polls <= fake.pending_polls:
                done = fake.rows * polls // (fake.pending_polls + 1)
                return UploadStatusResult(
                    status="processing",
                    ready=False,
                    total_rows=fake.rows,
                    processed_rows=done,
                    successful_rows=done,
                    failed_rows=0,
                    percent=round(100 * done / fake.rows, 1),
                )
            return UploadStatusResult(
                status="completed",
                contacts=fake.rows - bad,
                invalid_rows=bad,
                invalid_rows_url="https://files.ringg.test/invalid.csv" if bad else None,
                total_rows=fake.rows,
                processed_rows=fake.rows,
                successful_rows=fake.rows - bad,
                failed_rows=bad,
                percent=100.0,
            )

        @activity.defn(name="download_invalid_rows")
        async def download_invalid_rows(inp: InvalidRowsInput) -> InvalidRowsResult:
            fake.calls["download_invalid_rows"] += 1
            return InvalidRowsResult(path=f"/reports/{inp.idempotency_key}/ringg-invalid-rows-{inp.list_id}.csv")

        @activity.defn(name="check_balance")
        async def check_balance(ref: ListRef) -> BalanceResult:
            fake.calls["check_balance"] += 1
            ok = fake.calls["check_balance"] > fake.sufficient_after
            return BalanceResult(
                sufficient=ok,
                required_credits=100,
                available_credits=100 if ok else 40,
                missing_credits=None if ok else 60,
            )

        @activity.defn(name="launch_campaign")
        async def launch_campaign(inp: LaunchInput) -> LaunchResult:
            fake.calls["launch_campaign"] += 1
            if fake.calls["launch_campaign"] <= fake.budget_busy_launches:
                # As the activity raises it once its retry policy is spent: nothing was sent to Ringg.
                raise ApplicationError("Ringg budget busy", type=RINGG_BUDGET_BUSY, non_retryable=True)
            fake.launches.append(inp)
            fake.launched.set()
            return LaunchResult(ringg_status="scheduled", has_ongoing_calls=fake.has_ongoing_calls)

        @activity.defn(name="snapshot_campaign")
        async def snapshot_campaign(inp: SnapshotInput) -> CampaignSnapshot:
            fake.calls["snapshot_campaign"] += 1
            fake.snapshot_times.append(activity.info().scheduled_time)
            done = fake.calls["snapshot_campaign"] >= fake.finish_after
            counts = fake.final_counts if done else fake.pending_counts
            return CampaignSnapshot(
                ringg_status=fake.final_status if done else "ongoing",
                calls_by_status=counts,
                total_calls=sum(counts.values()),
                finished=done,
            )

        @activity.defn(name="count_not_called")
        async def count_not_called(inp: NotCalledInput) -> NotCalledResult:
            fake.calls["count_not_called"] += 1
            return NotCalledResult(not_called=fake.never_called, cancelled=fake.never_called, requests=1)

        @activity.defn(name="terminate_campaign")
        async def terminate_campaign(inp: TerminateInput) -> TerminateResult:
            fake.terminated.append(inp.list_id)
            if fake.terminate_error:
                raise fake.terminate_error
            return TerminateResult(message="ok")

        return [
            preflight_csv,
            find_claim_owner,
            check_caller_numbers,
            check_number_pool,
            upload_contacts,
            get_upload_status,
            read_upload_status,
            download_invalid_rows,
            check_balance,
            launch_campaign,
            snapshot_campaign,
            count_not_called,
            terminate_campaign,
            *fake.ledger.activities(),
        ]


def request(**overrides: Any) -> CampaignRequest:
    base: dict[str, Any] = {
        "campaign_name": "Renewals",
        "agent_id": "agent-1",
        "csv_uri": "/tmp/contacts.csv",
        "from_numbers": ["num-1"],
        "campaign_start_time": "18/10/2030, 09:00",
        "campaign_end_time": "18/10/2030, 18:00",
        # Calls allowed all day: the fakes answer whatever the hour (monitoring sleeps through closed call hours).
        "call_config": {
            "call_time": {"call_start_time": "00:00", "call_end_time": "23:59", "timezone": "Asia/Kolkata"}
        },
        # Most tests are about other stages: Ringg's invalid rows (the fake reports 10) are skipped.
        "remove_invalid_rows": True,
        "polling": FAST,
    }
    return CampaignRequest.model_validate({**base, **overrides})


async def start(
    env: WorkflowEnvironment, worker: Worker, req: CampaignRequest
) -> WorkflowHandle[CampaignWorkflow, CampaignResult]:
    return await env.client.start_workflow(
        CampaignWorkflow.run, req, id=f"wf-{uuid.uuid4()}", task_queue=worker.task_queue
    )


def make_worker(env: WorkflowEnvironment, fake: FakeRingg) -> Worker:
    return Worker(
        env.client,
        task_queue=f"tq-{uuid.uuid4()}",
        workflows=[CampaignWorkflow, CampaignKeyClaimWorkflow],
        activities=fake.activities(),
    )


async def test_large_flow_runs_every_stage_once(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        result = await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert result.list_id == "list-1" and result.flow == "large" and result.status == "completed"
    assert result.calls_by_status == {"completed": 5900, "failed": 90}
    assert result.invalid_rows == 10 and result.contacts == 5990
    assert fake.calls["upload_contacts"] == 1 and fake.calls["launch_campaign"] == 1
    assert fake.calls["read_upload_status"] == 3 and fake.calls["get_upload_status"] == 0
    assert fake.uploads[0].ringg_campaign_name.startswith("Renewals [rc-")
    assert progress.stage == "completed" and progress.polls == 2


async def test_the_paced_upload_watch_replays(env: WorkflowEnvironment) -> None:
    """A run on the upload pacing (patch upload-pacing) replays as it ran, the marker in its history."""
    fake = FakeRingg(key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await handle.result()
        history = await handle.fetch_history()
    markers = [
        e.marker_recorded_event_attributes for e in history.events if e.HasField("marker_recorded_event_attributes")
    ]
    assert any("upload-pacing" in str(m.details) for m in markers), "the run did not take the paced path"
    replayer = Replayer(workflows=[CampaignWorkflow, CampaignKeyClaimWorkflow], data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)


async def test_spam_caller_numbers_are_reported_not_refused(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=f"ik-{uuid.uuid4()}", spam_numbers=["num-1"])
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert result.status == "completed" and result.warnings == ["num-1 is flagged as spam"]
    assert fake.calls["check_caller_numbers"] == 1


async def test_small_csv_takes_the_standard_flow(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert result.flow == "standard"
    assert fake.calls["read_upload_status"] == 0 and fake.calls["check_balance"] == 0
    assert fake.launches[0].flow == "standard"


async def test_bad_request_fails_before_any_activity(env: WorkflowEnvironment) -> None:
    fake = FakeRingg()
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(number_pool_id="pool-1", concurrency_percentage=101))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCampaignRequest"
    assert "exactly one of from_numbers" in cause.message and "concurrency_percentage" in cause.message
    assert sum(fake.calls.values()) == 0


@pytest.mark.parametrize("rows", [120, 6000])
async def test_a_request_without_a_window_fails_before_upload_on_every_flow(
    env: WorkflowEnvironment, rows: int
) -> None:
    """Today's large-flow request without a window (6,000 rows: the large flow) is refused before anything is
    uploaded, never a 422 from make-call-async after the upload; the standard flow's too."""
    fake = FakeRingg(rows=rows, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(campaign_start_time=None, campaign_end_time=None, call_config={}))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCampaignRequest"
    assert "campaign_start_time, campaign_end_time, call_config are required" in cause.message
    assert fake.calls["preflight_csv"] == fake.calls["upload_contacts"] == fake.calls["launch_campaign"] == 0


async def test_invalid_csv_fails_before_upload(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(
        preflight_error=ApplicationError("no column 'Mobile Number'", type=INVALID_CSV, non_retryable=True)
    )
    async with make_worker(env, fake) as worker:
        with pytest.raises(WorkflowFailureError) as info:
            await (await start(env, worker, request())).result()
    assert isinstance(info.value.cause, ApplicationError) and info.value.cause.type == INVALID_CSV
    assert fake.calls["upload_contacts"] == 0 and fake.calls["launch_campaign"] == 0


async def test_insufficient_balance_waits_then_fails_with_missing_credits(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(sufficient_after=10_000, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(max_balance_wait_seconds=2))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InsufficientBalance"
    assert "lacks 60 credits" in cause.message
    assert fake.calls["check_balance"] >= 3 and fake.calls["launch_campaign"] == 0


async def test_balance_topped_up_launches_once(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(sufficient_after=2, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert result.status == "completed" and fake.calls["launch_campaign"] == 1 and fake.calls["check_balance"] == 3


async def test_cancel_after_launch_terminates_on_ringg(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(finish_after=10_000, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        await asyncio.sleep(0.5)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert isinstance(info.value.cause, CancelledError)
    assert fake.terminated == ["list-1"]
    assert progress.stage == "cancelled"


async def test_the_ledger_screens_before_upload_and_records_the_end(env: WorkflowEnvironment) -> None:
    """Screened-out contacts leave the upload (fewer expected rows, the exclusions file named); the ledger hears
    the launch and, after the last poll, records the calls with the final status."""
    fake = FakeRingg(key=f"ik-{uuid.uuid4()}", ledger=LedgerFake(suppressed=30, capped=12))
    async with make_worker(env, fake) as worker:
        req = request(frequency_cap={"calls": 1, "days": 7}, external_id_column="CRM Id", suppress_on=["opted_out"])
        result = await (await start(env, worker, req)).result()
    screen = fake.ledger.screens[0]
    assert screen.frequency_cap is not None and screen.frequency_cap.calls == 1
    assert screen.external_id_column == "CRM Id" and screen.content_hash == "h"
    upload = fake.uploads[0]
    assert upload.expected_rows == 6000 - 42 and upload.exclusions_path is not None
    assert result.suppressed_rows == 30 and result.capped_rows == 12 and result.status == "completed"
    assert [s.status for s in fake.ledger.statuses] == ["launched"]
    assert fake.ledger.statuses[0].list_ids == ["list-1"]
    (record,) = fake.ledger.records
    assert record.final_status == "completed" and record.list_ids == ["list-1"] and record.suppress_on == ["opted_out"]


async def test_every_contact_screened_out_fails_before_upload(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=f"ik-{uuid.uuid4()}", ledger=LedgerFake(suppressed=100, capped=20))
    async with make_worker(env, fake) as worker:
        with pytest.raises(WorkflowFailureError) as info:
            await (await start(env, worker, request())).result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == NOTHING_TO_CALL
    assert "all 120 valid contacts" in cause.message and "100 on the suppression list" in cause.message
    assert fake.calls["upload_contacts"] == 0
    assert [s.status for s in fake.ledger.statuses] == ["failed"]


async def test_a_ledger_that_fails_at_the_end_is_a_warning_not_a_failure(env: WorkflowEnvironment) -> None:
    broken = ApplicationError("the contact ledger refused a statement", type="LedgerFailed", non_retryable=True)
    fake = FakeRingg(key=f"ik-{uuid.uuid4()}", ledger=LedgerFake(record_error=broken))
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert result.status == "completed"
    assert any("the contact ledger was not updated: the contact ledger refused" in w for w in result.warnings)


async def test_cancel_records_the_calls_as_cancelled(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(finish_after=10_000, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert progress.stage == "cancelled"
    assert [r.final_status for r in fake.ledger.records] == ["cancelled"]


async def test_cancel_still_ends_cancelled_when_ringg_refuses_the_terminate(env: WorkflowEnvironment) -> None:
    refused = ApplicationError("campaign not found", type="RinggRejected", non_retryable=True)
    fake = FakeRingg(finish_after=10_000, key=f"ik-{uuid.uuid4()}", terminate_error=refused)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert isinstance(info.value.cause, CancelledError)
    assert progress.stage == "cancelled" and "Ringg refused the terminate" in progress.message


async def test_second_campaign_with_same_key_is_a_duplicate(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(finish_after=10_000, key=f"ik-{uuid.uuid4()}")
    async with make_worker(env, fake) as worker:
        first = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        second = await (await start(env, worker, request())).result()
        await first.cancel()
    assert second.status == "duplicate" and second.duplicate_of == "the-owner"
    assert fake.calls["upload_contacts"] == 1 and fake.calls["launch_campaign"] == 1


async def test_long_monitoring_continues_as_new_and_keeps_its_state() -> None:
    """A server that suggests continue-as-new early: monitoring carries list id, counts and the key claim into
    the next run, and the campaign still ends with one upload and one launch."""
    async with await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=list(ALL_KEYS),
        ui=False,
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"],
    ) as env:
        fake = FakeRingg(finish_after=25, key=f"ik-{uuid.uuid4()}")
        async with make_worker(env, fake) as worker:
            handle = await start(env, worker, request())
            result = await handle.result()
            first_run = await env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id).describe()
    assert first_run.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert result.status == "completed" and result.list_id == "list-1" and result.data_rows == 6000
    assert result.calls_by_status == {"completed": 5900, "failed": 90}
    assert fake.calls["upload_contacts"] == 1 and fake.calls["launch_campaign"] == 1
    assert fake.calls["snapshot_campaign"] == 25


async def test_recheck_balance_update_checks_again_at_once(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(sufficient_after=1, key=f"ik-{uuid.uuid4()}")
    slow_recheck = FAST.model_copy(update={"balance_initial_s": 3600, "balance_max_s": 3600})
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(polling=slow_recheck))
        for _ in range(200):
            progress = await handle.query(CampaignWorkflow.progress)
            if progress.stage == "waiting_for_balance":
                break
            await asyncio.sleep(0.05)
        assert progress.stage == "waiting_for_balance" and progress.missing_credits == 60
        seen = await handle.execute_update(CampaignWorkflow.recheck_balance)
        assert seen.stage == "waiting_for_balance"
        result = await asyncio.wait_for(handle.result(), timeout=30)  # not an hour: the update woke the wait
    assert result.status == "completed" and fake.calls["check_balance"] == 2 and fake.calls["launch_campaign"] == 1


async def test_monitoring_sleeps_through_closed_call_hours_when_no_call_is_ongoing() -> None:
    """Calls waiting (registered), none ongoing, and Ringg's daily call time (09:00-18:00 Kolkata) closed: the next
    poll comes once it opens (skipped in wall time), not every few seconds through the night."""
    env = await start_skipping_env(server_binary("temporal-test-server"))
    try:
        fake = FakeRingg(key=f"ik-{uuid.uuid4()}", pending_counts={"registered": 5990}, finish_after=2)
        async with make_worker(env, fake) as worker:
            now = await env.get_current_time()
            zone = ZoneInfo("Asia/Kolkata")
            local = now.astimezone(zone)
            # A daily call time that opened an hour after `now` (closed now) and lasts two hours.
            opens = (local + timedelta(hours=1)).replace(second=0, microsecond=0) + timedelta(minutes=1)
            if opens.date() != (opens + timedelta(hours=2)).date():
                opens = (opens + timedelta(days=1)).replace(hour=0, minute=0)
            call_time = {
                "call_start_time": f"{opens:%H:%M}",
                "call_end_time": f"{opens + timedelta(hours=2):%H:%M}",
                "timezone": "Asia/Kolkata",
            }
            req = request(
                call_config={"call_time": call_time},
                campaign_start_time=f"{local - timedelta(minutes=5):%d/%m/%Y, %H:%M}",
                campaign_end_time=f"{local + timedelta(days=3):%d/%m/%Y, %H:%M}",
            )
            handle = await start(env, worker, req)
            result = await handle.result()
    finally:
        await env.shutdown()
    assert result.status == "completed"
    first, second = fake.snapshot_times
    assert first < opens <= second, (
        f"polled at {second.astimezone(zone):%H:%M}, before the call time opened at {opens:%H:%M}"
    )
    assert second - opens < timedelta(minutes=5)


async def test_a_busy_ringg_budget_delays_the_launch_and_never_fails_the_campaign() -> None:
    env = await start_skipping_env(server_binary("temporal-test-server"))
    try:
        fake = FakeRingg(key=f"ik-{uuid.uuid4()}", budget_busy_launches=2)
        async with make_worker(env, fake) as worker:
            result = await (await start(env, worker, request())).result()
    finally:
        await env.shutdown()
    assert result.status == "completed"
    assert fake.calls["launch_campaign"] == 3 and len(fake.launches) == 1
