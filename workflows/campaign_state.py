"""Shared state and helpers of CampaignWorkflow's stages: stage reporting, activity calls with readable
failures, the idempotency-key claim."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.claims import ClaimActivities
    from contract import search_attributes as sa
    from contract.campaign import CampaignProgress, CampaignRequest, CampaignResult
    from contract.claim import ClaimInput, ClaimOwnerInput, ClaimResult
    from contract.errors import ACTIVITY_FAILED
    from domain.idempotency import claim_workflow_id_for, legacy_claim_workflow_id_for

from workflows import metrics, options
from workflows.activity_calls import execute
from workflows.claim import CampaignKeyClaimWorkflow
from workflows.details import progress_markdown
from workflows.patches import NAMED_IDS

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")


class CampaignFailed(Exception):
    """Internal: carries an operator-facing message and error type up to run()."""

    def __init__(self, message: str, error_type: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


class CampaignState:
    """Everything a campaign run knows; the stage mixins and CampaignWorkflow share it."""

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
        # Webhook call ids seen recently (-> when), for duplicates Ringg's retries bring within minutes.
        self._webhook_seen: dict[str, float] = {}
        self._webhook_since_poll = 0
        # The contact ledger (workflows.ledger_stages): screened in this run or the one it continues; the numbers
        # the upload leaves out; the rows left to upload.
        self._ledger_on = False
        self._exclusions: str | None = None
        self._upload_rows: int | None = None

    async def _take_claim(self, key: str) -> str | None:
        """Starts the key's claim workflow; returns the owner's workflow ID if another campaign holds it."""
        named = workflow.patched(NAMED_IDS)
        claim_id = claim_workflow_id_for(key) if named else legacy_claim_workflow_id_for(key)
        try:
            self._claim = await workflow.start_child_workflow(
                CampaignKeyClaimWorkflow.run,
                ClaimInput(idempotency_key=key, owner_workflow_id=workflow.info().workflow_id),
                id=claim_id,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=f"idempotency claim held by {workflow.info().workflow_id}"[:190],
                # Out of the UI's campaign list (listed with contract.search_attributes.CLAIMS_QUERY).
                search_attributes=sa.claim_attributes() if named else None,
            )
        except WorkflowAlreadyStartedError:
            return await self._claim_owner(claim_id, running_only=False) or claim_id
        if named:
            # A run that took the key before claims moved to their own prefix still holds it under the old ID.
            owner = await self._claim_owner(legacy_claim_workflow_id_for(key), running_only=True)
            if owner is not None and owner != workflow.info().workflow_id:
                await self._release_claim()
                return owner
        return None

    async def _claim_owner(self, claim_id: str, *, running_only: bool) -> str | None:
        found = await self._call(
            ClaimActivities.find_claim_owner,
            ClaimOwnerInput(claim_workflow_id=claim_id, running_only=running_only),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=options.RINGG_RETRY,
            summary="who holds this idempotency key" + (" (under the old claim ID)" if running_only else ""),
        )
        return found.owner_workflow_id

    async def _release_claim(self) -> None:
        if self._claim is not None:
            claim, self._claim = self._claim, None
            try:
                await claim.signal(CampaignKeyClaimWorkflow.release)
            except Exception:  # the parent close policy still terminates it
                workflow.logger.warning("could not release the idempotency claim; it ends with this run")

    async def _call(
        self, method: Callable[[Any, InputT], Awaitable[ResultT]], arg: InputT, *, summary: str, **kwargs: Any
    ) -> ResultT:
        """Runs an activity; a failure becomes a CampaignFailed carrying the activity's readable message (a busy
        Ringg budget delays it: workflows.activity_calls)."""
        try:
            return await execute(method, arg, summary=summary, **kwargs)
        except ActivityError as err:
            raise self._failure(err, summary) from err

    def _failure(self, err: ActivityError, doing: str) -> CampaignFailed:
        cause = err.cause
        if isinstance(cause, CancelledError):
            # The activity was cancelled because the campaign is being cancelled: unwind as a cancellation.
            raise asyncio.CancelledError() from err
        if isinstance(cause, ApplicationError):
            return CampaignFailed(cause.message, cause.type)
        return CampaignFailed(f"{doing} failed: {cause or err}", ACTIVITY_FAILED)

    def _set_stage(self, stage: str, message: str) -> None:
        self._p.stage = stage
        self._p.message = message
        if stage != self._stage_attr:
            self._stage_attr = stage
            workflow.upsert_search_attributes([sa.CAMPAIGN_STAGE.value_set(stage)])
            metrics.stage_entered(self._p)
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
            not_called=self._p.not_called or 0,
            data_rows=self._data_rows,
            contacts=self._p.contacts,
            invalid_rows=self._p.invalid_rows,
            duplicate_of=self._p.duplicate_of,
            reused_existing_list=self._reused,
            warnings=self._p.warnings,
            invalid_rows_report=self._p.invalid_rows_report,
            unusable_rows=self._p.unusable_rows,
            duplicate_rows=self._p.duplicate_rows,
            suppressed_rows=self._p.suppressed_rows,
            capped_rows=self._p.capped_rows,
            contacts_report=self._p.contacts_report,
            message=self._p.message,
        )
