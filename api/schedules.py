"""/v1/schedules: recurring campaigns on Temporal Schedules (create, list, describe, trigger, pause, delete)."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Response
from temporalio.client import ScheduleHandle, ScheduleOverlapPolicy
from temporalio.service import RPCError, RPCStatusCode

from api.context import ApiContext, errors
from api.errors import ApiError
from api.schedule_models import (
    SCHEDULE_ID_PATTERN,
    ScheduleCreate,
    ScheduleCreated,
    ScheduleDetail,
    ScheduleList,
    ScheduleNote,
    ScheduleSummary,
    TriggerBody,
    Triggered,
)
from client.schedule_report import campaign_schedules, schedule_report
from client.schedules import campaign_of_fire, create_schedule, trigger_schedule
from client.start_checks import template_problems_beyond
from domain.schedule_input import definition_problems

log = structlog.get_logger()
ScheduleId = Annotated[str, Path(pattern=SCHEDULE_ID_PATTERN, description="the schedule ID")]


def schedules_router(ctx: ApiContext) -> APIRouter:
    router = APIRouter(prefix="/v1/schedules", tags=["schedules"])

    async def existing(schedule_id: str) -> ScheduleHandle:
        handle = ctx.client.get_schedule_handle(schedule_id)
        try:
            await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise ApiError(404, f"no schedule {schedule_id!r}") from None
            raise
        return handle

    @router.get("", operation_id="list_schedules", responses=errors())
    async def list_schedules() -> ScheduleList:
        """The campaign schedules with their next and last fire (eventually consistent)."""
        return ScheduleList(schedules=[ScheduleSummary.of(r) for r in await campaign_schedules(ctx.client)])

    @router.post(
        "",
        operation_id="create_schedule",
        status_code=201,
        responses=errors(400, 409, ok={200: {"model": ScheduleCreated, "description": "the same definition exists"}}),
    )
    async def create(body: ScheduleCreate, response: Response) -> ScheduleCreated:
        """Create a recurring campaign (idempotent; a different definition under an existing ID is refused)."""
        try:
            defn, problems = definition_problems(
                body.schedule_id,
                body.template,
                {},
                body.window.model_dump(exclude_none=True),
                cron=body.cron,
                at=body.at,
                days=body.days,
                timezone=body.timezone,
                overlap=body.overlap,
                catchup=body.catchup,
            )
        except (ValueError, OverflowError) as err:
            defn, problems = None, [str(err)]
        problems += await template_problems_beyond(body.template, ctx.checks)
        if problems or defn is None:
            raise ApiError(422, "the schedule was not created: fix every problem listed", problems)
        outcome = await create_schedule(
            ctx.client,
            defn,
            task_queue=ctx.settings.task_queue,
            paused=body.paused,
            note=body.note,
            sources=ctx.sources,
        )
        if outcome.state == "exists_different":
            raise ApiError(
                409,
                f"schedule {body.schedule_id!r} exists with a different definition; it was left unchanged "
                "(DELETE it, then create it again)",
            )
        log.info("schedule_create", schedule_id=body.schedule_id, state=outcome.state)
        response.status_code = 201 if outcome.state == "created" else 200
        next_fires = list(outcome.description.info.next_action_times[:5])
        return ScheduleCreated(
            schedule_id=body.schedule_id, state=outcome.state, when=defn.fire.when, next_fires=next_fires
        )

    @router.get("/{schedule_id}", operation_id="describe_schedule", responses=errors(404))
    async def describe(schedule_id: ScheduleId) -> ScheduleDetail:
        """Timing, policies, the template, next fires, skipped and missed fires, each recent fire's outcome."""
        handle = await existing(schedule_id)
        return ScheduleDetail.of(await schedule_report(ctx.client, await handle.describe()))

    @router.post(
        "/{schedule_id}/trigger",
        operation_id="trigger_schedule",
        responses=errors(400, 404, 409, ok={202: {"model": Triggered}}),
    )
    async def trigger(schedule_id: ScheduleId, response: Response, body: TriggerBody | None = None) -> Triggered:
        """Fire now (a new tick); 409 when the overlap policy skipped it."""
        await existing(schedule_id)
        overlap = ScheduleOverlapPolicy[body.overlap.upper()] if body and body.overlap else None
        outcome = await trigger_schedule(ctx.client, schedule_id, overlap)
        running = list(outcome.running)
        if outcome.state == "skipped":
            raise ApiError(
                409,
                f"the trigger was skipped: {', '.join(running) or 'the previous fire'} is still running and the "
                "overlap policy is SKIP (trigger with overlap allow_all to run anyway)",
            )
        fire = outcome.fire_workflow_id
        response.status_code = 200 if outcome.state == "fired" else 202
        return Triggered(
            schedule_id=schedule_id,
            state="fired" if outcome.state == "fired" else "pending",
            fire_workflow_id=fire,
            campaign_workflow_id=await campaign_of_fire(ctx.client, schedule_id, fire) if fire else None,
            running=running,
        )

    @router.post("/{schedule_id}/pause", operation_id="pause_schedule", status_code=204, responses=errors(400, 404))
    async def pause(schedule_id: ScheduleId, body: ScheduleNote | None = None) -> None:
        """Stop firing (running campaigns continue)."""
        await (await existing(schedule_id)).pause(note=(body.note if body else "") or "paused through the API")

    @router.post("/{schedule_id}/unpause", operation_id="unpause_schedule", status_code=204, responses=errors(400, 404))
    async def unpause(schedule_id: ScheduleId, body: ScheduleNote | None = None) -> None:
        """Resume firing (ticks missed while paused do not run)."""
        await (await existing(schedule_id)).unpause(note=(body.note if body else "") or "unpaused through the API")

    @router.delete("/{schedule_id}", operation_id="delete_schedule", status_code=204, responses=errors(404))
    async def delete(schedule_id: ScheduleId) -> None:
        """Delete the schedule (fires and campaigns already running continue)."""
        await (await existing(schedule_id)).delete()
        log.info("schedule_delete", schedule_id=schedule_id)

    return router
