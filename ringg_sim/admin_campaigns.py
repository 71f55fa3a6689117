"""/_sim admin routes about time and campaigns: the simulated clock, a campaign's schedule and ground truth,
pause/resume, and the campaign-end callbacks and emails recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ringg_sim.lifecycle import STATUS_NAMES, TERMINAL, Launch
from ringg_sim.plan import WINDOW_FORMAT
from ringg_sim.state import SimError, SimState, num
from ringg_sim.views import sim

router = APIRouter(prefix="/_sim")

MAX_ADVANCE_S = 366 * 86400.0  # one jump of the clock: a timeline stays a few thousand dialler steps


def _sim_iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds")


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SimError(400, f"unknown timezone {tz!r}") from exc


@router.get("/clock")
async def clock(request: Request, tz: str = "Asia/Kolkata") -> dict[str, Any]:
    """The simulated clock (windows, call times and retries run on it) and the wall clock."""
    return _clock_view(sim(request), _zone(tz))


class AdvanceClock(BaseModel):
    """`advance_to`: simulated epoch seconds; `wall_to`: the wall clock's new reading (epoch seconds). Each at most
    MAX_ADVANCE_S ahead of its clock."""

    model_config = ConfigDict(extra="forbid")
    advance_to: float = Field(gt=0, allow_inf_nan=False)
    wall_to: float | None = Field(default=None, gt=0, allow_inf_nan=False)


@router.post("/clock")
async def advance_clock(request: Request, body: AdvanceClock, tz: str = "Asia/Kolkata") -> dict[str, Any]:
    """Moves the simulated clock forward to `advance_to` at once, and the wall clock the simulator reports and dates
    by to `wall_to` (an instant not ahead of its clock changes nothing); calls due in the stretch jumped over are
    placed at their own simulated instants. Answers as GET /clock."""
    state = sim(request)
    zone = _zone(tz)
    days = f"{MAX_ADVANCE_S / 86400:.0f} days"
    if body.advance_to > state.now() + MAX_ADVANCE_S:
        raise SimError(422, f"advance_to may be at most {days} ahead of the simulated clock")
    if body.wall_to is not None and body.wall_to > state.wall() + MAX_ADVANCE_S:
        raise SimError(422, f"wall_to may be at most {days} ahead of the wall clock")
    state.advance_clock(body.advance_to, body.wall_to)
    return _clock_view(state, zone)


def _clock_view(state: SimState, zone: ZoneInfo) -> dict[str, Any]:
    now = state.now()
    return {
        "now": _sim_iso(now),
        "epoch": now,
        "local": datetime.fromtimestamp(now, zone).strftime(WINDOW_FORMAT),
        "timezone": zone.key,
        "wall": _sim_iso(state.wall()),
        "time_scale": state.config.time_scale,
    }


def _launch_info(ln: Launch, now: float) -> dict[str, Any]:
    plan = ln.plan
    counts = ln.counts(now)
    daily = plan.daily
    return {
        "launch": ln.seq,
        "launched_at": _sim_iso(ln.t0),
        "concurrency_percentage": ln.dial.concurrency_pct,
        "window": {"start": plan.start_iso, "end": plan.end_iso, "timezone": plan.timezone},
        "call_time": None if daily is None else [f"{int(d) // 3600:02d}:{int(d) % 3600 // 60:02d}" for d in daily],
        "scheduled_at": _sim_iso(plan.scheduled_at),
        "first_call_at": _sim_iso(ln.dial.start_time(0)) if ln.started(now) else None,
        "retry_count": ln.retries,
        "retry_waits_s": dict(zip(("busy", "not_picked", "failed"), ln.waits, strict=True)),
        "callback_url": ln.callback_url,
        "email_completion_user_ids": ln.email_user_ids,
        "started": ln.started(now),
        "counts": {name: counts[code] for code, name in enumerate(STATUS_NAMES)},
        "not_called": ln.not_attempted(),
        "ended_at": _sim_iso(ln.last_end) if ln.pending(now) == 0 else None,
    }


@router.get("/campaigns/{list_id}")
async def campaign(request: Request, list_id: str) -> dict[str, Any]:
    """A campaign's status, upload and ready times, pauses and each launch's schedule, concurrency and counts
    (simulated-clock times)."""
    state = sim(request)
    c = state.get(list_id)
    now = state.now()
    return {
        "id": c.id,
        "name": c.name,
        "flow": c.flow,
        "campaign_status": state.status(c, now),
        "list_rows": c.contacts.size,
        "uploaded_at": _sim_iso(c.created_at),
        "ready_at": _sim_iso(c.ready_at),  # large flow: when upload-status first answers processed
        "kept_invalid_rows": len(c.contacts.kept_invalid),
        "pauses": [[_sim_iso(a), _sim_iso(b)] for a, b in c.pauses],
        "launches": [_launch_info(ln, now) for ln in c.launches],
    }


@router.post("/campaigns/{list_id}/pause")
async def pause(request: Request, list_id: str) -> dict[str, Any]:
    """Ringg documents a Paused status but no pause API: the dashboard's pause, as an admin route. No call
    starts while paused; retries wait; calls in progress finish."""
    state = sim(request)
    c = state.get(list_id)
    state.pause(c)
    return {"campaign_id": c.id, "campaign_status": state.status(c)}


@router.post("/campaigns/{list_id}/resume")
async def resume(request: Request, list_id: str) -> dict[str, Any]:
    state = sim(request)
    c = state.get(list_id)
    state.resume(c)
    return {"campaign_id": c.id, "campaign_status": state.status(c)}


@router.get("/campaigns/{list_id}/calls")
async def campaign_calls(
    request: Request,
    list_id: str,
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Ground truth for every call of every launch of the list, in history order; `attempt_log` holds each
    attempt's simulated-clock start (UTC and the campaign's local time), duration and result."""
    state = sim(request)
    c = state.get(list_id)
    now = state.now()
    out: list[dict[str, Any]] = []
    position = 0
    for launch_no, ln in enumerate(c.launches, start=1):
        lo = max(0, offset - position)
        hi = ln.n if limit is None else min(ln.n, lo + limit - len(out))
        for i in range(lo, hi):
            v = ln.view(i, now)
            log = ln.timeline(i, now)[1] if v.attempts else []
            out.append(
                {
                    "call_id": ln.call_id(i),
                    "to_number": c.contacts.number(i),
                    "name": c.contacts.name(i),
                    "status": STATUS_NAMES[v.status],
                    "sub_status": v.sub_status,
                    "attempts": v.attempts,
                    "duration": v.duration,
                    "cost": num(v.cost),
                    "launch": launch_no,
                    "row_index": i,
                    "next_attempt_at": _sim_iso(v.next_attempt_at),
                    "ended": v.status in TERMINAL,
                    "attempt_log": [
                        {
                            "at": _sim_iso(a.at),
                            "local": datetime.fromtimestamp(a.at, ln.plan.tz).isoformat(),
                            "duration": round(a.duration, 3),
                            "result": a.result,
                        }
                        for a in log[: v.attempts]
                    ],
                }
            )
        position += ln.n
    return out


@router.get("/callbacks")
async def callbacks(request: Request) -> list[dict[str, Any]]:
    """Every campaign-end POST to a launch's callback_url, with each delivery attempt."""
    return [r.public() for r in sim(request).callbacks.callbacks]


@router.get("/emails")
async def emails(request: Request) -> list[dict[str, Any]]:
    """The completion emails a launch's email_completion_user_ids would have received."""
    return list(sim(request).callbacks.emails)
