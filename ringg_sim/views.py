"""Response helpers shared by the API modules: request parsing, time formatting, row shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from fastapi import Request

from ringg_sim.errors import invalid
from ringg_sim.lifecycle import COMPLETED, STATUS_NAMES, TERMINAL, Launch
from ringg_sim.state import Campaign, SimState, num

AGENT_VERSION_ID = "387bd8f1-2c4e-4f0a-9b1d-5e6f7a8b9c0d"


def sim(request: Request) -> SimState:
    return cast(SimState, request.app.state.sim)


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


def call_row(state: SimState, ln: Launch, i: int, now: float) -> dict[str, Any]:
    """A history row. Timestamps are wall-clock; a call never attempted has call_attempt_time null,
    has_call_attempts false and call_duration 0."""
    c = state.campaigns[ln.list_id]
    v = ln.view(i, now)
    name = c.contacts.name(i)
    call_id = ln.call_id(i)
    terminal = v.status in TERMINAL
    wall_of = state.clock.wall_of
    return {
        "id": call_id,
        "to_number": c.contacts.number(i),
        "name": name,
        "status": STATUS_NAMES[v.status],
        "sub_status": v.sub_status,
        "transcript": transcript(name, v.status),
        "audio_recording": f"https://recordings.ringg-sim.invalid/{call_id}.mp3" if v.status == COMPLETED else None,
        "created_at": iso(ln.wall_t0),
        "agent": {
            "id": ln.agent_id,
            "agent_name": "Sim Agent",
            "agent_version_id": AGENT_VERSION_ID,
            "orchestration_mode": "single_node",
            "version": {"version_id": AGENT_VERSION_ID, "version_slug": "v1"},
        },
        "call_duration": v.duration,
        "call_attempt_time": iso(wall_of(v.attempt_at)) if v.attempt_at is not None else None,
        "call_cost": num(v.cost) if terminal else None,
        "call_type": "outbound",
        "inbound_from": None,
        "credits_processed": terminal,
        "from_numbers": [ln.from_numbers[i % len(ln.from_numbers)]] if ln.from_numbers else [],
        "voicemail_detected": v.voicemail,
        "bulk_list_id": ln.list_id,
        "retry_count": max(0, v.attempts - 1),
        "has_call_attempts": v.attempts > 0,
        "next_attempt_time": iso(wall_of(v.next_attempt_at)) if v.next_attempt_at is not None else None,
    }


def campaign_row(state: SimState, c: Campaign, now: float) -> dict[str, Any]:
    status = state.status(c, now)
    processed = c.processed(now)
    updated = c.wall_updated
    ended = state.ended_at(c)
    if status == "completed" and ended is not None:
        updated = max(updated, min(state.wall(), state.clock.wall_of(ended)))
    plan = c.launches[-1].plan if c.launches else c.plan
    row: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "campaign_status": status,
        "agent_id": c.agent_id,
        "created_at": iso(c.wall_created),
        "updated_at": iso(updated),
        "campaign_start_time": plan.start_iso if plan else None,
        "campaign_end_time": plan.end_iso if plan else None,
        "total_calls": sum(ln.n for ln in c.launches),
        "total_contacts": c.contacts.size if processed and c.contacts.error is None else 0,
        "invalidated_rows_count": c.contacts.invalid_count if processed else 0,
        "invalidated_rows_csv_url": c.invalid_url if processed else None,
        "csv_file_name": c.file_name,
    }
    if status == "insufficient_balance" and c.additional_balance is not None:
        row["additional_balance_required"] = str(num(c.additional_balance))
    return row
