"""RinggClient against httpx.MockTransport: request shapes, every documented response variant, errors."""

from __future__ import annotations

import json
import re
import traceback
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from ringg import (
    CampaignForm,
    EditEventSubscriptions,
    EventSubscription,
    HistoryQuery,
    MakeCallAsyncRequest,
    RinggBadRequest,
    RinggClient,
    RinggClientError,
    RinggConflict,
    RinggError,
    RinggForbidden,
    RinggNotFound,
    RinggPaymentRequired,
    RinggProtocolError,
    RinggRateLimited,
    RinggServerError,
    RinggTransportError,
    RinggUnauthorized,
    RinggValidationError,
    StartRequest,
    StartV2Request,
    TerminateRequest,
    UploadState,
    make_http_client,
)

BASE = "https://ringg.test/ca/api/v0"
KEY = "sk-test-key"
LIST_ID = "123e4567-e89b-12d3-a456-426614174000"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that replays canned replies (responses or exceptions) in order."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.replies, f"unexpected request {request.method} {request.url.path}"
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def ok(payload: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


@asynccontextmanager
async def ringg(handler: Handler, key: str = KEY) -> AsyncIterator[RinggClient]:
    async with make_http_client(BASE, SecretStr(key), transport=httpx.MockTransport(handler)) as http:
        yield RinggClient(http)


def multipart(request: httpx.Request) -> dict[str, tuple[dict[str, str], bytes]]:
    """Minimal multipart/form-data parser: name -> (part headers incl. filename, data)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts: dict[str, tuple[dict[str, str], bytes]] = {}
    for raw in request.content.split(b"--" + boundary)[1:-1]:
        head, _, data = raw[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        disposition = headers["Content-Disposition"]
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        assert name
        if filename:
            headers["filename"] = filename.group(1)
        parts[name.group(1)] = (headers, data[:-2])
    return parts


def form(**overrides: Any) -> CampaignForm:
    fields: dict[str, Any] = {
        "agent_id": "agent-1",
        "campaign_name": "Renewals",
        "country_code": "+91",
        "variables_map": {"mobile_number": "Mobile Number", "callee_name": "Name"},
    }
    return CampaignForm(**(fields | overrides))


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"Mobile Number,Name\n+919800000001,Asha\n")
    return path


# --- http client construction -------------------------------------------------------------------------


async def test_make_http_client_defaults_and_key_handling() -> None:
    rec = Recorder(ok({"workspace_info": {"id": "ws-1"}}))
    async with make_http_client(BASE + "/", SecretStr(KEY), transport=httpx.MockTransport(rec)) as http:
        assert str(http.base_url) == BASE + "/"
        assert http.timeout == httpx.Timeout(30.0, connect=10.0)
        assert http.headers["user-agent"] == "ringg-campaigns/0.1"
        # The key is added per request by the auth hook, so client-level reprs never hold it.
        assert KEY not in repr(http.headers) and KEY not in repr(http.auth) and KEY not in repr(http)
        client = RinggClient(http)
        assert KEY not in repr(client)
        await client.workspace()
    assert str(rec.last.url) == BASE + "/workspace"
    assert rec.last.headers["X-API-KEY"] == KEY
    assert rec.last.headers["user-agent"] == "ringg-campaigns/0.1"


async def test_make_http_client_custom_timeout_and_empty_key() -> None:
    timeout = httpx.Timeout(5.0)
    async with make_http_client(BASE, SecretStr(KEY), timeout=timeout) as http:
        assert http.timeout == timeout
    with pytest.raises(ValueError, match="empty"):
        make_http_client(BASE, SecretStr(""))


# --- standard flow ---------------------------------------------------------------------------------------


async def test_save_campaign_multipart_shape_and_result(csv_file: Path) -> None:
    rec = Recorder(
        ok(
            {
                "message": "Contacts imported successfully!",
                "list_id": LIST_ID,
                "custom_args_values": [{"callee_name": "John Doe", "mobile_number": "+1234567890"}],
                "total_rows": 100,
                "successful_rows": 98,
                "failed_rows": 2,
            }
        )
    )
    call_config = {"call_retry_config": {"retry_count": 3}, "call_time": {"timezone": "Asia/Kolkata"}}
    campaign = form(
        campaign_start_time="18/10/2025, 09:00",
        call_config=call_config,
        remove_invalid_rows=True,
    )
    async with ringg(rec) as client:
        result = await client.save_campaign(campaign, csv_file)

    req = rec.last
    assert (req.method, req.url.path) == ("POST", "/ca/api/v0/campaign/save")
    assert req.headers["X-API-KEY"] == KEY
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(req.headers["content-length"]) == len(req.content)
    parts = multipart(req)
    fields = {name: data.decode() for name, (headers, data) in parts.items() if name != "file"}
    assert fields == {
        "agent_id": "agent-1",
        "campaign_name": "Renewals",
        "country_code": "+91",
        "variables_map": json.dumps({"mobile_number": "Mobile Number", "callee_name": "Name"}),
        "campaign_start_time": "18/10/2025, 09:00",
        "call_config": json.dumps(call_config),
        "remove_invalid_rows": "true",
        "transliterate_callee_name": "false",
    }  # campaign_end_time is None, so it is omitted
    assert json.loads(fields["variables_map"])["callee_name"] == "Name"
    file_headers, file_data = parts["file"]
    assert file_headers["filename"] == "contacts.csv"
    assert file_headers["Content-Type"] == "text/csv"
    assert file_data == csv_file.read_bytes()

    assert result.list_id == LIST_ID
    assert (result.total_rows, result.successful_rows, result.failed_rows) == (100, 98, 2)
    # The per-contact PII array is not kept, not even as an extra field.
    assert "custom_args_values" not in result.model_dump()
    assert "John Doe" not in repr(result)


async def test_start_campaign_json_body() -> None:
    rec = Recorder(ok({"status": "campaign registered successfully!", "has_ongoing_calls": False}))
    async with ringg(rec) as client:
        result = await client.start_campaign(StartRequest(agent_id="a", list_id=LIST_ID, from_numbers=["num-1"]))
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/start")
    assert rec.last.headers["content-type"] == "application/json"
    assert json.loads(rec.last.content) == {"agent_id": "a", "list_id": LIST_ID, "from_numbers": ["num-1"]}
    assert result.status == "campaign registered successfully!"
    assert result.has_ongoing_calls is False


async def test_start_campaign_v2_json_body() -> None:
    rec = Recorder(ok({"status": "campaign registered successfully!", "has_ongoing_calls": True}))
    req = StartV2Request(agent_id="a", list_id=LIST_ID, number_pool_id="pool-1", callback_url="https://cb.example/x")
    async with ringg(rec) as client:
        result = await client.start_campaign_v2(req)
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/v2/start")
    assert json.loads(rec.last.content) == {
        "agent_id": "a",
        "list_id": LIST_ID,
        "number_pool_id": "pool-1",
        "callback_url": "https://cb.example/x",
    }
    assert result.has_ongoing_calls is True


# --- beta large-campaign flow ----------------------------------------------------------------------------


async def test_upload_csv_docs_example_verifying(csv_file: Path) -> None:
    rec = Recorder(
        ok(
            {
                "bulk_list_id": LIST_ID,
                "status": "verifying",
                "campaign_name": "Renewal reminders - large upload",
                "total_callees": 0,
                "invalidated_rows_count": 0,
                "invalidated_rows_csv_url": None,
            }
        )
    )
    async with ringg(rec) as client:
        result = await client.upload_csv(form(), csv_file)
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/upload-csv")
    parts = multipart(rec.last)
    assert parts["variables_map"][1] == json.dumps({"mobile_number": "Mobile Number", "callee_name": "Name"}).encode()
    assert "campaign_start_time" not in parts and "call_config" not in parts
    assert parts["file"][0]["filename"] == "contacts.csv"
    assert result.bulk_list_id == LIST_ID
    assert result.status == "verifying" and result.state is UploadState.PENDING
    assert (result.total, result.invalidated_rows_count, result.invalidated_rows_csv_url) == (0, 0, None)


@pytest.mark.parametrize(
    ("payload", "total"),
    [
        # Dashboard fixture: status in_db, total_rows, a message.
        ({"bulk_list_id": LIST_ID, "message": "CSV uploaded", "status": "in_db", "total_rows": 10}, 10),
        ({"campaign_id": LIST_ID, "status": "in_db", "total_contacts": "10"}, 10),
        ({"list_id": LIST_ID, "status": "uploaded"}, None),
    ],
)
async def test_upload_csv_fixture_variants(csv_file: Path, payload: dict[str, Any], total: int | None) -> None:
    async with ringg(Recorder(ok(payload))) as client:
        result = await client.upload_csv(form(), csv_file)
    assert result.bulk_list_id == LIST_ID
    assert result.total == total
    assert result.state is UploadState.PENDING


UPLOAD_STATUS_VARIANTS: list[tuple[dict[str, Any], UploadState, dict[str, Any]]] = [
    ({"bulk_list_id": LIST_ID, "status": "uploaded"}, UploadState.PENDING, {}),
    (
        # Prose "response guidance" example.
        {
            "bulk_list_id": LIST_ID,
            "status": "processing",
            "total_rows": 6200,
            "processed_rows": 2800,
            "successful_rows": 2744,
            "failed_rows": 56,
        },
        UploadState.PENDING,
        {"total": 6200, "processed_rows": 2800, "successful_rows": 2744, "failed_rows": 56},
    ),
    (
        {"bulk_list_id": LIST_ID, "status": "completed", "total_rows": "6144"},
        UploadState.READY,
        {"total": 6144},
    ),
    (
        {"bulk_list_id": LIST_ID, "status": "failed", "error": "Mobile Number column missing"},
        UploadState.FAILED,
        {"message": "Mobile Number column missing"},
    ),
    (
        # OpenAPI example.
        {
            "bulk_list_id": LIST_ID,
            "status": "verifying",
            "campaign_name": "Renewal reminders - large upload",
            "total_callees": 5000,
            "invalidated_rows_count": 12,
            "invalidated_rows_csv_url": "https://storage.example.com/invalid-rows.csv",
        },
        UploadState.PENDING,
        {
            "total": 5000,
            "invalidated_rows_count": 12,
            "invalidated_rows_csv_url": "https://storage.example.com/invalid-rows.csv",
            "campaign_name": "Renewal reminders - large upload",
        },
    ),
    ({"bulk_list_id": LIST_ID, "status": "ready"}, UploadState.READY, {}),
    ({"bulk_list_id": LIST_ID, "status": "in_db"}, UploadState.PENDING, {}),
    (
        # Dashboard fixture: "draft" means verified; campaign_id instead of bulk_list_id.
        {
            "status": "draft",
            "campaign_id": LIST_ID,
            "total_contacts": 9,
            "invalidated_rows_count": 1,
            "invalid_entries_file": "https://files.example/invalid_entries.csv",
        },
        UploadState.READY,
        {
            "total": 9,
            "invalidated_rows_count": 1,
            "invalidated_rows_csv_url": "https://files.example/invalid_entries.csv",
        },
    ),
    ({"bulk_list_id": LIST_ID, "status": " COMPLETED "}, UploadState.READY, {}),
    ({"bulk_list_id": LIST_ID, "status": "error", "detail": "boom"}, UploadState.FAILED, {"message": "boom"}),
    ({"bulk_list_id": LIST_ID, "status": "reticulating"}, UploadState.UNKNOWN, {}),
    ({"bulk_list_id": LIST_ID}, UploadState.UNKNOWN, {"status": ""}),
]


@pytest.mark.parametrize(("payload", "state", "expected"), UPLOAD_STATUS_VARIANTS)
async def test_upload_status_variants(payload: dict[str, Any], state: UploadState, expected: dict[str, Any]) -> None:
    rec = Recorder(ok(payload))
    async with ringg(rec) as client:
        status = await client.upload_status(LIST_ID)
    assert (rec.last.method, rec.last.url.path) == ("GET", f"/ca/api/v0/campaign/upload-status/{LIST_ID}")
    assert status.bulk_list_id == LIST_ID
    assert status.state is state
    for name, value in expected.items():
        assert getattr(status, name) == value, name


async def test_upload_status_quotes_path_parameter() -> None:
    rec = Recorder(ok({"status": "ready"}))
    async with ringg(rec) as client:
        await client.upload_status("a/b")
    assert rec.last.url.raw_path.endswith(b"/campaign/upload-status/a%2Fb")


BALANCE_VARIANTS: list[tuple[dict[str, Any], bool | None, float | None]] = [
    # Shape A (OpenAPI schema).
    ({"status": "draft", "bulk_list_id": LIST_ID, "message": "Balance OK"}, True, None),
    # Shape B (prose example).
    (
        {
            "bulk_list_id": LIST_ID,
            "required_credits": 6200,
            "available_credits": 8500,
            "sufficient_balance": True,
        },
        True,
        None,
    ),
    (
        {
            "bulk_list_id": LIST_ID,
            "required_credits": 6200,
            "available_credits": 1700,
            "sufficient_balance": False,
        },
        False,
        4500.0,
    ),
    # Campaign-style status with a string amount (dashboard fixture).
    (
        {"bulk_list_id": LIST_ID, "status": "insufficient_balance", "additional_balance_required": "4500"},
        False,
        4500.0,
    ),
    ({"bulk_list_id": LIST_ID, "status": "Draft", "sufficient_balance": "false"}, False, None),
    ({"bulk_list_id": LIST_ID, "message": "queued"}, None, None),
]


@pytest.mark.parametrize(("payload", "sufficient", "missing"), BALANCE_VARIANTS)
async def test_check_balance_shapes(payload: dict[str, Any], sufficient: bool | None, missing: float | None) -> None:
    rec = Recorder(ok(payload))
    async with ringg(rec) as client:
        balance = await client.check_balance(LIST_ID)
    assert (rec.last.method, rec.last.url.path) == ("POST", f"/ca/api/v0/campaign/check-balance/{LIST_ID}")
    assert rec.last.content == b""
    assert balance.bulk_list_id == LIST_ID
    assert balance.is_sufficient is sufficient
    assert balance.missing_credits == missing


async def test_make_call_async_json_body() -> None:
    rec = Recorder(ok({"message": "Campaign calls scheduled", "bulk_list_id": LIST_ID, "status": "scheduled"}))
    req = MakeCallAsyncRequest(
        bulk_list_id=LIST_ID,
        agent_id="agent-1",
        country_code="+91",
        campaign_start_time="18/10/2026, 09:00",
        campaign_end_time="18/10/2026, 18:00",
        call_config={"call_time": {"call_start_time": "09:00", "scheduled_at": None}},
        number_pool_id="pool-1",
        concurrency_percentage=25,
    )
    async with ringg(rec) as client:
        result = await client.make_call_async(req)
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/make-call-async")
    assert json.loads(rec.last.content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": "agent-1",
        "country_code": "+91",
        "campaign_start_time": "18/10/2026, 09:00",
        "campaign_end_time": "18/10/2026, 18:00",
        # exclude_none applies to the model's fields, not inside the free-form call_config.
        "call_config": {"call_time": {"call_start_time": "09:00", "scheduled_at": None}},
        "number_pool_id": "pool-1",
        "concurrency_percentage": 25,
    }
    assert (result.status, result.bulk_list_id) == ("scheduled", LIST_ID)


async def test_make_call_async_fixture_response() -> None:
    req = MakeCallAsyncRequest(bulk_list_id=LIST_ID, agent_id="a", from_numbers=["num-1"])
    rec = Recorder(ok({"message": "Campaign scheduled successfully"}))
    async with ringg(rec) as client:
        result = await client.make_call_async(req)
    assert json.loads(rec.last.content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": "a",
        "from_numbers": ["num-1"],
    }
    assert result.message == "Campaign scheduled successfully" and result.status is None


# --- monitoring ------------------------------------------------------------------------------------------


def campaign_row(i: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"cmp-{i}", "name": name, "campaign_status": "ongoing", "agent_id": "agt-1"} | extra


async def test_list_campaigns_fixture_shape() -> None:
    row = campaign_row(
        1,
        "Overdue accounts - Mumbai",
        campaign_status="INSUFFICIENT_BALANCE",
        created_at="2026-11-20T10:00:00Z",
        total_calls=318,
        total_contacts=540,
        invalidated_rows_count=4,
        invalid_entries_file="https://files.example/invalid.csv",
        csv_file_name="overdue_mumbai.csv",
        additional_balance_required="4500",
    )
    rec = Recorder(ok({"campaigns": [row], "pagination": {"total": 9, "limit": 50, "offset": 0}}))
    async with ringg(rec) as client:
        page = await client.list_campaigns(limit=50, offset=0, search="Overdue")
    assert (rec.last.method, rec.last.url.path) == ("GET", "/ca/api/v0/campaign/all")
    assert dict(rec.last.url.params) == {"limit": "50", "offset": "0", "search": "Overdue"}
    assert (page.total, page.limit, page.offset) == (9, 50, 0)
    (campaign,) = page.campaigns
    assert campaign.id == "cmp-1" and campaign.name == "Overdue accounts - Mumbai"
    assert campaign.campaign_status == "insufficient_balance"
    assert (campaign.total_calls, campaign.total_contacts, campaign.invalidated_rows_count) == (318, 540, 4)
    assert campaign.invalidated_rows_csv_url == "https://files.example/invalid.csv"
    assert campaign.additional_balance_required == 4500.0
    assert campaign.created_at == "2026-11-20T10:00:00Z"
    assert campaign.model_extra == {"csv_file_name": "overdue_mumbai.csv"}


async def test_list_campaigns_alternative_keys() -> None:
    rows = [{"campaign_id": LIST_ID, "campaign_name": "X", "status": "Scheduled"}]
    rec = Recorder(ok({"data": rows, "total": 1}))
    async with ringg(rec) as client:
        page = await client.list_campaigns()
    assert dict(rec.last.url.params) == {"limit": "50", "offset": "0"}
    assert page.total == 1
    assert (page.campaigns[0].id, page.campaigns[0].name, page.campaigns[0].campaign_status) == (
        LIST_ID,
        "X",
        "scheduled",
    )


async def test_find_campaigns_pages_and_filters_locally() -> None:
    # The server ignores `search`: five campaigns, two of which match.
    names = ["cmp-A run-1", "other", "cmp-A run-2", "misc", "another"]
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        offset, limit = int(params["offset"]), int(params["limit"])
        rows = [campaign_row(i, names[i]) for i in range(offset, min(offset + limit, len(names)))]
        return ok({"campaigns": rows, "pagination": {"total": len(names), "limit": limit, "offset": offset}})

    async with ringg(handler) as client:
        found = await client.find_campaigns("cmp-A", page_size=2)
    assert [c.id for c in found] == ["cmp-0", "cmp-2"]
    assert [(p["offset"], p["search"]) for p in seen] == [("0", "cmp-A"), ("2", "cmp-A"), ("4", "cmp-A")]


async def test_find_campaigns_stops_on_short_page_without_total() -> None:
    rec = Recorder(
        ok({"campaigns": [campaign_row(0, "x1"), campaign_row(1, "x2")]}),
        ok({"campaigns": [campaign_row(2, "x3")]}),
    )
    async with ringg(rec) as client:
        found = await client.find_campaigns("x", page_size=2)
    assert [c.name for c in found] == ["x1", "x2", "x3"]
    assert len(rec.requests) == 2


async def test_find_campaigns_respects_max_pages_and_ignored_offset() -> None:
    calls = 0

    def same_page(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return ok({"campaigns": [campaign_row(calls * 10 + i, f"x{i}") for i in range(2)]})

    async with ringg(same_page) as client:
        found = await client.find_campaigns("x", page_size=2, max_pages=3)
    assert (calls, len(found)) == (3, 6)

    # A server that ignores offset repeats page one: stop instead of looping to max_pages.
    page_one = {"campaigns": [campaign_row(i, f"x{i}") for i in range(2)]}
    rec = Recorder(*(ok(page_one) for _ in range(50)))
    async with ringg(rec) as client:
        found = await client.find_campaigns("x", page_size=2, max_pages=50)
    assert len(rec.requests) == 2 and [c.id for c in found] == ["cmp-0", "cmp-1"]


HISTORY_ROW = {
    "id": "34a29572-9e09-453d-bcb8-90cdbb157c79",
    "to_number": "+918882876897",
    "name": "abhishek",
    "status": "completed",
    "transcript": '[{"bot": "Hi there!"}, {"user": "hello"}]',
    "audio_recording": "https://media.example/rec.mp3",
    "created_at": "2025-11-24T11:37:43.678043+00:00",
    "agent": {"id": "5d7cdc09", "agent_name": "test after prod"},
    "call_duration": 7.98,
    "call_attempt_time": "2025-11-24T11:37:48.549486+00:00",
    "call_cost": 0.2,
    "call_type": "outbound",
    "from_numbers": ["+912269976804"],
    "voicemail_detected": False,
}


async def test_call_history_request_and_docs_example() -> None:
    rec = Recorder(ok({"calls": [HISTORY_ROW], "limit": 10, "offset": 0, "count": 1, "total": 1}))
    query = HistoryQuery(
        bulk_list_id=LIST_ID,
        start_date=datetime(2026, 11, 23, tzinfo=UTC),
        end_date=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        status="completed",
    )
    async with ringg(rec) as client:
        page = await client.call_history(query)
    req = rec.last
    assert (req.method, req.url.path) == ("GET", "/ca/api/v0/calling/history")
    assert dict(req.url.params) == {
        "start_date": "2026-11-23T00:00:00+00:00",
        "end_date": "2026-11-30T23:59:00+00:00",
        "limit": "100",
        "offset": "0",
        "bulk_list_id": LIST_ID,
        "status": "completed",
    }
    assert b"start_date=2026-11-23T00%3A00%3A00%2B00%3A00" in req.url.query
    assert b"download" not in req.url.query
    assert (page.limit, page.offset, page.count, page.total) == (10, 0, 1, 1)
    (call,) = page.calls
    assert call.id == HISTORY_ROW["id"]
    assert call.transcript == [{"bot": "Hi there!"}, {"user": "hello"}]
    assert (call.status, call.call_duration, call.call_cost) == ("completed", 7.98, 0.2)
    assert call.to_number == "+918882876897" and call.name == "abhishek"
    assert call.audio_recording == "https://media.example/rec.mp3"
    for text in (repr(call), str(call), repr(page)):
        assert "+918882876897" not in text and "abhishek" not in text and "Hi there" not in text
        assert "+912269976804" not in text  # extras are left out of repr too


async def test_call_history_row_variants() -> None:
    rows = [
        # Dashboard v2 names (call_id, callee_name, call_status, ...) and a list transcript.
        {
            "call_id": "c1",
            "callee_name": "Asha",
            "call_status": "RETRY",
            "call_sub_status": "NO_ANSWER",
            "recording_url": "https://media.example/c1.mp3",
            "transcript": [{"bot": "hi"}, "stray"],
            "bulk_list_id": LIST_ID,
            "retry_count": "1",
            "next_attempt_time": "2026-11-23T10:30:00+05:30",
        },
        {"id": "c2", "transcript": "not json at all", "status": "failed", "call_duration": ""},
        {"id": "c3", "transcript": "", "sub_status": "ACCEPTED"},
    ]
    rec = Recorder(ok({"calls": rows, "limit": 3, "offset": 3, "count": 3, "total": 9}))
    query = HistoryQuery(
        start_date=datetime(2026, 11, 23, tzinfo=UTC), end_date=datetime(2026, 11, 24, tzinfo=UTC), offset=3
    )
    async with ringg(rec) as client:
        page = await client.call_history(query)
    assert rec.last.url.params["offset"] == "3" and "bulk_list_id" not in rec.last.url.params
    c1, c2, c3 = page.calls
    assert (c1.id, c1.name, c1.status, c1.sub_status) == ("c1", "Asha", "retry", "NO_ANSWER")
    assert c1.audio_recording == "https://media.example/c1.mp3"
    assert c1.transcript == [{"bot": "hi"}, {"raw": "stray"}]
    assert (c1.bulk_list_id, c1.retry_count, c1.next_attempt_time) == (
        LIST_ID,
        1,
        "2026-11-23T10:30:00+05:30",
    )
    assert c2.transcript == [{"raw": "not json at all"}] and c2.call_duration is None
    assert c3.transcript is None and c3.sub_status == "ACCEPTED"
    assert (page.offset, page.total) == (3, 9)


async def test_terminate_json_body() -> None:
    rec = Recorder(ok({"message": "Calls terminated successfully!"}))
    async with ringg(rec) as client:
        result = await client.terminate(TerminateRequest(campaign_id=LIST_ID, mobile_numbers=["+919800000001"]))
    assert (rec.last.method, rec.last.url.path) == ("PATCH", "/ca/api/v0/campaign/terminate")
    assert json.loads(rec.last.content) == {"campaign_id": LIST_ID, "mobile_numbers": ["+919800000001"]}
    assert result.message == "Calls terminated successfully!"


async def test_empty_success_body_parses_optional_only_models() -> None:
    async with ringg(Recorder(httpx.Response(204))) as client:
        result = await client.terminate(TerminateRequest(call_ids=["c1"]))
    assert result.message is None


# --- agent event subscriptions ------------------------------------------------------------------------------


async def test_edit_event_subscriptions_body_and_secret_kept_out_of_reprs() -> None:
    rec = Recorder(ok({"message": "Event subscriptions updated"}))
    request = EditEventSubscriptions(
        agent_id="agent-1",
        event_subscriptions=[
            EventSubscription(
                event_type="call_completed",
                callback_url="https://hooks.example/webhooks/ringg",
                headers={"X-Webhook-Secret": "very-secret-value"},
            )
        ],
    )
    async with ringg(rec) as client:
        result = await client.edit_event_subscriptions(request)
    assert (rec.last.method, rec.last.url.path) == ("PATCH", "/ca/api/v0/agent/v1")
    assert json.loads(rec.last.content) == {
        "operation": "edit_event_subscriptions",
        "agent_id": "agent-1",
        "event_subscriptions": [
            {
                "event_type": "call_completed",
                "callback_url": "https://hooks.example/webhooks/ringg",
                "headers": {"X-Webhook-Secret": "very-secret-value"},
                "method_type": "POST",
            }
        ],
    }
    assert result.message == "Event subscriptions updated"
    assert "very-secret-value" not in repr(request)


async def test_edit_event_subscriptions_unknown_agent_is_not_found() -> None:
    async with ringg(Recorder(httpx.Response(404, json={"detail": "Agent not found"}))) as client:
        with pytest.raises(RinggNotFound, match="Agent not found"):
            await client.edit_event_subscriptions(
                EditEventSubscriptions(
                    agent_id="nope",
                    event_subscriptions=[EventSubscription(event_type=["call_completed"], callback_url="https://h/x")],
                )
            )


# --- workspace -------------------------------------------------------------------------------------------


def number_row(i: int) -> dict[str, Any]:
    return {"id": f"num-{i}", "number": f"+1555000{i:04d}", "is_spam": False, "provider": "twilio"}


async def test_workspace_numbers_docs_example() -> None:
    row = number_row(1) | {
        "spam_message": None,
        "display_name": "Sales Line",
        "number_pool_id": "pool-1",
        "is_test_number": False,
        "is_inbound_enabled": True,
        "agent": {"id": "830f767a", "agent_display_name": "Sales Assistant"},
        "tags": [],
    }
    rec = Recorder(ok({"workspace_numbers": [row]}))
    async with ringg(rec) as client:
        page = await client.workspace_numbers(limit=20, offset=40)
    assert (rec.last.method, rec.last.url.path) == ("GET", "/ca/api/v0/workspace/numbers")
    assert dict(rec.last.url.params) == {"limit": "20", "offset": "40"}
    (number,) = page.workspace_numbers
    assert (number.id, number.number, number.provider, number.number_pool_id) == (
        "num-1",
        "+15550000001",
        "twilio",
        "pool-1",
    )
    assert (number.is_spam, number.is_test_number, number.is_inbound_enabled) == (False, False, True)


async def test_all_workspace_numbers_pages_until_short_page() -> None:
    rec = Recorder(
        ok({"workspace_numbers": [number_row(0), number_row(1)]}),
        ok({"numbers": [number_row(2), number_row(3)]}),
        ok({"data": [number_row(4)]}),
    )
    async with ringg(rec) as client:
        numbers = await client.all_workspace_numbers(page_size=2)
    assert [n.id for n in numbers] == [f"num-{i}" for i in range(5)]
    assert [r.url.params["offset"] for r in rec.requests] == ["0", "2", "4"]
    assert {r.url.params["limit"] for r in rec.requests} == {"2"}


async def test_workspace_drops_api_key() -> None:
    body = {
        "workspace_info": {
            "id": "ws-1",
            "name": "Acme",
            "created_at": "2025-01-01T00:00:00Z",
            "credits": "8500.5",
            "locked_credits": 120,
            "api_key": "sk-LEAKED-999",
        }
    }
    rec = Recorder(ok(body))
    async with ringg(rec) as client:
        info = await client.workspace()
    assert (rec.last.method, rec.last.url.path) == ("GET", "/ca/api/v0/workspace")
    assert (info.id, info.name, info.credits, info.locked_credits) == ("ws-1", "Acme", 8500.5, 120.0)
    assert "sk-LEAKED-999" not in repr(info) + str(info.model_dump()) + info.model_dump_json()
    assert not hasattr(info, "api_key")


# --- download --------------------------------------------------------------------------------------------


async def test_download_sends_key_only_to_ringg_host(tmp_path: Path) -> None:
    body = b"Mobile Number,Reason\n+919800000001,bad\n" * 1000
    rec = Recorder(
        httpx.Response(200, content=body),
        httpx.Response(302, headers={"Location": "https://storage.example/signed/file.csv?sig=abc"}),
        httpx.Response(200, content=b"x,y\n"),
    )
    async with ringg(rec) as client:
        written = await client.download("https://ringg.test/files/invalid.csv", tmp_path / "own.csv")
        redirected = await client.download("https://ringg.test/files/redirect.csv", tmp_path / "far.csv")
    assert written == len(body) and (tmp_path / "own.csv").read_bytes() == body
    assert redirected == 4 and (tmp_path / "far.csv").read_bytes() == b"x,y\n"
    own, hop, far = rec.requests
    assert own.headers["X-API-KEY"] == KEY and hop.headers["X-API-KEY"] == KEY
    assert str(far.url) == "https://storage.example/signed/file.csv?sig=abc"
    assert "X-API-KEY" not in far.headers
    assert not list(tmp_path.glob("*.part"))


async def test_download_foreign_host_and_errors(tmp_path: Path) -> None:
    rec = Recorder(httpx.Response(200, content=b"data"), httpx.Response(404, text="gone"))
    async with ringg(rec) as client:
        assert await client.download("https://storage.example/x.csv", tmp_path / "x.csv") == 4
        with pytest.raises(RinggNotFound) as info:
            await client.download("https://storage.example/y.csv?sig=SECRETSIG", tmp_path / "y.csv")
        with pytest.raises(ValueError, match="absolute"):
            await client.download("/relative/path.csv", tmp_path / "z.csv")
    assert "X-API-KEY" not in rec.requests[0].headers
    assert info.value.endpoint == "GET storage.example" and "SECRETSIG" not in str(info.value)
    assert not (tmp_path / "y.csv").exists()


async def test_download_interrupted_mid_stream(tmp_path: Path) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"first chunk,"
        raise httpx.ReadError("connection reset")

    rec = Recorder(httpx.Response(200, content=body()))
    async with ringg(rec) as client:
        with pytest.raises(RinggTransportError) as info:
            await client.download("https://ringg.test/files/invalid.csv", tmp_path / "x.csv")
    assert info.value.maybe_committed is True and info.value.endpoint == "GET ringg.test"
    assert info.value.__context__ is None
    assert list(tmp_path.iterdir()) == []


# --- error mapping ---------------------------------------------------------------------------------------

FASTAPI_422 = {
    "detail": [
        {
            "loc": ["body", "from_numbers"],
            "msg": "exactly one of from_numbers or number_pool_id",
            "input": "+9198",
        },
        {"loc": ["body", "agent_id"], "msg": "field required"},
    ]
}

ERROR_CASES: list[tuple[httpx.Response, type[RinggError], str]] = [
    (
        httpx.Response(400, json={"detail": "campaign already started"}),
        RinggBadRequest,
        "campaign already started",
    ),
    (
        httpx.Response(401, json={"error": {"message": "Invalid API key"}}),
        RinggUnauthorized,
        "Invalid API key",
    ),
    (
        httpx.Response(402, json={"message": "Insufficient credits"}),
        RinggPaymentRequired,
        "Insufficient credits",
    ),
    (
        httpx.Response(403, json={"error": "forbidden for workspace"}),
        RinggForbidden,
        "forbidden for workspace",
    ),
    (httpx.Response(404, text="Not Found"), RinggNotFound, "Not Found"),
    (httpx.Response(409, json={"detail": {"message": "duplicate"}}), RinggConflict, "duplicate"),
    (
        httpx.Response(422, json=FASTAPI_422),
        RinggValidationError,
        "body.from_numbers: exactly one of from_numbers or number_pool_id; body.agent_id: field required",
    ),
    (httpx.Response(418, json={"unexpected": True}), RinggClientError, '{"unexpected":true}'),
    (httpx.Response(500), RinggServerError, "Internal Server Error"),
    (httpx.Response(503, text="<html>upstream down</html>"), RinggServerError, "<html>upstream down</html>"),
]


@pytest.mark.parametrize(("response", "error_type", "message"), ERROR_CASES)
async def test_error_mapping(response: httpx.Response, error_type: type[RinggError], message: str) -> None:
    req = MakeCallAsyncRequest(bulk_list_id=LIST_ID, agent_id="a", number_pool_id="p")
    async with ringg(Recorder(response)) as client:
        with pytest.raises(error_type) as info:
            await client.make_call_async(req)
    err = info.value
    assert type(err) is error_type
    assert isinstance(err, RinggClientError) == (400 <= response.status_code < 500)
    assert err.endpoint == "POST campaign/make-call-async"
    assert err.status_code == response.status_code
    assert err.server_message == message
    assert str(err) == f"POST campaign/make-call-async -> {response.status_code}: {message}"
    assert "+9198" not in str(err)  # FastAPI `input` values are never copied


async def test_error_messages_are_truncated() -> None:
    async with ringg(Recorder(httpx.Response(503, text="x" * 5000))) as client:
        with pytest.raises(RinggServerError) as info:
            await client.upload_status(LIST_ID)
    assert len(info.value.server_message) == 500
    assert info.value.endpoint == "GET campaign/upload-status/{bulk_list_id}"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "http-date:+120"}, 120.0),
        ({"Retry-After": "http-date:-60"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
async def test_rate_limited_retry_after(headers: dict[str, str], expected: float | None) -> None:
    # HTTP dates are made when the test runs (parametrize values are built at collection time).
    value = headers.get("Retry-After", "")
    if value.startswith("http-date:"):
        when = datetime.now(UTC) + timedelta(seconds=float(value.removeprefix("http-date:")))
        headers = {"Retry-After": format_datetime(when, usegmt=True)}
    rec = Recorder(httpx.Response(429, json={"message": "Rate limit exceeded"}, headers=headers))
    async with ringg(rec) as client:
        with pytest.raises(RinggRateLimited) as info:
            await client.list_campaigns()
    assert isinstance(info.value, RinggClientError) and info.value.status_code == 429
    assert info.value.server_message == "Rate limit exceeded"
    if expected is None:
        assert info.value.retry_after is None
    else:
        assert info.value.retry_after == pytest.approx(expected, abs=5)


@pytest.mark.parametrize(
    ("exc", "maybe_committed"),
    [
        (httpx.ConnectError("connection refused"), False),
        (httpx.ConnectTimeout("connect timed out"), False),
        (httpx.PoolTimeout("pool exhausted"), False),
        (httpx.ReadTimeout("read timed out"), True),
        (httpx.WriteTimeout("write timed out"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (httpx.ReadError("connection reset"), True),
    ],
)
async def test_transport_errors(exc: httpx.RequestError, maybe_committed: bool) -> None:
    async with ringg(Recorder(exc)) as client:
        with pytest.raises(RinggTransportError) as info:
            await client.make_call_async(MakeCallAsyncRequest(bulk_list_id=LIST_ID, agent_id="a", number_pool_id="p"))
    err = info.value
    assert err.maybe_committed is maybe_committed
    assert err.status_code is None and err.endpoint == "POST campaign/make-call-async"
    assert type(exc).__name__ in err.server_message
    # The httpx exception (whose request holds the X-API-KEY header) is neither cause nor context.
    assert err.__cause__ is None and err.__context__ is None


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "UploadStatus: response body is not JSON"),
        (httpx.Response(200, json=["not", "an", "object"]), "UploadStatus: invalid response"),
        (
            httpx.Response(200, json={"status": 5, "total": "+919800000001x"}),
            "UploadStatus: invalid response: total",
        ),
    ],
)
async def test_success_with_bad_body_is_protocol_error(response: httpx.Response, fragment: str) -> None:
    async with ringg(Recorder(response)) as client:
        with pytest.raises(RinggProtocolError) as info:
            await client.upload_status(LIST_ID)
    err = info.value
    assert fragment in str(err) and err.status_code == 200
    assert "maintenance" not in str(err) and "+919800000001" not in str(err)
    assert err.__cause__ is None and err.__context__ is None


async def test_missing_required_field_is_protocol_error(csv_file: Path) -> None:
    async with ringg(Recorder(ok({"message": "ok", "custom_args_values": [{"mobile_number": "+91"}]}))) as client:
        with pytest.raises(RinggProtocolError, match=r"SaveResult: invalid response: list_id: Field required"):
            await client.save_campaign(form(), csv_file)


async def test_api_key_never_leaks_from_errors_or_logs(csv_file: Path) -> None:
    secret = "sk-SECRET-123"
    replies: list[httpx.Response | Exception] = [
        httpx.Response(code, json={"detail": f"bad key {secret}"}) for code in (400, 401, 402, 403, 404, 409, 422)
    ]
    replies += [
        httpx.Response(418, text=f"teapot {secret}"),
        httpx.Response(429, json={"error": {"message": secret}}, headers={"Retry-After": "1"}),
        httpx.Response(500, json={"message": f"trace: X-API-KEY={secret}"}),
        httpx.Response(503),
        httpx.ConnectError(f"refused {secret}"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.Response(200, text=f"not json {secret}"),
        httpx.Response(200, json={"api_key": secret}),
    ]
    rec = Recorder(*replies)
    errors: list[RinggError] = []
    with capture_logs() as logs:
        async with ringg(rec, key=secret) as client:
            for _ in range(len(replies) - 1):
                with pytest.raises(RinggError) as info:
                    await client.upload_status(LIST_ID)
                errors.append(info.value)
            with pytest.raises(RinggError) as info:
                await client.workspace()
            errors.append(info.value)
    assert all(r.headers["X-API-KEY"] == secret for r in rec.requests)
    assert {type(e) for e in errors} >= {
        RinggBadRequest,
        RinggUnauthorized,
        RinggPaymentRequired,
        RinggForbidden,
        RinggNotFound,
        RinggConflict,
        RinggValidationError,
        RinggClientError,
        RinggRateLimited,
        RinggServerError,
        RinggTransportError,
        RinggProtocolError,
    }
    for err in errors:
        rendered = [str(err), repr(err), repr(err.args), "".join(traceback.format_exception(err))]
        assert not any(secret in text for text in rendered), type(err)
    assert "***" in errors[0].server_message
    assert len(logs) == len(replies)
    assert secret not in repr(logs)


async def test_one_debug_log_line_per_request() -> None:
    rec = Recorder(ok({"status": "ready", "to_number": "+919800000001"}), httpx.ConnectError("refused"))
    with capture_logs() as logs:
        async with ringg(rec) as client:
            await client.upload_status(LIST_ID)
            with pytest.raises(RinggTransportError):
                await client.upload_status(LIST_ID)
    assert [set(entry) for entry in logs] == [{"event", "log_level", "method", "path", "status", "elapsed_ms"}] * 2
    first, second = logs
    assert (first["event"], first["log_level"], first["method"]) == ("ringg_request", "debug", "GET")
    assert first["path"] == "campaign/upload-status/{bulk_list_id}" and first["status"] == 200
    assert second["status"] is None and isinstance(second["elapsed_ms"], float)
    assert LIST_ID not in repr(logs) and "+919800000001" not in repr(logs)


# --- streaming upload ------------------------------------------------------------------------------------


class StreamingTransport(httpx.AsyncBaseTransport):
    """Consumes the request body chunk by chunk, as a socket would.

    httpx.MockTransport is not usable here: it calls `await request.aread()` before the handler, which joins
    the whole body into one bytes object and would hide (or fake) the streaming behaviour under test.
    """

    def __init__(self) -> None:
        self.total = 0
        self.chunks = 0
        self.largest = 0
        self.head = b""
        self.headers: httpx.Headers | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.headers = request.headers
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.chunks += 1
            self.total += len(chunk)
            self.largest = max(self.largest, len(chunk))
            if len(self.head) < 4096:
                self.head += chunk[:4096]
        return httpx.Response(200, json={"bulk_list_id": LIST_ID, "status": "uploaded"})


async def test_upload_streams_large_csv(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    row = b"+919800000001,Customer Name,Some Company Pvt Ltd,2026-11-23\n"
    with path.open("wb") as fh:
        fh.write(b"Mobile Number,Name,Company,Due\n")
        for _ in range(20 * 1024 * 1024 // len(row)):
            fh.write(row)
    size = path.stat().st_size
    assert size > 19 * 1024 * 1024

    transport = StreamingTransport()
    tracemalloc.start()
    try:
        async with make_http_client(BASE, SecretStr(KEY), transport=transport) as http:
            result = await RinggClient(http).upload_csv(form(), path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.bulk_list_id == LIST_ID
    assert transport.headers is not None
    assert transport.headers["X-API-KEY"] == KEY
    assert transport.headers["content-type"].startswith("multipart/form-data; boundary=")
    # Content-Length is known up front (from the file size), so no chunked transfer encoding is needed.
    assert transport.total == int(transport.headers["content-length"])
    assert size < transport.total < size + 4096
    assert transport.largest <= 1024 * 1024 and transport.chunks > 100
    assert b'name="agent_id"' in transport.head and b'filename="big.csv"' in transport.head
    # Nothing close to the file's size was ever held in memory at once.
    assert peak < 5 * 1024 * 1024
