"""CampaignWorkflow when the large flow is unavailable, with stub activities: when it falls back to the standard
flow in chunks, what each chunk is asked to do (its tag from the key and the chunk's number), one set of counts
over the chunks' lists, continue-as-new carrying the lists, a balance wait between chunks, cancel."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.converter import DATA_CONVERTER
from contract.campaign import RinggBudgetView
from contract.chunk_steps import (
    ChunkInput,
    ChunkResult,
    ChunkSnapshot,
    ChunkSnapshotInput,
    ListSnapshot,
    TerminateChunksInput,
    TerminateChunksResult,
)
from contract.claim import ClaimOwnerInput, ClaimOwnerResult
from contract.errors import CAMPAIGN_IN_CHUNKS, INSUFFICIENT_BALANCE, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF
from contract.messages import StopNumbersRequest, StopNumbersResult
from contract.preflight import PreflightInput, PreflightResult
from contract.ringg_checks import NotCalledInput, NotCalledResult, NumberPoolInput, NumberPoolResult
from contract.ringg_steps import (
    CallerNumbersInput,
    CallerNumbersResult,
    TerminateNumbersInput,
    UploadInput,
    UploadResult,
)
from contract.search_attributes import ALL_KEYS
from domain.chunks import chunk_family_tag, chunk_tag
from tests.ledger_fakes import LedgerFake
from tests.test_campaign_workflow import request, start
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow

CHUNK_BUDGET = RinggBudgetView(rate=4.0, ceiling=10.0, throttled=True, waited_s=1.5)


@dataclass
class ChunkFake:
    """Stub activities: the large-flow upload refused with `refusal`, chunks saved as list-1..N, each list's calls
    finishing after `finish_after` polls of it (10 completed, 2 failed a chunk)."""

    key: str = field(default_factory=lambda: f"ik-{uuid.uuid4()}")
    rows: int = 12_000
    valid_rows: int | None = None
    refusal: str = LARGE_FLOW_NOT_ENABLED
    finish_after: int = 2
    broke_on_chunk: int = 0  # the launch of this chunk fails once for lack of credits
    hold_chunk: int = 0  # the launch of this chunk waits for `release`
    release: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    uploads: list[UploadInput] = field(default_factory=list)
    not_called_lists: list[str] = field(default_factory=list)
    chunks: list[ChunkInput] = field(default_factory=list)
    polled: list[list[str]] = field(default_factory=list)
    terminated: list[TerminateChunksInput] = field(default_factory=list)
    polls_of: Counter[str] = field(default_factory=Counter)
    launched: asyncio.Event = field(default_factory=asyncio.Event)

    def activities(self) -> list[Any]:
        fake = self

        @activity.defn(name="preflight_csv")
        async def preflight_csv(inp: PreflightInput) -> PreflightResult:
            valid = fake.rows if fake.valid_rows is None else fake.valid_rows
            return PreflightResult(data_rows=fake.rows, content_hash="h", idempotency_key=fake.key, valid_rows=valid)

        @activity.defn(name="find_claim_owner")
        async def find_claim_owner(inp: ClaimOwnerInput) -> ClaimOwnerResult:
            return ClaimOwnerResult(owner_workflow_id=None if inp.running_only else "the-owner")

        @activity.defn(name="check_caller_numbers")
        async def check_caller_numbers(inp: CallerNumbersInput) -> CallerNumbersResult:
            return CallerNumbersResult()

        @activity.defn(name="upload_contacts")
        async def upload_contacts(inp: UploadInput) -> UploadResult:
            fake.uploads.append(inp)
            raise ApplicationError(
                "Ringg refused the large-campaign upload (403).", type=fake.refusal, non_retryable=True
            )

        @activity.defn(name="launch_chunk")
        async def launch_chunk(inp: ChunkInput) -> ChunkResult:
            fake.calls["launch_chunk"] += 1
            if inp.number == fake.broke_on_chunk and fake.calls[f"broke-{inp.number}"] == 0:
                fake.calls[f"broke-{inp.number}"] += 1
                raise ApplicationError(
                    "Ringg reports insufficient credits", type=INSUFFICIENT_BALANCE, non_retryable=True
                )
            if inp.number == fake.hold_chunk:
                await fake.release.wait()
            fake.chunks.append(inp)
            fake.launched.set()
            return ChunkResult(list_id=f"list-{inp.number}", ringg_status="scheduled", contacts=inp.rows)

        @activity.defn(name="snapshot_chunks")
        async def snapshot_chunks(inp: ChunkSnapshotInput) -> ChunkSnapshot:
            fake.polled.append([ref.list_id for ref in inp.lists])
            lists = []
            for ref in inp.lists:
                fake.polls_of[ref.list_id] += 1
                # list-1 finishes first, the others one poll later each
                done = fake.polls_of[ref.list_id] >= fake.finish_after + int(ref.list_id.split("-")[1]) - 1
                counts = {"completed": 10, "failed": 2} if done else {"registered": 12}
                lists.append(
                    ListSnapshot(
                        list_id=ref.list_id,
                        ringg_status="completed" if done else "ongoing",
                        calls_by_status=counts,
                        finished=done,
                    )
                )
            return ChunkSnapshot(lists=lists, requests=7 * len(lists), budget=CHUNK_BUDGET)

        @activity.defn(name="terminate_chunks")
        async def terminate_chunks(inp: TerminateChunksInput) -> TerminateChunksResult:
            fake.terminated.append(inp)
            return TerminateChunksResult(terminated=inp.list_ids)

        @activity.defn(name="terminate_numbers")
        async def terminate_numbers(inp: TerminateNumbersInput) -> StopNumbersResult:
            fake.stopped.append(inp.list_id)
            return StopNumbersResult(numbers=2, batches=1)

        @activity.defn(name="check_number_pool")
        async def check_number_pool(inp: NumberPoolInput) -> NumberPoolResult:
            return NumberPoolResult(members=2)

        @activity.defn(name="count_not_called")
        async def count_not_called(inp: NotCalledInput) -> NotCalledResult:
            fake.not_called_lists.append(inp.list_id)
            return NotCalledResult(not_called=1, cancelled=1, requests=1)

        return [
            check_number_pool,
            count_not_called,
            terminate_numbers,
            preflight_csv,
            find_claim_owner,
            check_caller_numbers,
            upload_contacts,
            launch_chunk,
            snapshot_chunks,
            terminate_chunks,
            *LedgerFake().activities(),
        ]


def make_worker(env: WorkflowEnvironment, fake: ChunkFake) -> Worker:
    return Worker(
        env.client,
        task_queue=f"tq-{uuid.uuid4()}",
        workflows=[CampaignWorkflow, CampaignKeyClaimWorkflow],
        activities=fake.activities(),
    )


async def test_large_flow_refused_by_ringg_runs_in_chunks_launched_once_each(env: WorkflowEnvironment) -> None:
    fake = ChunkFake()
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(from_numbers=None, number_pool_id="pool-1"))
        result = await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)

    (upload,) = fake.uploads
    assert upload.flow == "large" and upload.chunk_probe_tag == chunk_tag(fake.key, 1)
    assert [(c.number, c.total, c.skip_rows, c.rows) for c in fake.chunks] == [
        (1, 3, 0, 4000),
        (2, 3, 4000, 4000),
        (3, 3, 8000, 4000),
    ]
    assert [c.upload.idempotency_tag for c in fake.chunks] == [chunk_tag(fake.key, n) for n in (1, 2, 3)]
    assert [c.upload.ringg_campaign_name for c in fake.chunks] == [
        f"Renewals (part {n}/3) [{chunk_tag(fake.key, n)}]" for n in (1, 2, 3)
    ]
    first = fake.chunks[0]
    assert first.upload.flow == "standard" and first.upload.chunk_probe_tag is None
    assert first.launch.flow == "standard" and first.launch.number_pool_id == "pool-1"
    assert first.upload.content_hash == "h" and first.upload.expected_rows == 12_000

    assert result.status == "completed" and result.flow == "standard" and result.chunks == 3
    assert result.list_id == "list-1" and result.list_ids == ["list-1", "list-2", "list-3"]
    assert result.flow_note == "large flow not enabled on this workspace: standard flow in 3 chunks"
    assert result.calls_by_status == {"completed": 30, "failed": 6} and result.total_calls == 36
    assert result.contacts == 12_000
    assert progress.flow_note == result.flow_note and progress.list_ids == result.list_ids
    assert progress.ringg_budget == CHUNK_BUDGET  # the chunks' polls show the shared budget as a campaign's do
    # A list whose calls have all ended is polled no more: list-1 drops out first, then list-2.
    assert fake.polled == [
        ["list-1", "list-2", "list-3"],
        ["list-1", "list-2", "list-3"],
        ["list-2", "list-3"],
        ["list-3"],
    ]
    assert fake.calls["launch_chunk"] == 3


async def test_large_flow_off_on_the_worker_also_runs_in_chunks(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(refusal=LARGE_FLOW_OFF, rows=5_000)
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert [(c.skip_rows, c.rows) for c in fake.chunks] == [(0, 2500), (2500, 2500)]
    assert result.flow_note == "large flow turned off on the worker (RINGG_LARGE_FLOW=off): standard flow in 2 chunks"


@pytest.mark.parametrize("refusal", [LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF])
async def test_a_request_for_the_large_flow_fails_and_says_how_to_run_it(
    env: WorkflowEnvironment, refusal: str
) -> None:
    fake = ChunkFake(refusal=refusal)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(flow="large"))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == refusal
    assert "Campaign 'Renewals' (12,000 rows) was not started" in cause.message
    assert 'start it with flow "auto"' in cause.message
    assert fake.calls["launch_chunk"] == 0


async def test_a_key_already_in_chunks_goes_on_in_chunks_even_when_large_is_asked(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(refusal=CAMPAIGN_IN_CHUNKS)
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request(flow="large"))).result()
    assert result.chunks == 3 and result.flow_note.startswith("this campaign already runs in chunks on Ringg")


async def test_without_the_window_nothing_is_uploaded_nor_chunked(env: WorkflowEnvironment) -> None:
    """Both flows need the window and call_config (Ringg's docs), so such a request never reaches the fallback."""
    fake = ChunkFake()
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request(campaign_start_time=None, campaign_end_time=None, call_config={}))
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCampaignRequest"
    assert "campaign_start_time, campaign_end_time, call_config are required" in cause.message
    assert not fake.uploads and fake.calls["launch_chunk"] == 0


