"""Finding one campaign from what a person or a service has in hand: its workflow ID, its idempotency key or
its Ringg list id. Shared by the CLI and the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from client.key_lookup import existing_campaign_id
from contract import search_attributes as sa
from contract.campaign import IDEMPOTENCY_KEY_PATTERN, CampaignProgress, CampaignResult
from contract.names import CAMPAIGN_WORKFLOW
from workflows.campaign import CampaignWorkflow


async def existing_of_type(client: Client, workflow_ids: tuple[str, ...], workflow_type: str) -> str | None:
    """The first of `workflow_ids` that exists and is of `workflow_type`, or None."""
    for candidate in workflow_ids:
        try:
            description = await client.get_workflow_handle(candidate).describe()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            continue
        if description.workflow_type == workflow_type:
            return candidate
    return None


async def find_campaign(client: Client, ref: str) -> WorkflowHandle[CampaignWorkflow, CampaignResult] | None:
    """The campaign `ref` names (a workflow ID, an idempotency key or a Ringg list id), or None. Workflows of
    other types (key claims, schedule fires, exports) are not campaigns."""
    found = await existing_of_type(client, (ref,), CAMPAIGN_WORKFLOW)
    if found is None and IDEMPOTENCY_KEY_PATTERN.fullmatch(ref):
        found = await existing_campaign_id(client, ref)  # a key: the old-shape ID, or its claim's owner
    if found is not None:
        return client.get_workflow_handle_for(CampaignWorkflow.run, found)
    if '"' in ref or "\\" in ref:  # cannot be quoted in a visibility query, and no key or list id holds one
        return None
    query = (
        f'WorkflowType = "{CAMPAIGN_WORKFLOW}" AND '
        f'({sa.BULK_LIST_ID.name} = "{ref}" OR {sa.IDEMPOTENCY_KEY.name} = "{ref}")'
    )
    async for execution in client.list_workflows(query, limit=1):
        return client.get_workflow_handle_for(CampaignWorkflow.run, execution.id)
    return None


async def campaign_progress(
    handle: WorkflowHandle[CampaignWorkflow, CampaignResult], timeout_s: float = 5.0
) -> CampaignProgress | None:
    """The `progress` query's answer, or None when no worker answers in time (or the query fails)."""
    try:
        return await handle.query(CampaignWorkflow.progress, rpc_timeout=timedelta(seconds=timeout_s))
    except (RPCError, WorkflowQueryFailedError):
        return None
