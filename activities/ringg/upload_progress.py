"""Upload-status as progress: one read per call, answered while Ringg is still processing too (rows received,
processed, accepted, invalidated and the percentage), so the workflow can show how far the upload is."""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.log_context import activity_log_context
from activities.ringg.errors import map_ringg_error, redact
from activities.ringg.reconcile import RinggBase
from contract.errors import UPLOAD_FAILED
from contract.ringg_steps import ListRef, UploadStatusRead, UploadStatusResult
from ringg import RinggError, UploadState, UploadStatus

log = structlog.get_logger()


def upload_status_result(status: UploadStatus) -> UploadStatusResult:
    """Counts from any of the documented vocabularies. Once processing is done, the accepted and invalid rows are
    filled in from the contacts and invalidated rows (the OpenAPI vocabulary reports only those). Rows received
    are not derived from them: whether Ringg counts invalid rows it keeps among the contacts is not documented."""
    ready = status.state is UploadState.READY
    contacts, invalid = status.contacts, status.invalid_rows
    total_rows, processed = status.total_rows, status.processed_rows
    successful = status.successful_rows
    failed = status.failed_rows
    if ready:
        processed = total_rows if total_rows is not None else processed
        successful = contacts if successful is None else successful
        failed = invalid if failed is None else failed
    return UploadStatusResult(
        status=status.status,
        ready=ready,
        contacts=contacts if ready else None,
        invalid_rows=invalid,
        invalid_rows_url=status.invalidated_rows_csv_url,
        total_rows=total_rows,
        processed_rows=processed,
        successful_rows=successful,
        failed_rows=failed,
        percent=status.percent,
    )


def upload_failed(ref: ListRef, status: UploadStatus) -> ApplicationError:
    return ApplicationError(
        f"Ringg could not process the uploaded list {ref.list_id}: "
        f"{redact(status.message or 'no reason given')} (status {status.status!r}). "
        "Fix the CSV and start a new campaign.",
        type=UPLOAD_FAILED,
        non_retryable=True,
    )


class UploadProgressActivities(RinggBase):
    """read_upload_status."""

    @activity.defn
    async def read_upload_status(self, ref: UploadStatusRead) -> UploadStatusResult:
        """GET campaign/upload-status once, after `wait_s` (a sub-second wait of the pacing): `ready` False while
        Ringg is processing (the workflow reads again when its pacing says), a non-retryable UploadFailed when
        Ringg gave up on the list."""
        with activity_log_context():
            if ref.wait_s > 0 and activity.info().attempt == 1:
                await asyncio.sleep(min(ref.wait_s, 1.0))
            try:
                status = await self._ringg.upload_status(ref.list_id)
            except RinggError as err:
                raise map_ringg_error(err, doing="polling the upload status") from None
            if status.state is UploadState.FAILED:
                raise upload_failed(ref, status)
            if status.state is UploadState.UNKNOWN:
                log.warning("upload_status_unknown", list_id=ref.list_id, status=status.status)
            return upload_status_result(status)
