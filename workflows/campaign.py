"""CampaignWorkflow: drives one Ringg campaign from a contacts CSV to final call counts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.claims import ClaimActivities
    from activities.errors import INSUFFICIENT_BALANCE, INVALID_REQUEST
    from activities.preflight import CsvActivities
    from activities.ringg_activities import LAUNCHED_STATUSES, RinggActivities
    from campaign import search_attributes as sa
    from campaign.idempotency import claim_workflow_id_for, ringg_tag, tagged_campaign_name
    from campaign.models import (
        LARGE_FLOW_MIN_ROWS,
        CallCounts,
        CampaignProgress,
        CampaignRequest,
        CampaignResult,
        ContinuedState,
        ResolvedFlow,
    )
    from campaign.steps import (
        ClaimOwnerInput,
        LaunchInput,
        ListRef,
        PreflightInput,
        SnapshotInput,
        TerminateInput,
        UploadInput,
        UploadResult,
    )
    from campaign.validation import request_problems

from workflows import options
from workflows.claim import CampaignKeyClaimWorkflow, ClaimInput, ClaimResult
from workflows.details import progress_markdown

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")

# Continue as new well before Temporal's suggestion so one run's history stays small (principle 1).
HISTORY_EVENTS_BEFORE_CONTINUE = 1_500


class CampaignFailed(Exception):
    """Internal: carries an operator-facing message and error type up to run()."""

    def __init__(self, message: str, error_type: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


@workflow.defn(name="CampaignWorkflow")
class CampaignWorkflow:
    """One Ringg campaign: pre-flight, key claim, upload, upload-status polling, balance, one launch, monitoring.

    Query `progress` -> CampaignProgress. Update `recheck_balance` -> CampaignProgress (re-checks an insufficient
    balance at once). Cancelling the workflow terminates the launched campaign on Ringg.
    """

    @workflow.init
    def __init__(self, req: CampaignRequest) -> None:
        self._req = req
        self._p = CampaignProgress(campaign_name=req.campaign_name)
        self._launch_attempted = False
        self._recheck_requested = False
        self._stage_attr: str | None = None
        self._tag = ""
        self._since = ""
        self._monitor_interval = req.polling.monitor_initial_s
        self._reused = False
        self._data_rows = 0
        self._claim: workflow.ChildWorkflowHandle[CampaignKeyClaimWorkflow, ClaimResult] | None = None

    @workflow.query
    def progress(self) -> CampaignProgress:
        return self._p

    @workflow.update
    async def recheck_balance(self) -> CampaignProgress:
        self._recheck_requested = True
        return self._p

    @workflow.run
    async def run(self, req: CampaignRequest) -> CampaignResult:
        try:
            if req.continued is None:
                duplicate_of = await self._prepare_and_launch(req)
                if duplicate_of is not None:
                    return self._result("duplicate")
            else:
                await self._resume(req.continued)
            await self._monitor()
            self._set_stage("completed", f"Ringg reports the campaign {self._p.ringg_status or 'finished'}")
            return self._result(self._p.ringg_status or "completed")
        except asyncio.CancelledError:
            await self._on_cancel()
            raise
        except CampaignFailed as err:
            self._set_stage("failed", err.message)
            raise ApplicationError(err.message, type=err.error_type, non_retryable=True) from None
        finally:
            await self._release_claim()

    # -- stages -------------------------------------------------------------------------------------------

    async def _prepare_and_launch(self, req: CampaignRequest) -> str | None:
        workflow.upsert_search_attributes(
            [sa.CAMPAIGN_NAME.value_set(req.campaign_name[:200]), sa.AGENT_ID.value_set(req.agent_id)]
        )
        self._set_stage("validating", "checking the request and the CSV")
        problems = request_problems(req)
        if problems:
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} was not started: " + "; ".join(problems), INVALID_REQUEST
            )
        self._since = workflow.now().isoformat()
        pre = await self._call(
            CsvActivities.preflight_csv,
            PreflightInput(
                csv_uri=req.csv_uri,
                variables_map=req.variables_map,
                campaign_name=req.campaign_name,
                agent_id=req.agent_id,
                campaign_start_time=req.campaign_start_time,
                campaign_end_time=req.campaign_end_time,
                idempotency_key=req.idempotency_key,
            ),
            start_to_close_timeout=options.PREFLIGHT_TIMEOUT,
            heartbeat_timeout=None,
            retry_policy=options.PREFLIGHT_RETRY,
            summary="pre-flight: count rows, check columns, hash",
        )
        key = pre.idempotency_key
        self._tag = ringg_tag(key)
        self._data_rows = pre.data_rows
        self._p.idempotency_key = key
        self._p.data_rows = pre.data_rows
        self._p.flow = self._resolve_flow(req, pre.data_rows)
        workflow.upsert_search_attributes([sa.IDEMPOTENCY_KEY.value_set(key)])

        owner = await self._take_claim(key)
        if owner is not None:
            self._p.duplicate_of = owner
            self._set_stage("duplicate", f"the same campaign is already handled by workflow {owner}")
            return owner

        self._set_stage("uploading", f"{pre.data_rows} rows, {self._p.flow} flow")
        upload = await self._upload(req, pre.content_hash, key)
        if upload.reused_existing and upload.ringg_status in LAUNCHED_STATUSES:
            self._launch_attempted = True
            self._p.ringg_status = upload.ringg_status
            self._set_stage("monitoring", "this key's campaign was already launched on Ringg; monitoring it")
            return None
        if self._p.flow == "large":
            await self._wait_for_upload(req)
        await self._launch_when_funded(req)
        return None

    def _resolve_flow(self, req: CampaignRequest, rows: int) -> ResolvedFlow:
        if req.flow == "auto":
            return "large" if rows >= LARGE_FLOW_MIN_ROWS else "standard"
        return req.flow

    async def _take_claim(self, key: str) -> str | None:
        """Starts the key's claim workflow; returns the owner's workflow ID if another campaign holds it."""
        claim_id = claim_workflow_id_for(key)
        try:
            self._claim = await workflow.start_child_workflow(
                CampaignKeyClaimWorkflow.run,
                ClaimInput(idempotency_key=key, owner_workflow_id=workflow.info().workflow_id),
                id=claim_id,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=f"idempotency claim held by {workflow.info().workflow_id}"[:190],
            )
            return None
        except WorkflowAlreadyStartedError:
            found = await self._call(
                ClaimActivities.find_claim_owner,
                ClaimOwnerInput(claim_workflow_id=claim_id),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=options.RINGG_RETRY,
                summary="who holds this idempotency key",
            )
            return found.owner_workflow_id or claim_id

    async def _release_claim(self) -> None:
        if self._claim is not None:
            claim, self._claim = self._claim, None
            try:
                await claim.signal(CampaignKeyClaimWorkflow.release)
            except Exception:  # the parent close policy still terminates it
                workflow.logger.warning("could not release the idempotency claim; it ends with this run")

    async def _upload(self, req: CampaignRequest, content_hash: str, key: str) -> UploadResult:
        assert self._p.flow is not None
        upload = await self._call(
            RinggActivities.upload_contacts,
            UploadInput(
                flow=self._p.flow,
                csv_uri=req.csv_uri,
                content_hash=content_hash,
                ringg_campaign_name=tagged_campaign_name(req.campaign_name, key),
                idempotency_tag=self._tag,
                agent_id=req.agent_id,
                country_code=req.country_code,
                variables_map=req.variables_map,
                campaign_start_time=req.campaign_start_time,
                campaign_end_time=req.campaign_end_time,
                call_config=req.call_config,
                remove_invalid_rows=req.remove_invalid_rows,
                transliterate_callee_name=req.transliterate_callee_name,
            ),
            start_to_close_timeout=options.UPLOAD_TIMEOUT,
            heartbeat_timeout=options.UPLOAD_HEARTBEAT,
            retry_policy=options.RINGG_RETRY,
            summary=f"upload contacts ({self._p.flow} flow)",
        )
        self._reused = upload.reused_existing
        self._p.list_id = upload.list_id
        self._p.ringg_status = upload.ringg_status
        self._p.contacts = upload.contacts
        self._p.invalid_rows = upload.invalid_rows
        workflow.upsert_search_attributes([sa.BULK_LIST_ID.value_set(upload.list_id)])
        return upload

    async def _wait_for_upload(self, req: CampaignRequest) -> None:
        assert self._p.list_id is not None
        self._set_stage("processing_upload", "Ringg is validating the uploaded rows")
        try:
            status = await workflow.execute_activity_method(
                RinggActivities.get_upload_status,
                ListRef(list_id=self._p.list_id, idempotency_tag=self._tag),
                start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                schedule_to_close_timeout=timedelta(seconds=req.polling.upload_timeout_s),
                retry_policy=options.upload_status_retry(req.polling),
                summary="poll upload-status until processed",
            )
        except ActivityError as err:
            if isinstance(err.cause, ApplicationError | CancelledError):
                raise self._failure(err, "polling the upload status") from err
            raise CampaignFailed(
                f"Ringg did not finish processing list {self._p.list_id} within "
                f"{req.polling.upload_timeout_s:.0f}s; nothing was launched. Check the list in Ringg's dashboard "
                "and start the campaign again (the same request reuses the uploaded list).",
                "UploadTimeout",
            ) from err
        self._p.contacts = status.contacts if status.contacts is not None else self._p.contacts
        self._p.invalid_rows = status.invalid_rows
        self._p.ringg_status = status.status

    async def _launch_when_funded(self, req: CampaignRequest) -> None:
        assert self._p.list_id is not None and self._p.flow is not None
        deadline = workflow.now() + timedelta(seconds=req.max_balance_wait_seconds)
        interval = req.polling.balance_initial_s
        ref = ListRef(list_id=self._p.list_id, idempotency_tag=self._tag)
        while True:
            if self._p.flow == "large":
                self._set_stage("checking_balance", "")
                balance = await self._call(
                    RinggActivities.check_balance,
                    ref,
                    start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                    retry_policy=options.RINGG_RETRY,
                    summary="check-balance",
                )
                self._p.required_credits = balance.required_credits
                self._p.available_credits = balance.available_credits
                self._p.missing_credits = balance.missing_credits
                if balance.sufficient is False:
                    interval = await self._wait_for_credits(deadline, interval, req)
                    continue
            self._set_stage("launching", "")
            self._launch_attempted = True
            try:
                launched = await workflow.execute_activity_method(
                    RinggActivities.launch_campaign,
                    self._launch_input(req),
                    start_to_close_timeout=options.LAUNCH_TIMEOUT,
                    heartbeat_timeout=options.LAUNCH_HEARTBEAT,
                    retry_policy=options.RINGG_RETRY,
                    summary="launch (reconciled with Ringg first)",
                )
            except ActivityError as err:
                cause = err.cause
                if isinstance(cause, ApplicationError) and cause.type == INSUFFICIENT_BALANCE:
                    self._p.message = cause.message
                    interval = await self._wait_for_credits(deadline, interval, req)
                    continue
                raise self._failure(err, "launching") from err
            self._p.ringg_status = launched.ringg_status
            self._set_stage("monitoring", "launched" if not launched.already_launched else "launch confirmed")
            return

    async def _wait_for_credits(self, deadline: datetime, interval: float, req: CampaignRequest) -> float:
        now = workflow.now()
        if now >= deadline:
            missing = f"{self._p.missing_credits:g} credits" if self._p.missing_credits else "an unknown amount"
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} (list {self._p.list_id}) was not launched: the Ringg workspace "
                f"lacks {missing} (required {self._p.required_credits}, available {self._p.available_credits}) "
                f"and was not topped up within {req.max_balance_wait_seconds}s. Top up, then start the same "
                "request again: it reuses the uploaded list.",
                INSUFFICIENT_BALANCE,
            )
        self._set_stage("waiting_for_balance", "insufficient credits; re-checking (update recheck_balance to hurry)")
        self._recheck_requested = False
        wait = min(interval, (deadline - now).total_seconds())
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._recheck_requested,
                timeout=timedelta(seconds=max(wait, 0.001)),
                timeout_summary="re-check balance",
            )
        return min(interval * 2, req.polling.balance_max_s)

    def _launch_input(self, req: CampaignRequest) -> LaunchInput:
        assert self._p.list_id is not None and self._p.flow is not None
        return LaunchInput(
            flow=self._p.flow,
            list_id=self._p.list_id,
            idempotency_tag=self._tag,
            agent_id=req.agent_id,
            country_code=req.country_code,
            campaign_start_time=req.campaign_start_time,
            campaign_end_time=req.campaign_end_time,
            call_config=req.call_config,
            # Empty values count as absent: Ringg wants exactly one of the two (422 otherwise).
            from_numbers=req.from_numbers or None,
            number_pool_id=(req.number_pool_id or "").strip() or None,
            concurrency_percentage=req.concurrency_percentage,
            callback_url=req.callback_url,
            email_completion_user_ids=req.email_completion_user_ids,
        )

    async def _monitor(self) -> None:
        assert self._p.list_id is not None
        polling = self._req.polling
        snapshot_input = SnapshotInput(
            list_id=self._p.list_id,
            idempotency_tag=self._tag,
            since=datetime.fromisoformat(self._since),
            expected_calls=self._p.contacts,
        )
        while True:
            snap = await self._call(
                RinggActivities.snapshot_campaign,
                snapshot_input,
                start_to_close_timeout=options.SNAPSHOT_TIMEOUT,
                heartbeat_timeout=options.SNAPSHOT_HEARTBEAT,
                retry_policy=options.SNAPSHOT_RETRY,
                summary=f"poll #{self._p.polls + 1}",
            )
            changed = snap.calls_by_status != self._p.calls.by_status or snap.ringg_status != self._p.ringg_status
            self._p.polls += 1
            self._p.ringg_status = snap.ringg_status or self._p.ringg_status
            self._p.calls = CallCounts(by_status=snap.calls_by_status, total=snap.total_calls)
            self._touch()
            if snap.finished:
                return
            if changed:
                self._monitor_interval = polling.monitor_initial_s
            else:
                self._monitor_interval = min(self._monitor_interval * polling.monitor_backoff, polling.monitor_max_s)
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._release_claim()
                workflow.continue_as_new(self._req.model_copy(update={"continued": self._continued_state()}))
            await workflow.sleep(self._monitor_interval, summary=f"next poll in {self._monitor_interval:.0f}s")

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_EVENTS_BEFORE_CONTINUE

    def _continued_state(self) -> ContinuedState:
        assert self._p.list_id is not None and self._p.flow is not None and self._p.idempotency_key is not None
        return ContinuedState(
            idempotency_key=self._p.idempotency_key,
            idempotency_tag=self._tag,
            flow=self._p.flow,
            list_id=self._p.list_id,
            since=self._since,
            data_rows=self._data_rows,
            contacts=self._p.contacts,
            invalid_rows=self._p.invalid_rows,
            reused_existing_list=self._reused,
            polls=self._p.polls,
            monitor_interval_s=self._monitor_interval,
            calls_by_status=self._p.calls.by_status,
            ringg_status=self._p.ringg_status,
        )

    async def _resume(self, state: ContinuedState) -> None:
        self._tag, self._since = state.idempotency_tag, state.since
        self._data_rows, self._reused = state.data_rows, state.reused_existing_list
        self._monitor_interval = state.monitor_interval_s or self._req.polling.monitor_initial_s
        self._launch_attempted = True
        self._p = CampaignProgress(
            campaign_name=self._req.campaign_name,
            idempotency_key=state.idempotency_key,
            flow=state.flow,
            list_id=state.list_id,
            data_rows=state.data_rows,
            contacts=state.contacts,
            invalid_rows=state.invalid_rows,
            ringg_status=state.ringg_status,
            calls=CallCounts(by_status=state.calls_by_status, total=sum(state.calls_by_status.values())),
            polls=state.polls,
        )
        # Hold the key again for this run; if a duplicate grabbed it in between, it reconciles with Ringg
        # and finds this campaign already launched, so nothing is launched twice.
        await self._take_claim(state.idempotency_key)
        self._set_stage("monitoring", "continued as new")

    async def _on_cancel(self) -> None:
        if self._launch_attempted and self._p.list_id:
            self._set_stage("terminating", "cancel requested; terminating queued calls on Ringg")
            await workflow.execute_activity_method(
                RinggActivities.terminate_campaign,
                TerminateInput(list_id=self._p.list_id),
                start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                retry_policy=options.RINGG_RETRY,
                summary="terminate on Ringg (cancel)",
            )
            self._set_stage("cancelled", "terminated on Ringg; calls already in progress finish normally")
        else:
            self._set_stage("cancelled", "cancelled before launch; nothing was launched")

    # -- helpers ------------------------------------------------------------------------------------------

    async def _call(
        self, method: Callable[[Any, InputT], Awaitable[ResultT]], arg: InputT, *, summary: str, **kwargs: Any
    ) -> ResultT:
        """Runs an activity; a failure becomes a CampaignFailed carrying the activity's readable message."""
        try:
            return await workflow.execute_activity_method(method, arg, summary=summary, **kwargs)
        except ActivityError as err:
            raise self._failure(err, summary) from err

    def _failure(self, err: ActivityError, doing: str) -> CampaignFailed:
        cause = err.cause
        if isinstance(cause, CancelledError):
            # The activity was cancelled because the campaign is being cancelled: unwind as a cancellation.
            raise asyncio.CancelledError() from err
        if isinstance(cause, ApplicationError):
            return CampaignFailed(cause.message, cause.type)
        return CampaignFailed(f"{doing} failed: {cause or err}", "ActivityFailed")

    def _set_stage(self, stage: str, message: str) -> None:
        self._p.stage = stage
        self._p.message = message
        if stage != self._stage_attr:
            self._stage_attr = stage
            workflow.upsert_search_attributes([sa.CAMPAIGN_STAGE.value_set(stage)])
        self._touch()

    def _touch(self) -> None:
        self._p.updated_at = workflow.now().isoformat(timespec="seconds")
        workflow.set_current_details(progress_markdown(self._p))

    def _result(self, status: str) -> CampaignResult:
        return CampaignResult(
            campaign_name=self._req.campaign_name,
            idempotency_key=self._p.idempotency_key or "",
            list_id=self._p.list_id,
            flow=self._p.flow,
            status=status,
            ringg_status=self._p.ringg_status,
            calls_by_status=self._p.calls.by_status,
            total_calls=self._p.calls.total,
            data_rows=self._data_rows,
            contacts=self._p.contacts,
            invalid_rows=self._p.invalid_rows,
            duplicate_of=self._p.duplicate_of,
            reused_existing_list=self._reused,
            message=self._p.message,
        )
