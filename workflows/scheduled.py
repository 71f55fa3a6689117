"""ScheduledCampaignWorkflow: one fire of a campaign schedule, run as the schedule's action."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import (
    SearchAttributeKey,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from contract import search_attributes as sa
    from contract.campaign import CampaignRequest
    from contract.errors import CAMPAIGN_FAILED, INVALID_FIRE
    from contract.names import FIRE_WORKFLOW
    from contract.program import ProgramRequest
    from contract.schedules import FireResult, ScheduledCampaign
    from domain.fire_render import FireRenderError, campaign_timezone, render_fire, zone
    from domain.idempotency import workflow_id_for
    from domain.program_rules import program_workflow_id

from workflows.campaign import CampaignWorkflow
from workflows.details import static_details, static_summary
from workflows.patches import NAMED_IDS
from workflows.program import CampaignProgramWorkflow
from workflows.program_details import program_static_details, program_summary

# Set by the server on every workflow a schedule starts: the tick's nominal time (whole seconds), also for
# `trigger` (then "now") and backfills (the backfilled tick).
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def nominal_fire_time() -> datetime:
    info = workflow.info()
    return info.typed_search_attributes.get(SCHEDULED_START_TIME) or info.start_time


@workflow.defn(name=FIRE_WORKFLOW)
class ScheduledCampaignWorkflow:
    """Renders the schedule's template for the nominal fire time and runs the campaign as the child
    `campaign-<name slug>-<key>` (key = schedule ID + fire time), so a re-fire of the same tick launches nothing.
    Fails with a clear message when the window is over at the fire time or the campaign fails. No signals, queries
    or updates; cancelling it cancels the campaign (which terminates it on Ringg)."""

    @workflow.run
    async def run(self, inp: ScheduledCampaign) -> FireResult:
        fire_time = nominal_fire_time()
        try:
            req = render_fire(inp, fire_time)
            local = fire_time.astimezone(zone(campaign_timezone(inp.template)))
        except FireRenderError as err:
            message = f"schedule {inp.schedule_id}: the fire of {fire_time.isoformat()} started no campaign: {err}"
            workflow.logger.error(message)
            raise ApplicationError(message, type=INVALID_FIRE, non_retryable=True) from None
        assert req.idempotency_key is not None  # render_fire always sets it
        result = FireResult(
            schedule_id=inp.schedule_id,
            fire_time=local.isoformat(),
            idempotency_key=req.idempotency_key,
            campaign_workflow_id=self._workflow_id(req),
            outcome="ran",
        )
        if isinstance(req, ProgramRequest):
            return await self._run_program(inp, req, result)
        try:
            child = await workflow.start_child_workflow(
                CampaignWorkflow.run,
                req,
                id=result.campaign_workflow_id,
                # A failed campaign may be re-fired (backfill); a running or completed one is never started again.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
                search_attributes=sa.start_attributes(req.campaign_name, req.agent_id, req.idempotency_key),
                static_summary=static_summary(req),
                static_details=static_details(req),
            )
        except WorkflowAlreadyStartedError:
            result.outcome = "already_fired"
            result.message = f"campaign {result.campaign_workflow_id} of this tick already exists (an earlier fire)"
            workflow.logger.warning(f"schedule {inp.schedule_id}: nothing launched, {result.message}")
            return result
        try:
            result.campaign = await child
        except ChildWorkflowError as err:
            if isinstance(err.cause, CancelledError):
                what = "was cancelled"
            else:
                what = "failed: " + (getattr(err.cause, "message", None) or str(err.cause or err))
            message = f"schedule {inp.schedule_id}: campaign {result.campaign_workflow_id} {what}"
            raise ApplicationError(message, type=CAMPAIGN_FAILED, non_retryable=True) from None
        if result.campaign.status == "duplicate":
            result.outcome = "already_fired"
            result.message = f"the key of this tick is held by {result.campaign.duplicate_of}"
        else:
            result.message = f"campaign {result.campaign_workflow_id} ended {result.campaign.status}"
        return result

    @staticmethod
    def _workflow_id(req: CampaignRequest | ProgramRequest) -> str:
        key = req.idempotency_key or ""
        if isinstance(req, ProgramRequest):
            return program_workflow_id(key)
        # Fires of runs started before campaign IDs held names replay with the ID they started.
        return workflow_id_for(key, req.campaign_name) if workflow.patched(NAMED_IDS) else workflow_id_for(key)

    async def _run_program(self, inp: ScheduledCampaign, req: ProgramRequest, result: FireResult) -> FireResult:
        """A program's template: the fire runs it as the child CampaignProgramWorkflow `program-<key>`."""
        try:
            child = await workflow.start_child_workflow(
                CampaignProgramWorkflow.run,
                req,
                id=result.campaign_workflow_id,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
                search_attributes=sa.start_attributes(req.campaign_name, req.agent_id, req.idempotency_key),
                static_summary=program_summary(req),
                static_details=program_static_details(req),
            )
        except WorkflowAlreadyStartedError:
            result.outcome = "already_fired"
            result.message = f"program {result.campaign_workflow_id} of this tick already exists (an earlier fire)"
            return result
        try:
            result.program = await child
        except ChildWorkflowError as err:
            what = (
                "was cancelled"
                if isinstance(err.cause, CancelledError)
                else "failed: " + (getattr(err.cause, "message", None) or str(err.cause or err))
            )
            message = f"schedule {inp.schedule_id}: program {result.campaign_workflow_id} {what}"
            raise ApplicationError(message, type=CAMPAIGN_FAILED, non_retryable=True) from None
        result.message = f"program {result.campaign_workflow_id} ended {result.program.status}"
        return result
