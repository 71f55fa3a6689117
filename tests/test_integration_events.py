"""Events out end to end: a real worker and dev server drive campaigns on the simulator and POST their events to a
receiver started here on 127.0.0.1, which checks every signature with the docs' snippet, refuses first attempts with
500 and drops repeats by id."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError

from client.launcher import start_campaign
from contract.campaign import CampaignRequest, PollingConfig
from contract.errors import INSUFFICIENT_BALANCE
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.event_targets import EventTargets
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.event_helpers import doc_verifier
from tests.stack_helpers import worker_for
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-events-key-7d21"
SECRET = "events-integration-secret-5f0a9c"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
FAST = PollingConfig(
    upload_initial_s=0.5, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=1, balance_initial_s=0.5
)
LOOPBACK = EventTargets(hosts=frozenset({"127.0.0.1"}), allow_private=True)
LIFECYCLE = ["campaign.started", "campaign.uploaded", "campaign.launched"]


class EventsReceiver:
    """Verifies every delivery's signature (refusing bad ones with 401), answers 500 to the first `failures`
    attempts of each event (`launched_failures` for campaign.launched), then 200; keeps what it accepted."""

    def __init__(self, *, failures: int = 0, launched_failures: int = 0) -> None:
        self.failures, self.launched_failures = failures, launched_failures
        self.verify = doc_verifier()
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        if not self.verify(SECRET, request.headers.get("x-campaign-signature", ""), body):
            self.bad_signatures += 1
            return Response(status_code=401)
        event = json.loads(body)
        assert request.headers["x-campaign-event-id"] == event["id"]
        assert request.headers["x-campaign-event-type"] == event["type"]
        self.attempts[event["id"]] += 1
        refuse = self.launched_failures if event["type"] == "campaign.launched" else self.failures
        if self.attempts[event["id"]] <= refuse:
            return Response("receiver down", status_code=500)
        self.accepted.append(event)
        return Response(status_code=204)

    def unique(self) -> list[dict[str, Any]]:
        """What a receiver keeps after dropping repeats by id, in sequence order."""
        by_id = {event["id"]: event for event in self.accepted}
        return sorted(by_id.values(), key=lambda event: int(event["sequence"]))


@contextlib.asynccontextmanager
async def serving(receiver: EventsReceiver) -> AsyncIterator[str]:
    """The receiver on a free loopback port; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/hooks/campaigns", receiver.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}/hooks/campaigns?source=crm"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        yield client


def make_request(csv_path: Path, admin: SimAdmin, events_url: str, **overrides: object) -> CampaignRequest:
    data: dict[str, object] = {
        "campaign_name": f"Events {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-events",
        "csv_uri": str(csv_path),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [NUMBER_ID],
        **admin.window(),
        "polling": FAST,
        "events_url": events_url,
        **overrides,
    }
    return CampaignRequest.model_validate(data)


async def test_every_lifecycle_event_arrives_once_after_dedup_despite_500s(
    stack_client: Client, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    receiver = EventsReceiver(failures=1, launched_failures=2)
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 200)
    async with (
        serving(receiver) as url,
        worker_for(stack_client, sim, prefix="events", events_secret=SECRET, events_targets=LOOPBACK) as worker,
    ):
        req = make_request(csv_path, admin, url, events_progress_step=50)
        outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
        result = await outcome.handle.result()

    assert result.status == "completed" and not result.warnings
    assert receiver.bad_signatures == 0
    events = receiver.unique()
    types = [event["type"] for event in events]
    assert types[:3] == LIFECYCLE and types[-1] == "campaign.completed", types
    assert set(types[3:-1]) == {"campaign.progress"} and 1 <= len(types[3:-1]) <= 2, types
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    assert [event["type"] for event in receiver.accepted] == types, "an event was accepted twice or out of order"
    assert all(n >= 2 for n in receiver.attempts.values()), "every event was refused once and sent again"
    assert len(receiver.attempts) == len(events)
    launched = next(event for event in events if event["type"] == "campaign.launched")
    assert receiver.attempts[launched["id"]] == 3
    assert {event["campaign"]["workflow_id"] for event in events} == {outcome.workflow_id}
    assert events[1]["campaign"]["list_id"] == result.list_id and events[1]["data"]["contacts"] == 200
    completed = events[-1]["data"]
    assert completed["calls_by_status"] == result.calls_by_status and completed["total_calls"] == result.total_calls
    progress = [event["data"]["percent"] for event in events[3:-1]]
    assert progress == sorted(progress) and all(p >= 50 for p in progress)


async def test_a_cancelled_campaign_sends_cancelled_last(
    stack_client: Client, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    receiver = EventsReceiver()
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 300)
    admin.configure(call_rate=0.5)
    try:
        async with (
            serving(receiver) as url,
            worker_for(stack_client, sim, prefix="events", events_secret=SECRET, events_targets=LOOPBACK) as worker,
        ):
            outcome = await start_campaign(
                stack_client, make_request(csv_path, admin, url), task_queue=worker.task_queue
            )
            for _ in range(300):
                if [e["type"] for e in receiver.unique()][:3] == LIFECYCLE:
                    break
                await asyncio.sleep(0.1)
            await outcome.handle.cancel()
            with pytest.raises(WorkflowFailureError) as info:
                await outcome.handle.result()
    finally:
        admin.configure(call_rate=1.0)
    assert isinstance(info.value.cause, CancelledError)
    types = [event["type"] for event in receiver.unique()]
    assert types[:3] == LIFECYCLE and types[-1] == "campaign.cancelled", types
    assert "campaign.completed" not in types and receiver.bad_signatures == 0
    assert "terminated on Ringg" in receiver.unique()[-1]["data"]["message"]


async def test_a_failed_campaign_sends_failed_with_the_error(
    stack_client: Client, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    receiver = EventsReceiver(failures=1)
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 100)
    admin.set_credits(0)
    try:
        async with (
            serving(receiver) as url,
            worker_for(stack_client, sim, prefix="events", events_secret=SECRET, events_targets=LOOPBACK) as worker,
        ):
            req = make_request(csv_path, admin, url, flow="large", max_balance_wait_seconds=1)
            outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
            with pytest.raises(WorkflowFailureError) as info:
                await outcome.handle.result()
    finally:
        admin.set_credits(1_000_000)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == INSUFFICIENT_BALANCE
    events = receiver.unique()
    assert [event["type"] for event in events] == ["campaign.started", "campaign.uploaded", "campaign.failed"]
    assert events[-1]["data"] == {"error_type": INSUFFICIENT_BALANCE, "message": cause.message}


async def test_without_a_secret_the_campaign_fails_before_any_upload(
    stack_client: Client, sim: RunningSimulator, admin: SimAdmin, tmp_path: Path
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 50)
    req = make_request(csv_path, admin, "http://127.0.0.1:9/hooks")
    async with worker_for(stack_client, sim, prefix="events", events_targets=LOOPBACK) as worker:
        outcome = await start_campaign(stack_client, req, task_queue=worker.task_queue)
        with pytest.raises(WorkflowFailureError) as info:
            await outcome.handle.result()
        progress = await outcome.handle.query(CampaignWorkflow.progress)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "EventsNotConfigured"
    assert cause.message.startswith(f"Campaign {req.campaign_name!r} was not started: it has an events_url but")
    assert not [u for u in admin.stats()["uploads"] if str(u["campaign_name"]).startswith(req.campaign_name)]
    assert progress.stage == "failed" and progress.list_id is None
