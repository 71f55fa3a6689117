"""Shared by the test_ringg_activities_*.py files: an in-test fake of Ringg's API (an httpx.MockTransport handler),
the fixtures that run RinggActivities over it, and input builders."""

from __future__ import annotations

import email
import hashlib
import itertools
import json
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from contract.ringg_steps import LaunchInput, ListRef, UploadInput
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
        # Unfiltered rows carry the statuses of calls_by_status in turn ("completed" past them).
        statuses = [s for s, n in self.calls_by_status.items() for _ in range(n)]
        calls = [
            {
                "call_id": f"call-{offset + i}",
                "mobile_number": PHONES[i % 2],
                "callee_name": NAMES[i % 2],
                "call_status": status or (statuses[offset + i] if offset + i < len(statuses) else "completed"),
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


# The window and call_config of every upload and large-flow launch.
SCHEDULE: dict[str, Any] = {
    "campaign_start_time": "18/10/2026, 09:00",
    "campaign_end_time": "18/10/2026, 18:00",
    "call_config": {"call_time": {"timezone": "Asia/Kolkata"}},
}


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
        **SCHEDULE,
    }
    return UploadInput.model_validate({**data, **changes})


def launch_input(flow: str = "large", **changes: Any) -> LaunchInput:
    data: dict[str, Any] = {
        "flow": flow,
        "list_id": LIST_ID,
        "idempotency_tag": TAG,
        "agent_id": AGENT,
        "country_code": "+91",
        **SCHEDULE,
    }
    return LaunchInput.model_validate({**data, **changes})


def ref() -> ListRef:
    return ListRef(list_id=LIST_ID, idempotency_tag=TAG)


def posts(ringg: FakeRingg) -> list[str]:
    return [route for route in ringg.routes() if not route.startswith("GET ")]
