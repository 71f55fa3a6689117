"""CampaignWorkflow on the standard flow in chunks, when the large flow is unavailable: each chunk saved and launched
exactly once (one activity, reconciled with Ringg under the chunk's tag); chunk_monitor.py monitors them as one."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract import search_attributes as sa
    from contract.campaign import CampaignRequest
    from contract.chunk_steps import ChunkInput, ChunkResult
    from contract.chunks import ChunkList, ChunkState
    from contract.errors import INSUFFICIENT_BALANCE, INVALID_REQUEST, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF
    from contract.messages import StopNumbersResult
    from contract.preflight import PreflightResult
    from contract.ringg_steps import TerminateNumbersInput, UploadResult
    from domain.chunks import (
        CHUNK_ROWS,
        MAX_CHUNKS,
        ChunkSpan,
        chunk_campaign_name,
        chunk_fallback,
        chunk_family_tag,
        chunk_plan,
        chunk_tag,
        flow_note,
    )
    from domain.validation import flow_problems

from workflows import options
from workflows.activity_calls import execute
from workflows.campaign_state import CampaignFailed
from workflows.chunk_monitor import ChunkMonitor
from workflows.launch_stages import LaunchStages


class ChunkStages(LaunchStages, ChunkMonitor):
    """The chunks: when to fall back to them, launching them one by one (ChunkMonitor polls them together), the
    opt-outs that must reach every chunk."""

    # Opt-out files (update stop_numbers) applied so far: chunks launched after them get them too.
    _stop_uris: tuple[str, ...] = ()

    def _chunk_reason(self, req: CampaignRequest, rows: int, failed: CampaignFailed) -> str | None:
        """Why the campaign goes on in chunks after its large-flow upload was refused, or None (the failure stands;
        a request for flow "large" learns how to run it)."""
        reason = chunk_fallback(req.flow, failed.error_type)
        if reason is None and failed.error_type in (LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF):
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} ({rows:,} rows) was not started: {failed.message} It asks for flow "
                '"large": ask Ringg to enable large campaigns for the workspace, or start it with flow "auto" to run '
                f"it on the standard flow in chunks of at most {CHUNK_ROWS:,} rows.",
                failed.error_type,
            )
        return reason

    async def _launch_in_chunks(self, req: CampaignRequest, pre: PreflightResult, key: str, reason: str) -> None:
        rows = pre.valid_rows if pre.valid_rows is not None else pre.data_rows
        rows = rows if self._upload_rows is None else self._upload_rows
        plan = chunk_plan(rows)
        problems = flow_problems(req, "standard")
        if len(plan) > MAX_CHUNKS:
            problems.append(
                f"the standard flow takes at most {MAX_CHUNKS * CHUNK_ROWS:,} rows ({MAX_CHUNKS} chunks of "
                f"{CHUNK_ROWS:,}); split the CSV or ask Ringg to enable large campaigns for the workspace"
            )
        if problems:
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} ({rows:,} rows) was not started: {reason}, and the standard flow "
                "cannot take it: " + "; ".join(problems),
                INVALID_REQUEST,
            )
        note = flow_note(reason, len(plan))
        self._chunks = ChunkState(total=len(plan), note=note, family_tag=chunk_family_tag(key))
        self._p.flow, self._p.chunks, self._p.flow_note = "standard", len(plan), note
        self._launch_attempted = True  # a chunk's activity launches it: a cancel terminates what it finds
        workflow.logger.info("campaign %s runs in %d chunks: %s", req.campaign_name, len(plan), reason)
        for span in plan:
            try:
                await self._launch_chunk(req, pre, key, span)
            except CampaignFailed as failed:
                raise self._partly_launched(failed) from None
        self._set_stage("monitoring", f"{len(plan)} chunks launched ({note})")

    async def _launch_chunk(self, req: CampaignRequest, pre: PreflightResult, key: str, span: ChunkSpan) -> None:
        assert self._chunks is not None
        total = self._chunks.total
        upload = self._upload_input(req, pre, key).model_copy(
            update={
                "flow": "standard",
                "ringg_campaign_name": chunk_campaign_name(req.campaign_name, key, span.number, total),
                "idempotency_tag": chunk_tag(key, span.number),
                "chunk_probe_tag": None,
            }
        )
        chunk = ChunkInput(
            number=span.number,
            total=total,
            skip_rows=span.skip,
            rows=span.rows,
            upload=upload,
            launch=self._launch_input(req, list_id="").model_copy(update={"flow": "standard"}),
        )
        deadline = workflow.now() + timedelta(seconds=req.max_balance_wait_seconds)
        interval = req.polling.balance_initial_s
        while True:
            self._set_stage("launching", f"chunk {span.number}/{total}: saving {span.rows:,} rows, then launching")
            try:
                done = await execute(
                    RinggActivities.launch_chunk,
                    chunk,
                    start_to_close_timeout=options.CHUNK_TIMEOUT,
                    heartbeat_timeout=options.CHUNK_HEARTBEAT,
                    retry_policy=options.RINGG_RETRY,
                    # A cancel waits for the activity to stop, so the terminate that follows sees its launch.
                    cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                    summary=f"chunk {span.number}/{total}: save and launch (reconciled with Ringg first)",
                )
            except ActivityError as err:
                cause = err.cause
                if isinstance(cause, ApplicationError) and cause.type == INSUFFICIENT_BALANCE:
                    self._p.message = cause.message
                    interval = await self._wait_for_credits(deadline, interval, req)
                    continue
                raise self._failure(err, f"chunk {span.number}/{total}") from err
            self._record_chunk(span, done)
            for uri in self._stop_uris:  # opt-outs that arrived while the campaign's chunks were being launched
                await self._terminate_numbers(done.list_id, uri)
            return

    def _record_chunk(self, span: ChunkSpan, done: ChunkResult) -> None:
        assert self._chunks is not None
        contacts = done.contacts if done.contacts is not None else span.rows
        self._chunks.lists.append(
            ChunkList(number=span.number, list_id=done.list_id, contacts=contacts, invalid_rows=done.invalid_rows)
        )
        self._p.list_ids.append(done.list_id)
        if self._p.list_id is None:
            # BulkListId is one Keyword: the first chunk's list, the result's list_id.
            self._p.list_id = done.list_id
            workflow.upsert_search_attributes([sa.BULK_LIST_ID.value_set(done.list_id)])
        self._p.contacts = sum(c.contacts or 0 for c in self._chunks.lists)
        self._p.invalid_rows = sum(c.invalid_rows for c in self._chunks.lists)
        self._p.ringg_status = done.ringg_status
        self._reused = self._reused or done.reused_existing

    async def _stop_numbers(self, numbers_uri: str) -> StopNumbersResult:
        """Opt-outs: the numbers in the file terminated in every list of the campaign (each chunk's, and those of
        chunks launched later)."""
        assert self._p.list_id is not None
        self._stop_uris = (*self._stop_uris, numbers_uri)
        stopped = StopNumbersResult()
        for list_id in list(self._p.list_ids or [self._p.list_id]):
            one = await self._terminate_numbers(list_id, numbers_uri)
            stopped = StopNumbersResult(numbers=one.numbers, batches=stopped.batches + one.batches)
        return stopped

    async def _terminate_numbers(self, list_id: str, numbers_uri: str) -> StopNumbersResult:
        return await execute(
            RinggActivities.terminate_numbers,
            TerminateNumbersInput(list_id=list_id, numbers_uri=numbers_uri, country_code=self._req.country_code),
            start_to_close_timeout=options.TERMINATE_NUMBERS_TIMEOUT,
            heartbeat_timeout=options.TERMINATE_NUMBERS_HEARTBEAT,
            retry_policy=options.RINGG_RETRY,
            summary="terminate numbers (opt-outs)",
        )

    def _partly_launched(self, failed: CampaignFailed) -> CampaignFailed:
        lists = self._p.list_ids
        if not lists:
            return failed
        assert self._chunks is not None
        shown = ", ".join(lists[:3]) + (", …" if len(lists) > 3 else "")
        return CampaignFailed(
            f"{failed.message} Before this, {len(lists)} of {self._chunks.total} chunks were launched (lists "
            f"{shown}) and Ringg keeps calling them: start the same request again to launch the other chunks and "
            "monitor them all (launched chunks are not launched again).",
            failed.error_type,
        )

    async def _upload(self, req: CampaignRequest, pre: PreflightResult, key: str) -> UploadResult:
        upload = await super()._upload(req, pre, key)
        self._p.list_ids = [upload.list_id]
        return upload
