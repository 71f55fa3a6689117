"""CampaignWorkflow with stub activities (tests/test_campaign_workflow.py's FakeRingg) for issue 12's product
rules: Ringg-invalidated rows stop the campaign before launch unless tolerated, the number pool is checked before
upload, the standard flow refuses concurrency_percentage, upload progress and contacts never called are reported."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from cli.app import app
from contract.campaign import CampaignProgress
from tests.test_campaign_workflow import FakeRingg, make_worker, request, start
from workflows.campaign import CampaignWorkflow
from workflows.details import static_details


def key() -> str:
    return f"ik-{uuid.uuid4()}"


async def failed(
    env: WorkflowEnvironment, fake: FakeRingg, **overrides: object
) -> tuple[ApplicationError, CampaignProgress]:
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(**overrides))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    return cause, progress


# --- Ringg-invalidated rows ------------------------------------------------------------------------------------


async def test_large_flow_with_ringg_invalid_rows_stops_before_launch_with_the_report(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key(), ringg_invalid=10)
    cause, progress = await failed(env, fake, remove_invalid_rows=False)

    assert cause.type == "RinggInvalidRows"
    assert "Campaign 'Renewals' (list list-1) was not launched: Ringg found 10 invalid rows" in cause.message
    assert "(10 of 6,000 rows not callable in all, none allowed)" in cause.message
    assert f"/reports/{fake.key}/ringg-invalid-rows-list-1.csv" in cause.message
    assert "Fix the CSV and re-upload it" in cause.message
    assert (
        "remove_invalid_rows=true and a new idempotency_key (this key's list keeps the invalid rows)" in cause.message
    )
    assert fake.calls["download_invalid_rows"] == 1
    assert fake.calls["check_balance"] == 0 and fake.calls["launch_campaign"] == 0
    assert fake.uploads[0].remove_invalid_rows is False, "Ringg was asked to skip rows the request does not tolerate"
    assert progress.stage == "failed" and progress.invalid_rows == 10


async def test_a_tolerated_share_launches_and_asks_ringg_to_skip_the_invalid_rows(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key(), ringg_invalid=10, unusable_rows=20)
    async with make_worker(env, fake) as worker:
        # 20 unusable rows (pre-flight) + 10 Ringg invalidated = 30 of 6,000 = 0.5%, within 1%.
        handle = await start(env, worker, request(remove_invalid_rows=False, max_invalid_row_share=0.01))
        result = await handle.result()
    assert result.status == "completed" and fake.calls["launch_campaign"] == 1
    assert fake.uploads[0].remove_invalid_rows is True
    assert "Ringg invalidated 10 rows, within max_invalid_row_share (1%): they are not called" in result.warnings
    assert (result.unusable_rows, result.invalid_rows) == (20, 10)


async def test_a_share_counts_preflight_and_ringg_rows_together(env: WorkflowEnvironment) -> None:
    # 20 + 10 = 30 of 6,000 = 0.5%: more than 0.4%, although each alone is within it.
    fake = FakeRingg(key=key(), ringg_invalid=10, unusable_rows=20)
    cause, _ = await failed(env, fake, remove_invalid_rows=False, max_invalid_row_share=0.004)
    assert cause.type == "RinggInvalidRows"
    assert "(30 of 6,000 rows not callable in all, more than the 0.4% max_invalid_row_share allows)" in cause.message
    assert "start the same request again with remove_invalid_rows=true" in cause.message, "Ringg skipped them"
    assert fake.calls["launch_campaign"] == 0


async def test_preflight_rejections_beyond_the_share_stop_before_upload(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key(), ringg_invalid=0, unusable_rows=120)  # 2% of 6,000
    cause, _ = await failed(env, fake, remove_invalid_rows=False, max_invalid_row_share=0.01)
    assert cause.type == "InvalidCsv" and "more than the 1% max_invalid_row_share allows" in cause.message
    assert fake.calls["upload_contacts"] == 0


async def test_standard_flow_save_with_failed_rows_stops_before_launch(env: WorkflowEnvironment) -> None:
    """A forgiving save (200 with failed_rows although remove_invalid_rows was false) must not be launched."""
    fake = FakeRingg(rows=40, key=key(), save_counts=(40, 37, 3))
    cause, progress = await failed(env, fake, remove_invalid_rows=False)
    assert cause.type == "RinggInvalidRows" and "Ringg found 3 invalid rows" in cause.message
    assert "start the same request again with remove_invalid_rows=true" in cause.message
    assert fake.calls["launch_campaign"] == 0 and progress.upload is not None
    assert progress.upload.model_dump() == {
        "status": "draft",
        "total_rows": 40,
        "processed_rows": 40,
        "successful_rows": 37,
        "failed_rows": 3,
        "percent": 100.0,
    }


# --- number pool ------------------------------------------------------------------------------------------------


async def test_an_unknown_number_pool_fails_before_any_upload(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key())
    cause, _ = await failed(env, fake, from_numbers=None, number_pool_id="pool-404")
    assert cause.type == "UnknownNumberPool" and "pool-404" in cause.message
    assert fake.calls["check_number_pool"] == 1 and fake.calls["upload_contacts"] == 0


async def test_a_known_number_pool_is_checked_once_and_launched(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=key())
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request(from_numbers=None, number_pool_id=" pool-1 "))).result()
    assert result.status == "completed" and fake.calls["check_number_pool"] == 1
    assert fake.launches[0].number_pool_id == "pool-1" and fake.calls["check_caller_numbers"] == 0


# --- concurrency_percentage -------------------------------------------------------------------------------------


async def test_standard_flow_refuses_concurrency_before_any_activity(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=key())
    cause, _ = await failed(env, fake, flow="standard", concurrency_percentage=25)
    assert cause.type == "InvalidCampaignRequest"
    assert "concurrency_percentage (25) is only sent by the large flow" in cause.message
    assert sum(fake.calls.values()) == 0


async def test_auto_flow_taking_the_standard_flow_refuses_concurrency_before_upload(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=key())
    cause, _ = await failed(env, fake, concurrency_percentage=25)
    assert cause.type == "InvalidCampaignRequest" and "(120 rows) was not started" in cause.message
    assert "/campaign/start and /campaign/v2/start do not accept it" in cause.message
    assert fake.calls["preflight_csv"] == 1 and fake.calls["upload_contacts"] == 0


async def test_large_flow_sends_concurrency(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key())
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request(concurrency_percentage=25))).result()
    assert result.flow == "large" and fake.launches[0].concurrency_percentage == 25


# --- upload progress, has_ongoing_calls, contacts never called ---------------------------------------------------


async def test_upload_progress_is_in_the_progress_query_and_the_ui_details(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key(), pending_polls=2, upload_gate=asyncio.Event())
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        for _ in range(300):
            progress = await handle.query(CampaignWorkflow.progress)
            if progress.upload is not None:
                break
            await asyncio.sleep(0.05)
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert fake.upload_gate is not None
        fake.upload_gate.set()
        result = await handle.result()
        final = await handle.query(CampaignWorkflow.progress)
    assert progress.stage == "processing_upload" and progress.upload is not None
    assert (progress.upload.total_rows, progress.upload.processed_rows, progress.upload.percent) == (6000, 2000, 33.3)
    assert "2,000 of 6,000 rows (33.3%)" in progress.message
    assert "| upload | 2,000 of 6,000 rows processed (33.3%), 2,000 accepted — processing |" in (
        metadata.current_details
    ), "the UI's current details"
    assert result.status == "completed" and final.upload is not None
    assert (final.upload.processed_rows, final.upload.successful_rows, final.upload.failed_rows) == (6000, 5990, 10)
    assert final.upload.percent == 100.0


async def test_has_ongoing_calls_explains_a_slow_start(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(rows=120, key=key(), has_ongoing_calls=True, finish_after=10_000)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        for _ in range(100):
            progress = await handle.query(CampaignWorkflow.progress)
            if progress.stage == "monitoring":
                break
            await asyncio.sleep(0.05)
        await handle.cancel()
    assert progress.workspace_has_ongoing_calls is True
    assert "other calls in progress sharing its capacity" in progress.message


async def test_contacts_left_when_the_campaign_ends_are_counted_as_never_called(env: WorkflowEnvironment) -> None:
    counts = {"completed": 3000, "failed": 500, "cancelled": 2490}
    fake = FakeRingg(key=key(), final_counts=counts, never_called=2400)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        result = await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert result.not_called == 2400 and result.calls_by_status == counts
    assert progress.not_called == 2400 and "2,400 contacts were never called" in progress.message
    assert fake.calls["count_not_called"] == 1


async def test_no_cancelled_call_means_no_count_request(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key())
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert result.not_called == 0 and fake.calls["count_not_called"] == 0


async def test_a_cancelled_campaign_reports_the_contacts_its_terminate_left_uncalled(env: WorkflowEnvironment) -> None:
    fake = FakeRingg(key=key(), finish_after=10_000, never_called=4000)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        await asyncio.wait_for(fake.launched.wait(), timeout=30)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert isinstance(info.value.cause, CancelledError)
    assert fake.terminated == ["list-1"] and fake.calls["count_not_called"] == 1
    assert progress.stage == "cancelled" and progress.not_called == 4000
    assert "4,000 contacts were never called" in progress.message


def test_ui_static_details_show_concurrency_only_where_it_is_sent() -> None:
    assert "concurrency 25% (large flow only)" in static_details(request(concurrency_percentage=25))
    shown = static_details(request())
    assert "concurrency shared by Ringg" in shown and "concurrency 0%" not in shown


def test_the_starter_refuses_a_share_above_one_and_standard_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    body = request(flow="standard", concurrency_percentage=25).model_dump(mode="json", exclude={"continued"})
    path.write_text(json.dumps(body), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["start", "--request", str(path), "--max-invalid-row-share", "1.5"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2, result.output
    assert "max_invalid_row_share must be between 0 and 1" in result.output
    assert "concurrency_percentage (25) is only sent by the large flow" in result.output
