"""CampaignWorkflow's watch over Ringg's processing of the upload: upload-status polled with backoff and shown as
progress, and the stop before launch when Ringg invalidated more rows than the request allows."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract.campaign import CampaignRequest, UploadProgress
    from contract.errors import RINGG_INVALID_ROWS, UPLOAD_TIMEOUT
    from contract.ringg_steps import InvalidRowsInput, UploadResult, UploadStatusRead, UploadStatusResult
    from domain.invalid_rows import (
        ringg_invalid_rows_message,
        ringg_invalid_rows_tolerated,
        ringg_skips_invalid_rows,
    )

from workflows import options
from workflows.activity_calls import execute
from workflows.campaign_state import CampaignFailed, CampaignState
from workflows.patches import UPLOAD_PACING
from workflows.upload_cadence import SHORTEST_TIMER_S, UploadSample, next_upload_wait, progress_share

UPLOAD_POLL_BACKOFF = 1.6


class UploadWatch(CampaignState):
    """Upload progress, Ringg's invalid rows and their report."""

    _upload_paced = False

    def _upload_timeout(self, req: CampaignRequest) -> CampaignFailed:
        return CampaignFailed(
            f"Ringg did not finish processing list {self._p.list_id} within "
            f"{req.polling.upload_timeout_s:.0f}s; nothing was launched. Check the list in Ringg's dashboard "
            "and start the campaign again (the same request reuses the uploaded list).",
            UPLOAD_TIMEOUT,
        )

    async def _read_upload_status(
        self, req: CampaignRequest, ref: UploadStatusRead, deadline: datetime
    ) -> UploadStatusResult:
        """One upload-status read (in history: the counts become progress); a failed read is retried until the
        deadline, then the upload timed out."""
        polling = req.polling
        left = (deadline - workflow.now()).total_seconds()
        if left <= 0:
            raise self._upload_timeout(req)
        paced = self._upload_paced
        try:
            return await execute(
                RinggActivities.read_upload_status,
                ref,
                start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                schedule_to_close_timeout=timedelta(seconds=max(left, 1.0)),
                retry_policy=options.upload_read_retry(polling) if paced else options.upload_status_retry(polling),
                summary="read upload-status",
            )
        except ActivityError as err:
            if isinstance(err.cause, ApplicationError | CancelledError):
                raise self._failure(err, "polling the upload status") from err
            raise self._upload_timeout(req) from err

    async def _poll_upload(self, req: CampaignRequest) -> UploadStatusResult:
        """Upload-status reads until Ringg is done; fails after upload_timeout_s. Runs since UPLOAD_PACING wait
        as workflows/upload_cadence.py says (the file's rows, the prior speed, Ringg's measured progress); older
        runs waited upload_initial_s, then longer by UPLOAD_POLL_BACKOFF up to upload_max_s."""
        assert self._p.list_id is not None
        polling = req.polling
        ref = UploadStatusRead(list_id=self._p.list_id, idempotency_tag=self._tag)
        accepted = workflow.now()
        deadline = accepted + timedelta(seconds=polling.upload_timeout_s)
        self._upload_paced = workflow.patched(UPLOAD_PACING)
        rows = self._rows_sent()
        samples: list[UploadSample] = []
        interval = polling.upload_initial_s
        wait = 0.0
        if self._upload_paced and not self._reused:  # a reused list may be ready already: read it at once
            wait = next_upload_wait(polling, elapsed_s=0.0, rows=rows)
        while True:
            carried = await self._wait_before_read(wait, deadline)
            sent_at = (workflow.now() - accepted).total_seconds() + carried
            status = await self._read_upload_status(req, ref.model_copy(update={"wait_s": carried}), deadline)
            self._show_upload(status)
            if status.ready:
                return status
            if self._upload_paced:
                share = progress_share(status.processed_rows, status.total_rows, status.percent, rows)
                if share is not None:
                    samples = [*samples[-2:], UploadSample(elapsed_s=sent_at, done=share)]
                # paced from when the read was sent: its own round trip is part of the wait
                took = (workflow.now() - accepted).total_seconds() - sent_at
                wait = next_upload_wait(polling, elapsed_s=sent_at, rows=rows, samples=samples) - took
            else:
                wait = interval
                interval = min(interval * UPLOAD_POLL_BACKOFF, max(polling.upload_max_s, polling.upload_initial_s))

    async def _wait_before_read(self, wait_s: float, deadline: datetime) -> float:
        """Sleeps `wait_s` (not past the deadline) before the next read; a paced wait under SHORTEST_TIMER_S is
        not slept but returned, for the read to take. Older runs slept every wait, at least a millisecond."""
        wait = min(wait_s, (deadline - workflow.now()).total_seconds())
        if self._upload_paced:
            if wait < SHORTEST_TIMER_S:
                return max(wait, 0.0)
        elif wait_s <= 0:  # older runs read first, then slept after each read
            return 0.0
        await workflow.sleep(timedelta(seconds=max(wait, 0.001)), summary="next upload-status read")
        return 0.0

    def _rows_sent(self) -> int:
        """The rows of the uploaded file: the CSV's data rows less those pre-flight left out."""
        return self._data_rows - self._p.unusable_rows - self._p.duplicate_rows

    def _show_upload(self, status: UploadStatusResult) -> None:
        total, processed = status.total_rows, status.processed_rows
        if status.ready and total is None:
            total = processed = self._rows_sent()  # Ringg processed every row this workflow sent
        self._p.upload = UploadProgress(
            status=status.status,
            total_rows=total,
            processed_rows=processed,
            successful_rows=status.successful_rows,
            failed_rows=status.failed_rows,
            percent=status.percent,
        )
        if status.ready:
            self._touch()
            return
        done = f"{status.processed_rows:,} of {status.total_rows:,} rows" if status.total_rows else "rows"
        percent = f" ({status.percent:g}%)" if status.percent is not None else ""
        self._set_stage("processing_upload", f"Ringg is validating the uploaded {done}{percent}: {status.status}")

    def _show_saved(self, upload: UploadResult) -> None:
        """The standard flow's save answers once, with its counts: the upload is processed already."""
        total = upload.total_rows if upload.total_rows is not None else self._rows_sent()
        self._p.upload = UploadProgress(
            status=upload.ringg_status,
            total_rows=total,
            processed_rows=total,
            successful_rows=upload.contacts,
            failed_rows=upload.invalid_rows,
            percent=100.0,
        )
        self._touch()

    async def _save_invalid_rows_report(self, url: str) -> None:
        assert self._p.list_id is not None and self._p.idempotency_key is not None
        saved = await self._call(
            RinggActivities.download_invalid_rows,
            InvalidRowsInput(list_id=self._p.list_id, idempotency_key=self._p.idempotency_key, url=url),
            start_to_close_timeout=options.DOWNLOAD_TIMEOUT,
            heartbeat_timeout=options.DOWNLOAD_HEARTBEAT,
            retry_policy=options.RINGG_RETRY,
            summary="save Ringg's invalid rows for the CSV's owner",
        )
        self._p.invalid_rows_report = saved.path

    async def _check_ringg_invalid_rows(self, req: CampaignRequest, invalid_rows_url: str | None) -> None:
        """Stops the campaign before launch (RinggInvalidRows, with Ringg's report saved) when Ringg invalidated
        rows that the request does not tolerate; rows it does tolerate become a warning."""
        assert self._p.list_id is not None
        invalid = self._p.invalid_rows
        rejected = self._p.unusable_rows + self._p.duplicate_rows
        share = req.max_invalid_row_share
        if ringg_invalid_rows_tolerated(
            invalid,
            preflight_rejected=rejected,
            data_rows=self._data_rows,
            remove_invalid_rows=req.remove_invalid_rows,
            max_share=share,
        ):
            if invalid and not req.remove_invalid_rows:
                self._p.warnings.append(
                    f"Ringg invalidated {invalid:,} rows, within max_invalid_row_share ({share * 100:g}%): "
                    "they are not called"
                )
            return
        if invalid_rows_url and self._p.invalid_rows_report is None:
            await self._save_invalid_rows_report(invalid_rows_url)
        kept = self._p.flow == "large" and not ringg_skips_invalid_rows(req.remove_invalid_rows, share)
        message = ringg_invalid_rows_message(
            req.campaign_name,
            self._p.list_id,
            ringg_invalid=invalid,
            preflight_rejected=rejected,
            data_rows=self._data_rows,
            max_share=share,
            report=self._p.invalid_rows_report,
            ringg_kept_them=kept,
        )
        raise CampaignFailed(message, RINGG_INVALID_ROWS)
