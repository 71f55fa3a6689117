"""Activities for a launched campaign: progress snapshots and termination."""

from __future__ import annotations

import asyncio
import csv
import time

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.numbers import batches, read_numbers
from activities.contacts.source import CsvUnreadable, contacts_failure, open_csv
from activities.heartbeat import heartbeating
from activities.log_context import activity_log_context
from activities.ringg.budget import with_budget_view
from activities.ringg.errors import map_ringg_error
from activities.ringg.monitoring import count_calls, is_finished, settled_statuses
from activities.ringg.reconcile import RinggBase
from contract.errors import INVALID_CSV
from contract.messages import StopNumbersResult
from contract.ringg_steps import CampaignSnapshot, SnapshotInput, TerminateInput, TerminateNumbersInput, TerminateResult
from contract.statuses import PENDING_STATUSES
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import SourceRefused, shown
from ringg import (
    RinggError,
    TerminateRequest,
)

log = structlog.get_logger()

# Ringg's status while a campaign waits for its start time: no call has been placed yet.
SCHEDULED = "scheduled"


class ProgressActivities(RinggBase):
    """snapshot_campaign, terminate_campaign."""

    @activity.defn
    @with_budget_view
    async def snapshot_campaign(self, inp: SnapshotInput) -> CampaignSnapshot:
        """Call counts by status from /calling/history, then (when asked, or when no call is pending) the campaign
        status from a /campaign/all listing this worker's campaigns share (started after the counts were read, so a
        final status never comes with counts older than itself). A scheduled probe reads the status alone while
        Ringg still says "scheduled"."""
        with activity_log_context():
            status = None
            try:
                if inp.scheduled_probe:
                    campaign, requests = await self._campaign_status(
                        inp.list_id, inp.idempotency_tag, not_before=time.monotonic()
                    )
                    if campaign is not None and campaign.campaign_status == SCHEDULED:
                        return CampaignSnapshot(ringg_status=SCHEDULED, counts_read=False, requests=requests)
                async with heartbeating():
                    counts, requests = await count_calls(
                        self._ringg,
                        inp.list_id,
                        inp.since,
                        expected_calls=inp.expected_calls,
                        settled=settled_statuses(inp.previous_counts, inp.expected_calls),
                    )
                    if inp.campaign_status or not sum(counts.get(s, 0) for s in PENDING_STATUSES):
                        # Read after the counts: a final status never comes with counts older than itself.
                        campaign, spent = await self._campaign_status(
                            inp.list_id, inp.idempotency_tag, not_before=time.monotonic()
                        )
                        status = campaign.campaign_status if campaign else None
                        requests += spent
            except RinggError as err:
                raise map_ringg_error(err, doing="reading campaign progress") from None
            total = sum(counts.values())
            return CampaignSnapshot(
                ringg_status=status,
                calls_by_status=counts,
                total_calls=total,
                finished=is_finished(status, counts, inp.expected_calls),
                requests=requests,
            )

    @activity.defn
    async def terminate_campaign(self, inp: TerminateInput) -> TerminateResult:
        with activity_log_context():
            try:
                result = await self._ringg.terminate(TerminateRequest(campaign_id=inp.list_id))
            except RinggError as err:
                raise map_ringg_error(err, doing="terminating the campaign") from None
            log.info("campaign_terminated", list_id=inp.list_id)
            return TerminateResult(message=result.message or "")

    @activity.defn
    async def terminate_numbers(self, inp: TerminateNumbersInput) -> StopNumbersResult:
        """Terminates queued/retry calls to the listed numbers inside this campaign, 100 numbers a request
        (PATCH campaign/terminate with campaign_id + mobile_numbers; repeating a batch is harmless)."""
        with activity_log_context():
            not_stopped = f"No number was stopped in campaign {inp.list_id}"
            try:
                async with open_csv(inp.numbers_uri, self._sources, what="numbers_uri") as path:
                    numbers = await asyncio.to_thread(read_numbers, path, inp.country_code, self._sources.limits)
            except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
                raise contacts_failure(err, not_stopped, inp.numbers_uri) from None
            except (UnicodeDecodeError, csv.Error):
                raise ApplicationError(
                    f"{not_stopped}: the number list {shown(inp.numbers_uri)!r} is not UTF-8 CSV text (one number per "
                    "line, or a first column).",
                    type=INVALID_CSV,
                    non_retryable=True,
                ) from None
            except OSError as err:
                raise ApplicationError(
                    f"{not_stopped}: the number list {shown(inp.numbers_uri)!r} cannot be read ({err.strerror}).",
                    type=INVALID_CSV,
                    non_retryable=True,
                ) from None
            if not numbers:
                raise ApplicationError(
                    f"The number list {shown(inp.numbers_uri)!r} holds no phone number (one per line, or a first "
                    "column).",
                    type=INVALID_CSV,
                    non_retryable=True,
                )
            chunks = batches(numbers)
            try:
                for index, chunk in enumerate(chunks):
                    await self._ringg.terminate(TerminateRequest(campaign_id=inp.list_id, mobile_numbers=chunk))
                    activity.heartbeat(index)
            except RinggError as err:
                raise map_ringg_error(err, doing="terminating numbers in the campaign") from None
            log.info("numbers_terminated", list_id=inp.list_id, numbers=len(numbers), batches=len(chunks))
            return StopNumbersResult(numbers=len(numbers), batches=len(chunks))
