"""CampaignWorkflow: drives one Ringg campaign from a contacts CSV to final call counts."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contacts.preflight import CsvActivities
    from activities.ringg.activities import RinggActivities
    from contract import events as ev
    from contract import search_attributes as sa
    from contract.campaign import LARGE_FLOW_MIN_ROWS, CampaignProgress, CampaignRequest, CampaignResult, ResolvedFlow
    from contract.errors import INVALID_CSV, INVALID_REQUEST
    from contract.messages import CallEventsSignal, StopNumbersRequest, StopNumbersResult
    from contract.names import CAMPAIGN_WORKFLOW
    from contract.preflight import preflight_input
    from contract.ringg_checks import NumberPoolInput
    from contract.ringg_steps import CallerNumbersInput
    from contract.statuses import LAUNCHED_STATUSES
    from domain.idempotency import ringg_tag
    from domain.validation import flow_problems, rejected_rows_problem, request_problems

from workflows import options
from workflows.campaign_state import CampaignFailed
from workflows.chunk_stages import ChunkStages
from workflows.ledger_stages import LedgerStages
from workflows.patches import CONTACT_LEDGER, RINGG_DOCS_CHECKS

# workflow.patched id: the window and call_config are required for every flow (issue #12), not only the standard
SCHEDULE_REQUIRED_PATCH = "schedule-required-every-flow"
WEBHOOK_DEDUPE_S = 600.0  # Ringg retries an event for about 3 minutes
WEBHOOK_SEEN_MAX = 200_000


@workflow.defn(name=CAMPAIGN_WORKFLOW)
class CampaignWorkflow(ChunkStages, LedgerStages):
    """One Ringg campaign: pre-flight, key claim, upload, upload-status polling, balance, one launch, monitoring;
    or, where the large flow is unavailable, each chunk saved and launched once, then monitoring (ChunkStages).

    Query `progress` -> CampaignProgress. Update `recheck_balance` -> CampaignProgress (re-checks an insufficient
    balance at once). Update `stop_numbers(StopNumbersRequest)` -> StopNumbersResult (terminates the numbers in a
    file inside the launched campaign: opt-outs). Cancelling the workflow terminates the campaign on Ringg.
    """

    @workflow.init
    def __init__(self, req: CampaignRequest) -> None:
        super().__init__(req)

    @workflow.query
    def progress(self) -> CampaignProgress:
        return self._p

    @workflow.signal
    def call_events(self, batch: CallEventsSignal) -> None:
        """Call results from Ringg's webhooks (via the receiver): each call counted once in `webhook_calls`
        (final results only; a retry attempt is not a result). Duplicates Ringg's retries bring within
        WEBHOOK_DEDUPE_S are dropped here too, whatever the receiver let through."""
        now = workflow.now().timestamp()
        seen = self._webhook_seen
        if len(seen) > WEBHOOK_SEEN_MAX or (seen and next(iter(seen.values())) < now - WEBHOOK_DEDUPE_S):
            self._webhook_seen = seen = {k: t for k, t in seen.items() if t >= now - WEBHOOK_DEDUPE_S}
        counts = self._p.webhook_calls
        for event in batch.events:
            if event.status not in ("completed", "failed") or event.call_id in seen:
                continue
            seen[event.call_id] = now
            counts[event.status] = counts.get(event.status, 0) + 1
            self._webhook_since_poll += 1

    @workflow.update
    async def recheck_balance(self) -> CampaignProgress:
        self._recheck_requested = True
        return self._p

    @workflow.update
    async def stop_numbers(self, req: StopNumbersRequest) -> StopNumbersResult:
        assert self._p.list_id is not None  # the validator refuses the update before the launch
        stopped = await self._stop_numbers(req.numbers_uri)
        stopped.suppressed = await self._suppress_opt_outs(req.numbers_uri)
        return stopped

    @stop_numbers.validator
    def _stop_numbers_allowed(self, req: StopNumbersRequest) -> None:
        if not self._launch_attempted or not self._p.list_id:
            raise ValueError(
                f"campaign {self._req.campaign_name!r} has not been launched; there is nothing to stop yet"
            )
        if not req.numbers_uri.strip():
            raise ValueError("numbers_uri is required: a file of phone numbers readable by the worker")

    @workflow.run
    async def run(self, req: CampaignRequest) -> CampaignResult:
        # The key claim is released on each way out, not in a `finally`: a workflow evicted from the worker's
        # cache is closed at its current await, and a `finally` that awaits would run (and fail) then too.
        try:
            if req.continued is None:
                duplicate_of = await self._prepare_and_launch(req)
                if duplicate_of is not None:
                    return self._result("duplicate")
                await self._ledger_status("launched")
            else:
                await self._resume(req.continued)
            await self._monitor()
            await self._await_late_webhooks()
            not_called = await self._count_not_called() if workflow.patched(RINGG_DOCS_CHECKS) else None
            left = f"; {not_called:,} contacts were never called (not failed calls)" if not_called else ""
            # Finished by the counts while Ringg still said "ongoing": every call has ended, so it completed.
            final = self._p.ringg_status if self._p.ringg_status in ("terminated", "failed") else "completed"
            await self._record_calls(final)
            self._set_stage("completed", f"Ringg reports the campaign {self._p.ringg_status or 'finished'}{left}")
            await workflow.wait_condition(workflow.all_handlers_finished)
            result = self._result(final)
            await self._emit_final(ev.COMPLETED, **self._final_counts(final))  # events out
        except asyncio.CancelledError:
            await self._on_cancel()
            await self._record_calls("cancelled")
            await self._emit_final(ev.CANCELLED, message=self._p.message, **self._final_counts("cancelled"))
            await self._release_claim()
            raise
        except CampaignFailed as err:
            self._set_stage("failed", err.message)
            await self._ledger_status("failed")
            await self._emit_final(ev.FAILED, error_type=err.error_type, message=err.message)  # events out
            await self._release_claim()
            raise ApplicationError(err.message, type=err.error_type, non_retryable=True) from None
        await self._release_claim()
        return result

    # -- stages -------------------------------------------------------------------------------------------

    async def _prepare_and_launch(self, req: CampaignRequest) -> str | None:
        workflow.upsert_search_attributes(
            [sa.CAMPAIGN_NAME.value_set(req.campaign_name[: sa.NAME_MAX]), sa.AGENT_ID.value_set(req.agent_id)]
        )
        self._set_stage("validating", "checking the request and the CSV")
        # Runs started before these checks existed replay without them (workflows.patches).
        docs_checks = workflow.patched(RINGG_DOCS_CHECKS)
        problems = request_problems(
            req, concurrency_rule=docs_checks, schedule_required=workflow.patched(SCHEDULE_REQUIRED_PATCH)
        )
        if problems:
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} was not started: " + "; ".join(problems), INVALID_REQUEST
            )
        await self._check_events()  # events out: a worker that could not send them fails the campaign here
        self._since = workflow.now().isoformat()
        pre = await self._call(
            CsvActivities.preflight_csv,
            preflight_input(req),
            start_to_close_timeout=options.PREFLIGHT_TIMEOUT,
            heartbeat_timeout=options.PREFLIGHT_HEARTBEAT,
            retry_policy=options.PREFLIGHT_RETRY,
            summary="pre-flight: check columns and every number, hash",
        )
        key = pre.idempotency_key
        self._tag = ringg_tag(key)
        self._data_rows = pre.data_rows
        self._p.idempotency_key = key
        self._p.data_rows = pre.data_rows
        self._p.unusable_rows = pre.unusable_rows
        self._p.duplicate_rows = pre.duplicate_rows
        self._p.contacts_report = pre.report_path
        rejected = rejected_rows_problem(
            req.campaign_name,
            pre,
            remove_invalid_rows=req.remove_invalid_rows,
            max_invalid_row_share=req.max_invalid_row_share,
        )
        if rejected:
            raise CampaignFailed(rejected, INVALID_CSV)
        rows = pre.data_rows if pre.valid_rows is None else pre.valid_rows
        if workflow.patched(CONTACT_LEDGER):
            rows = await self._screen(req, pre)
        self._p.flow = self._resolve_flow(req, rows)
        problems = flow_problems(req, self._p.flow, concurrency_rule=docs_checks)
        if problems:
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} ({pre.data_rows} rows) was not started: " + "; ".join(problems),
                INVALID_REQUEST,
            )
        workflow.upsert_search_attributes([sa.IDEMPOTENCY_KEY.value_set(key)])

        if req.from_numbers:
            checked = await self._call(
                RinggActivities.check_caller_numbers,
                CallerNumbersInput(from_numbers=req.from_numbers),
                start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                retry_policy=options.RINGG_RETRY,
                summary="check from_numbers against the workspace",
            )
            self._p.warnings.extend(checked.spam)
        elif docs_checks and (req.number_pool_id or "").strip():
            pool = await self._call(
                RinggActivities.check_number_pool,
                NumberPoolInput(number_pool_id=(req.number_pool_id or "").strip()),
                start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                retry_policy=options.RINGG_RETRY,
                summary="check number_pool_id against the workspace",
            )
            self._p.warnings.extend(pool.warnings)

        owner = await self._take_claim(key)
        if owner is not None:
            self._p.duplicate_of = owner
            self._set_stage("duplicate", f"the same campaign is already handled by workflow {owner}")
            return owner
        self._emit_started()  # events out

        self._set_stage("uploading", f"{pre.data_rows} rows, {self._p.flow} flow")
        try:
            upload = await self._upload(req, pre, key)
        except CampaignFailed as failed:
            reason = self._chunk_reason(req, pre.data_rows, failed)
            if reason is None:
                raise
            await self._launch_in_chunks(req, pre, key, reason)
            self._emit_uploaded()  # events out
            self._emit_launched()
            return None
        if upload.reused_existing and upload.ringg_status in LAUNCHED_STATUSES:
            self._launch_attempted = True
            self._p.ringg_status = upload.ringg_status
            self._set_stage("monitoring", "this key's campaign was already launched on Ringg; monitoring it")
            self._emit_uploaded()  # events out
            self._emit_launched()
            return None
        if self._p.flow == "large":
            await self._wait_for_upload(req)
        elif docs_checks:
            self._show_saved(upload)
        self._emit_uploaded()  # events out
        if docs_checks:
            await self._check_ringg_invalid_rows(req, upload.invalid_rows_url)
        await self._launch_when_funded(req)
        self._emit_launched()  # events out
        return None

    def _resolve_flow(self, req: CampaignRequest, rows: int) -> ResolvedFlow:
        if req.flow == "auto":
            return "large" if rows >= LARGE_FLOW_MIN_ROWS else "standard"
        return req.flow
