"""Starting campaign programs idempotently: the workflow ID derives from the program's key (the CSV's bytes, the
campaign and the program fields), an open run is returned as is, and a completed one is never started again."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.contacts.source import admit, content_sha256, env_sources
from client.launcher import is_running
from contract import search_attributes as sa
from contract.names import TASK_QUEUE
from contract.program import ProgramRequest, ProgramResult
from domain.csv_sources import CsvSources
from domain.program_rules import program_key, program_workflow_id
from workflows.program import CampaignProgramWorkflow
from workflows.program_details import program_static_details, program_summary


@dataclass
class ProgramStart:
    workflow_id: str
    idempotency_key: str
    handle: WorkflowHandle[CampaignProgramWorkflow, ProgramResult]
    state: str  # "started" | "running" | "completed"


async def program_key_for(req: ProgramRequest, csv_sha256: str | None = None, sources: CsvSources | None = None) -> str:
    """The program's key, reading the CSV (under the worker's rules) unless its sha256 is given."""
    if req.idempotency_key:
        return req.idempotency_key
    digest = csv_sha256 or await content_sha256(req.csv_uri, sources or env_sources())
    return program_key(digest, req)


async def start_program(
    client: Client,
    req: ProgramRequest,
    *,
    task_queue: str = TASK_QUEUE,
    key: str | None = None,
    sources: CsvSources | None = None,
) -> ProgramStart:
    sources = sources or env_sources()
    await admit(req.csv_uri, sources)
    key = key or await program_key_for(req, sources=sources)
    workflow_id = program_workflow_id(key)
    # The workflow derives the same key from pre-flight's hash; passing it keeps both sides equal by construction.
    req = req.model_copy(update={"idempotency_key": key})
    running = await is_running(client, workflow_id)
    try:
        handle = await client.start_workflow(
            CampaignProgramWorkflow.run,
            req,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=sa.start_attributes(req.campaign_name, req.agent_id, key),
            static_summary=program_summary(req),
            static_details=program_static_details(req),
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(CampaignProgramWorkflow.run, workflow_id)
        return ProgramStart(workflow_id, key, handle, "completed")
    return ProgramStart(workflow_id, key, handle, "running" if running else "started")
