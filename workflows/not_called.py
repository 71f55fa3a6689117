"""CampaignWorkflow's count of the contacts Ringg never dialled once the campaign is final (its window closed
with contacts left, or it was stopped): reported apart from failed calls."""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract.ringg_checks import NotCalledInput
    from contract.statuses import FINAL_CAMPAIGN_STATUSES

from workflows import options
from workflows.activity_calls import execute
from workflows.event_stages import EventStages


class NotCalledStage(EventStages):  # EventStages: the monitor sends progress events
    """Counts never-dialled contacts: cancelled calls without an attempt (read from Ringg's history), plus
    calls still queued when Ringg already calls the campaign final."""

    async def _count_not_called(self, *, stopped: bool = False) -> int | None:
        """`stopped`: right after this workflow's terminate (Ringg cancelled the queued calls at once); the count
        then has options.NOT_CALLED_ON_CANCEL_BUDGET, so a cancel is not held up by a huge list (the export still
        marks each contact). Returns the count, also kept in progress; None when it could not be read (the
        campaign's outcome stands)."""
        assert self._p.list_id is not None
        calls = self._p.calls.by_status
        final = stopped or self._p.ringg_status in FINAL_CAMPAIGN_STATUSES
        queued = calls.get("registered", 0) if final and not stopped else 0
        never_dialled = 0
        if stopped or calls.get("cancelled", 0):
            # A campaign in chunks has one list per chunk: each is counted.
            for list_id in self._p.list_ids or [self._p.list_id]:
                try:
                    counted = await execute(
                        RinggActivities.count_not_called,
                        NotCalledInput(list_id=list_id, since=datetime.fromisoformat(self._since)),
                        start_to_close_timeout=options.NOT_CALLED_TIMEOUT,
                        schedule_to_close_timeout=options.NOT_CALLED_ON_CANCEL_BUDGET if stopped else None,
                        heartbeat_timeout=options.NOT_CALLED_HEARTBEAT,
                        retry_policy=options.RINGG_RETRY,
                        summary="count contacts never called",
                    )
                except ActivityError as err:
                    if isinstance(err.cause, CancelledError):
                        raise asyncio.CancelledError() from err
                    workflow.logger.warning("could not count the contacts never called: %s", err.cause or err)
                    return None
                never_dialled += counted.not_called
        self._p.not_called = never_dialled + queued
        self._touch()
        return self._p.not_called
