"""Shared by the test_ringg_client_*.py files: a recording MockTransport handler, a RinggClient over it, a
multipart parser, a campaign form and a small CSV file."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ringg import CampaignForm, RinggClient, make_http_client

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


# The window and call_config every upload and large-flow launch carries (D-save, D-upcsv, D-async).
SCHEDULE: dict[str, Any] = {
    "campaign_start_time": "18/10/2026, 09:00",
    "campaign_end_time": "18/10/2026, 18:00",
    "call_config": {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00", "timezone": "Asia/Kolkata"}},
}


def form(**overrides: Any) -> CampaignForm:
    fields: dict[str, Any] = {
        "agent_id": "agent-1",
        "campaign_name": "Renewals",
        "country_code": "+91",
        "variables_map": {"mobile_number": "Mobile Number", "callee_name": "Name"},
        **SCHEDULE,
    }
    return CampaignForm(**(fields | overrides))


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"Mobile Number,Name\n+919800000001,Asha\n")
    return path
