"""CampaignWorkflow stages before monitoring: upload, upload-status, balance and the launch."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract import search_attributes as sa
    from contract.campaign import CampaignRequest
    from contract.errors import INSUFFICIENT_BALANCE
    from contract.preflight import PreflightResult
    from contract.ringg_steps import InvalidRowsInput, LaunchInput, LaunchResult, ListRef, UploadInput, UploadResult
    from domain.chunks import chunk_tag
    from domain.idempotency import tagged_campaign_name
    from domain.invalid_rows import ringg_skips_invalid_rows

from workflows import options
from workflows.activity_calls import execute
from workflows.campaign_state import CampaignFailed
from workflows.patches import RINGG_DOCS_CHECKS
from workflows.upload_watch import UploadWatch


class LaunchStages(UploadWatch):
    """Upload, wait for Ringg's processing, wait for credits, launch once."""

    def _upload_input(self, req: CampaignRequest, pre: PreflightResult, key: str) -> UploadInput:
        """What the upload sends (the chunks' saves send the same, under their own names and tags)."""
        assert self._p.flow is not None
        return UploadInput(
            flow=self._p.flow,
            csv_uri=req.csv_uri,
            content_hash=pre.content_hash,
            ringg_campaign_name=tagged_campaign_name(req.campaign_name, key),
            idempotency_tag=self._tag,
            agent_id=req.agent_id,
            country_code=req.country_code,
            number_types=req.number_types,
            variables_map=req.variables_map,
            campaign_start_time=req.campaign_start_time,
            campaign_end_time=req.campaign_end_time,
            call_config=req.call_config,
            remove_invalid_rows=ringg_skips_invalid_rows(req.remove_invalid_rows, req.max_invalid_row_share),
            transliterate_callee_name=req.transliterate_callee_name,
            expected_rows=pre.valid_rows if self._upload_rows is None else self._upload_rows,
            exclusions_path=self._exclusions,
            chunk_probe_tag=chunk_tag(key, 1) if self._p.flow == "large" else None,
        )

    async def _upload(self, req: CampaignRequest, pre: PreflightResult, key: str) -> UploadResult:
        assert self._p.flow is not None
        upload = await self._call(
            RinggActivities.upload_contacts,
            self._upload_input(req, pre, key),
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
        if workflow.patched(RINGG_DOCS_CHECKS):
            status = await self._poll_upload(req)
        else:  # runs started before upload progress: the retry policy is the poll loop
            try:
                status = await execute(
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
                raise self._upload_timeout(req) from err
        self._p.contacts = status.contacts if status.contacts is not None else self._p.contacts
        self._p.invalid_rows = status.invalid_rows
        self._p.ringg_status = status.status
        if status.invalid_rows and status.invalid_rows_url:
            assert self._p.idempotency_key is not None
            saved = await self._call(
                RinggActivities.download_invalid_rows,
                InvalidRowsInput(
                    list_id=self._p.list_id, idempotency_key=self._p.idempotency_key, url=status.invalid_rows_url
                ),
                start_to_close_timeout=options.DOWNLOAD_TIMEOUT,
                heartbeat_timeout=options.DOWNLOAD_HEARTBEAT,
                retry_policy=options.RINGG_RETRY,
                summary="save Ringg's invalid rows for the CSV's owner",
            )
            self._p.invalid_rows_report = saved.path

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
                launched = await execute(
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
            self._set_stage("monitoring", self._launched_message(launched))
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

    def _launched_message(self, launched: LaunchResult) -> str:
        self._p.workspace_has_ongoing_calls = launched.has_ongoing_calls
        said = "launch confirmed" if launched.already_launched else "launched"
        if launched.has_ongoing_calls:
            # Ringg's has_ongoing_calls: other calls in progress share the workspace's call capacity.
            return said + "; the workspace has other calls in progress sharing its capacity, so calls may start slowly"
        return said

    def _launch_input(self, req: CampaignRequest, list_id: str | None = None) -> LaunchInput:
        list_id = self._p.list_id if list_id is None else list_id
        assert list_id is not None and self._p.flow is not None
        return LaunchInput(
            flow=self._p.flow,
            list_id=list_id,
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
