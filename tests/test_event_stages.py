"""CampaignWorkflow's events out with stub activities (tests/test_campaign_workflow.py's FakeRingg): the order and
sequence of the events, their progress steps, continue-as-new carrying the sequence, a refused event as a warning,
and no event command at all without events_url."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.converter import DATA_CONVERTER
from contract.errors import EVENT_REFUSED
from contract.events import CampaignEvent, CheckEventsInput, CheckEventsResult, DeliverEventInput, DeliverEventResult
from contract.ringg_steps import CampaignSnapshot, SnapshotInput
from contract.search_attributes import ALL_KEYS
from domain.event_signing import event_id
from tests.test_campaign_workflow import FakeRingg, request, start
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow

URL = "https://hooks.example.com/campaigns"
FINAL = {"completed": 5900, "failed": 90}


class FakeReceiver:
    """check_events and deliver_event stubs; deliver_event refuses the types in `refuse` (a receiver's 4xx)."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.checks = 0
        self.events: list[CampaignEvent] = []

    def activities(self) -> list[Any]:
        @activity.defn(name="check_events")
        async def check_events(inp: CheckEventsInput) -> CheckEventsResult:
            self.checks += 1
            return CheckEventsResult(addresses=1)

        @activity.defn(name="deliver_event")
        async def deliver_event(inp: DeliverEventInput) -> DeliverEventResult:
            assert inp.url == URL
            self.events.append(inp.event)
            if inp.event.type in self.refuse:
                raise ApplicationError("refused with HTTP 410", type=EVENT_REFUSED, non_retryable=True)
            return DeliverEventResult(http_status=200)

        return [check_events, deliver_event]


def gradual(fake: FakeRingg, steps: int) -> Any:
    """snapshot_campaign whose calls end 1/`steps` of the 5,990 contacts per poll, all by poll `finish_after`."""

    @activity.defn(name="snapshot_campaign")
    async def snapshot_campaign(inp: SnapshotInput) -> CampaignSnapshot:
        fake.calls["snapshot_campaign"] += 1
        polls = fake.calls["snapshot_campaign"]
        if polls >= fake.finish_after:
            return CampaignSnapshot(ringg_status="completed", calls_by_status=FINAL, total_calls=5990, finished=True)
        ended = min(5990 * polls // steps, 5989)
        counts = {"completed": ended, "registered": 5990 - ended}
        return CampaignSnapshot(ringg_status="ongoing", calls_by_status=counts, total_calls=5990, finished=False)

    return snapshot_campaign


def worker(env: WorkflowEnvironment, fake: FakeRingg, receiver: FakeReceiver, steps: int = 10) -> Worker:
    stubs = [a for a in fake.activities() if activity._Definition.must_from_callable(a).name != "snapshot_campaign"]
    return Worker(
        env.client,
        task_queue=f"tq-{uuid.uuid4()}",
        workflows=[CampaignWorkflow, CampaignKeyClaimWorkflow],
        activities=[*stubs, gradual(fake, steps), *receiver.activities()],
    )


def check_lifecycle(events: list[CampaignEvent], workflow_id: str, last: str) -> list[int]:
    """The events' order and ids; returns the progress percents."""
    types = [e.type for e in events]
    assert types[:3] == ["campaign.started", "campaign.uploaded", "campaign.launched"] and types[-1] == last, types
    assert set(types[3:-1]) == {"campaign.progress"}, types
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert [e.id for e in events] == [event_id(workflow_id, e.type, e.sequence) for e in events]
    assert all(e.campaign.workflow_id == workflow_id for e in events)
    return [int(e.data["percent"]) for e in events[3:-1]]


async def test_events_in_order_with_a_progress_event_per_step(env: WorkflowEnvironment) -> None:
    fake, receiver = FakeRingg(key=f"ik-{uuid.uuid4()}", finish_after=6), FakeReceiver()
    async with worker(env, fake, receiver, steps=5) as w:
        handle = await start(env, w, request(events_url=URL, events_progress_step=20))
        result = await handle.result()
    assert result.status == "completed" and not result.warnings and receiver.checks == 1
    percents = check_lifecycle(receiver.events, handle.id, "campaign.completed")
    assert percents == [20, 40, 60, 80, 100], "one event per 20% step crossed (the last poll ends every call)"
    assert receiver.events[1].campaign.list_id == "list-1" and receiver.events[1].data["contacts"] == 5990
    assert receiver.events[-1].data["calls_by_status"] == FINAL and receiver.events[-1].data["status"] == "completed"


async def test_a_refused_event_is_a_warning_and_the_campaign_goes_on(env: WorkflowEnvironment) -> None:
    fake, receiver = FakeRingg(key=f"ik-{uuid.uuid4()}", finish_after=4), FakeReceiver(refuse=("campaign.progress",))
    async with worker(env, fake, receiver) as w:
        handle = await start(env, w, request(events_url=URL, events_progress_step=10))
        result = await handle.result()
    assert result.status == "completed"
    assert result.warnings[0].startswith("event #4 campaign.progress was not delivered: refused with HTTP 410")
    assert receiver.events[-1].type == "campaign.completed"


async def test_without_events_url_no_event_activity_runs(env: WorkflowEnvironment) -> None:
    fake, receiver = FakeRingg(key=f"ik-{uuid.uuid4()}", finish_after=4), FakeReceiver()
    async with worker(env, fake, receiver) as w:
        handle = await start(env, w, request())
        result = await handle.result()
        history = await handle.fetch_history()
    assert result.status == "completed" and receiver.checks == 0 and receiver.events == []
    assert "_events" not in history.to_json() and "deliver_event" not in history.to_json()


async def test_continue_as_new_carries_the_sequence_and_the_progress_step() -> None:
    async with await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=list(ALL_KEYS),
        ui=False,
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"],
    ) as env:
        fake, receiver = FakeRingg(key=f"ik-{uuid.uuid4()}", finish_after=25), FakeReceiver()
        async with worker(env, fake, receiver) as w:
            handle = await start(env, w, request(events_url=URL, events_progress_step=10))
            result = await handle.result()
            first_run = await env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id).describe()
    assert first_run.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert result.status == "completed" and receiver.checks == 1, "the check runs once, not again per run"
    percents = check_lifecycle(receiver.events, handle.id, "campaign.completed")
    assert percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100][: len(percents)] and len(percents) >= 9
