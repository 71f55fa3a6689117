"""One activity per Ringg call. Every non-idempotent POST first reconciles with Ringg's own state, so a retry
after "committed on the server, response lost" never repeats the side effect (DESIGN.md principle 2)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.csv_source import CsvUnreadable, file_sha256, open_csv
from activities.errors import CSV_CHANGED, INVALID_CSV, UPLOAD_FAILED, UPLOAD_PENDING, map_ringg_error, redact
from activities.heartbeat import PostGuard, heartbeating
from activities.monitoring import count_calls, is_finished
from campaign.steps import (
    BalanceResult,
    CampaignSnapshot,
    LaunchInput,
    LaunchResult,
    ListRef,
    SnapshotInput,
    TerminateInput,
    TerminateResult,
    UploadInput,
    UploadResult,
    UploadStatusResult,
)
from ringg import (
    Campaign,
    CampaignForm,
    MakeCallAsyncRequest,
    RinggBadRequest,
    RinggClient,
    RinggError,
    RinggServerError,
    RinggTransportError,
    StartRequest,
    StartV2Request,
    TerminateRequest,
    UploadState,
)

log = structlog.get_logger()


def _reused(found: Campaign) -> UploadResult:
    return UploadResult(
        list_id=found.id,
        reused_existing=True,
        ringg_status=found.campaign_status,
        contacts=found.total_contacts,
        invalid_rows=found.invalidated_rows_count or 0,
        invalid_rows_url=found.invalidated_rows_csv_url,
    )


# Campaign statuses that mean a launch request was accepted at some point.
LAUNCHED_STATUSES = frozenset({"scheduled", "ongoing", "running", "completed", "terminated", "paused"})

# After a POST whose outcome is unknown (no response, or a gateway timeout), Ringg may still be processing
# it: watch Ringg's state this long before concluding it did not happen, so a retry cannot overtake it.
CONFIRM_WITHIN_S = 45.0
CONFIRM_EVERY_S = 3.0

T = TypeVar("T")


def outcome_unknown(err: RinggError) -> bool:
    if isinstance(err, RinggTransportError):
        return err.maybe_committed
    return isinstance(err, RinggServerError) and err.status_code in (502, 504)


def _bind(name: str) -> AbstractContextManager[None]:
    info = activity.info()
    return structlog.contextvars.bound_contextvars(workflow_id=info.workflow_id, activity=name, attempt=info.attempt)


class RinggActivities:
    """Activities over one shared RinggClient (one httpx.AsyncClient for the whole worker)."""

    def __init__(
        self,
        client: RinggClient,
        *,
        confirm_within_s: float = CONFIRM_WITHIN_S,
        confirm_every_s: float = CONFIRM_EVERY_S,
    ) -> None:
        self._ringg = client
        self._confirm_within_s = confirm_within_s
        self._confirm_every_s = confirm_every_s

    async def _confirm(self, probe: Callable[[], Awaitable[T | None]]) -> T | None:
        """Polls Ringg until `probe` finds the effect of an ambiguous POST, or the confirm window ends."""
        deadline = time.monotonic() + self._confirm_within_s
        while True:
            found = await probe()
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(self._confirm_every_s)

    async def _existing_upload(self, tag: str) -> Campaign | None:
        existing = [c for c in await self._tagged(tag) if c.campaign_status != "failed"]
        return existing[0] if existing else None

    async def _launched(self, list_id: str, tag: str) -> Campaign | None:
        current = await self._campaign(list_id, tag)
        return current if current is not None and current.campaign_status in LAUNCHED_STATUSES else None

    async def _tagged(self, tag: str) -> list[Campaign]:
        found = await self._ringg.find_campaigns(tag)
        return sorted(found, key=lambda c: (c.created_at or "", c.id))

    async def _campaign(self, list_id: str, tag: str) -> Campaign | None:
        return next((c for c in await self._tagged(tag) if c.id == list_id), None)

    @activity.defn
    async def upload_contacts(self, inp: UploadInput) -> UploadResult:
        """Large flow: POST campaign/upload-csv; standard flow: POST campaign/save. Reuses a list already
        created under the same idempotency tag instead of uploading again."""
        with _bind("upload_contacts"):
            guard = PostGuard.for_this_attempt()
            async with heartbeating(guard.while_running):
                try:
                    return await self._upload(inp, guard)
                except BaseException:
                    guard.record_outcome()
                    raise

    async def _upload(self, inp: UploadInput, guard: PostGuard) -> UploadResult:
        probe = functools.partial(self._existing_upload, inp.idempotency_tag)
        try:
            found = await probe()
            if found is None and not guard.settled:
                # The previous attempt died, maybe mid-upload: give that upload time to appear first.
                found = await self._confirm(probe)
                guard.settled = True
            if found is not None:
                log.info("upload_reused_existing_list", list_id=found.id, ringg_status=found.campaign_status)
                return _reused(found)
            async with open_csv(inp.csv_uri) as path:
                if file_sha256(path) != inp.content_hash:
                    raise ApplicationError(
                        f"The CSV at {inp.csv_uri!r} changed after it was validated; nothing was uploaded. "
                        "Start the campaign again to validate the new file.",
                        type=CSV_CHANGED,
                        non_retryable=True,
                    )
                guard.settled = False
                try:
                    result = await self._send_upload(inp, path)
                except RinggError as err:
                    if outcome_unknown(err):
                        confirmed = await self._confirm(probe)
                        if confirmed is not None:
                            log.info("upload_confirmed_after_lost_response", list_id=confirmed.id)
                            return _reused(confirmed)
                    guard.settled = True
                    raise
        except CsvUnreadable as err:
            raise ApplicationError(str(err), type=INVALID_CSV, non_retryable=True) from None
        except RinggError as err:
            raise map_ringg_error(err, doing="uploading the contact list") from None
        log.info("contacts_uploaded", list_id=result.list_id, flow=inp.flow)
        return result

    async def _send_upload(self, inp: UploadInput, path: Path) -> UploadResult:
        form = CampaignForm(
            agent_id=inp.agent_id,
            campaign_name=inp.ringg_campaign_name,
            country_code=inp.country_code,
            variables_map=inp.variables_map,
            campaign_start_time=inp.campaign_start_time,
            campaign_end_time=inp.campaign_end_time,
            call_config=inp.call_config or None,
            remove_invalid_rows=inp.remove_invalid_rows,
            transliterate_callee_name=inp.transliterate_callee_name,
        )
        if inp.flow == "large":
            up = await self._ringg.upload_csv(form, path)
            return UploadResult(
                list_id=up.bulk_list_id,
                ringg_status=up.status,
                contacts=up.total or None,
                invalid_rows=up.invalidated_rows_count or 0,
                invalid_rows_url=up.invalidated_rows_csv_url,
            )
        saved = await self._ringg.save_campaign(form, path)
        return UploadResult(
            list_id=saved.list_id,
            ringg_status="draft",
            contacts=saved.successful_rows if saved.successful_rows is not None else saved.total_rows,
            invalid_rows=saved.failed_rows or 0,
        )

    @activity.defn
    async def get_upload_status(self, ref: ListRef) -> UploadStatusResult:
        """Raises a benign, retryable UploadPending while Ringg is still processing: the retry policy is the
        poll loop (no history events per poll)."""
        with _bind("get_upload_status"):
            try:
                status = await self._ringg.upload_status(ref.list_id)
            except RinggError as err:
                raise map_ringg_error(err, doing="polling the upload status") from None
            if status.state is UploadState.FAILED:
                raise ApplicationError(
                    f"Ringg could not process the uploaded list {ref.list_id}: "
                    f"{redact(status.message or 'no reason given')} (status {status.status!r}). "
                    "Fix the CSV and start a new campaign.",
                    type=UPLOAD_FAILED,
                    non_retryable=True,
                )
            if status.state is not UploadState.READY:
                if status.state is UploadState.UNKNOWN:
                    log.warning("upload_status_unknown", list_id=ref.list_id, status=status.status)
                raise ApplicationError(
                    f"upload {ref.list_id} still {status.status!r}",
                    type=UPLOAD_PENDING,
                    category=ApplicationErrorCategory.BENIGN,
                )
            return UploadStatusResult(
                status=status.status,
                contacts=status.total,
                invalid_rows=status.invalidated_rows_count or 0,
                invalid_rows_url=status.invalidated_rows_csv_url,
            )

    @activity.defn
    async def check_balance(self, ref: ListRef) -> BalanceResult:
        with _bind("check_balance"):
            try:
                balance = await self._ringg.check_balance(ref.list_id)
            except RinggError as err:
                raise map_ringg_error(err, doing="checking the balance") from None
            return BalanceResult(
                sufficient=balance.is_sufficient,
                status=balance.status,
                required_credits=balance.required_credits,
                available_credits=balance.available_credits,
                missing_credits=balance.missing_credits,
                message=redact(balance.message or ""),
            )

    @activity.defn
    async def launch_campaign(self, inp: LaunchInput) -> LaunchResult:
        """Large: make-call-async; standard: v2/start (pool) or start (numbers). Checks Ringg first and never
        sends a second launch for a list Ringg already shows as launched."""
        with _bind("launch_campaign"):
            probe = functools.partial(self._launched, inp.list_id, inp.idempotency_tag)
            guard = PostGuard.for_this_attempt()
            async with heartbeating(guard.while_running):
                try:
                    return await self._launch(inp, probe, guard)
                except BaseException:
                    guard.record_outcome()
                    raise

    async def _launch(
        self, inp: LaunchInput, probe: Callable[[], Awaitable[Campaign | None]], guard: PostGuard
    ) -> LaunchResult:
        try:
            current = await probe()
            if current is None and not guard.settled:
                # The previous attempt died, maybe with its launch POST still in flight: give it time to land.
                current = await self._confirm(probe)
                guard.settled = True
            if current is not None:
                log.info("launch_already_done", list_id=inp.list_id, ringg_status=current.campaign_status)
                return LaunchResult(ringg_status=current.campaign_status, already_launched=True)
            guard.settled = False
            try:
                status = await self._send_launch(inp)
            except RinggBadRequest:
                guard.settled = True
                # "campaign already started" is a success once Ringg's state confirms it.
                after = await probe()
                if after is None:
                    raise
                log.info("launch_confirmed_after_400", list_id=inp.list_id)
                return LaunchResult(ringg_status=after.campaign_status, already_launched=True)
            except RinggError as err:
                if outcome_unknown(err):
                    confirmed = await self._confirm(probe)
                    if confirmed is not None:
                        log.info("launch_confirmed_after_lost_response", list_id=inp.list_id)
                        return LaunchResult(ringg_status=confirmed.campaign_status, already_launched=True)
                guard.settled = True
                raise
        except RinggError as err:
            raise map_ringg_error(err, doing="launching the campaign") from None
        log.info("campaign_launched", list_id=inp.list_id, flow=inp.flow)
        return LaunchResult(ringg_status=status)

    async def _send_launch(self, inp: LaunchInput) -> str | None:
        if inp.flow == "large":
            launched = await self._ringg.make_call_async(
                MakeCallAsyncRequest(
                    bulk_list_id=inp.list_id,
                    agent_id=inp.agent_id,
                    country_code=inp.country_code,
                    campaign_start_time=inp.campaign_start_time,
                    campaign_end_time=inp.campaign_end_time,
                    call_config=inp.call_config or None,
                    from_numbers=inp.from_numbers or None,
                    number_pool_id=inp.number_pool_id or None,
                    concurrency_percentage=inp.concurrency_percentage,
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
            return launched.status or "scheduled"
        if inp.number_pool_id:
            started = await self._ringg.start_campaign_v2(
                StartV2Request(
                    agent_id=inp.agent_id,
                    list_id=inp.list_id,
                    number_pool_id=inp.number_pool_id,
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
        else:
            started = await self._ringg.start_campaign(
                StartRequest(
                    agent_id=inp.agent_id,
                    list_id=inp.list_id,
                    from_numbers=inp.from_numbers or [],
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
        return "scheduled" if started else None

    @activity.defn
    async def snapshot_campaign(self, inp: SnapshotInput) -> CampaignSnapshot:
        """Campaign status from /campaign/all plus call counts by status from /calling/history totals."""
        with _bind("snapshot_campaign"):
            try:
                async with heartbeating():
                    campaign = await self._campaign(inp.list_id, inp.idempotency_tag)
                    counts, requests = await count_calls(self._ringg, inp.list_id, inp.since)
            except RinggError as err:
                raise map_ringg_error(err, doing="reading campaign progress") from None
            status = campaign.campaign_status if campaign else None
            total = sum(counts.values())
            return CampaignSnapshot(
                ringg_status=status,
                calls_by_status=counts,
                total_calls=total,
                finished=is_finished(status, counts, inp.expected_calls),
                requests=requests + 1,
            )

    @activity.defn
    async def terminate_campaign(self, inp: TerminateInput) -> TerminateResult:
        with _bind("terminate_campaign"):
            try:
                result = await self._ringg.terminate(TerminateRequest(campaign_id=inp.list_id))
            except RinggError as err:
                raise map_ringg_error(err, doing="terminating the campaign") from None
            log.info("campaign_terminated", list_id=inp.list_id)
            return TerminateResult(message=result.message or "")
