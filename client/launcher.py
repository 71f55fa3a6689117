"""Starting campaigns idempotently from any entry point (CLI, HTTP API, tests): the workflow ID derives from
the idempotency key (and the campaign's name, for the UI's list; client.key_lookup), an open run is returned as is,
and a completed run is never started again."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.contacts.source import admit, content_sha256, env_sources
from client.key_lookup import launch_workflow_id
from contract import search_attributes as sa
from contract.campaign import CampaignRequest, CampaignResult
from contract.names import TASK_QUEUE
from domain.csv_sources import CsvSources
from domain.idempotency import derive_key
from workflows.campaign import CampaignWorkflow
from workflows.details import static_details, static_summary


@dataclass
class StartOutcome:
    workflow_id: str
    idempotency_key: str
    handle: WorkflowHandle[CampaignWorkflow, CampaignResult]
    state: str  # "started" | "running" (an open run with this key) | "completed" (already ran to completion)


async def idempotency_key_for(
    req: CampaignRequest, csv_sha256: str | None = None, sources: CsvSources | None = None
) -> str:
    """The request's key, or the one derived from the CSV's bytes: read here (as the worker reads them, under the
    same rules and limits: `sources`, by default this process's environment's) unless their sha256 is given.
    Raises SourceRefused, CsvLimitExceeded, CsvUnreadable, OSError or httpx's errors when the CSV cannot be read."""
    if req.idempotency_key:
        return req.idempotency_key
    digest = csv_sha256 or await content_sha256(req.csv_uri, sources or env_sources())
    return derive_key(digest, req.agent_id, req.campaign_name, req.campaign_start_time, req.campaign_end_time)


async def is_running(client: Client, workflow_id: str) -> bool:
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.status == WorkflowExecutionStatus.RUNNING


async def start_campaign(
    client: Client,
    req: CampaignRequest,
    *,
    task_queue: str = TASK_QUEUE,
    key: str | None = None,
    sources: CsvSources | None = None,
) -> StartOutcome:
    """`key`: the request's idempotency key when the caller has computed it already (idempotency_key_for).
    Nothing starts when csv_uri is not one `sources` allow (SourceRefused; by default this process's environment's
    CAMPAIGN_CSV_* rules, which the worker applies again)."""
    sources = sources or env_sources()
    await admit(req.csv_uri, sources)
    key = key or await idempotency_key_for(req, sources=sources)
    # A key started before under another ID (the old `campaign-<key>`, another name) keeps that ID.
    workflow_id = await launch_workflow_id(client, key, req.campaign_name)
    running = await is_running(client, workflow_id)
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
            search_attributes=sa.start_attributes(req.campaign_name, req.agent_id, key),
            static_summary=static_summary(req),
            static_details=static_details(req),
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)
        return StartOutcome(workflow_id, key, handle, "completed")
    return StartOutcome(workflow_id, key, handle, "running" if running else "started")
