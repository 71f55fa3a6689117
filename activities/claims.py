"""Looks up which campaign holds an idempotency key (the parent of the key's claim workflow)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from contract.claim import ClaimOwnerInput, ClaimOwnerResult


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
        return ClaimOwnerResult(owner_workflow_id=description.parent_id)
