"""Batches webhook events per campaign and signals them to its workflow (one signal per list per flush, so
a busy campaign costs a few history events a second, not one per call)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from contract import search_attributes as sa
from contract.messages import CallEvent, CallEventsSignal
from contract.names import CAMPAIGN_WORKFLOW
from workflows.campaign import CampaignWorkflow

log = structlog.get_logger()
CACHE_SIZE = 10_000


@dataclass
class _Batch:
    events: list[CallEvent] = field(default_factory=list)
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Forwarder:
    def __init__(self, client: Client, flush_s: float) -> None:
        self._client, self._flush_s = client, flush_s
        self._batches: dict[str, _Batch] = {}
        self._workflow_of: OrderedDict[str, str] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, list_id: str, event: CallEvent) -> bool:
        """True once signalled to the campaign running this list; False when no campaign is running it. The
        request waits until its batch was signalled, so a 200 means the event reached Temporal."""
        batch = self._batches.get(list_id)
        if batch is None:
            batch = self._batches[list_id] = _Batch()
            task = asyncio.get_running_loop().create_task(self._flush_later(list_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.events.append(event)
        return await asyncio.shield(batch.done)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _flush_later(self, list_id: str) -> None:
        await asyncio.sleep(self._flush_s)
        batch = self._batches.pop(list_id)
        try:
            batch.done.set_result(await self._signal(list_id, batch.events))
        except Exception as err:
            batch.done.set_exception(err)

    async def _signal(self, list_id: str, events: list[CallEvent]) -> bool:
        for attempt in range(2):
            workflow_id = await self._workflow_for(list_id)
            if workflow_id is None:
                log.info("webhook_events_unrouted", list_id=list_id, events=len(events))
                return False
            try:
                handle = self._client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)
                await handle.signal(CampaignWorkflow.call_events, CallEventsSignal(events=events))
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND or attempt:
                    raise
                self._workflow_of.pop(list_id, None)  # that campaign has ended: look again
                continue
            log.info("webhook_events_signalled", list_id=list_id, workflow_id=workflow_id, events=len(events))
            return True
        return False

    async def _workflow_for(self, list_id: str) -> str | None:
        cached = self._workflow_of.get(list_id)
        if cached is not None:
            self._workflow_of.move_to_end(list_id)
            return cached
        query = (
            f'{sa.BULK_LIST_ID.name} = "{list_id}" AND WorkflowType = "{CAMPAIGN_WORKFLOW}" '
            'AND ExecutionStatus = "Running"'
        )
        async for execution in self._client.list_workflows(query, limit=1):
            self._workflow_of[list_id] = execution.id
            if len(self._workflow_of) > CACHE_SIZE:
                self._workflow_of.popitem(last=False)
            return execution.id
        return None
