"""/ca/api/v0 campaign routes: save, start, v2/start, upload-csv, upload-status, check-balance,
make-call-async."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from ringg_sim.csvcheck import ContactList, dial_code, parse_csv
from ringg_sim.lifecycle import ONGOING
from ringg_sim.state import Campaign, Flow, SimError, SimState, num
from ringg_sim.views import (
    campaign_tz,
    error_response,
    invalid,
    parse_campaign_time,
    parse_json_object,
    parse_variables_map,
    sim,
)

router = APIRouter(prefix="/ca/api/v0")
StrForm = Annotated[str, Form()]
OptForm = Annotated[str | None, Form()]
BoolForm = Annotated[bool, Form()]


async def _ingest(
    request: Request,
    flow: Flow,
    file: UploadFile,
    fields: dict[str, str | None],
) -> Campaign:
    state = sim(request)
    vm = parse_variables_map(fields["variables_map"] or "")
    try:
        cc = dial_code(fields["country_code"] or "")
    except ValueError as exc:
        raise invalid("country_code", str(exc), fields["country_code"]) from exc
    raw_cfg = fields.get("call_config")
    call_config = parse_json_object("call_config", raw_cfg) if raw_cfg else {}
    tz = campaign_tz(call_config)
    start = parse_campaign_time("campaign_start_time", fields.get("campaign_start_time"), tz)
    end = parse_campaign_time("campaign_end_time", fields.get("campaign_end_time"), tz)
    contacts: ContactList = await run_in_threadpool(parse_csv, file.file, vm, cc, state.config.dnc_every)
    if flow == "standard" and contacts.error is not None:
        raise SimError(400, contacts.error)
    c = state.add_campaign(fields["campaign_name"] or "", fields["agent_id"] or "", flow, contacts)
    c.country_code, c.call_config, c.start_time, c.end_time = (
        fields["country_code"] or "",
        call_config,
        start,
        end,
    )
    c.file_name = file.filename
    if contacts.invalid_csv is not None:
        c.invalid_url = f"{str(request.base_url).rstrip('/')}/_sim/files/{c.id}/invalid_rows.csv"
    return c


@router.post("/campaign/save")
async def save(
    request: Request,
    file: Annotated[UploadFile, File()],
    agent_id: StrForm,
    campaign_name: StrForm,
    country_code: StrForm,
    campaign_start_time: StrForm,
    campaign_end_time: StrForm,
    variables_map: StrForm,
    call_config: StrForm,
    remove_invalid_rows: BoolForm = False,
    transliterate_callee_name: BoolForm = False,
) -> dict[str, Any]:
    fields = dict(locals())
    c = await _ingest(request, "standard", file, fields)
    contacts = c.contacts
    return {
        "message": "Contacts imported successfully!",
        "list_id": c.id,
        "custom_args_values": [contacts.custom_args(i) for i in range(min(5, contacts.valid_rows))],
        "total_rows": contacts.total_rows,
        "successful_rows": contacts.valid_rows,
        "failed_rows": contacts.invalid_count,
    }


@router.post("/campaign/upload-csv")
async def upload_csv(
    request: Request,
    file: Annotated[UploadFile, File()],
    agent_id: StrForm,
    campaign_name: StrForm,
    country_code: StrForm,
    variables_map: StrForm,
    campaign_start_time: OptForm = None,
    campaign_end_time: OptForm = None,
    call_config: OptForm = None,
    remove_invalid_rows: BoolForm = False,
    transliterate_callee_name: BoolForm = False,
) -> dict[str, Any]:
    fields = dict(locals())
    c = await _ingest(request, "large", file, fields)
    vocab = sim(request).config.upload_vocabulary
    if vocab == "fixture":
        return {
            "bulk_list_id": c.id,
            "message": "CSV uploaded",
            "status": "in_db",
            "total_rows": c.contacts.total_rows,
            "campaign_name": c.name,
        }
    return {
        "bulk_list_id": c.id,
        "status": "uploaded" if vocab == "documented" else "verifying",
        "campaign_name": c.name,
        "total_callees": 0,
        "invalidated_rows_count": 0,
        "invalidated_rows_csv_url": None,
    }


@router.get("/campaign/upload-status/{bulk_list_id}")
async def upload_status(request: Request, bulk_list_id: str) -> dict[str, Any]:
    state = sim(request)
    c = state.get(bulk_list_id, "Bulk list")
    now = state.now()
    done = c.processed(now)
    err = c.contacts.error
    span = c.ready_at - c.created_at
    progress = 1.0 if done or span <= 0 else (now - c.created_at) / span
    vocab = state.config.upload_vocabulary
    if vocab == "fixture":
        if not done:
            return {"status": "in_db", "campaign_id": c.id}
        if err is not None:
            return {"status": "failed", "campaign_id": c.id, "message": err}
        return {
            "status": "draft",
            "campaign_id": c.id,
            "total_contacts": c.contacts.valid_rows,
            "invalidated_rows_count": c.contacts.invalid_count,
            "invalid_entries_file": c.invalid_url,
        }
    if vocab == "documented":
        status = ("uploaded" if progress < 0.2 else "processing") if not done else "completed"
    else:
        status = "verifying" if not done else "ready"
    body: dict[str, Any] = {
        "bulk_list_id": c.id,
        "status": "failed" if done and err is not None else status,
        "campaign_name": c.name,
        "total_callees": c.contacts.valid_rows if done and err is None else 0,
        "invalidated_rows_count": c.contacts.invalid_count if done else 0,
        "invalidated_rows_csv_url": c.invalid_url if done else None,
    }
    if not done:
        body["total_rows"] = c.contacts.total_rows
        body["processed_rows"] = int(c.contacts.total_rows * progress)
        body["successful_rows"] = int(c.contacts.valid_rows * progress)
        body["failed_rows"] = int(c.contacts.invalid_count * progress)
    elif err is not None:
        body["message"] = err
    return body


def _require_ready(state: SimState, c: Campaign, shape: str) -> None:
    now = state.now()
    if not c.processed(now):
        raise SimError(400, "CSV processing is not complete for this list yet", shape)
    if c.contacts.error is not None:
        raise SimError(400, f"CSV processing failed: {c.contacts.error}", shape)


@router.post("/campaign/check-balance/{bulk_list_id}")
async def check_balance(request: Request, bulk_list_id: str) -> dict[str, Any]:
    state = sim(request)
    c = state.get(bulk_list_id, "Bulk list")
    _require_ready(state, c, "message")
    required, available = state.required_credits(c), state.credits
    ok = required <= available
    if not c.launches:
        c.balance_status = "draft" if ok else "insufficient_balance"
        c.additional_balance = None if ok else required - available
        c.updated_at = state.now()
    if state.config.balance_shape == "B":
        return {
            "bulk_list_id": c.id,
            "required_credits": num(required),
            "available_credits": num(available),
            "sufficient_balance": ok,
        }
    if ok:
        return {
            "status": "draft",
            "bulk_list_id": c.id,
            "message": "Sufficient balance to start the campaign",
        }
    msg = f"Insufficient balance: {num(required - available)} additional credits required"
    return {"status": "insufficient_balance", "bulk_list_id": c.id, "message": msg}


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


class StartV2Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_id: str
    list_id: str
    number_pool_id: str
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None


def _start(request: Request, agent_id: str, list_id: str, numbers: list[str] | None, pool: str | None) -> Any:
    state = sim(request)
    c = state.get(list_id)
    if state.status(c) in ("scheduled", "ongoing", "completed"):
        raise SimError(400, "campaign already started")
    if agent_id != c.agent_id:
        raise SimError(400, "Invalid agent_id for this campaign")
    _require_ready(state, c, "detail")
    launch_numbers = _resolve_numbers(state, numbers, pool)
    now = state.now()
    others = any(
        ln.counts(ln.el(now))[ONGOING] for other in state.campaigns.values() if other is not c for ln in other.launches
    )
    state.launch(c, agent_id, launch_numbers, None, None)
    return {"status": "campaign registered successfully!", "has_ongoing_calls": others}


@router.post("/campaign/start")
async def start(request: Request, body: StartBody) -> Any:
    return _start(request, body.agent_id, body.list_id, body.from_numbers, None)


@router.post("/campaign/v2/start")
async def start_v2(request: Request, body: StartV2Body) -> Any:
    return _start(request, body.agent_id, body.list_id, None, body.number_pool_id)


class MakeCallAsyncBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    bulk_list_id: str
    agent_id: str
    country_code: str | None = None
    campaign_start_time: str | None = None
    campaign_end_time: str | None = None
    call_config: dict[str, Any] | None = None
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
    state = sim(request)
    c = state.get(body.bulk_list_id, "Bulk list")
    if body.agent_id != c.agent_id:
        return error_response(400, "agent_id does not match the agent used for this list")
    _require_ready(state, c, "detail")
    numbers = _resolve_numbers(state, body.from_numbers, body.number_pool_id)
    tz = campaign_tz(body.call_config or c.call_config)
    start_iso = parse_campaign_time("campaign_start_time", body.campaign_start_time, tz)
    end_iso = parse_campaign_time("campaign_end_time", body.campaign_end_time, tz)
    state.launch(c, body.agent_id, numbers, body.concurrency_percentage, body.call_config)
    c.start_time, c.end_time = start_iso or c.start_time, end_iso or c.end_time
    return JSONResponse({"message": "Campaign calls scheduled", "bulk_list_id": c.id, "status": "scheduled"})
