"""Chunk activities, for a campaign on the standard flow in chunks: save and launch one chunk (each POST reconciled
under the chunk's tag first), poll the chunks' lists together, terminate them all."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.rows import write_clean_csv
from activities.contacts.source import file_sha256
from activities.heartbeat import guarded_attempt, heartbeating
from activities.ledger.screened_report import exclusions_of
from activities.log_context import activity_log_context
from activities.metrics import CAMPAIGN_UPLOADS, CAMPAIGNS_LAUNCHED, count
from activities.ringg.budget import with_budget_view
from activities.ringg.errors import map_ringg_error
from activities.ringg.launch import LaunchActivities
from activities.ringg.monitoring import count_calls, is_finished
from activities.ringg.upload import Prepare, UploadActivities
from contract.chunk_steps import (
    ChunkInput,
    ChunkResult,
    ChunkSnapshot,
    ChunkSnapshotInput,
    ListSnapshot,
    TerminateChunksInput,
    TerminateChunksResult,
)
from contract.chunks import ChunkList
from contract.errors import CSV_CHANGED
from contract.ringg_steps import LaunchResult, UploadInput
from contract.statuses import FINAL_CAMPAIGN_STATUSES, LAUNCHED_STATUSES, PENDING_STATUSES
from domain.csv_limits import CsvLimits
from domain.phones import PhoneNormalizer
from ringg import RinggError, TerminateRequest

log = structlog.get_logger()

# Lists counted at once by a chunk snapshot (each count runs its own few requests in parallel).
PARALLEL_LISTS = 3


def _chunk_file(chunk: ChunkInput) -> Prepare:
    """The chunk's file, built from the validated original like the whole-file upload: the sha256 checked again,
    then the same row checks and E.164 numbers (invalid and duplicate rows dropped), keeping only the chunk's
    valid rows; None when the CSV changed since pre-flight."""

    @contextlib.asynccontextmanager
    async def build(inp: UploadInput, path: Path, limits: CsvLimits) -> AsyncIterator[Path | None]:
        if await asyncio.to_thread(file_sha256, path) != inp.content_hash:
            yield None
            return
        with tempfile.TemporaryDirectory(prefix="campaign-chunk-") as tmp:
            dest = Path(tmp) / f"{path.stem}-part-{chunk.number:03d}.csv"
            phones = PhoneNormalizer(inp.country_code, inp.number_types)
            stop = chunk.skip_rows + chunk.rows
            skip = await asyncio.to_thread(exclusions_of, inp.exclusions_path)
            write = functools.partial(write_clean_csv, start=chunk.skip_rows, stop=stop, skip=skip)
            rows = await asyncio.to_thread(write, path, dest, inp.variables_map, phones, limits)
            if rows != chunk.rows:
                raise ApplicationError(
                    f"Chunk {chunk.number}/{chunk.total} of the CSV at {inp.csv_uri!r} gave {rows} valid rows on "
                    f"this worker but {chunk.rows} in pre-flight; the chunk was not saved. This is a bug: report it "
                    "with the campaign's workflow ID.",
                    type=CSV_CHANGED,
                    non_retryable=True,
                )
            yield dest

    return build


class ChunkActivities(UploadActivities, LaunchActivities):
    """launch_chunk, snapshot_chunks, terminate_chunks."""

    @activity.defn
    async def launch_chunk(self, inp: ChunkInput) -> ChunkResult:
        """Saves the chunk (POST campaign/save) and launches it (v2/start or start). Ringg is asked first under the
        chunk's tag: a chunk already saved is reused, one already launched is not launched again, and after an
        attempt that died the POST it may have left in flight is waited for (as upload_contacts and
        launch_campaign do)."""
        with activity_log_context():
            async with guarded_attempt() as guard:
                upload = await self._upload(inp.upload, guard, _chunk_file(inp))
                if not upload.reused_existing:
                    guard.settled = True  # this attempt saved it: no launch of the chunk can be in flight
                if upload.reused_existing and upload.ringg_status in LAUNCHED_STATUSES:
                    launched = LaunchResult(ringg_status=upload.ringg_status, already_launched=True)
                else:
                    tag = inp.upload.idempotency_tag
                    probe = functools.partial(self._launched, upload.list_id, tag)
                    launch = inp.launch.model_copy(update={"list_id": upload.list_id, "idempotency_tag": tag})
                    launched = await self._launch(launch, probe, guard)
            uploaded = "reused" if upload.reused_existing else "uploaded"
            count(CAMPAIGN_UPLOADS, attributes={"flow": "standard", "outcome": uploaded})
            outcome = "already_launched" if launched.already_launched else "launched"
            count(CAMPAIGNS_LAUNCHED, attributes={"flow": "standard", "outcome": outcome})
            log.info("chunk_launched", chunk=inp.number, chunks=inp.total, list_id=upload.list_id, outcome=outcome)
            return ChunkResult(
                list_id=upload.list_id,
                reused_existing=upload.reused_existing,
                already_launched=launched.already_launched,
                ringg_status=launched.ringg_status,
                contacts=upload.contacts,
                invalid_rows=upload.invalid_rows,
            )

    @activity.defn
    @with_budget_view
    async def snapshot_chunks(self, inp: ChunkSnapshotInput) -> ChunkSnapshot:
        """Call counts by status of each list (as snapshot_campaign counts one), then, when asked or when no call is
        pending, the lists' Ringg statuses from one search for the chunks' tag."""
        with activity_log_context():
            gate = asyncio.Semaphore(PARALLEL_LISTS)

            async def one(ref: ChunkList) -> tuple[dict[str, int], int]:
                async with gate:
                    return await count_calls(self._ringg, ref.list_id, inp.since, expected_calls=ref.contacts)

            statuses: dict[str, str | None] = {}
            try:
                async with heartbeating():
                    counted = await asyncio.gather(*(one(ref) for ref in inp.lists))
                    requests = sum(n for _, n in counted)
                    pending = any(counts.get(s, 0) for counts, _ in counted for s in PENDING_STATUSES)
                    if inp.campaign_status or not pending:
                        found = await self._ringg.find_campaigns(inp.family_tag)
                        statuses = {c.id: c.campaign_status for c in found}
                        requests += 1
            except RinggError as err:
                raise map_ringg_error(err, doing="reading the chunks' progress") from None
            lists = [
                ListSnapshot(
                    list_id=ref.list_id,
                    ringg_status=statuses.get(ref.list_id),
                    calls_by_status=counts,
                    finished=is_finished(statuses.get(ref.list_id), counts, ref.contacts),
                )
                for ref, (counts, _) in zip(inp.lists, counted, strict=True)
            ]
            return ChunkSnapshot(lists=lists, requests=requests)

    @activity.defn
    async def terminate_chunks(self, inp: TerminateChunksInput) -> TerminateChunksResult:
        """On cancel: terminates the lists the workflow knows and every chunk list Ringg shows as still launched
        (found by the chunks' tag: also one whose chunk activity was cancelled after its launch was sent)."""
        with activity_log_context():
            try:
                found = await self._ringg.find_campaigns(inp.family_tag)
                running = [
                    c.id
                    for c in found
                    if c.campaign_status in LAUNCHED_STATUSES and c.campaign_status not in FINAL_CAMPAIGN_STATUSES
                ]
                targets = list(dict.fromkeys([*inp.list_ids, *running]))
                for done, list_id in enumerate(targets):
                    await self._ringg.terminate(TerminateRequest(campaign_id=list_id))
                    activity.heartbeat(done)
            except RinggError as err:
                raise map_ringg_error(err, doing="terminating the campaign's chunks") from None
            log.info("chunks_terminated", lists=len(targets))
            return TerminateChunksResult(terminated=targets)
