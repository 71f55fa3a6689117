"""ScheduledCampaignWorkflow with a stub campaign child: the child is named by the tick (schedule ID + nominal fire
time), a second fire of the same tick starts nothing, and an unusable fire or a failed campaign fails the fire."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contract.campaign import CampaignRequest, CampaignResult
from contract.program import ProgramRequest, ProgramResult
from contract.schedules import FireResult, ScheduledCampaign, WindowSpec
from workflows.scheduled import SCHEDULED_START_TIME, ScheduledCampaignWorkflow

FIRE = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # 09:00 in Asia/Kolkata


@workflow.defn(name="CampaignWorkflow", sandboxed=False)
class StubCampaign:
    """Echoes what it was asked to run; fails when the rendered CSV name says so."""

    @workflow.run
    async def run(self, req: CampaignRequest) -> CampaignResult:
        if "missing" in req.csv_uri:
            raise ApplicationError(f"cannot read {req.csv_uri}", non_retryable=True)
        return CampaignResult(
            campaign_name=req.campaign_name,
            idempotency_key=req.idempotency_key or "",
            list_id=f"{req.campaign_start_time} -> {req.campaign_end_time} from {req.csv_uri}",
            flow="standard",
            status="completed",
        )


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment) -> AsyncIterator[Worker]:
    async with Worker(
        env.client,
        task_queue=f"fire-{uuid.uuid4()}",
        workflows=[ScheduledCampaignWorkflow, StubCampaign],
    ) as running:
        yield running


def fire_input(schedule_id: str, csv_uri: str = "/data/contacts-{date}.csv", until: str = "18:00") -> ScheduledCampaign:
    template = CampaignRequest(campaign_name="Daily", agent_id="agent-1", csv_uri=csv_uri, from_numbers=["n-1"])
    return ScheduledCampaign(schedule_id=schedule_id, template=template, window=WindowSpec(until=until))


async def fire(env: WorkflowEnvironment, worker: Worker, inp: ScheduledCampaign) -> FireResult:
    return await env.client.execute_workflow(
        ScheduledCampaignWorkflow.run,
        inp,
        id=f"fire-{uuid.uuid4()}",
        task_queue=worker.task_queue,
        # The nominal fire time, set as a schedule sets it.
        search_attributes=TypedSearchAttributes([SearchAttributePair(SCHEDULED_START_TIME, FIRE)]),
    )


async def test_a_tick_runs_its_campaign_once_and_a_refire_starts_nothing(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    schedule_id = f"wf-{uuid.uuid4().hex[:8]}"
    first = await fire(env, worker, fire_input(schedule_id))
    assert first.outcome == "ran" and first.campaign is not None
    assert first.campaign_workflow_id == f"campaign-daily-sched-{schedule_id}-20261123T033000Z"  # its name leads
    assert first.campaign.list_id == "23/11/2026, 09:00 -> 23/11/2026, 18:00 from /data/contacts-2026-11-23.csv"
    assert first.fire_time == "2026-11-23T09:00:00+05:30"

    again = await fire(env, worker, fire_input(schedule_id))
    assert again.outcome == "already_fired" and again.campaign is None
    assert again.campaign_workflow_id == first.campaign_workflow_id
    assert again.message == f"campaign {first.campaign_workflow_id} of this tick already exists (an earlier fire)"


async def test_window_over_at_the_fire_time_fails_the_fire_clearly(env: WorkflowEnvironment, worker: Worker) -> None:
    with pytest.raises(WorkflowFailureError) as failure:
        await fire(env, worker, fire_input(f"wf-{uuid.uuid4().hex[:8]}", until="08:00"))
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidScheduledFire"
    assert "started no campaign" in cause.message and "window end is before the fire time" in cause.message


async def test_a_failed_campaign_fails_its_fire(env: WorkflowEnvironment, worker: Worker) -> None:
    with pytest.raises(WorkflowFailureError) as failure:
        await fire(env, worker, fire_input(f"wf-{uuid.uuid4().hex[:8]}", csv_uri="/data/missing-{date}.csv"))
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ScheduledCampaignFailed"
    assert "failed: cannot read /data/missing-2026-11-23.csv" in cause.message


@workflow.defn(name="CampaignProgramWorkflow", sandboxed=False)
class StubProgram:
    """Echoes the program it was asked to run."""

    @workflow.run
    async def run(self, req: ProgramRequest) -> ProgramResult:
        assert req.pilot is not None
        return ProgramResult(
            campaign_name=req.campaign_name,
            idempotency_key=req.idempotency_key or "",
            status="completed",
            message=f"pilot {req.pilot.rows} in {req.campaign_start_time} -> {req.campaign_end_time}",
        )


async def test_a_program_template_fires_a_program_once(env: WorkflowEnvironment) -> None:
    template = ProgramRequest(
        campaign_name="Daily program",
        agent_id="agent-1",
        csv_uri="/data/c-{date}.csv",
        from_numbers=["n-1"],
        pilot={"rows": 5, "approve": "manual"},
    )
    schedule_id = f"wf-{uuid.uuid4().hex[:8]}"
    inp = ScheduledCampaign(schedule_id=schedule_id, template=template, window=WindowSpec(until="18:00"))
    # the template survives the trip through JSON as a program, and a plain one stays a campaign
    assert isinstance(ScheduledCampaign.model_validate_json(inp.model_dump_json()).template, ProgramRequest)
    assert type(ScheduledCampaign.model_validate_json(fire_input("x").model_dump_json()).template) is CampaignRequest
    async with Worker(
        env.client, task_queue=f"fire-{uuid.uuid4()}", workflows=[ScheduledCampaignWorkflow, StubProgram]
    ) as worker:
        first = await fire(env, worker, inp)
        again = await fire(env, worker, inp)
    assert first.outcome == "ran" and first.program is not None and first.campaign is None
    assert first.campaign_workflow_id == f"program-sched-{schedule_id}-20261123T033000Z"
    assert first.program.message == "pilot 5 in 23/11/2026, 09:00 -> 23/11/2026, 18:00"
    assert again.outcome == "already_fired" and again.program is None
