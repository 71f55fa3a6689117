"""Response helpers shared by the API modules: errors, time formatting, row shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ringg_sim.lifecycle import COMPLETED, STATUS_NAMES, TERMINAL, Launch
from ringg_sim.state import Campaign, SimState, num

AGENT_VERSION_ID = "387bd8f1-2c4e-4f0a-9b1d-5e6f7a8b9c0d"
_IST = timezone(timedelta(hours=5, minutes=30))


def sim(request: Request) -> SimState:
    return cast(SimState, request.app.state.sim)


def error_response(status: int, message: str, shape: str = "detail") -> JSONResponse:
    """Error bodies deliberately vary by endpoint, like the real docs/3rd-party code suggest."""
    body: dict[str, Any]
    if shape == "error":
        body = {"error": {"message": message}}
    elif shape == "message":
        body = {"status": "error", "message": message}
    elif shape == "error_str":
        body = {"error": message}
    else:
        body = {"detail": message}
    return JSONResponse(body, status_code=status)


def invalid(field: str, msg: str, value: Any = None, where: str = "body") -> RequestValidationError:
    """A FastAPI-style 422 (detail is a list of errors)."""
    return RequestValidationError([{"type": "value_error", "loc": [where, field], "msg": msg, "input": value}])


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def parse_json_object(field: str, raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(field, f"{field} must be a JSON object string: {exc.msg}", raw) from exc
    if not isinstance(value, dict):
        raise invalid(field, f"{field} must be a JSON object", raw)
    return value


def parse_variables_map(raw: str) -> dict[str, str]:
    vm = parse_json_object("variables_map", raw)
    if not all(isinstance(v, str) for v in vm.values()):
        raise invalid("variables_map", "variables_map values must be CSV column names (strings)", raw)
    return cast(dict[str, str], vm)


def campaign_tz(call_config: dict[str, Any]) -> tzinfo:
    call_time = call_config.get("call_time")
    name = call_time.get("timezone") if isinstance(call_time, dict) else None
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else ZoneInfo("Asia/Kolkata")
    except (ZoneInfoNotFoundError, ValueError):
        return _IST


def parse_campaign_time(field: str, raw: str | None, tz: tzinfo) -> str | None:
    """'DD/MM/YYYY, HH:MM' -> ISO-8601 with offset (None when absent)."""
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.strptime(raw.strip(), "%d/%m/%Y, %H:%M")
    except ValueError as exc:
        raise invalid(field, f"{field} must look like 'DD/MM/YYYY, HH:MM'", raw) from exc
    return parsed.replace(tzinfo=tz).isoformat()


def parse_history_date(field: str, raw: str | None, default: datetime) -> float:
    if raw is None or raw == "":
        return default.timestamp()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise invalid(field, f"{field} must be an ISO-8601 date-time with offset", raw, "query") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def transcript(name: str, status: int) -> str:
    if status != COMPLETED:
        return "[]"
    first = name.split(" ")[0] if name else "there"
    turns = [
        {"bot": f"Hi {first}, this is a quick reminder call."},
        {"user": "Yes, I remember, thanks."},
        {"bot": "Great, have a nice day!"},
    ]
    return json.dumps(turns)


def call_row(state: SimState, ln: Launch, i: int, el: float) -> dict[str, Any]:
    c = state.campaigns[ln.list_id]
    v = ln.view(i, el)
    name = c.contacts.name(i)
    call_id = ln.call_id(i)
    terminal = v.status in TERMINAL
    return {
        "id": call_id,
        "to_number": c.contacts.number(i),
        "name": name,
        "status": STATUS_NAMES[v.status],
        "sub_status": v.sub_status,
        "transcript": transcript(name, v.status),
        "audio_recording": f"https://recordings.ringg-sim.invalid/{call_id}.mp3" if v.status == COMPLETED else None,
        "created_at": iso(ln.t0),
        "agent": {
            "id": ln.agent_id,
            "agent_name": "Sim Agent",
            "agent_version_id": AGENT_VERSION_ID,
            "orchestration_mode": "single_node",
            "version": {"version_id": AGENT_VERSION_ID, "version_slug": "v1"},
        },
        "call_duration": v.duration,
        "call_attempt_time": iso(ln.wall(v.attempt_at)) if v.attempt_at is not None else None,
        "call_cost": num(v.cost) if terminal else None,
        "call_type": "outbound",
        "inbound_from": None,
        "credits_processed": terminal,
        "from_numbers": [ln.from_numbers[i % len(ln.from_numbers)]] if ln.from_numbers else [],
        "voicemail_detected": v.voicemail,
        "bulk_list_id": ln.list_id,
        "retry_count": max(0, v.attempts - 1),
        "next_attempt_time": iso(ln.wall(v.next_attempt_at)) if v.next_attempt_at is not None else None,
    }


def campaign_row(state: SimState, c: Campaign, now: float) -> dict[str, Any]:
    status = state.status(c, now)
    processed = c.processed(now)
    updated = c.updated_at
    if status == "completed":
        updated = max(updated, min(now, state.ended_at(c) or updated))
    row: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "campaign_status": status,
        "agent_id": c.agent_id,
        "created_at": iso(c.created_at),
        "updated_at": iso(updated),
        "campaign_start_time": c.start_time,
        "campaign_end_time": c.end_time,
        "total_calls": sum(ln.n for ln in c.launches),
        "total_contacts": c.contacts.valid_rows if processed and c.contacts.error is None else 0,
        "invalidated_rows_count": c.contacts.invalid_count if processed else 0,
        "invalidated_rows_csv_url": c.invalid_url if processed else None,
        "csv_file_name": c.file_name,
    }
    if status == "insufficient_balance" and c.additional_balance is not None:
        row["additional_balance_required"] = str(num(c.additional_balance))
    return row
