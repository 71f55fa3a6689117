"""/_sim admin routes (no API key): health, reset, config, credits, faults, stats, request log, files (per-campaign
routes are in admin_campaigns)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from ringg_sim.config import MUTABLE_FIELDS, EndpointName, FaultRule, SimConfig
from ringg_sim.state import RequestRecord, SimError, num
from ringg_sim.views import iso, sim
from ringg_sim.webhooks import webhook_stats

router = APIRouter(prefix="/_sim")


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/reset")
async def reset(request: Request) -> dict[str, str]:
    sim(request).reset()
    return {"status": "reset"}


def _public_config(config: SimConfig) -> dict[str, Any]:
    return config.model_dump(exclude={"faults"})


@router.get("/config")
async def get_config(request: Request) -> dict[str, Any]:
    return _public_config(sim(request).config)


@router.post("/config")
async def set_config(request: Request, changes: dict[str, Any]) -> Any:
    state = sim(request)
    bad = sorted(set(changes) - MUTABLE_FIELDS)
    if bad:
        return JSONResponse({"detail": f"not changeable at runtime: {', '.join(bad)}"}, status_code=400)
    try:
        updated = SimConfig.model_validate({**state.config.model_dump(), **changes})
    except ValidationError as exc:
        return JSONResponse({"detail": exc.errors(include_url=False, include_context=False)}, status_code=422)
    state.apply_config(updated)
    if "credits" in changes:
        state.credits = float(updated.credits)
    return _public_config(updated)


class CreditsBody(BaseModel):
    credits: float = Field(ge=0)


@router.post("/credits")
async def set_credits(request: Request, body: CreditsBody) -> dict[str, Any]:
    state = sim(request)
    state.credits = body.credits
    return {"credits": num(state.credits)}


@router.post("/faults")
async def add_fault(request: Request, rule: FaultRule) -> dict[str, Any]:
    return sim(request).faults.add(rule)


@router.get("/faults")
async def list_faults(request: Request) -> list[dict[str, Any]]:
    return sim(request).faults.list()


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, str]:
    sim(request).faults.clear()
    return {"status": "cleared"}


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    state = sim(request)
    now = state.now()
    launches: dict[str, int] = {}
    for ln in state.launches:
        launches[ln.list_id] = launches.get(ln.list_id, 0) + 1
    return {
        "requests": dict(state.requests),
        "uploads": [
            {
                "list_id": c.id,
                "campaign_name": c.name,
                "flow": c.flow,
                "rows": c.contacts.total_rows,
                "valid_rows": c.contacts.valid_rows,
                "created_at": iso(c.wall_created),
            }
            for c in state.campaigns.values()
        ],
        "launches": launches,
        "terminations": list(state.terminations),
        "campaigns": {c.id: state.status(c, now) for c in state.campaigns.values()},
        "credits": num(state.credits),
        "webhooks": webhook_stats(state.webhooks),
    }


@router.get("/requests")
async def requests_log(request: Request, endpoint: EndpointName | None = None) -> list[dict[str, Any]]:
    """The most recent API requests (at most REQUEST_LOG_MAX), oldest first by arrival; `?endpoint=NAME`
    keeps one fault endpoint's. Times are the simulator's time.monotonic(); status is None for a dropped
    connection."""
    records: list[RequestRecord] = [r for r in sim(request).request_log if endpoint in (None, r["endpoint"])]
    records.sort(key=lambda r: r["t_received"])
    return [dict(r) for r in records]


@router.get("/files/{list_id}/invalid_rows.csv")
async def invalid_rows(request: Request, list_id: str) -> Response:
    c = sim(request).campaigns.get(list_id)
    if c is None or c.contacts.invalid_csv is None:
        raise SimError(404, "File not found")
    return Response(
        c.contacts.invalid_csv,
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="invalid_rows_{list_id}.csv"'},
    )
