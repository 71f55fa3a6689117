"""/v1/programs: start a campaign program (idempotent), read its status, and approve, reject, pause or resume it.
POST /v1/campaigns with pilot, windows or follow_up starts a program too."""

from __future__ import annotations

from typing import Annotated, Any, cast

import structlog
from fastapi import APIRouter, Body, Header, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.campaign_input import campaign_body, start_request
from api.context import ApiContext, errors
from api.errors import ApiError
from api.models import REF_PATTERN, CampaignSummary, StartedCampaign, StartState, body_doc
from client.program_launcher import program_key_for, start_program
from client.program_lookup import ACTIONS, Action, ProgramHandle, find_program, program_progress, steer
from contract.program import ApproveInput, ProgramProgress, ProgramRequest, ProgramResult
from domain.csv_sources import CsvSources

log = structlog.get_logger()
Ref = Annotated[str, PathParam(pattern=REF_PATTERN, description="the program's workflow ID or idempotency key")]
START_BODY = body_doc(
    {"$ref": "#/components/schemas/ProgramRequest"},
    "the contacts CSV (stored under CAMPAIGN_UPLOAD_DIR; csv_uri is set to it)",
    "the ProgramRequest as JSON, without csv_uri",
)


class ProgramStatus(CampaignSummary):
    progress: ProgramProgress | None = Field(None, description="the progress query while it runs")
    result: ProgramResult | None = Field(None, description="when completed")
    failure: str | None = Field(None, description="why it failed, was cancelled or terminated")


class Steered(BaseModel):
    workflow_id: str
    action: Action
    progress: ProgramProgress


async def start_program_from(
    ctx: ApiContext, fields: dict[str, Any], header_key: str | None, csv_sha256: str | None, response: Response
) -> StartedCampaign:
    req = await start_request(fields, header_key, ctx.checks, program=True)
    assert isinstance(req, ProgramRequest)  # the fields ask for a program (is_program)
    key = await _key(req, ctx.sources, csv_sha256)
    started = await start_program(ctx.client, req, task_queue=ctx.settings.task_queue, key=key, sources=ctx.sources)
    log.info("program_start", workflow_id=started.workflow_id, state=started.state)
    location = f"/v1/programs/{started.workflow_id}"
    response.status_code = 201 if started.state == "started" else 200
    response.headers["Location"] = location
    state = cast(StartState, started.state)
    return StartedCampaign(
        workflow_id=started.workflow_id,
        idempotency_key=started.idempotency_key,
        state=state,
        campaign_name=req.campaign_name,
        csv_uri=req.csv_uri,
        location=location,
    )


async def _key(req: ProgramRequest, sources: CsvSources, csv_sha256: str | None) -> str:
    try:
        return await program_key_for(req, csv_sha256, sources)
    except Exception as err:  # the CSV cannot be read here: say so, as the campaign start does
        raise ApiError(
            422,
            "the program was not started: cannot read the CSV to derive its key "
            f"({type(err).__name__}); upload the file (multipart/form-data), or give an Idempotency-Key",
        ) from None


def programs_router(ctx: ApiContext) -> APIRouter:
    router = APIRouter(prefix="/v1/programs", tags=["programs"])

    async def found(ref: str) -> ProgramHandle:
        handle = await find_program(ctx.client, ref)
        if handle is None:
            raise ApiError(404, f"no campaign program found for {ref!r} (tried workflow ID and idempotency key)")
        return handle

    @router.post(
        "",
        operation_id="start_program",
        status_code=201,
        responses=errors(400, 413, 415, ok={200: {"model": StartedCampaign, "description": "already exists"}}),
        openapi_extra=START_BODY,
    )
    async def start(
        request: Request,
        response: Response,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> StartedCampaign:
        """Start a campaign program (idempotent: a repeat answers 200 with the same program)."""
        body = await campaign_body(request, ctx.store)
        with ctx.store.discarded_if_refused(body.upload):
            started = await start_program_from(ctx, body.fields, idempotency_key, body.csv_sha256, response)
        ctx.store.publish(body.upload)
        return started

    @router.get("/{ref}", operation_id="get_program", responses=errors(404))
    async def get_program(ref: Ref) -> ProgramStatus:
        """Execution status, the progress query while running (stage, pilot figures, waves), the result once done."""
        handle = await found(ref)
        description = await handle.describe()
        view = ProgramStatus(**CampaignSummary.of(description).model_dump())
        if description.status == WorkflowExecutionStatus.RUNNING:
            view.progress = await program_progress(handle, timeout_s=3)
        elif description.status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
            try:
                view.result = await handle.result()
            except WorkflowFailureError as err:
                view.failure = getattr(err.cause, "message", None) or str(err.cause or err)
        return view

    @router.post("/{ref}/{action}", operation_id="steer_program", responses=errors(400, 404, 409))
    async def steer_program(ref: Ref, action: Action, body: Annotated[ApproveInput | None, Body()] = None) -> Steered:
        """approve / reject (while the stage is "awaiting approval"), pause, resume; 409 says why it does not apply."""
        if action not in ACTIONS:
            raise ApiError(404, f"no such action {action!r}; use one of {', '.join(ACTIONS)}")
        handle = await found(ref)
        inp = body or ApproveInput()
        try:
            progress = await steer(handle, action, inp.by, inp.note)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            raise ApiError(409, str(getattr(cause, "message", None) or cause or err)) from None
        except RPCError as err:  # closed: updates go only to running workflows
            raise ApiError(409, f"program {handle.id} is no longer running: {err.message}") from None
        log.info("program_steered", workflow_id=handle.id, action=action)
        return Steered(workflow_id=handle.id, action=action, progress=progress)

    return router
