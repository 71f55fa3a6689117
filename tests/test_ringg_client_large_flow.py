"""RinggClient against httpx.MockTransport: the beta large-campaign flow (upload-csv, upload-status, check-balance,
make-call-async) with every documented response variant, and the streamed upload of a large CSV."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ringg import MakeCallAsyncRequest, RinggClient, UploadState, make_http_client
from tests.ringg_client_helpers import BASE, KEY, LIST_ID, SCHEDULE, Recorder, form, multipart, ok, ringg
from tests.ringg_client_helpers import csv_file as csv_file  # a fixture: pytest finds it by this name

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
    assert parts["campaign_start_time"][1] == b"18/10/2026, 09:00"
    assert json.loads(parts["call_config"][1]) == SCHEDULE["call_config"]
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
        # total_rows is every row received, not the contacts: kept apart from `total` (total_callees).
        {
            "total": None,
            "total_rows": 6200,
            "processed_rows": 2800,
            "successful_rows": 2744,
            "failed_rows": 56,
            "percent": 45.2,
            "invalid_rows": 56,
        },
    ),
    (
        {"bulk_list_id": LIST_ID, "status": "completed", "total_rows": "6144"},
        UploadState.READY,
        {"total_rows": 6144, "contacts": 6144, "percent": 100.0},
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
    req = MakeCallAsyncRequest(
        bulk_list_id=LIST_ID, agent_id="a", country_code="IN", from_numbers=["num-1"], **SCHEDULE
    )
    rec = Recorder(ok({"message": "Campaign scheduled successfully"}))
    async with ringg(rec) as client:
        result = await client.make_call_async(req)
    assert json.loads(rec.last.content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": "a",
        "country_code": "IN",
        "from_numbers": ["num-1"],
        **SCHEDULE,
    }
    assert result.message == "Campaign scheduled successfully" and result.status is None


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
