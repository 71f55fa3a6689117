"""Finding a campaign program (by workflow ID or idempotency key) and steering it with its updates; shared by
the CLI and the HTTP API."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.lookup import existing_of_type
from contract import search_attributes as sa
from contract.names import PROGRAM_WORKFLOW
from contract.program import ApproveInput, PauseInput, ProgramProgress, ProgramResult
from domain.program_rules import program_workflow_id
from workflows.program import CampaignProgramWorkflow

ProgramHandle = WorkflowHandle[CampaignProgramWorkflow, ProgramResult]
Action = Literal["approve", "reject", "pause", "resume"]
ACTIONS: tuple[Action, ...] = ("approve", "reject", "pause", "resume")


async def find_program(client: Client, ref: str) -> ProgramHandle | None:
    """The program `ref` names (its workflow ID or its idempotency key), or None."""
    found = await existing_of_type(client, (ref, program_workflow_id(ref)), PROGRAM_WORKFLOW)
    if found is not None:
        return client.get_workflow_handle_for(CampaignProgramWorkflow.run, found)
    if '"' in ref or "\\" in ref:
        return None
    query = f'WorkflowType = "{PROGRAM_WORKFLOW}" AND {sa.IDEMPOTENCY_KEY.name} = "{ref}"'
    async for execution in client.list_workflows(query, limit=1):
        return client.get_workflow_handle_for(CampaignProgramWorkflow.run, execution.id)
    return None


async def program_progress(handle: ProgramHandle, timeout_s: float = 5.0) -> ProgramProgress | None:
    try:
        return await handle.query(CampaignProgramWorkflow.progress, rpc_timeout=timedelta(seconds=timeout_s))
    except (RPCError, WorkflowQueryFailedError):
        return None


async def steer(handle: ProgramHandle, action: Action, by: str = "", note: str = "") -> ProgramProgress:
    """Runs the update `action`; raises WorkflowUpdateFailedError (with the program's reason) when it does not
    apply now (e.g. approve while nothing awaits approval)."""
    if action == "approve":
        return await handle.execute_update(CampaignProgramWorkflow.approve, ApproveInput(by=by, note=note))
    if action == "reject":
        return await handle.execute_update(CampaignProgramWorkflow.reject, ApproveInput(by=by, note=note))
    if action == "pause":
        return await handle.execute_update(CampaignProgramWorkflow.pause, PauseInput(by=by))
    return await handle.execute_update(CampaignProgramWorkflow.resume, PauseInput(by=by))
