"""RinggActivities run in an ActivityEnvironment over a real RinggClient, against an in-test fake of Ringg's API
(httpx.MockTransport): reconcile-first POSTs, status vocabularies, error mapping to retry semantics, counting."""

from __future__ import annotations

import dataclasses
import email
import hashlib
import itertools
import json
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
import structlog
from pydantic import SecretStr
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from activities.ringg.monitoring import KNOWN_STATUSES
from contract.ringg_steps import CallerNumbersInput, LaunchInput, ListRef, SnapshotInput, TerminateInput, UploadInput
from domain.idempotency import ringg_tag, tagged_campaign_name
from ringg import RinggClient, make_http_client

BASE = "https://ringg.test/ca/api/v0"
PREFIX = "/ca/api/v0/"
KEY = "sk-unit-key"
IDEMPOTENCY_KEY = "ik-unit-0001"
TAG = ringg_tag(IDEMPOTENCY_KEY)
TAGGED_NAME = tagged_campaign_name("Diwali offers", IDEMPOTENCY_KEY)
OTHER_TAGGED_NAME = tagged_campaign_name("Diwali offers", "ik-some-other-key")
LIST_ID = "bulk-0042"
AGENT = "agent-7"
PHONES = ("+919876543210", "+919812345678")
NAMES = ("Asha Verma", "Rahul Mehta")
CSV_TEXT = f"Name,Mobile Number,City\n{NAMES[0]},{PHONES[0]},Pune\n{NAMES[1]},{PHONES[1]},Delhi\n"

P = TypeVar("P")
R = TypeVar("R")


# --- the fake Ringg ----------------------------------------------------------------------------------------


