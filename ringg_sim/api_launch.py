"""/ca/api/v0 launch routes: campaign/start (deprecated), campaign/v2/start and campaign/make-call-async."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ringg_sim.api import country_digits, require_ready
from ringg_sim.errors import error_response
from ringg_sim.plan import build_plan
from ringg_sim.state import STARTED_STATUSES, Campaign, SimError, SimState
from ringg_sim.views import sim

router = APIRouter(prefix="/ca/api/v0")


def _resolve_numbers(state: SimState, from_numbers: list[str] | None, pool_id: str | None) -> tuple[str, ...]:
    numbers = state.config.numbers
    if pool_id is not None:
        if pool_id not in state.config.pool_ids():
            raise SimError(400, "Invalid number_pool_id")
        members = [n.number for n in numbers if n.number_pool_id == pool_id and not n.is_spam]
        return tuple(members or [n.number for n in numbers if not n.is_spam])
    by_key = {n.id: n.number for n in numbers} | {n.number: n.number for n in numbers}
    unknown = [f for f in from_numbers or [] if f not in by_key]
    if unknown or not from_numbers:
        raise SimError(400, f"Invalid from_numbers: {len(unknown)} unknown number id(s)")
    return tuple(by_key[f] for f in from_numbers)


class StartBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_id: str
    list_id: str
    from_numbers: list[str]
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


class StartV2Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_id: str
    list_id: str
    number_pool_id: str
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


def _watch_end(request: Request, callback_url: str | None, emails: list[str] | None) -> None:
    if callback_url or emails:
        request.app.state.deliverer.ensure_running()


def _start(request: Request, body: StartBody | StartV2Body, c: Campaign) -> Any:
    state = sim(request)
    if state.status(c) in STARTED_STATUSES:
        raise SimError(400, "campaign already started")
    if body.agent_id != c.agent_id:
        raise SimError(400, "Invalid agent_id for this campaign")
    require_ready(state, c, "detail")
    if isinstance(body, StartV2Body):
        launch_numbers = _resolve_numbers(state, None, body.number_pool_id)
    else:
        launch_numbers = _resolve_numbers(state, body.from_numbers, None)
    others = state.has_ongoing_calls(besides=c)
    assert c.plan is not None  # every upload requires the window and call_config
    state.launch(
        c,
        body.agent_id,
        launch_numbers,
        None,
        c.plan,
        callback_url=body.callback_url,
        email_user_ids=body.email_completion_user_ids,
    )
    _watch_end(request, body.callback_url, body.email_completion_user_ids)
    return {"status": "campaign registered successfully!", "has_ongoing_calls": others}


@router.post("/campaign/start")
async def start(request: Request, body: StartBody) -> Any:
    # D-start lists both "400: campaign not found" and "404: campaign or agent not found"; this one answers 404
    return _start(request, body, sim(request).get(body.list_id))


@router.post("/campaign/v2/start")
async def start_v2(request: Request, body: StartV2Body) -> Any:
    # D-startv2: "400: Invalid agent_id, list_id, or number_pool_id; campaign already started"
    c = sim(request).get(body.list_id, "Invalid list_id: campaign", status=400)
    return _start(request, body, c)


class MakeCallAsyncBody(BaseModel):
    """D-async's schema: country_code, the window and call_config are required."""

    model_config = ConfigDict(extra="allow")
    bulk_list_id: str
    agent_id: str
    country_code: str
    campaign_start_time: str
    campaign_end_time: str
    call_config: dict[str, Any]
    from_numbers: list[str] | None = None
    number_pool_id: str | None = None
    concurrency_percentage: int | None = Field(default=0, ge=0, le=100)
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> MakeCallAsyncBody:
        if (self.from_numbers is None) == (self.number_pool_id is None):
            raise ValueError("Exactly one of from_numbers or number_pool_id must be provided")
        if self.from_numbers is not None and not self.from_numbers:
            raise ValueError("from_numbers must not be empty")
        return self


@router.post("/campaign/make-call-async")
async def make_call_async(request: Request, body: MakeCallAsyncBody) -> Any:
    country_digits(body.country_code)
    plan = build_plan(body.call_config, body.campaign_start_time, body.campaign_end_time)
    state = sim(request)
    c = state.get(body.bulk_list_id, "Bulk list")
    if body.agent_id != c.agent_id:
        return error_response(400, "agent_id does not match the agent used for this list")
    require_ready(state, c, "detail")
    numbers = _resolve_numbers(state, body.from_numbers, body.number_pool_id)
    state.launch(
        c,
        body.agent_id,
        numbers,
        body.concurrency_percentage,
        plan,
        callback_url=body.callback_url,
        email_user_ids=body.email_completion_user_ids,
    )
    _watch_end(request, body.callback_url, body.email_completion_user_ids)
    return JSONResponse({"message": "Campaign calls scheduled", "bulk_list_id": c.id, "status": "scheduled"})
