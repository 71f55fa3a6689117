"""Starting campaigns idempotently from any entry point (CLI, HTTP API, tests): the workflow ID derives from
the idempotency key, an open run is returned as is, and a completed run is never started again."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import httpx
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.csv_source import CHUNK, file_sha256, local_path_of
from campaign import search_attributes as sa
from campaign.idempotency import derive_key, workflow_id_for
from campaign.models import TASK_QUEUE, CampaignRequest, CampaignResult
from workflows.campaign import CampaignWorkflow
from workflows.details import static_details, static_summary


@dataclass
class StartOutcome:
    workflow_id: str
    idempotency_key: str
    handle: WorkflowHandle[CampaignWorkflow, CampaignResult]
    state: str  # "started" | "running" (an open run with this key) | "completed" (already ran to completion)


async def content_hash(csv_uri: str) -> str:
    """sha256 of the CSV's bytes, streamed; the worker's pre-flight computes the same value."""
    path = local_path_of(csv_uri)
    if path is not None:
        # In a thread: a big CSV must not stall an event loop that serves other requests (the HTTP API).
        return await asyncio.to_thread(file_sha256, path)
    digest = hashlib.sha256()
    timeout = httpx.Timeout(60.0, connect=10.0)
    async with (
        httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http,
        http.stream("GET", csv_uri) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_bytes(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def idempotency_key_for(req: CampaignRequest) -> str:
    if req.idempotency_key:
        return req.idempotency_key
    return derive_key(
        await content_hash(req.csv_uri),
        req.agent_id,
        req.campaign_name,
        req.campaign_start_time,
        req.campaign_end_time,
    )


async def _is_running(client: Client, workflow_id: str) -> bool:
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.status == WorkflowExecutionStatus.RUNNING


async def start_campaign(
    client: Client, req: CampaignRequest, *, task_queue: str = TASK_QUEUE, key: str | None = None
) -> StartOutcome:
    """`key`: the request's idempotency key when the caller has computed it already (idempotency_key_for)."""
    key = key or await idempotency_key_for(req)
    workflow_id = workflow_id_for(key)
    running = await _is_running(client, workflow_id)
    try:
        handle = await client.start_workflow(
            CampaignWorkflow.run,
            req,
            id=workflow_id,
            task_queue=task_queue,
            # A failed/cancelled run may be retried under the same ID (the workflow reconciles with Ringg, so
            # nothing is launched twice); a completed one is never started again.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.CAMPAIGN_NAME, req.campaign_name[:200]),
                    SearchAttributePair(sa.AGENT_ID, req.agent_id),
                    SearchAttributePair(sa.IDEMPOTENCY_KEY, key),
                ]
            ),
            static_summary=static_summary(req),
            static_details=static_details(req),
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)
        return StartOutcome(workflow_id, key, handle, "completed")
    return StartOutcome(workflow_id, key, handle, "running" if running else "started")