def multipart(request: httpx.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """(form fields, files by field name) of a multipart/form-data request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.content)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    parts = message.get_payload()
    assert isinstance(parts, list)
    for part in parts:
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode()
    return fields, files


class FakeRingg:
    """A MockTransport handler holding Ringg's state (campaign lists, upload statuses, call counts) and a log of
    every request. `faults` replaces the next answers of one route; `lose_response` commits a POST and then
    drops the connection before the response arrives."""

    def __init__(self) -> None:
        self.campaigns: list[dict[str, Any]] = []
        self.upload_statuses: dict[str, dict[str, Any]] = {}
        self.balance: dict[str, Any] = {"status": "draft", "message": "Sufficient balance to start the campaign"}
        self.save_counts = (3, 2, 1)  # total_rows, successful_rows, failed_rows
        self.calls_by_status: dict[str, int] = {}
        self.history_has_total = True
        self.total_calls: int | None = None  # all statuses; default: the sum of calls_by_status
        self.launch_rejection: tuple[str, str | None] | None = None  # (400 message, status shown afterwards)
        self.faults: dict[str, list[httpx.Response | Exception]] = {}
        self.lose_response: set[str] = set()
        self.requests: list[httpx.Request] = []
        self._ids = itertools.count(1)

    # Test-side helpers.

    def add_campaign(self, list_id: str, name: str, status: str, **extra: Any) -> None:
        created = f"2026-10-{len(self.campaigns) + 1:02d}T09:00:00Z"
        self.campaigns.append(
            {"campaign_id": list_id, "campaign_name": name, "status": status, "created_at": created, **extra}
        )

    def fail(self, route: str, *replies: httpx.Response | Exception) -> None:
        self.faults.setdefault(route, []).extend(replies)

    def routes(self, method: str | None = None) -> list[str]:
        return [route_of(r) for r in self.requests if method is None or r.method == method]

    def sent(self, route: str) -> list[httpx.Request]:
        return [r for r in self.requests if route_of(r) == route]

    def status_of(self, list_id: str) -> str | None:
        return next((c["status"] for c in self.campaigns if c["campaign_id"] == list_id), None)

    # The API.

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = route_of(request)
        queued = self.faults.get(route)
        if queued:
            reply = queued.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        response = self._answer(route, request)
        if route in self.lose_response:
            self.lose_response.discard(route)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return response

    def _answer(self, route: str, request: httpx.Request) -> httpx.Response:
        method, _, path = route.partition(" ")
        if route == "GET campaign/all":
            limit = int(request.url.params.get("limit", "50"))
            offset = int(request.url.params.get("offset", "0"))
            page = self.campaigns[offset : offset + limit]
            return ok({"campaigns": page, "pagination": {"total": len(self.campaigns), "limit": limit}})
        if route in ("POST campaign/upload-csv", "POST campaign/save"):
            return self._upload(path, request)
        if method == "GET" and path.startswith("campaign/upload-status/"):
            status = self.upload_statuses.get(path.rsplit("/", 1)[1])
            return ok(status) if status else httpx.Response(404, json={"detail": "Bulk list not found"})
        if method == "POST" and path.startswith("campaign/check-balance/"):
            return ok(self.balance)
        if route in ("POST campaign/make-call-async", "POST campaign/start", "POST campaign/v2/start"):
            return self._launch(path, json.loads(request.content))
        if route == "GET calling/history":
            return self._history(request.url.params)
        if route == "PATCH campaign/terminate":
            return ok({"message": "Campaign terminated successfully"})
        return httpx.Response(404, json={"detail": "Not Found"})

    def _upload(self, path: str, request: httpx.Request) -> httpx.Response:
        fields, files = multipart(request)
        assert "file" in files
        list_id = f"bulk-new-{next(self._ids)}"
        if path == "campaign/upload-csv":
            self.add_campaign(list_id, fields["campaign_name"], "verifying")
            return ok(
                {
                    "bulk_list_id": list_id,
                    "status": "uploaded",
                    "campaign_name": fields["campaign_name"],
                    "total_callees": 0,
                    "invalidated_rows_count": 0,
                    "invalidated_rows_csv_url": None,
                }
            )
        self.add_campaign(list_id, fields["campaign_name"], "draft")
        total, good, bad = self.save_counts
        return ok(
            {
                "message": "Contacts imported successfully!",
                "list_id": list_id,
                "custom_args_values": [{"mobile_number": PHONES[0], "callee_name": NAMES[0]}],
                "total_rows": total,
                "successful_rows": good,
                "failed_rows": bad,
            }
        )

    def _launch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        list_id = body.get("bulk_list_id") or body.get("list_id")
        campaign = next((c for c in self.campaigns if c["campaign_id"] == list_id), None)
        if self.launch_rejection is not None:
            message, shown_after = self.launch_rejection
            if campaign is not None and shown_after is not None:
                campaign["status"] = shown_after
            return httpx.Response(400, json={"detail": message})
        if campaign is not None:
            campaign["status"] = "scheduled"
        if path == "campaign/make-call-async":
            return ok({"message": "Campaign calls scheduled", "bulk_list_id": list_id, "status": "scheduled"})
        return ok({"status": "campaign registered successfully!", "has_ongoing_calls": False})

    def _history(self, params: httpx.QueryParams) -> httpx.Response:
        status = params.get("status")
        all_calls = self.total_calls if self.total_calls is not None else sum(self.calls_by_status.values())
        matching = self.calls_by_status.get(status, 0) if status else all_calls
        limit, offset = int(params["limit"]), int(params["offset"])
        shown = max(0, min(limit, matching - offset))
        calls = [
            {
                "call_id": f"call-{offset + i}",
                "mobile_number": PHONES[i % 2],
                "callee_name": NAMES[i % 2],
                "call_status": status or "completed",
                "transcript": json.dumps([{"role": "user", "text": f"I am {NAMES[i % 2]}"}]),
            }
            for i in range(shown)
        ]
        body: dict[str, Any] = {"calls": calls, "limit": limit, "offset": offset, "count": len(calls)}
        if self.history_has_total:
            body["total"] = matching
        return ok(body)


def route_of(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path.removeprefix(PREFIX)}"


def ok(payload: Any) -> httpx.Response:
    return httpx.Response(200, json=payload)


# --- fixtures and helpers ------------------------------------------------------------------------------------


@pytest.fixture
def ringg() -> FakeRingg:
    return FakeRingg()


@pytest_asyncio.fixture
async def acts(ringg: FakeRingg) -> AsyncIterator[RinggActivities]:
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        yield RinggActivities(RinggClient(http))


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


async def run(fn: Callable[[P], Awaitable[R]], arg: P, env: ActivityEnvironment | None = None) -> R:
    return await (env or ActivityEnvironment()).run(fn, arg)


async def failure(fn: Callable[[P], Awaitable[R]], arg: P) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await run(fn, arg)
    err = info.value
    rendered = str(err) + "".join(traceback.format_exception(err))
    assert KEY not in rendered
    return err


async def run_with_retry(fn: Callable[[P], Awaitable[R]], arg: P) -> R:
    """Runs the activity as Temporal would: once more after a retryable failure (whether the activity confirms
    an ambiguous POST itself or leaves that to its next attempt, the effect must happen exactly once)."""
    try:
        return await run(fn, arg)
    except ApplicationError as err:
        assert not err.non_retryable, err
        assert KEY not in str(err)
    return await run(fn, arg)


def upload_input(csv_path: Path, flow: str = "large", **changes: Any) -> UploadInput:
    data: dict[str, Any] = {
        "flow": flow,
        "csv_uri": str(csv_path),
        "content_hash": hashlib.sha256(csv_path.read_bytes()).hexdigest() if csv_path.exists() else "0" * 64,
        "ringg_campaign_name": TAGGED_NAME,
        "idempotency_tag": TAG,
        "agent_id": AGENT,
        "country_code": "+91",
        "variables_map": {"mobile_number": "Mobile Number", "callee_name": "Name"},
        "campaign_start_time": "18/10/2026, 09:00",
        "campaign_end_time": "18/10/2026, 18:00",
        "call_config": {"timezone": "Asia/Kolkata"},
    }
    return UploadInput.model_validate({**data, **changes})


def launch_input(flow: str = "large", **changes: Any) -> LaunchInput:
    data: dict[str, Any] = {
        "flow": flow,
        "list_id": LIST_ID,
        "idempotency_tag": TAG,
        "agent_id": AGENT,
        "country_code": "+91",
    }
    return LaunchInput.model_validate({**data, **changes})


def ref() -> ListRef:
    return ListRef(list_id=LIST_ID, idempotency_tag=TAG)


def posts(ringg: FakeRingg) -> list[str]:
    return [route for route in ringg.routes() if not route.startswith("GET ")]


# --- upload_contacts -----------------------------------------------------------------------------------------


async def test_large_upload_posts_upload_csv_once_with_the_tagged_name(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-new-1" and not result.reused_existing
    assert result.ringg_status == "uploaded"
    assert posts(ringg) == ["POST campaign/upload-csv"]
    (lookup,) = ringg.sent("GET campaign/all")
    assert lookup.url.params["search"] == TAG
    fields, files = multipart(ringg.sent("POST campaign/upload-csv")[0])
    assert fields["campaign_name"] == TAGGED_NAME and fields["campaign_name"].endswith(f"[{TAG}]")
    assert fields["agent_id"] == AGENT and fields["country_code"] == "+91"
    assert json.loads(fields["variables_map"]) == {"mobile_number": "Mobile Number", "callee_name": "Name"}
    assert json.loads(fields["call_config"]) == {"timezone": "Asia/Kolkata"}
    assert fields["campaign_start_time"] == "18/10/2026, 09:00"
    assert files["file"] == csv_path.read_bytes()


async def test_standard_upload_posts_campaign_save(ringg: FakeRingg, acts: RinggActivities, csv_path: Path) -> None:
    result = await run(acts.upload_contacts, upload_input(csv_path, flow="standard", call_config={}))

    assert posts(ringg) == ["POST campaign/save"]
    assert result.list_id == "bulk-new-1" and result.ringg_status == "draft" and not result.reused_existing
    assert (result.contacts, result.invalid_rows) == (2, 1)
    fields, _ = multipart(ringg.sent("POST campaign/save")[0])
    assert fields["campaign_name"] == TAGGED_NAME
    assert "call_config" not in fields


@pytest.mark.parametrize("flow", ["large", "standard"])
async def test_upload_reuses_a_list_already_created_under_the_same_tag(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, flow: str
) -> None:
    url = "https://files.ringg.test/invalid.csv"
    ringg.add_campaign("bulk-other", OTHER_TAGGED_NAME, "draft")
    ringg.add_campaign(
        "bulk-existing",
        TAGGED_NAME,
        "draft",
        total_contacts=2,
        invalidated_rows_count=1,
        invalid_entries_file=url,
    )

    result = await run(acts.upload_contacts, upload_input(csv_path, flow=flow))

    assert result.list_id == "bulk-existing" and result.reused_existing
    assert (result.ringg_status, result.contacts, result.invalid_rows, result.invalid_rows_url) == ("draft", 2, 1, url)
    assert posts(ringg) == []


async def test_upload_reuses_the_oldest_tagged_list(ringg: FakeRingg, acts: RinggActivities, csv_path: Path) -> None:
    ringg.add_campaign("bulk-first", TAGGED_NAME, "verifying")
    ringg.add_campaign("bulk-second", TAGGED_NAME, "draft")
    ringg.campaigns.reverse()  # listing order must not matter

    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-first" and result.reused_existing
    assert posts(ringg) == []


async def test_upload_after_a_lost_response_reuses_the_committed_list(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.lose_response.add("POST campaign/upload-csv")

    result = await run_with_retry(acts.upload_contacts, upload_input(csv_path))

    assert result.reused_existing and result.list_id == "bulk-new-1"
    assert posts(ringg) == ["POST campaign/upload-csv"]


async def test_upload_ignores_a_failed_list_with_the_same_tag(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.add_campaign("bulk-failed", TAGGED_NAME, "failed")

    result = await run(acts.upload_contacts, upload_input(csv_path))

    assert result.list_id == "bulk-new-1" and not result.reused_existing
    assert posts(ringg) == ["POST campaign/upload-csv"]


async def test_upload_refuses_a_csv_that_changed_since_preflight(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    inp = upload_input(csv_path)
    csv_path.write_text(CSV_TEXT + "Meera Iyer,+919800000003,Chennai\n", encoding="utf-8")

    err = await failure(acts.upload_contacts, inp)

    assert err.type == "CsvChanged" and err.non_retryable
    assert "nothing was uploaded" in err.message
    assert posts(ringg) == []


async def test_upload_of_a_missing_file_is_invalid_csv(ringg: FakeRingg, acts: RinggActivities, tmp_path: Path) -> None:
    inp = upload_input(tmp_path / "missing.csv")

    err = await failure(acts.upload_contacts, inp)

    assert err.type == "InvalidCsv" and err.non_retryable
    assert "missing.csv" in err.message and "not found" in err.message
    assert posts(ringg) == []


async def test_upload_heartbeats_when_the_activity_has_a_heartbeat_timeout(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=30))
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    result = await run(acts.upload_contacts, upload_input(csv_path), env)

    assert result.list_id == "bulk-new-1"
    assert beats


# --- get_upload_status ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["uploaded", "processing", "verifying", "in_db"])
async def test_upload_status_pending_is_a_benign_retryable_error(
    ringg: FakeRingg, acts: RinggActivities, status: str
) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, "status": status, "total_rows": 2}

    err = await failure(acts.get_upload_status, ref())

    assert err.type == "UploadPending" and not err.non_retryable
    assert err.category is ApplicationErrorCategory.BENIGN
    assert status in err.message


@pytest.mark.parametrize(
    ("body", "contacts", "invalid_rows", "invalid_url"),
    [
        (
            {
                "bulk_list_id": LIST_ID,
                "status": "completed",
                "total_callees": 120,
                "invalidated_rows_count": 3,
                "invalidated_rows_csv_url": "https://files.ringg.test/a.csv",
            },
            120,
            3,
            "https://files.ringg.test/a.csv",
        ),
        (
            {
                "campaign_id": LIST_ID,
                "status": "draft",
                "total_contacts": "118",
                "invalidated_rows_count": "5",
                "invalid_entries_file": "https://files.ringg.test/b.csv",
            },
            118,
            5,
            "https://files.ringg.test/b.csv",
        ),
        ({"bulk_list_id": LIST_ID, "status": "Ready", "total_callees": 7}, 7, 0, None),
    ],
    ids=["completed", "draft", "ready"],
)
async def test_upload_status_ready_returns_counts(
    ringg: FakeRingg,
    acts: RinggActivities,
    body: dict[str, Any],
    contacts: int,
    invalid_rows: int,
    invalid_url: str | None,
) -> None:
    ringg.upload_statuses[LIST_ID] = body

    result = await run(acts.get_upload_status, ref())

    assert result.status == body["status"]
    assert (result.contacts, result.invalid_rows, result.invalid_rows_url) == (contacts, invalid_rows, invalid_url)
    assert ringg.routes() == [f"GET campaign/upload-status/{LIST_ID}"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "failed", "message": "Row 2: invalid mobile number +91 98765 43210"},
        {"status": "error", "error": {"message": "Row 2: invalid mobile number 9876543210"}},
    ],
    ids=["failed", "error"],
)
async def test_upload_status_failed_is_non_retryable_with_redacted_reason(
    ringg: FakeRingg, acts: RinggActivities, body: dict[str, Any]
) -> None:
    ringg.upload_statuses[LIST_ID] = {"bulk_list_id": LIST_ID, **body}

    err = await failure(acts.get_upload_status, ref())

    assert err.type == "UploadFailed" and err.non_retryable
    assert "Row 2: invalid mobile number <redacted>" in err.message
    assert LIST_ID in err.message
    assert "98765" not in err.message and "43210" not in err.message


# --- check_balance -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "sufficient", "status", "required", "available", "missing"),
    [
        ({"status": "draft", "message": "Sufficient balance to start the campaign"}, True, "draft", None, None, None),
        (
            {"status": "insufficient_balance", "message": "Insufficient balance: 120 additional credits required"},
            False,
            "insufficient_balance",
            None,
            None,
            None,
        ),
        (
            {"required_credits": 120, "available_credits": 500, "sufficient_balance": True},
            True,
            None,
            120.0,
            500.0,
            None,
        ),
        (
            {"required_credits": "500", "available_credits": 380.5, "sufficient_balance": False},
            False,
            None,
            500.0,
            380.5,
            119.5,
        ),
        (
            {"status": "insufficient_balance", "additional_balance_required": 42},
            False,
            "insufficient_balance",
            None,
            None,
            42.0,
        ),
    ],
    ids=["A-draft", "A-insufficient", "B-sufficient", "B-insufficient", "A-additional"],
)
async def test_check_balance_understands_both_shapes(
    ringg: FakeRingg,
    acts: RinggActivities,
    body: dict[str, Any],
    sufficient: bool,
    status: str | None,
    required: float | None,
    available: float | None,
    missing: float | None,
) -> None:
    ringg.balance = {"bulk_list_id": LIST_ID, **body}

    result = await run(acts.check_balance, ref())

    assert result.sufficient is sufficient
    assert result.status == status
    assert (result.required_credits, result.available_credits, result.missing_credits) == (
        required,
        available,
        missing,
    )
    assert result.message == body.get("message", "")
    assert ringg.routes() == [f"POST campaign/check-balance/{LIST_ID}"]


async def test_check_balance_unrecognised_answer_is_unknown(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.balance = {"bulk_list_id": LIST_ID, "message": "call support on +91 80 4567 8901"}

    result = await run(acts.check_balance, ref())

    assert result.sufficient is None
    assert result.message == "call support on <redacted>"


# --- launch_campaign -----------------------------------------------------------------------------------------


async def test_large_launch_posts_make_call_async_once_with_the_documented_fields(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    inp = launch_input(
        campaign_start_time="18/10/2026, 09:00",
        campaign_end_time="18/10/2026, 18:00",
        call_config={"timezone": "Asia/Kolkata", "max_retries": 2},
        from_numbers=["num-1", "num-2"],
        concurrency_percentage=40,
        callback_url="https://hooks.example.test/ringg",
        email_completion_user_ids=["user-1"],
    )

    result = await run(acts.launch_campaign, inp)

    assert result.ringg_status == "scheduled" and not result.already_launched
    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert json.loads(ringg.sent("POST campaign/make-call-async")[0].content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": AGENT,
        "country_code": "+91",
        "campaign_start_time": "18/10/2026, 09:00",
        "campaign_end_time": "18/10/2026, 18:00",
        "call_config": {"timezone": "Asia/Kolkata", "max_retries": 2},
        "from_numbers": ["num-1", "num-2"],
        "concurrency_percentage": 40,
        "callback_url": "https://hooks.example.test/ringg",
        "email_completion_user_ids": ["user-1"],
    }


async def test_large_launch_with_a_pool_omits_absent_fields(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    await run(acts.launch_campaign, launch_input(number_pool_id="pool-9"))

    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert json.loads(ringg.sent("POST campaign/make-call-async")[0].content) == {
        "bulk_list_id": LIST_ID,
        "agent_id": AGENT,
        "country_code": "+91",
        "number_pool_id": "pool-9",
        "concurrency_percentage": 0,
    }


async def test_standard_launch_with_a_pool_uses_v2_start(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    inp = launch_input("standard", number_pool_id="pool-9", callback_url="https://hooks.example.test/ringg")

    result = await run(acts.launch_campaign, inp)

    assert result.ringg_status == "scheduled" and not result.already_launched
    assert posts(ringg) == ["POST campaign/v2/start"]
    assert json.loads(ringg.sent("POST campaign/v2/start")[0].content) == {
        "agent_id": AGENT,
        "list_id": LIST_ID,
        "number_pool_id": "pool-9",
        "callback_url": "https://hooks.example.test/ringg",
    }


async def test_standard_launch_with_numbers_uses_start(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    result = await run(acts.launch_campaign, launch_input("standard", from_numbers=["num-1"]))

    assert result.ringg_status == "scheduled"
    assert posts(ringg) == ["POST campaign/start"]
    assert json.loads(ringg.sent("POST campaign/start")[0].content) == {
        "agent_id": AGENT,
        "list_id": LIST_ID,
        "from_numbers": ["num-1"],
    }


@pytest.mark.parametrize("flow", ["large", "standard"])
@pytest.mark.parametrize("status", ["scheduled", "ongoing", "completed"])
async def test_launch_of_an_already_launched_list_sends_nothing(
    ringg: FakeRingg, acts: RinggActivities, flow: str, status: str
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, status)

    result = await run(acts.launch_campaign, launch_input(flow, from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == status
    assert posts(ringg) == []


async def test_launch_after_a_lost_response_is_not_sent_twice(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.lose_response.add("POST campaign/make-call-async")

    result = await run_with_retry(acts.launch_campaign, launch_input(from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == "scheduled"
    assert posts(ringg) == ["POST campaign/make-call-async"]


@pytest.mark.parametrize("flow", ["large", "standard"])
async def test_launch_400_already_started_is_a_success_once_ringg_shows_it_ongoing(
    ringg: FakeRingg, acts: RinggActivities, flow: str
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.launch_rejection = ("campaign already started", "ongoing")

    result = await run(acts.launch_campaign, launch_input(flow, from_numbers=["num-1"]))

    assert result.already_launched and result.ringg_status == "ongoing"
    assert len(posts(ringg)) == 1


async def test_launch_400_while_ringg_still_shows_draft_is_rejected(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.launch_rejection = ("CSV processing is not complete for this list yet", None)

    err = await failure(acts.launch_campaign, launch_input(from_numbers=["num-1"]))

    assert err.type == "RinggRejected" and err.non_retryable
    assert "CSV processing is not complete for this list yet" in err.message
    assert posts(ringg) == ["POST campaign/make-call-async"]
    assert ringg.status_of(LIST_ID) == "draft"


async def test_large_launch_treats_an_empty_from_numbers_list_as_absent(
    ringg: FakeRingg, acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")

    result = await run(acts.launch_campaign, launch_input(from_numbers=[], number_pool_id="pool-9"))

    assert result.ringg_status == "scheduled"
    body = json.loads(ringg.sent("POST campaign/make-call-async")[0].content)
    assert body["number_pool_id"] == "pool-9" and "from_numbers" not in body


# --- error mapping -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "retryable", "delay", "fragment"),
    [
        (
            httpx.Response(401, json={"detail": f"Invalid API key {KEY}"}),
            "RinggAuthError",
            False,
            None,
            "RINGG_API_KEY",
        ),
        (httpx.Response(403, json={"detail": "Forbidden"}), "RinggAuthError", False, None, "RINGG_API_KEY"),
        (
            httpx.Response(402, json={"detail": "Insufficient credits in workspace"}),
            "InsufficientBalance",
            False,
            None,
            "Insufficient credits in workspace",
        ),
        (
            httpx.Response(
                422,
                json={"detail": [{"loc": ["body", "agent_id"], "msg": "field required", "input": {"x": PHONES[0]}}]},
            ),
            "RinggRejected",
            False,
            None,
            "body.agent_id: field required",
        ),
        (
            httpx.Response(404, json={"detail": "Bulk list not found"}),
            "RinggRejected",
            False,
            None,
            "Bulk list not found",
        ),
        (
            httpx.Response(429, json={"detail": "Too many requests"}, headers={"Retry-After": "7"}),
            "RinggRateLimited",
            True,
            timedelta(seconds=7),
            "after 7s",
        ),
        (httpx.Response(429, json={"detail": "Too many requests"}), "RinggRateLimited", True, None, "backoff"),
        (httpx.Response(500, text="Internal Server Error"), "RinggServerError", True, None, "500"),
        (httpx.Response(503, json={"message": "upstream unavailable"}), "RinggServerError", True, None, "503"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "RinggUnavailable", True, None, "ConnectError"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "RinggUnavailable",
            True,
            None,
            "RemoteProtocolError",
        ),
    ],
    ids=["401", "403", "402", "422", "404", "429-retry-after", "429", "500", "503", "connect", "protocol"],
)
async def test_ringg_errors_map_to_retry_semantics(
    ringg: FakeRingg,
    acts: RinggActivities,
    reply: httpx.Response | Exception,
    kind: str,
    retryable: bool,
    delay: timedelta | None,
    fragment: str,
) -> None:
    ringg.fail(f"POST campaign/check-balance/{LIST_ID}", reply)

    err = await failure(acts.check_balance, ref())

    assert err.type == kind
    assert err.non_retryable is not retryable
    assert err.next_retry_delay == delay
    assert fragment in err.message
    assert "checking the balance" in err.message
    assert PHONES[0] not in err.message


@pytest.mark.parametrize("code", [401, 403])
async def test_auth_errors_from_any_activity_name_the_key_setting(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path, code: int
) -> None:
    ringg.fail("GET campaign/all", *[httpx.Response(code, json={"detail": f"bad key {KEY}"}) for _ in range(2)])
    ringg.fail("PATCH campaign/terminate", httpx.Response(code, json={"detail": f"bad key {KEY}"}))

    errors = [
        await failure(acts.upload_contacts, upload_input(csv_path)),
        await failure(acts.launch_campaign, launch_input(from_numbers=["num-1"])),
        await failure(acts.terminate_campaign, TerminateInput(list_id=LIST_ID)),
    ]

    for err in errors:
        assert err.type == "RinggAuthError" and err.non_retryable
        assert "RINGG_API_KEY" in err.message and KEY not in err.message
    assert posts(ringg) == ["PATCH campaign/terminate"]
    assert all(r.headers["X-API-KEY"] == KEY for r in ringg.requests)


# --- snapshot_campaign ---------------------------------------------------------------------------------------


def snapshot_input(since: datetime, expected_calls: int | None = None) -> SnapshotInput:
    return SnapshotInput(list_id=LIST_ID, idempotency_tag=TAG, since=since, expected_calls=expected_calls)


async def test_snapshot_counts_calls_by_status_from_history_totals(ringg: FakeRingg, acts: RinggActivities) -> None:
    since = datetime.now(UTC) - timedelta(hours=5)
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 40, "failed": 3, "ongoing": 2, "voicemail": 5}
    before = datetime.now(UTC)

    snap = await run(acts.snapshot_campaign, snapshot_input(since))

    assert snap.ringg_status == "ongoing"
    assert snap.calls_by_status == {"completed": 40, "failed": 3, "ongoing": 2, "other": 5}
    assert snap.total_calls == 50 and not snap.finished
    history = ringg.sent("GET calling/history")
    assert snap.requests == len(history) + 1 == len(KNOWN_STATUSES) + 2
    assert sorted(r.url.params.get("status", "") for r in history) == sorted(["", *KNOWN_STATUSES])
    assert {"registered", "ongoing", "retry", "completed", "failed"} <= set(KNOWN_STATUSES)
    for request in history:
        params = request.url.params
        assert params["bulk_list_id"] == LIST_ID
        assert (params["limit"], params["offset"]) == ("1", "0")
        assert "download" not in params
        assert datetime.fromisoformat(params["start_date"]) <= since
        assert datetime.fromisoformat(params["end_date"]) >= before


async def test_a_call_counted_under_two_statuses_is_counted_once(ringg: FakeRingg, acts: RinggActivities) -> None:
    # 3 calls moved from registered to ongoing between the parallel requests: read under both.
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"registered": 50, "ongoing": 13, "completed": 40}
    ringg.total_calls = 100

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1)))

    assert snap.calls_by_status == {"registered": 47, "ongoing": 13, "completed": 40} and snap.total_calls == 100


async def test_snapshot_pages_through_history_when_total_is_missing(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 150, "failed": 3}
    ringg.history_has_total = False

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC) - timedelta(hours=1)))

    assert snap.calls_by_status == {"completed": 150, "failed": 3}
    assert snap.total_calls == 153
    completed = [r.url.params for r in ringg.sent("GET calling/history") if r.url.params.get("status") == "completed"]
    assert [(p["limit"], p["offset"]) for p in completed] == [("1", "0"), ("100", "0"), ("100", "100")]
    assert snap.requests == len(ringg.sent("GET calling/history")) + 1


@pytest.mark.parametrize(
    ("ringg_status", "counts", "expected_calls", "finished"),
    [
        ("completed", {"completed": 3, "ongoing": 1}, None, False),  # counts lag: polled again
        ("completed", {"completed": 3, "failed": 1}, None, True),
        ("terminated", {"completed": 2, "cancelled": 3}, None, True),
        ("terminated", {"completed": 2, "retry": 1}, None, False),
        ("ongoing", {"completed": 3, "failed": 1}, 4, True),
        ("ongoing", {"completed": 3, "registered": 1}, 4, False),
        ("ongoing", {"completed": 3, "ongoing": 1}, 4, False),
        ("ongoing", {"completed": 3, "retry": 1}, 4, False),
        ("ongoing", {"completed": 3}, 4, False),
        ("ongoing", {"completed": 3}, None, False),
        ("scheduled", {}, None, False),
    ],
)
async def test_snapshot_finished(
    ringg: FakeRingg,
    acts: RinggActivities,
    ringg_status: str,
    counts: dict[str, int],
    expected_calls: int | None,
    finished: bool,
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, ringg_status)
    ringg.calls_by_status = counts

    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC), expected_calls))

    assert snap.ringg_status == ringg_status
    assert snap.calls_by_status == counts
    assert snap.finished is finished


async def test_snapshot_of_a_list_missing_from_ringg(ringg: FakeRingg, acts: RinggActivities) -> None:
    snap = await run(acts.snapshot_campaign, snapshot_input(datetime.now(UTC)))

    assert snap.ringg_status is None and snap.calls_by_status == {} and not snap.finished


# --- terminate_campaign --------------------------------------------------------------------------------------


async def test_terminate_patches_with_the_list_id(ringg: FakeRingg, acts: RinggActivities) -> None:
    result = await run(acts.terminate_campaign, TerminateInput(list_id=LIST_ID))

    assert result.message == "Campaign terminated successfully"
    (request,) = ringg.requests
    assert route_of(request) == "PATCH campaign/terminate"
    assert json.loads(request.content) == {"campaign_id": LIST_ID}


# --- logs ----------------------------------------------------------------------------------------------------


async def test_logs_carry_no_key_phone_number_or_contact_name(
    ringg: FakeRingg, acts: RinggActivities, csv_path: Path
) -> None:
    ringg.upload_statuses["bulk-new-1"] = {"status": "failed", "message": f"bad row: {NAMES[0]} {PHONES[0]}"}
    ringg.calls_by_status = {"completed": 2, "retry": 1}
    ringg.history_has_total = False
    status_ref = ListRef(list_id="bulk-new-1", idempotency_tag=TAG)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        upload = await run(acts.upload_contacts, upload_input(csv_path))
        await run(acts.upload_contacts, upload_input(csv_path, flow="standard"))
        await failure(acts.get_upload_status, status_ref)
        await run(acts.check_balance, status_ref)
        await run(acts.launch_campaign, launch_input(list_id=upload.list_id, from_numbers=[PHONES[1]]))
        await run(
            acts.snapshot_campaign, SnapshotInput(list_id=upload.list_id, idempotency_tag=TAG, since=datetime.now(UTC))
        )
        await run(acts.terminate_campaign, TerminateInput(list_id=upload.list_id))
        ringg.fail("PATCH campaign/terminate", httpx.Response(401, json={"detail": f"bad key {KEY} for {PHONES[0]}"}))
        await failure(acts.terminate_campaign, TerminateInput(list_id=upload.list_id))

    events = {entry["event"] for entry in logs}
    assert {"contacts_uploaded", "upload_reused_existing_list", "campaign_launched", "ringg_request"} <= events
    rendered = repr(logs)
    forbidden = [KEY, *PHONES, *(p.removeprefix("+91") for p in PHONES), *NAMES]
    assert [text for text in forbidden if text in rendered] == []


# -- a retry after an attempt that died (worker killed mid-POST) -------------------------------------------


def attempt_env(attempt: int, details: list[Any]) -> tuple[ActivityEnvironment, list[Any]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=attempt, heartbeat_details=details, heartbeat_timeout=timedelta(seconds=30)
    )
    beats: list[Any] = []
    env.on_heartbeat = lambda *d: beats.append(d)
    return env, beats


@pytest_asyncio.fixture
async def quick_acts(ringg: FakeRingg) -> AsyncIterator[RinggActivities]:
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        yield RinggActivities(RinggClient(http), confirm_within_s=0.5, confirm_every_s=0.05)


async def test_retry_after_a_dead_attempt_waits_for_its_launch_instead_of_sending_again(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    real_answer = ringg._answer
    gets = 0

    def answer(route: str, request: httpx.Request) -> httpx.Response:
        nonlocal gets
        if route == "GET campaign/all":
            gets += 1
            if gets == 2:  # the dead attempt's POST lands while this attempt watches
                ringg.campaigns[0]["status"] = "scheduled"
        return real_answer(route, request)

    ringg._answer = answer  # type: ignore[method-assign]
    env, _ = attempt_env(2, [{"attempt": 2, "settled": False}])
    result = await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert result.already_launched and posts(ringg) == []


async def test_retry_after_a_dead_attempt_launches_once_its_window_passed(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    env, _ = attempt_env(3, [])  # the previous attempt never heartbeated: nothing is known of it
    result = await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert not result.already_launched and posts(ringg) == ["POST campaign/make-call-async"]
    assert len(ringg.sent("GET campaign/all")) > 2, "the confirm window was skipped"


async def test_retry_after_a_definite_failure_sends_without_waiting(
    ringg: FakeRingg, quick_acts: RinggActivities
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    env, _ = attempt_env(2, [{"attempt": 1, "settled": True}])
    await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert ringg.routes() == ["GET campaign/all", "POST campaign/make-call-async"]


@pytest.mark.parametrize(
    ("reply", "settled"),
    [
        (httpx.Response(429, json={"detail": "slow down"}), True),
        (httpx.Response(500, json={"detail": "boom"}), True),
        (httpx.ReadTimeout("timed out"), True),  # ambiguous: settled only after the confirm window found nothing
    ],
)
async def test_a_failed_attempt_records_whether_its_post_may_still_be_in_flight(
    ringg: FakeRingg, quick_acts: RinggActivities, reply: httpx.Response | Exception, settled: bool
) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "draft")
    ringg.fail("POST campaign/make-call-async", reply)
    env, beats = attempt_env(1, [])
    with pytest.raises(ApplicationError):
        await run(quick_acts.launch_campaign, launch_input(from_numbers=["num-1"]), env)
    assert beats[-1] == ({"attempt": 1, "settled": settled},)
    assert all(beat == ({"attempt": 1, "settled": False},) for beat in beats[:-1])


# -- caller numbers ----------------------------------------------------------------------------------------


def numbers_transport() -> httpx.MockTransport:
    numbers = [
        {"id": "n-1", "number": "+912269976801", "is_spam": False, "display_name": "Main"},
        {
            "id": "n-2",
            "number": "+912269976802",
            "is_spam": True,
            "spam_message": "carrier flag",
            "display_name": "Old",
        },
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params.get("offset", "0")), int(request.url.params.get("limit", "20"))
        return httpx.Response(200, json={"workspace_numbers": numbers[offset : offset + limit]})

    return httpx.MockTransport(handler)


async def test_caller_numbers_by_id_or_number_with_spam_reported() -> None:
    async with make_http_client(BASE, SecretStr(KEY), transport=numbers_transport()) as http:
        acts = RinggActivities(RinggClient(http))
        result = await run(acts.check_caller_numbers, CallerNumbersInput(from_numbers=["n-1", "+91 22 6997 6802"]))
    assert result.spam == ["+912269976802 (Old) is flagged as spam: carrier flag"]


async def test_unknown_caller_number_fails_naming_it_and_the_known_ones() -> None:
    async with make_http_client(BASE, SecretStr(KEY), transport=numbers_transport()) as http:
        acts = RinggActivities(RinggClient(http))
        with pytest.raises(ApplicationError) as info:
            await run(acts.check_caller_numbers, CallerNumbersInput(from_numbers=["n-1", "n-404"]))
    assert info.value.type == "UnknownCallerNumber" and info.value.non_retryable
    assert "n-404" in info.value.message and "+912269976801 (n-1)" in info.value.message