async def test_more_rows_than_the_chunks_can_take_fail_before_any_chunk(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(rows=1_000_001)
    async with make_worker(env, fake) as worker:
        with pytest.raises(WorkflowFailureError) as info:
            await (await start(env, worker, request())).result()
    assert isinstance(info.value.cause, ApplicationError) and "at most 1,000,000 rows" in info.value.cause.message
    assert fake.calls["launch_chunk"] == 0


async def test_a_chunk_short_of_credits_waits_then_is_launched_once(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(broke_on_chunk=2)
    async with make_worker(env, fake) as worker:
        result = await (await start(env, worker, request())).result()
    assert [c.number for c in fake.chunks] == [1, 2, 3] and fake.calls["launch_chunk"] == 4
    assert result.status == "completed" and result.list_ids == ["list-1", "list-2", "list-3"]


async def test_cancel_terminates_every_chunk_list(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(finish_after=10_000)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        for _ in range(300):
            if len(fake.chunks) == 3 and fake.polled:
                break
            await asyncio.sleep(0.1)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(CampaignWorkflow.progress)
    assert isinstance(info.value.cause, CancelledError)
    (terminate,) = fake.terminated
    assert terminate.list_ids == ["list-1", "list-2", "list-3"]
    assert terminate.family_tag == chunk_family_tag(fake.key)
    assert progress.stage == "cancelled" and "terminated 3 chunk lists" in progress.message
    assert fake.not_called_lists == ["list-1", "list-2", "list-3"], "each chunk's never-called contacts counted"
    assert progress.not_called == 3 and "3 contacts were never called" in progress.message


async def test_continue_as_new_carries_the_chunks_lists_and_counts() -> None:
    """A server that suggests continue-as-new early: the next run polls the same open lists, keeps the finished
    lists' counts, and no chunk is launched again."""
    async with await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=list(ALL_KEYS),
        ui=False,
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"],
    ) as env:
        fake = ChunkFake(finish_after=6)
        async with make_worker(env, fake) as worker:
            handle = await start(env, worker, request())
            result = await handle.result()
            first_run = await env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id).describe()
    assert first_run.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert result.list_ids == ["list-1", "list-2", "list-3"] and result.chunks == 3
    assert result.flow_note == "large flow not enabled on this workspace: standard flow in 3 chunks"
    assert result.calls_by_status == {"completed": 30, "failed": 6}
    assert fake.calls["launch_chunk"] == 3 and fake.polls_of == {"list-1": 6, "list-2": 7, "list-3": 8}


async def test_opt_outs_reach_every_chunk_also_those_launched_after_them(env: WorkflowEnvironment) -> None:
    fake = ChunkFake(hold_chunk=2)
    async with make_worker(env, fake) as worker:
        handle = await start(env, worker, request())
        for _ in range(300):  # chunk 1 launched and recorded (chunk 2's activity started: it is held)
            if fake.calls["launch_chunk"] >= 2:
                break
            await asyncio.sleep(0.05)
        stopped = await handle.execute_update(
            CampaignWorkflow.stop_numbers, StopNumbersRequest(numbers_uri="/tmp/opt-outs.csv")
        )
        assert fake.stopped == ["list-1"] and stopped == StopNumbersResult(numbers=2, batches=1, suppressed=3)
        fake.release.set()
        result = await handle.result()
    assert result.status == "completed" and fake.stopped == ["list-1", "list-2", "list-3"]
