"""export_calls: a campaign's per-contact outcomes from `calling/history` to CSV / JSONL files and a JSON
summary at a results location. Only locations and counts are returned (workflow history stays PII-free)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import BaseModel, Field, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.export.location import LocationUnusable, ResultsLocation, results_location
from activities.export.rows import row_from_call
from activities.export.summary import add_rows, finished
from activities.export.writers import RowWriter, open_writer
from activities.heartbeat import heartbeating
from activities.log_context import activity_log_context
from activities.metrics import EXPORT_ROWS, count
from activities.ringg.errors import map_ringg_error
from contract.errors import EXPORT_LOCATION_UNUSABLE
from contract.export import ExportFormat, ExportInput, ExportResult, ExportSummary
from ringg import HistoryPage, HistoryQuery, RinggClient, RinggError

log = structlog.get_logger()


class ExportCheckpoint(BaseModel):
    """Heartbeat details: where the export stands. Offsets, sizes and counts only (they can appear in history
    when an attempt times out)."""

    token: str
    offset: int = 0
    rows: int = 0
    pages: int = 0
    sizes: dict[str, int] = Field(default_factory=dict)
    summary: ExportSummary = Field(default_factory=ExportSummary)


def _token() -> str:
    """Names this activity's staging files; every attempt of the same activity gets the same one."""
    info = activity.info()
    return hashlib.sha256(f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}".encode()).hexdigest()[:16]


def _resume_point(token: str, staged: dict[ExportFormat, Path]) -> ExportCheckpoint | None:
    """The previous attempt's checkpoint, if its staging files are still here and at least that long."""
    details = activity.info().heartbeat_details
    if not details:
        return None
    try:
        checkpoint = ExportCheckpoint.model_validate(details[-1])
    except ValidationError:
        return None
    if checkpoint.pages == 0:
        return None
    usable = checkpoint.token == token and set(checkpoint.sizes) == set(staged)
    for fmt, path in staged.items():
        usable = usable and path.is_file() and path.stat().st_size >= checkpoint.sizes[fmt]
    if not usable:
        log.warning("export_restarting", offset=checkpoint.offset, reason="staging files missing or shorter")
        return None
    return checkpoint


def last_page(page: HistoryPage, offset: int, requested: int) -> bool:
    """Whether paging is done after `page`, `offset` being the calls read so far (this page's included)."""
    if not page.calls:
        return True
    if page.total is not None:
        return offset >= page.total
    # Without a total, a short page is the last one (measured against the limit Ringg says it applied).
    return len(page.calls) < (page.limit or requested)


class ExportActivities:
    """export_calls, over the worker's shared RinggClient."""

    def __init__(self, client: RinggClient) -> None:
        self._ringg = client

    @activity.defn
    async def export_calls(self, inp: ExportInput) -> ExportResult:
        """Pages (limit/offset) are streamed to staging files; after each page the checkpoint (offset, file sizes,
        running summary) is heartbeated, so a retried attempt resumes where the last one stopped instead of
        starting over."""
        with activity_log_context():
            location = await self._prepared(inp.out_uri)
            token = _token()
            safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", inp.list_id)[:100]
            names: dict[ExportFormat, str] = {fmt: f"calls-{safe_id}.{fmt}" for fmt in dict.fromkeys(inp.formats)}
            staged = {fmt: location.staging_path(name, token) for fmt, name in names.items()}
            checkpoint = _resume_point(token, staged) or ExportCheckpoint(token=token)
            resumed_at = checkpoint.offset
            try:
                checkpoint = await self._page_through(inp, staged, checkpoint)
            except RinggError as err:
                failure = map_ringg_error(err, doing="reading the call history for the export")
                if failure.non_retryable:
                    _discard(staged.values())
                raise failure from None
            files = {str(fmt): location.publish(staged[fmt], names[fmt]) for fmt in names}
            summary = finished(checkpoint.summary)
            summary_file = _write_summary(location, token, f"summary-{safe_id}.json", inp, files, summary)
            log.info(
                "calls_exported",
                list_id=inp.list_id,
                rows=checkpoint.rows,
                pages=checkpoint.pages,
                formats=list(names),
                resumed_at_offset=resumed_at,
            )
            return ExportResult(
                list_id=inp.list_id,
                files=files,
                summary_file=summary_file,
                rows=checkpoint.rows,
                pages=checkpoint.pages,
                resumed_at_offset=resumed_at,
                summary=summary,
            )

    async def _prepared(self, uri: str) -> ResultsLocation:
        try:
            location = results_location(uri)
            await asyncio.to_thread(location.prepare)
        except LocationUnusable as err:
            raise ApplicationError(
                f"Cannot export to {uri!r}: {err}", type=EXPORT_LOCATION_UNUSABLE, non_retryable=True
            ) from None
        return location

    async def _page_through(
        self, inp: ExportInput, staged: dict[ExportFormat, Path], checkpoint: ExportCheckpoint
    ) -> ExportCheckpoint:
        """Reads history pages from the checkpoint's offset, appending each page's rows to every file."""
        query = HistoryQuery(
            bulk_list_id=inp.list_id, start_date=inp.since, end_date=inp.until, limit=inp.page_size, offset=0
        )
        writers: dict[ExportFormat, RowWriter] = {}
        try:
            for fmt, path in staged.items():
                writers[fmt] = open_writer(fmt, path, checkpoint.sizes.get(fmt, 0))
            # Offset paging over a list that is still changing can repeat rows across a page boundary.
            previous_ids: set[str] = set()
            async with heartbeating(lambda: checkpoint.model_dump(mode="json")):
                while True:
                    page = await self._ringg.call_history(query.model_copy(update={"offset": checkpoint.offset}))
                    rows = [row_from_call(call) for call in page.calls if call.id not in previous_ids]
                    previous_ids = {call.id for call in page.calls}
                    for writer in writers.values():
                        writer.write_rows(rows)
                    sizes = {fmt: writer.flush() for fmt, writer in writers.items()}
                    add_rows(checkpoint.summary, rows)
                    checkpoint.offset += len(page.calls)
                    checkpoint.rows += len(rows)
                    checkpoint.pages += 1
                    checkpoint.sizes = {str(fmt): size for fmt, size in sizes.items()}
                    activity.heartbeat(checkpoint.model_dump(mode="json"))
                    count(EXPORT_ROWS, len(rows))
                    if last_page(page, checkpoint.offset, inp.page_size):
                        return checkpoint
        finally:
            for writer in writers.values():
                writer.close()


def _discard(paths: Iterable[Path]) -> None:
    """Removes staging files a retry will not resume (the export failed for good)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _write_summary(
    location: ResultsLocation,
    token: str,
    name: str,
    inp: ExportInput,
    files: dict[str, str],
    summary: ExportSummary,
) -> str:
    report = {
        "list_id": inp.list_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "window": {"since": inp.since.isoformat(), "until": inp.until.isoformat()},
        "files": files,
        **summary.model_dump(mode="json"),
    }
    staged = location.staging_path(name, token)
    staged.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return location.publish(staged, name)
