"""The simulator's webhooks over real HTTP: subscriptions (PATCH agent/v1), every finished call posted with the
subscription's headers, non-200 answers retried on Ringg's schedule, and the duplicate/drop knobs."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from ringg import (
    CampaignForm,
    EditEventSubscriptions,
    EventSubscription,
    EventType,
    RinggBadRequest,
    RinggClient,
    StartRequest,
    make_http_client,
)
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator

pytestmark = pytest.mark.integration

KEY = "sim-webhook-key-51ab"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FINAL = ("completed", "failed", "error")


class Receiver:
    """A loopback HTTP endpoint that records every delivery and answers 500 to the first attempt of every
    `refuse_every`-th call id it sees."""

    def __init__(self, refuse_every: int = 0) -> None:
        self.deliveries: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.refused: set[str] = set()
        self._refuse_every, self._seen = refuse_every, 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(receiver.answer(body, dict(self.headers)))
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/ringg"

    def answer(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        with self._lock:
            self.deliveries.append((body, headers))
            call_id = body["call_id"]
            if (
                self._refuse_every
                and call_id not in self.refused
                and not any(b["call_id"] == call_id for b, _ in self.deliveries[:-1])
            ):
                self._seen += 1
                if self._seen % self._refuse_every == 0:
                    self.refused.add(call_id)
                    return 500
            return 200

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=KEY, time_scale=0.002) as running:
        yield running


@pytest_asyncio.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[RinggClient]:
    async with make_http_client(sim.base_url, SecretStr(KEY)) as http:
        yield RinggClient(http)


def subscription(agent: str, url: str, *types: EventType) -> EditEventSubscriptions:
    return EditEventSubscriptions(
        agent_id=agent,
        event_subscriptions=[
            EventSubscription(event_type=t, callback_url=url, headers={"X-Webhook-Secret": "shh-0123456789abcdef"})
            for t in types
        ],
    )


async def launch(client: RinggClient, admin: SimAdmin, agent: str, tmp_path: Path, rows: int) -> str:
    """A standard campaign whose window is open now on the simulator's clock."""
    form = CampaignForm(
        agent_id=agent,
        campaign_name=f"webhooks-{uuid.uuid4().hex[:6]}",
        country_code="+91",
        variables_map=DEFAULT_MAP,
        **admin.window(),
    )
    saved = await client.save_campaign(form, write_sample_csv(tmp_path / f"{agent}.csv", rows))
    await client.start_campaign(StartRequest(agent_id=agent, list_id=saved.list_id, from_numbers=[NUMBER_ID]))
    return saved.list_id


async def settle(admin: SimAdmin, list_id: str, receiver: Receiver, timeout_s: float = 60) -> Counter[str]:
    """Waits for the campaign to end and every finished call to be delivered; returns Ringg's truth."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if admin.stats()["campaigns"][list_id] in ("completed", "terminated"):
            truth = Counter(call["status"] for call in admin.campaign_calls(list_id))
            if len({b["call_id"] for b, _ in receiver.deliveries}) >= sum(truth[s] for s in FINAL):
                await _quiet(admin, receiver, deadline)  # duplicates and retries still land after that
                return truth
        await asyncio.sleep(0.1)
    raise AssertionError(f"webhooks did not settle: {len(receiver.deliveries)} deliveries, {admin.stats()['webhooks']}")


async def _quiet(admin: SimAdmin, receiver: Receiver, deadline: float, quiet_s: float = 0.5) -> None:
    """Waits until neither the receiver's deliveries nor the simulator's webhook counters have moved for
    `quiet_s` (a fixed pause was too short on a loaded machine: an attempt was counted but not yet received)."""
    loop = asyncio.get_running_loop()
    last: tuple[int, dict[str, int]] | None = None
    since = loop.time()
    while loop.time() < deadline:
        now = (len(receiver.deliveries), admin.stats()["webhooks"])
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= quiet_s:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"webhooks kept moving: {len(receiver.deliveries)} deliveries, {admin.stats()['webhooks']}")


async def test_every_finished_call_is_posted_once_with_the_subscription_headers(
    client: RinggClient, sim: RunningSimulator, tmp_path: Path
) -> None:
    with Receiver() as receiver, SimAdmin(sim) as admin:
        result = await client.edit_event_subscriptions(subscription("agent-wh-1", receiver.url, "call_completed"))
        assert result.message
        list_id = await launch(client, admin, "agent-wh-1", tmp_path, 40)
        truth = await settle(admin, list_id, receiver)

    bodies = [b for b, _ in receiver.deliveries]
    assert len(bodies) == len({b["call_id"] for b in bodies}) == sum(truth[s] for s in FINAL)
    assert {b["bulk_list_id"] for b in bodies} == {list_id} and {b["event_type"] for b in bodies} == {"call_completed"}
    reported = Counter(b["status"] for b in bodies)
    assert reported["completed"] == truth["completed"] and reported["failed"] == truth["failed"] + truth["error"]
    assert all(h.get("X-Webhook-Secret") == "shh-0123456789abcdef" for _, h in receiver.deliveries)


async def test_refused_deliveries_are_retried_and_knobs_duplicate_and_drop(
    client: RinggClient, sim: RunningSimulator, tmp_path: Path
) -> None:
    with Receiver(refuse_every=4) as receiver, SimAdmin(sim) as admin:
        before = admin.stats()["webhooks"]
        admin.configure(webhook_duplicate_every=5, webhook_drop_every=7)
        try:
            await client.edit_event_subscriptions(subscription("agent-wh-2", receiver.url, "call_completed"))
            list_id = await launch(client, admin, "agent-wh-2", tmp_path, 40)
            truth = await settle(admin, list_id, receiver)
            after = admin.stats()["webhooks"]
            stats = {key: after[key] - before[key] for key in after}
        finally:
            admin.configure(webhook_duplicate_every=0, webhook_drop_every=0)

    per_call = Counter(b["call_id"] for b, _ in receiver.deliveries)
    assert len(per_call) == sum(truth[s] for s in FINAL), "a finished call was never delivered"
    assert receiver.refused and all(per_call[c] >= 2 for c in receiver.refused), "a refused delivery was not retried"
    assert stats["duplicates_sent"] > 0 and stats["lost_attempts"] > 0 and stats["gave_up"] == 0
    assert sum(per_call.values()) == stats["delivered"] + stats["failed_attempts"]


async def test_a_bad_subscription_is_a_400(client: RinggClient) -> None:
    with pytest.raises(RinggBadRequest, match="callback_url"):
        await client.edit_event_subscriptions(subscription("agent-wh-3", "ftp://nope", "call_completed"))
