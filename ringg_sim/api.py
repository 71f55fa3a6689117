"""/ca/api/v0 upload routes: save, upload-csv, upload-status, check-balance (the launches are in api_launch)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from ringg_sim.csvcheck import ContactList, dial_code, parse_csv
from ringg_sim.errors import invalid
from ringg_sim.plan import build_plan, call_config_form, required_text
from ringg_sim.state import Campaign, Flow, SimError, SimState, num
from ringg_sim.views import parse_variables_map, sim

router = APIRouter(prefix="/ca/api/v0")
StrForm = Annotated[str, Form()]
BoolForm = Annotated[bool, Form()]


def country_digits(country_code: str | None) -> str:
    text = required_text("country_code", country_code)
    try:
        return dial_code(text)
    except ValueError as exc:
        raise invalid("country_code", str(exc), country_code) from exc


async def _ingest(request: Request, flow: Flow, file: UploadFile, fields: dict[str, Any]) -> Campaign:
    """Both uploads take the same fields, all required but the two flags (D-save; D-upcsv's field table)."""
    state = sim(request)
    for name in ("agent_id", "campaign_name"):
        required_text(name, fields[name])
    vm = parse_variables_map(required_text("variables_map", fields["variables_map"]))
    cc = country_digits(fields["country_code"])
    call_config = call_config_form(fields["call_config"])
    plan = build_plan(call_config, fields["campaign_start_time"], fields["campaign_end_time"])
    remove_invalid = bool(fields["remove_invalid_rows"])
    keep_invalid = flow == "large" and not remove_invalid
    dnc = state.config.dnc_every
    contacts: ContactList = await run_in_threadpool(parse_csv, file.file, vm, cc, dnc, keep_invalid)
    if flow == "standard" and contacts.error is not None:
        raise SimError(400, contacts.error)
    if flow == "standard" and contacts.invalid_count and not remove_invalid:
        # D-save: "Set remove_invalid_rows=true to automatically skip problematic contacts instead of failing the
        # entire upload"
        raise SimError(
            400,
            f"{contacts.invalid_count} of {contacts.total_rows} rows are invalid, so the upload failed and no list "
            "was created. Fix those rows and upload again, or set remove_invalid_rows=true to skip them.",
        )
    c = state.add_campaign(fields["campaign_name"], fields["agent_id"], flow, contacts)
    c.country_code, c.call_config, c.plan = fields["country_code"], call_config, plan
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
        "custom_args_values": [contacts.custom_args(i) for i in range(min(5, contacts.size))],
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
    campaign_start_time: StrForm,
    campaign_end_time: StrForm,
    call_config: StrForm,
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
            "total_contacts": c.contacts.size,
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
        "total_callees": c.contacts.size if done and err is None else 0,
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


def require_ready(state: SimState, c: Campaign, shape: str) -> None:
    now = state.now()
    if not c.processed(now):
        raise SimError(400, "CSV processing is not complete for this list yet", shape)
    if c.contacts.error is not None:
        raise SimError(400, f"CSV processing failed: {c.contacts.error}", shape)


@router.post("/campaign/check-balance/{bulk_list_id}")
async def check_balance(request: Request, bulk_list_id: str) -> dict[str, Any]:
    state = sim(request)
    c = state.get(bulk_list_id, "Bulk list")
    require_ready(state, c, "message")
    required, available = state.required_credits(c), state.credits
    ok = required <= available
    if not c.launches:
        c.balance_status = "draft" if ok else "insufficient_balance"
        c.additional_balance = None if ok else required - available
        c.wall_updated = state.wall()
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
