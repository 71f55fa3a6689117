"""/v1/campaigns: start (idempotent), list, status, cancel and stop numbers."""

from __future__ import annotations

from typing import Annotated, cast

import structlog
from fastapi import APIRouter, Header, Path, Query, Request, Response
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.campaign_input import campaign_body, campaign_key, numbers_body, start_request
from api.context import ApiContext, errors
from api.errors import ApiError
from api.models import (
    REF_PATTERN,
    CampaignList,
    CampaignStatus,
    CampaignSummary,
    CancelRequested,
    ListStatus,
    StartedCampaign,
    StartState,
    StopNumbersBody,
    StopNumbersDone,
    body_doc,
    status_name,
)
from api.programs import start_program_from
from api.updates import stop_numbers as run_stop_numbers
from client.launcher import start_campaign
from client.listing import ListProblem, campaigns, visibility_query
from client.lookup import campaign_progress, find_campaign
from contract.campaign import CampaignResult
from contract.program import is_program
from workflows.campaign import CampaignWorkflow

log = structlog.get_logger()
Ref = Annotated[str, Path(pattern=REF_PATTERN, description="workflow ID, idempotency key or Ringg list id")]
Handle = WorkflowHandle[CampaignWorkflow, CampaignResult]
START_BODY = body_doc(
    {"$ref": "#/components/schemas/CampaignRequest"},
    "the contacts CSV (stored under CAMPAIGN_UPLOAD_DIR; csv_uri is set to it)",
    "the CampaignRequest as JSON, without csv_uri",
)
STOP_BODY = body_doc(
    StopNumbersBody.model_json_schema(), "the phone numbers, one a line or the first CSV column", request_help=None
)


def campaigns_router(ctx: ApiContext) -> APIRouter:
    router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

    async def found(ref: str) -> Handle:
        handle = await find_campaign(ctx.client, ref)
        if handle is None:
            raise ApiError(404, f"no campaign found for {ref!r} (tried workflow ID, idempotency key and list id)")
        return handle

    @router.post(
        "",
        operation_id="start_campaign",
        status_code=201,
        responses=errors(
            400, 413, 415, ok={200: {"model": StartedCampaign, "description": "this key's campaign already exists"}}
        ),
        openapi_extra=START_BODY,
    )
    async def start(
        request: Request,
        response: Response,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", description="used as the request's idempotency_key")
        ] = None,
    ) -> StartedCampaign:
        """Start a campaign (idempotent: a repeat with the same key answers 200 with the same campaign)."""
        body = await campaign_body(request, ctx.store)
        if is_program(body.fields):  # pilot, windows or follow_up: the same start, as a program
            with ctx.store.discarded_if_refused(body.upload):
                started = await start_program_from(ctx, body.fields, idempotency_key, body.csv_sha256, response)
            ctx.store.publish(body.upload)
            return started
        with ctx.store.discarded_if_refused(body.upload):
            req = await start_request(body.fields, idempotency_key, ctx.checks)
            key = await campaign_key(req, ctx.sources, body.csv_sha256)
        ctx.store.publish(body.upload)
        outcome = await start_campaign(
            ctx.client, req, task_queue=ctx.settings.task_queue, key=key, sources=ctx.sources
        )
        log.info("campaign_start", workflow_id=outcome.workflow_id, state=outcome.state)
        location = f"/v1/campaigns/{outcome.workflow_id}"
        response.status_code = 201 if outcome.state == "started" else 200
        response.headers["Location"] = location
        return StartedCampaign(
            workflow_id=outcome.workflow_id,
            idempotency_key=outcome.idempotency_key,
            state=cast(StartState, outcome.state),
            campaign_name=req.campaign_name,
            csv_uri=req.csv_uri,
            location=location,
        )

    @router.get("", operation_id="list_campaigns", responses=errors())
    async def list_campaigns(
        stage: Annotated[str | None, Query(max_length=64, description="CampaignStage, e.g. monitoring")] = None,
        name: Annotated[str | None, Query(max_length=200, description="campaign name contains this")] = None,
        status: Annotated[ListStatus | None, Query(description="execution status")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> CampaignList:
        """Campaigns, newest first, from Temporal's visibility store (eventually consistent)."""
        try:
            query = visibility_query(stage=stage, status=status, option_prefix="")
        except ListProblem as err:
            raise ApiError(422, str(err)) from None
        found_ = await campaigns(ctx.client, query, name=name, limit=limit)
        return CampaignList(campaigns=[CampaignSummary.of(e) for e in found_], query=query)

    @router.get("/{ref}", operation_id="get_campaign", responses=errors(404))
    async def get_campaign(ref: Ref) -> CampaignStatus:
        """Execution status, the progress query while running, the result once completed."""
        handle = await found(ref)
        description = await handle.describe()
        summary = CampaignSummary.of(description)
        view = CampaignStatus(**summary.model_dump())
        if description.status == WorkflowExecutionStatus.RUNNING:
            view.progress = await campaign_progress(handle, timeout_s=3)
        elif description.status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
            try:
                view.result = await handle.result()
            except WorkflowFailureError as err:
                view.failure = getattr(err.cause, "message", None) or str(err.cause or err)
        return view

    @router.post("/{ref}/cancel", operation_id="cancel_campaign", status_code=202, responses=errors(404, 409))
    async def cancel(ref: Ref) -> CancelRequested:
        """Cancel: the workflow terminates the campaign's queued and retry calls on Ringg, then ends cancelled."""
        handle = await found(ref)
        await _running(handle)
        try:
            await handle.cancel()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            raise ApiError(409, f"campaign {handle.id} is no longer running: nothing to cancel") from None
        log.info("campaign_cancel_requested", workflow_id=handle.id)
        return CancelRequested(workflow_id=handle.id)

    @router.post(
        "/{ref}/stop-numbers",
        operation_id="stop_numbers",
        responses=errors(400, 404, 409, 413, 415),
        openapi_extra=STOP_BODY,
    )
    async def stop_numbers(ref: Ref, request: Request) -> StopNumbersDone:
        """Terminate the queued calls to these numbers (opt-outs); the workflow receives only the file's location."""
        handle = await found(ref)
        numbers_uri, upload = await numbers_body(request, ctx.store, ctx.sources)
        with ctx.store.discarded_if_refused(upload):
            await _running(handle)
        ctx.store.publish(upload)
        result = await run_stop_numbers(handle, numbers_uri)
        log.info("campaign_numbers_stopped", workflow_id=handle.id, numbers=result.numbers)
        return StopNumbersDone(
            workflow_id=handle.id, numbers_uri=numbers_uri, numbers=result.numbers, batches=result.batches
        )

    return router


async def _running(handle: Handle) -> None:
    description = await handle.describe()
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise ApiError(409, f"campaign {handle.id} is {status_name(description.status)}, not running")
