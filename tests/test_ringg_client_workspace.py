"""RinggClient against httpx.MockTransport: agent event subscriptions, workspace info and numbers, and file
downloads (the API key goes to Ringg's host only)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringg import EditEventSubscriptions, EventSubscription, RinggNotFound, RinggTransportError
from tests.ringg_client_helpers import KEY, Recorder, ok, ringg

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
