"""/ca/api/v0 monitoring & control routes: campaign/all, calling/history, terminate, workspace."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ringg_sim.config import WORKSPACE_ID
from ringg_sim.lifecycle import STATUS_CODES
from ringg_sim.state import SimError, num
from ringg_sim.terminate import terminate as terminate_calls
from ringg_sim.views import call_row, campaign_row, iso, parse_history_date, sim
from ringg_sim.webhooks import parse_subscriptions

router = APIRouter(prefix="/ca/api/v0")
_WORKSPACE_CREATED = datetime(2025, 1, 6, 10, 0, tzinfo=UTC).timestamp()


@router.get("/campaign/all")
async def campaign_all(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    search: str | None = None,
) -> dict[str, Any]:
    state = sim(request)
    now = state.now()
    campaigns = list(reversed(state.campaigns.values()))
    if search:
        needle = search.casefold()
        campaigns = [c for c in campaigns if needle in c.name.casefold()]
    page = campaigns[offset : offset + limit]
    return {
        "campaigns": [campaign_row(state, c, now) for c in page],
        "pagination": {"total": len(campaigns), "limit": limit, "offset": offset},
    }


@router.get("/calling/history")
async def history(
    request: Request,
    bulk_list_id: str | None = None,
    status: str | None = None,
    agent_id: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    state = sim(request)
    now = state.now()
    # rows are dated by the wall clock (the launch's arrival): a client's own clock finds them
    today = datetime.fromtimestamp(state.wall(), UTC).date()
    lo = parse_history_date("start_date", start_date, datetime.combine(today, time.min, UTC))
    hi = parse_history_date("end_date", end_date, datetime.combine(today, time(23, 59, 59, 999999), UTC))
    launches = state.launches
    if bulk_list_id:
        c = state.campaigns.get(bulk_list_id)
        launches = list(c.launches) if c else []
    selected = [ln for ln in launches if lo <= ln.wall_t0 <= hi and (agent_id is None or ln.agent_id == agent_id)]
    code = STATUS_CODES.get(status.strip().lower()) if status else None
    if status and code is None:
        selected = []
    rows: list[dict[str, Any]] = []
    total, skip = 0, offset
    for ln in selected:
        cnt, idx = ln.select(code, now, skip, limit - len(rows))
        rows.extend(call_row(state, ln, i, now) for i in idx)
        total += cnt
        skip = max(0, skip - cnt)
    return {"calls": rows, "limit": limit, "offset": offset, "count": len(rows), "total": total}


class TerminateBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    campaign_id: str | None = None
    mobile_numbers: list[str] | None = Field(default=None, max_length=100)
    call_ids: list[str] | None = Field(default=None, max_length=100)
    agent_id: str | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> TerminateBody:
        if not (self.campaign_id or self.mobile_numbers or self.call_ids or self.agent_id):
            raise ValueError("At least one of campaign_id, mobile_numbers, call_ids or agent_id is required")
        return self


class CampaignNumbersBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    campaign_id: str
    mobile_numbers: list[str] = Field(min_length=1, max_length=100)


def _terminate(request: Request, body: TerminateBody) -> dict[str, Any]:
    state = sim(request)
    if body.campaign_id is not None and body.campaign_id not in state.campaigns:
        raise SimError(404, "Campaign not found", "error_str")
    terminate_calls(
        state,
        campaign_id=body.campaign_id,
        mobile_numbers=body.mobile_numbers,
        call_ids=body.call_ids,
        agent_id=body.agent_id,
    )
    return {"message": "Calls terminated successfully!"}


@router.patch("/campaign/terminate")
async def terminate(request: Request, body: TerminateBody, terminate_all_calls: bool = False) -> dict[str, Any]:
    return _terminate(request, body)


@router.patch("/campaign/terminate/campaign-numbers")
async def terminate_campaign_numbers(request: Request, body: CampaignNumbersBody) -> dict[str, Any]:
    return _terminate(request, TerminateBody(campaign_id=body.campaign_id, mobile_numbers=body.mobile_numbers))


@router.get("/workspace/numbers")
async def workspace_numbers(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    state = sim(request)
    rows: list[dict[str, Any]] = []
    for n in state.config.numbers[offset : offset + limit]:
        rows.append(
            {
                "id": n.id,
                "number": n.number,
                "created_at": iso(_WORKSPACE_CREATED + 86400),
                "call_count": sum(ln.n for ln in state.launches if n.number in ln.from_numbers),
                "agent": {"id": None, "agent_display_name": None},
                "is_inbound_enabled": False,
                "is_test_number": False,
                "tags": [],
                "is_spam": n.is_spam,
                "spam_message": n.spam_message,
                "provider": n.provider,
                "display_name": n.display_name,
                "owner": "sim@ringg.invalid",
                "is_custom_number": False,
                "telephony_id": n.id,
                "number_pool_id": n.number_pool_id,
            }
        )
    return {"workspace_numbers": rows}


@router.get("/workspace")
async def workspace(request: Request) -> dict[str, Any]:
    state = sim(request)
    return {
        "workspace_info": {
            "id": WORKSPACE_ID,
            "name": "Ringg Simulator Workspace",
            "created_at": iso(_WORKSPACE_CREATED),
            "credits": num(state.credits),
            "locked_credits": num(state.locked_credits(state.now())),
            "api_key": state.config.api_key,
        }
    }


@router.patch("/agent/v1")
async def edit_event_subscriptions(request: Request) -> dict[str, Any]:
    """Agent event subscriptions: one URL per event type per agent (a new one replaces the old)."""
    try:
        body = await request.json()
        agent_id, subscriptions = parse_subscriptions(body if isinstance(body, dict) else {})
    except ValueError as exc:
        raise SimError(400, str(exc)) from exc
    state = sim(request)
    state.webhooks.subscribe(agent_id, subscriptions)
    request.app.state.deliverer.ensure_running()
    return {
        "message": "Event subscriptions updated",
        "agent_id": agent_id,
        "event_types": [s.event_type for s in subscriptions],
    }
