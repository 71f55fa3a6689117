"""The webhook receiver without a server: the shared secret, exactly-200 answers, duplicates by
(call_id, event_type), what is passed on (ids and statuses only) and a 503 when Temporal is unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr

from client.event_dedupe import Deduper
from client.event_forwarder import Forwarder
from client.webhook_receiver import webhook_router
from contract.messages import CallEvent
from runtime.webhook_settings import DEFAULT_HEADER, WebhookConfigError, WebhookSettings

SECRET = "s3cret-webhook-value-0123"
LIST_ID = "3f9b2a1c-0d4e-4f5a-8b6c-7d8e9f0a1b2c"


class FakeForwarder(Forwarder):
    def __init__(self) -> None:
        self.submitted: list[tuple[str, CallEvent]] = []
        self.fail = False
        self.routed = True

    async def submit(self, list_id: str, event: CallEvent) -> bool:
        if self.fail:
            raise RuntimeError("temporal down")
        self.submitted.append((list_id, event))
        return self.routed


@pytest.fixture
def forwarder() -> FakeForwarder:
    return FakeForwarder()


@pytest_asyncio.fixture
async def http(forwarder: FakeForwarder) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(webhook_router(SecretStr(SECRET), DEFAULT_HEADER, forwarder, Deduper(ttl_s=60)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        yield client


def event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_type": "call_completed",
        "call_id": "4b30f5dc-1111-2222-3333-444455556666",
        "bulk_list_id": LIST_ID,
        "status": "completed",
        "to_number": "+919876543210",
        "custom_args_values": {"callee_name": "Asha Sharma"},
        "transcript": [{"bot": "Hi Asha"}],
    }
    body.update(changes)
    return body


async def post(http: httpx.AsyncClient, body: Any, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Webhook-Secret": secret} if secret is not None else {}
    return await http.post("/webhooks/ringg", json=body, headers=headers)


async def test_a_call_result_is_passed_on_as_ids_and_status_only(
    http: httpx.AsyncClient, forwarder: FakeForwarder
) -> None:
    response = await post(http, event())
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert forwarder.submitted == [
        (LIST_ID, CallEvent(call_id="4b30f5dc-1111-2222-3333-444455556666", status="completed"))
    ]


@pytest.mark.parametrize("secret", [None, "wrong-secret-value-xxxx", ""], ids=["missing", "wrong", "empty"])
async def test_events_without_the_shared_secret_are_refused(
    http: httpx.AsyncClient, forwarder: FakeForwarder, secret: str | None
) -> None:
    response = await post(http, event(), secret=secret)
    assert response.status_code == 401 and "X-Webhook-Secret" in response.json()["error"]
    assert not forwarder.submitted


async def test_the_secret_may_come_as_a_bearer_token(http: httpx.AsyncClient, forwarder: FakeForwarder) -> None:
    response = await http.post("/webhooks/ringg", json=event(), headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code == 200 and len(forwarder.submitted) == 1


async def test_duplicates_are_answered_200_and_dropped(http: httpx.AsyncClient, forwarder: FakeForwarder) -> None:
    for _ in range(3):
        assert (await post(http, event())).status_code == 200
    other_type = await post(http, event(event_type="all_processing_completed"))
    assert other_type.status_code == 200 and other_type.json()["status"] == "ignored"
    assert len(forwarder.submitted) == 1


@pytest.mark.parametrize(
    "body",
    [
        event(event_type="call_started"),
        event(status="ongoing"),
        event(bulk_list_id=None),
        event(bulk_list_id='x" OR 1=1'),
        {"no": "ids"},
        ["not", "an", "object"],
    ],
    ids=["other-event", "not-a-result", "not-a-campaign-call", "odd-list-id", "no-ids", "not-an-object"],
)
async def test_everything_else_gets_exactly_200_and_is_not_passed_on(
    http: httpx.AsyncClient, forwarder: FakeForwarder, body: Any
) -> None:
    response = await post(http, body)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not forwarder.submitted


async def test_not_json_is_answered_200(http: httpx.AsyncClient) -> None:
    response = await http.post("/webhooks/ringg", content=b"{oops", headers={"X-Webhook-Secret": SECRET})
    assert response.status_code == 200 and response.json()["reason"] == "not JSON"


async def test_temporal_unreachable_answers_503_and_lets_the_retry_through(
    http: httpx.AsyncClient, forwarder: FakeForwarder
) -> None:
    forwarder.fail = True
    assert (await post(http, event())).status_code == 503
    forwarder.fail = False
    retried = await post(http, event())
    assert retried.status_code == 200 and retried.json()["status"] == "accepted"


async def test_an_event_for_no_running_campaign_is_still_200(http: httpx.AsyncClient, forwarder: FakeForwarder) -> None:
    forwarder.routed = False
    response = await post(http, event())
    assert response.status_code == 200 and "no running campaign" in response.json()["status"]


def test_deduper_forgets_after_its_ttl_and_beyond_its_size() -> None:
    now = [0.0]
    dedupe = Deduper(ttl_s=10, max_keys=2, clock=lambda: now[0])
    assert dedupe.first_time("a", "call_completed") and not dedupe.first_time("a", "call_completed")
    assert dedupe.first_time("a", "all_processing_completed")
    now[0] = 11
    assert dedupe.first_time("a", "call_completed")
    assert dedupe.first_time("b", "call_completed") and dedupe.first_time("c", "call_completed")
    assert dedupe.first_time("a", "call_completed"), "the oldest key went when the size was reached"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "short"}, "16 characters"),
        ({"WEBHOOK_SECRET_FILE": "/nope"}, "cannot be read"),
    ],
)
def test_the_receiver_needs_a_real_secret(env: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookConfigError, match=message):
        WebhookSettings.from_env(env)
