"""Request bodies as the API receives them: a start request (a JSON CampaignRequest, or a form with the request and
the CSV) and the numbers of a stop-numbers request (a file reference, or the file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import Request
from pydantic import ValidationError

from activities.contacts.source import CsvUnreadable, admit
from api.errors import ApiError, validation_problems
from api.models import StopNumbersBody
from api.store import StoredFile, UploadStore
from api.uploads import parse_json_object, read_form, read_json_object
from client.launcher import idempotency_key_for
from client.start_checks import StartChecks, start_problems
from contract.campaign import CampaignRequest
from contract.request_schema import INTERNAL_FIELDS
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import CsvSources, SourceRefused, shown

JSON_TYPES = ("application/json",)
FORM_TYPE = "multipart/form-data"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def unsupported(request: Request, what: str) -> ApiError:
    got = media_type(request) or "no Content-Type"
    return ApiError(415, f"send {what} as application/json, or as multipart/form-data (got {got})")


@dataclass(frozen=True)
class StartBody:
    fields: dict[str, Any]
    csv_sha256: str | None = None  # an uploaded CSV's: its key is derived without reading the file again
    upload: StoredFile | None = None  # still staged: published only when the request is accepted


async def campaign_body(request: Request, store: UploadStore) -> StartBody:
    """The request's fields; for a form, `csv_uri` is the stored CSV."""
    kind = media_type(request)
    if kind in JSON_TYPES:
        return StartBody(await read_json_object(request))
    if kind != FORM_TYPE:
        raise unsupported(request, "a CampaignRequest")
    form = await read_form(request, store, kind="contacts", suffix=".csv", file_field="file", text_fields={"request"})
    with store.discarded_if_refused(form.file):
        if "request" not in form.fields:
            raise ApiError(422, "the form needs a `request` part: the CampaignRequest as JSON, without csv_uri")
        data = parse_json_object(form.fields["request"].encode(), "the `request` part")
        if form.file is None:
            raise ApiError(422, "the form needs a `file` part: the contacts CSV")
        if "csv_uri" in data:
            raise ApiError(422, "give the contacts either as the `file` part or as csv_uri, not both")
    upload = form.file
    assert upload is not None  # refused above
    return StartBody({**data, "csv_uri": str(upload.path)}, upload.sha256, upload)


async def numbers_body(request: Request, store: UploadStore, sources: CsvSources) -> tuple[str, StoredFile | None]:
    """The numbers file of a stop-numbers request: `numbers_uri` from JSON (where the CAMPAIGN_CSV_* rules allow),
    or the form's `file` (still staged: the caller publishes it once the request is accepted)."""
    kind = media_type(request)
    if kind in JSON_TYPES:
        try:
            numbers_uri = StopNumbersBody.model_validate(await read_json_object(request)).numbers_uri
        except ValidationError as err:
            raise ApiError(422, "the body is not valid", validation_problems(err.errors(), located=False)) from None
        await allowed(numbers_uri, sources, what="numbers_uri", refused="no number was stopped")
        return numbers_uri, None
    if kind != FORM_TYPE:
        raise unsupported(request, "the numbers")
    form = await read_form(request, store, kind="stop-numbers", suffix=".csv", file_field="file", text_fields=set())
    if form.file is None:
        raise ApiError(422, "the form needs a `file` part: the phone numbers to stop")
    return str(form.file.path), form.file


async def start_request(
    data: dict[str, Any], header_key: str | None, checks: StartChecks, *, program: bool = False
) -> CampaignRequest:
    """The CampaignRequest (a ProgramRequest when `program`) of a start, checked with the rules the worker applies
    before anything reaches Temporal: the request's own, the contacts file's place, events_url's host and the
    caller numbers. Every problem is listed in one 422."""
    what = "program" if program else "campaign"
    internal = [name for name in (*INTERNAL_FIELDS, *(("program_state",) if program else ())) if name in data]
    if internal:
        raise ApiError(422, f"{', '.join(internal)} is internal to the workflow and cannot be given")
    if header_key is not None:
        body_key = data.get("idempotency_key")
        if body_key is not None and body_key != header_key:
            raise ApiError(
                422,
                "the Idempotency-Key header and the body's idempotency_key differ: send one of them, or the same key",
            )
        data = {**data, "idempotency_key": header_key}
    req, problems = await start_problems(data, checks, datetime.now(UTC))
    if problems or req is None:
        raise ApiError(422, f"the {what} was not started: fix every problem listed", problems)
    return req


async def allowed(uri: str, sources: CsvSources, *, what: str, refused: str) -> None:
    """422 when the file is not one the CAMPAIGN_CSV_* rules allow (the problem names the rule and the setting)."""
    try:
        await admit(uri, sources, what=what)
    except SourceRefused as err:
        raise ApiError(422, f"{refused}: {what} is not allowed", [str(err)]) from None


async def campaign_key(req: CampaignRequest, sources: CsvSources, csv_sha256: str | None = None) -> str:
    """The idempotency key: given, or derived from the CSV's bytes (which this process must then read, under the
    rules and limits the worker applies, unless it has just stored them: `csv_sha256`)."""
    if req.idempotency_key or csv_sha256:
        return await idempotency_key_for(req, csv_sha256)
    hint = "upload the file (multipart/form-data), or give an Idempotency-Key"
    not_started = "the campaign was not started"
    try:
        return await idempotency_key_for(req, sources=sources)
    except SourceRefused as err:
        raise ApiError(422, f"{not_started}: csv_uri is not allowed", [str(err)]) from None
    except (CsvLimitExceeded, CsvUnreadable) as err:
        raise ApiError(
            422, f"{not_started}: cannot read the CSV to derive the idempotency key ({err}): {hint}"
        ) from None
    except (OSError, httpx.HTTPError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise ApiError(
            422, f"cannot read the CSV {shown(req.csv_uri)!r} to derive the idempotency key ({reason}): {hint}"
        ) from None
