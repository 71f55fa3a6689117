"""Upload activities: the contact list (upload-csv / save), reused when Ringg already has it, and the
upload-status poll."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.contacts.rows import write_clean_csv
from activities.contacts.source import CsvUnreadable, contacts_failure, file_sha256, open_csv
from activities.heartbeat import PostGuard, guarded_attempt, heartbeating
from activities.ledger.screened_report import exclusions_of
from activities.log_context import activity_log_context
from activities.metrics import CAMPAIGN_UPLOADS, count
from activities.reports import invalid_rows_path, private_folder, write_safe_copy
from activities.ringg.errors import map_ringg_error
from activities.ringg.invalid_rows import invalid_rows_refusal
from activities.ringg.large_access import LargeFlowAccess
from activities.ringg.reconcile import outcome_unknown, reused_upload
from activities.ringg.schedule import required_schedule
from activities.ringg.upload_progress import upload_failed, upload_status_result
from contract.errors import CSV_CHANGED, UPLOAD_PENDING
from contract.ringg_steps import (
    InvalidRowsInput,
    InvalidRowsResult,
    ListRef,
    UploadInput,
    UploadResult,
    UploadStatusResult,
)
from domain.csv_limits import CsvLimitExceeded, CsvLimits
from domain.csv_sources import SourceRefused, shown
from domain.phones import PhoneNormalizer
from ringg import (
    CampaignForm,
    RinggError,
    UploadState,
)

log = structlog.get_logger()
# Builds the file to send from the CSV's local path (None: the CSV changed since pre-flight).
Prepare = Callable[[UploadInput, Path, CsvLimits], AbstractAsyncContextManager[Path | None]]


@contextlib.asynccontextmanager
async def _cleaned(inp: UploadInput, path: Path, limits: CsvLimits) -> AsyncIterator[Path | None]:
    """The file to send: the CSV rebuilt by the same row checks pre-flight ran (E.164 numbers, invalid and
    duplicate rows dropped, trimmed header), or None when the CSV changed since pre-flight."""
    if await asyncio.to_thread(file_sha256, path) != inp.content_hash:
        yield None
        return
    if inp.expected_rows is None:  # a campaign from before pre-flight checked rows: send the file as it is
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="campaign-upload-") as tmp:
        clean = Path(tmp) / path.name
        phones = PhoneNormalizer(inp.country_code, inp.number_types)
        skip = await asyncio.to_thread(exclusions_of, inp.exclusions_path)
        write = functools.partial(write_clean_csv, skip=skip)
        rows = await asyncio.to_thread(write, path, clean, inp.variables_map, phones, limits)
        if rows != inp.expected_rows:
            raise ApplicationError(
                f"The CSV at {shown(inp.csv_uri)!r} gave {rows} valid rows on this worker but {inp.expected_rows} in "
                "pre-flight; nothing was uploaded. This is a bug: report it with the campaign's workflow ID.",
                type=CSV_CHANGED,
                non_retryable=True,
            )
        yield clean


class UploadActivities(LargeFlowAccess):
    """upload_contacts, get_upload_status."""

    @activity.defn
    async def upload_contacts(self, inp: UploadInput) -> UploadResult:
        """Large flow: POST campaign/upload-csv; standard flow: POST campaign/save. Reuses a list already
        created under the same idempotency tag instead of uploading again."""
        with activity_log_context():
            async with guarded_attempt() as guard:
                result = await self._upload(inp, guard)
            outcome = "reused" if result.reused_existing else "uploaded"
            count(CAMPAIGN_UPLOADS, attributes={"flow": inp.flow, "outcome": outcome})
            return result

    async def _upload(self, inp: UploadInput, guard: PostGuard, prepare: Prepare = _cleaned) -> UploadResult:
        probe = functools.partial(self._existing_upload, inp.idempotency_tag)
        try:
            found = await probe()
            if found is None and not guard.settled:
                # The previous attempt died, maybe mid-upload: give that upload time to appear first.
                found = await self._confirm(probe)
                guard.settled = True
            if found is not None:
                log.info("upload_reused_existing_list", list_id=found.id, ringg_status=found.campaign_status)
                return reused_upload(found)
            if inp.flow == "large":
                await self._check_large_flow(inp)
            async with (
                open_csv(inp.csv_uri, self._sources) as path,
                prepare(inp, path, self._sources.limits) as upload_path,
            ):
                if upload_path is None:
                    raise ApplicationError(
                        f"The CSV at {shown(inp.csv_uri)!r} changed after it was validated; nothing was uploaded. "
                        "Start the campaign again to validate the new file.",
                        type=CSV_CHANGED,
                        non_retryable=True,
                    )
                guard.settled = False
                try:
                    result = await self._send_upload(inp, upload_path)
                except RinggError as err:
                    if outcome_unknown(err):
                        confirmed = await self._confirm(probe)
                        if confirmed is not None:
                            log.info("upload_confirmed_after_lost_response", list_id=confirmed.id)
                            return reused_upload(confirmed)
                    guard.settled = True
                    raise
        except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
            raise contacts_failure(err, "Nothing was uploaded", inp.csv_uri) from None
        except RinggError as err:
            refused = self._large_flow_refused(err) if inp.flow == "large" else None
            raise (
                refused or invalid_rows_refusal(inp, err) or map_ringg_error(err, doing="uploading the contact list")
            ) from None
        log.info("contacts_uploaded", list_id=result.list_id, flow=inp.flow)
        return result

    async def _send_upload(self, inp: UploadInput, path: Path) -> UploadResult:
        start, end, call_config = required_schedule(
            inp.campaign_start_time, inp.campaign_end_time, inp.call_config, doing="the contact list upload"
        )
        form = CampaignForm(
            agent_id=inp.agent_id,
            campaign_name=inp.ringg_campaign_name,
            country_code=inp.country_code,
            variables_map=inp.variables_map,
            campaign_start_time=start,
            campaign_end_time=end,
            call_config=call_config,
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
            invalid_rows_url=await self._invalid_rows_url(saved.list_id, inp.idempotency_tag)
            if saved.failed_rows
            else None,
            total_rows=saved.total_rows,
        )

    async def _invalid_rows_url(self, list_id: str, tag: str) -> str | None:
        """save's answer has no invalid-rows report; the list's row in campaign/all may. Best effort: the upload
        is done, a failed read must not fail it."""
        try:
            found = await self._campaign(list_id, tag)
        except RinggError as err:
            log.warning("invalid_rows_url_unread", list_id=list_id, error=type(err).__name__)
            return None
        return found.invalidated_rows_csv_url if found else None

    @activity.defn
    async def get_upload_status(self, ref: ListRef) -> UploadStatusResult:
        """Raises a benign, retryable UploadPending while Ringg is still processing: the retry policy is the
        poll loop (no history events per poll)."""
        with activity_log_context():
            try:
                status = await self._ringg.upload_status(ref.list_id)
            except RinggError as err:
                raise map_ringg_error(err, doing="polling the upload status") from None
            if status.state is UploadState.FAILED:
                raise upload_failed(ref, status)
            if status.state is not UploadState.READY:
                if status.state is UploadState.UNKNOWN:
                    log.warning("upload_status_unknown", list_id=ref.list_id, status=status.status)
                raise ApplicationError(
                    f"upload {ref.list_id} still {status.status!r}",
                    type=UPLOAD_PENDING,
                    category=ApplicationErrorCategory.BENIGN,
                )
            return upload_status_result(status)

    @activity.defn
    async def download_invalid_rows(self, inp: InvalidRowsInput) -> InvalidRowsResult:
        """Saves the rows Ringg invalidated (its invalid-rows CSV) next to the campaign's other reports, for the
        person who owns the CSV; only the path goes into workflow history."""
        with activity_log_context():
            dest = invalid_rows_path(self._report_dir, inp.idempotency_key, inp.list_id)
            await asyncio.to_thread(private_folder, dest.parent)
            # Ringg's file as it came, then the copy a person opens: formula cells neutralised, mode 0640.
            raw = dest.with_name(f".{dest.name}.from-ringg")
            try:
                async with heartbeating():
                    size = await self._ringg.download(inp.url, raw)
                    rows = await asyncio.to_thread(write_safe_copy, raw, dest)
            except RinggError as err:
                raise map_ringg_error(err, doing="downloading Ringg's invalid rows") from None
            finally:
                raw.unlink(missing_ok=True)
            log.info("invalid_rows_downloaded", list_id=inp.list_id, bytes=size, rows=rows)
            return InvalidRowsResult(path=str(dest.resolve()), bytes=size)
