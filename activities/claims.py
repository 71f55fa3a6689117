"""Looks up which campaign holds an idempotency key (the parent of the key's claim workflow)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError

from contract.campaign import CampaignProgress
from contract.claim import ClaimOwnerInput, ClaimOwnerResult
from contract.names import CLAIM_WORKFLOW
from contract.program_steps import WaveLookupInput, WaveLookupResult


class ClaimActivities:
    """Activities that talk to Temporal itself, over the worker's own client."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
    async def find_claim_owner(self, inp: ClaimOwnerInput) -> ClaimOwnerResult:
        try:
            description = await self._client.get_workflow_handle(inp.claim_workflow_id).describe()
        except RPCError:
            return ClaimOwnerResult()
        if inp.running_only and (
            description.status != WorkflowExecutionStatus.RUNNING or description.workflow_type != CLAIM_WORKFLOW
        ):
            return ClaimOwnerResult()  # a claim that ended, or a campaign whose ID happens to read the same
        if inp.running_only:
            return ClaimOwnerResult(owner_workflow_id=description.parent_id or inp.claim_workflow_id)
        return ClaimOwnerResult(owner_workflow_id=description.parent_id)


class WaveLookupActivities(ClaimActivities):
    @activity.defn
    async def look_up_wave(self, inp: WaveLookupInput) -> WaveLookupResult:
        """The lists a wave launched, when its result cannot tell (it was cancelled or failed)."""
        try:
            progress = await self._client.get_workflow_handle(inp.workflow_id).query(
                "progress", result_type=CampaignProgress
            )
        except (RPCError, WorkflowQueryFailedError):
            return WaveLookupResult()
        lists = progress.list_ids or ([progress.list_id] if progress.list_id else [])
        return WaveLookupResult(
            found=True, list_ids=lists, calls_by_status=progress.calls.by_status, not_called=progress.not_called or 0
        )
