"""`python -m devtools.ui_screenshot --program`: a campaign program whose pilot wave has run, waiting for an
operator's approval, started on the screenshot stack and waited on."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from client.program_launcher import start_program
from contract.campaign import PollingConfig
from contract.program import ProgramProgress, ProgramRequest, ProgramResult
from contract.search_attributes import AGENT_ID
from devtools import devstack
from devtools.demo import demo_request
from devtools.sample_csv import CONTACTS_DIR, write_sample_csv
from devtools.ui_page import ProgramExpected
from devtools.ui_stack import ShotError, Target, connect, console
from workflows.program import CampaignProgramWorkflow

AWAITING = "awaiting approval"
ENDED = ("completed", "failed", "rejected", "cancelled")
# Inside data/contacts, a folder the worker reads contacts from by default (CAMPAIGN_CSV_DIRS).
UI_PROGRAM_CSV = CONTACTS_DIR / "ui-check-program.csv"
FAST = PollingConfig(upload_initial_s=0.3, upload_max_s=1, monitor_initial_s=0.3, monitor_max_s=1)


def program_request(sim: devstack.Proc, rows: int, pilot_rows: int) -> ProgramRequest:
    """The demo campaign over `rows` contacts as a program: a pilot of `pilot_rows` approved by hand; calls are
    not retried, so the pilot settles in seconds on a fast simulator clock."""
    csv_path = write_sample_csv(UI_PROGRAM_CSV, rows)
    base = demo_request(csv_path, sim)
    retries = base.call_config.get("call_retry_config")
    call_config = {
        **base.call_config,
        "call_retry_config": {**(retries if isinstance(retries, dict) else {}), "retry_count": 0},
    }
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return ProgramRequest.model_validate(
        {
            **base.model_dump(),
            "campaign_name": f"UI program check {stamp}",
            "idempotency_key": f"ui-program-{uuid.uuid4().hex[:12]}",
            "call_config": call_config,
            "polling": FAST,
            "pilot": {"rows": pilot_rows, "approve": "manual"},
        }
    )


async def start_pilot_program(
    address: str, namespace: str, rows: int, pilot_rows: int, task_queue: str, sim: devstack.Proc
) -> str:
    """Starts the program through the launcher, which sets its static summary and details; returns its id."""
    client = await connect(address, namespace)
    req = program_request(sim, rows, pilot_rows)
    started = await start_program(client, req, task_queue=task_queue)
    console.print(f"Started program [bold]{req.campaign_name}[/] — workflow id [cyan]{started.workflow_id}[/]")
    return started.workflow_id


async def _target(handle: WorkflowHandle[CampaignProgramWorkflow, ProgramResult], progress: ProgramProgress) -> Target:
    if progress.stage != AWAITING or progress.pilot is None or progress.approval_deadline is None:
        raise ShotError(f"program {handle.id} is not awaiting approval (stage {progress.stage!r})")
    description = await handle.describe()
    info = description.raw_description.workflow_execution_info
    agent = description.typed_search_attributes.get(AGENT_ID) or ""
    expected = ProgramExpected(handle.id, progress.campaign_name, agent, progress.approval_deadline, progress.pilot)
    return Target(handle.id, description.run_id or "", info.first_run_id != description.run_id, expected)


async def wait_awaiting_approval(address: str, namespace: str, workflow_id: str, wait_s: float) -> Target:
    """Waits until the pilot wave has run and the program waits for approve / reject."""
    client = await connect(address, namespace)
    handle = client.get_workflow_handle_for(CampaignProgramWorkflow.run, workflow_id)
    deadline = time.monotonic() + wait_s
    progress = ProgramProgress()
    while time.monotonic() < deadline:
        try:
            progress = await handle.query(CampaignProgramWorkflow.progress, rpc_timeout=timedelta(seconds=5))
        except RPCError:  # the worker may not poll yet
            await asyncio.sleep(0.5)
            continue
        if progress.stage == AWAITING:
            console.print(f"Awaiting approval: {progress.message}")
            return await _target(handle, progress)
        if progress.stage in ENDED:
            raise ShotError(f"the program ended ({progress.stage}: {progress.message}) before awaiting approval")
        await asyncio.sleep(0.5)
    raise ShotError(
        f"program {workflow_id} did not reach {AWAITING!r} within {wait_s:.0f}s (stage {progress.stage!r}: "
        f"{progress.message}); raise --timeout, or see the worker's log"
    )


async def existing_program_target(address: str, namespace: str, workflow_id: str) -> Target:
    client = await connect(address, namespace)
    handle = client.get_workflow_handle_for(CampaignProgramWorkflow.run, workflow_id)
    try:
        progress = await handle.query(CampaignProgramWorkflow.progress, rpc_timeout=timedelta(seconds=10))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ShotError(f"no workflow {workflow_id!r} in namespace {namespace!r}") from None
        raise ShotError(
            f"program {workflow_id}: the progress query got no answer ({err.message}). The UI reads the current "
            "details with a query too: a worker must poll the program's task queue."
        ) from None
    return await _target(handle, progress)
