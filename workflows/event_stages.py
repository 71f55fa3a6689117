"""CampaignWorkflow's events out: the lifecycle events queued in order and POSTed in the background by one sender
(activity deliver_event, retried by its policy), all delivered before the run ends or continues as new. A request
without events_url issues no command of its own here (old runs replay unchanged)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.events.delivery import EventActivities
    from contract import events as ev
    from contract.campaign import CampaignRequest, EventsCarried
    from contract.errors import EVENT_REFUSED, EVENTS_NOT_CONFIGURED
    from contract.events import CampaignEvent, CheckEventsInput, DeliverEventInput, EventCampaign
    from domain.event_signing import event_id

from workflows.activity_calls import execute
from workflows.campaign_state import CampaignState

# One POST (the activity's own timeout is 10 s) plus margin; an event is retried for an hour at most, backing off
# from 1 s to 5 min, then given up with a warning (the campaign goes on).
EVENT_TIMEOUT = timedelta(seconds=30)
EVENT_DELIVERY_BUDGET = timedelta(hours=1)
EVENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[EVENTS_NOT_CONFIGURED, EVENT_REFUSED],
)
# The check before any upload: a DNS blip is retried a few times, a missing secret or refused host fails at once.
CHECK_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=[EVENTS_NOT_CONFIGURED])
# Before a continue-as-new the events are waited for this long at most; the rest go to the next run (same ids).
CONTINUE_DRAIN = timedelta(minutes=2)
# Warnings about undelivered events kept in progress (the rest are counted in the last one).
MAX_EVENT_WARNINGS = 5


class EventStages(CampaignState):
    """`_emit` queues an event (no-op without events_url or before check_events passed); `_events_delivered` waits
    for the queue to drain."""

    def __init__(self, req: CampaignRequest) -> None:
        super().__init__(req)
        self._events_on = False
        self._event_seq = 0
        self._event_progress = 0
        self._event_queue: list[CampaignEvent] = []
        self._event_sender: asyncio.Task[None] | None = None
        self._events_lost = 0
        self._event_final = False

    async def _check_events(self) -> None:
        """Fails the campaign (before any upload) when this worker could not send its events."""
        if self._req.events_url is None:
            return
        await self._call(
            EventActivities.check_events,
            CheckEventsInput(url=self._req.events_url, campaign_name=self._req.campaign_name),
            start_to_close_timeout=EVENT_TIMEOUT,
            retry_policy=CHECK_RETRY,
            summary="events: secret, host and addresses of events_url",
        )
        self._events_on = True

    def _emit(self, event_type: str, **data: Any) -> None:
        if not self._events_on or self._event_final:
            return
        self._event_final = event_type in (ev.COMPLETED, ev.FAILED, ev.CANCELLED)
        self._event_seq += 1
        wid = workflow.info().workflow_id
        self._event_queue.append(
            CampaignEvent(
                id=event_id(wid, event_type, self._event_seq),
                type=event_type,
                sequence=self._event_seq,
                occurred_at=workflow.now().isoformat(timespec="milliseconds"),
                campaign=EventCampaign(
                    workflow_id=wid,
                    name=self._req.campaign_name,
                    idempotency_key=self._p.idempotency_key,
                    list_id=self._p.list_id,
                ),
                data=data,
            )
        )
        if self._event_sender is None or self._event_sender.done():
            self._event_sender = asyncio.create_task(self._send_events())

    async def _send_events(self) -> None:
        """One event at a time, in sequence order: a receiver sees campaign.completed after the last progress."""
        assert self._req.events_url is not None
        while self._event_queue:
            event = self._event_queue[0]
            try:
                await execute(
                    EventActivities.deliver_event,
                    DeliverEventInput(url=self._req.events_url, event=event),
                    start_to_close_timeout=EVENT_TIMEOUT,
                    schedule_to_close_timeout=EVENT_DELIVERY_BUDGET,
                    retry_policy=EVENT_RETRY,
                    summary=f"event #{event.sequence} {event.type}",
                )
            except ActivityError as err:
                self._event_lost(event, err)
            self._event_queue.pop(0)

    def _event_lost(self, event: CampaignEvent, err: ActivityError) -> None:
        cause = err.cause
        reason = cause.message if isinstance(cause, ApplicationError) else f"not delivered within 1h ({cause or err})"
        workflow.logger.warning("event %s (%s) not delivered: %s", event.type, event.id, reason)
        self._events_lost += 1
        if self._events_lost <= MAX_EVENT_WARNINGS:
            self._p.warnings.append(f"event #{event.sequence} {event.type} was not delivered: {reason}"[:500])
        elif self._events_lost == MAX_EVENT_WARNINGS + 1:
            self._p.warnings.append("more events were not delivered: see the workflow's history")
        self._touch()

    async def _events_delivered(self, *, cancel_stops_wait: bool, within: timedelta | None = None) -> None:
        """Waits until every queued event is delivered (or given up), or `within` passed (what is left is carried
        to the next run). A cancel during the wait either stops it (`cancel_stops_wait`: the run is ending anyway,
        what is left is reported) or is raised (before a continue-as-new)."""
        sender = self._event_sender
        if sender is None or sender.done():
            return
        try:
            await workflow.wait_condition(sender.done, timeout=within, timeout_summary="events still being delivered")
        except TimeoutError:
            return
        except asyncio.CancelledError:
            if not cancel_stops_wait:
                raise
            self._p.warnings.append(
                f"cancelled while {len(self._event_queue)} event(s) were still being delivered: they may not arrive"
            )

    async def _events_before_continue(self) -> None:
        await self._events_delivered(cancel_stops_wait=False, within=CONTINUE_DRAIN)

    async def _emit_final(self, event_type: str, **data: Any) -> None:
        self._emit(event_type, **data)
        await self._events_delivered(cancel_stops_wait=True)

    def _emit_started(self) -> None:
        p = self._p
        self._emit(
            ev.STARTED,
            flow=p.flow,
            data_rows=p.data_rows,
            unusable_rows=p.unusable_rows,
            duplicate_rows=p.duplicate_rows,
        )

    def _emit_uploaded(self) -> None:
        p = self._p
        self._emit(
            ev.UPLOADED,
            flow=p.flow,
            list_ids=p.list_ids or [p.list_id],
            contacts=p.contacts,
            invalid_rows=p.invalid_rows,
        )

    def _emit_launched(self) -> None:
        self._emit(ev.LAUNCHED, ringg_status=self._p.ringg_status, contacts=self._p.contacts)

    def _emit_progress(self) -> None:
        """A campaign.progress each time the share of contacts whose calls ended crosses the next step."""
        step, contacts = self._req.events_progress_step, self._p.contacts
        if not self._events_on or step <= 0 or not contacts:
            return
        ended = self._p.calls.total - self._p.calls.pending
        percent = min(100, ended * 100 // contacts)
        reached = percent - percent % step
        if reached <= self._event_progress:
            return
        self._event_progress = reached
        self._emit(
            ev.PROGRESS,
            percent=percent,
            ended_calls=ended,
            contacts=contacts,
            calls_by_status=dict(self._p.calls.by_status),
        )

    def _final_counts(self, status: str) -> dict[str, Any]:
        p = self._p
        return {
            "status": status,
            "ringg_status": p.ringg_status,
            "contacts": p.contacts,
            "calls_by_status": dict(p.calls.by_status),
            "total_calls": p.calls.total,
            "not_called": p.not_called,
        }

    def _events_carried(self) -> EventsCarried | None:
        if not self._events_on:
            return None
        return EventsCarried(
            sequence=self._event_seq, progress_percent=self._event_progress, pending=list(self._event_queue)
        )

    def _resume_events(self, carried: EventsCarried | None) -> None:
        if carried is not None:
            self._events_on = True
            self._event_seq, self._event_progress = carried.sequence, carried.progress_percent
            self._event_queue = list(carried.pending)
            if self._event_queue:
                self._event_sender = asyncio.create_task(self._send_events())
