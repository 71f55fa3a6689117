"""screen_contacts: pre-flight's ledger check. Records the campaign and each valid, unique contact in the ledger,
and removes from the upload the numbers on the suppression list or at the request's frequency cap (into the
contacts report, with the reason), before anything is sent to Ringg."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.rows import CsvProblem, Layout
from activities.contacts.source import CsvUnreadable, contacts_failure, file_sha256, open_csv
from activities.heartbeat import heartbeating
from activities.ledger.contacts_file import FileContact, contact_batches
from activities.ledger.guard import ledger_guard
from activities.ledger.screened_report import CAPPED, SUPPRESSED, ScreenedRows
from activities.log_context import activity_log_context
from activities.reports import contacts_report_path, private_folder
from contract.errors import CSV_CHANGED, INVALID_CSV
from contract.ledger import ScreenInput, ScreenResult
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import CsvSources, SourceRefused, shown
from domain.ledger_rules import wave_of
from domain.phones import PhoneNormalizer
from ledger.records import CampaignEntry, ContactEntry, FrequencyCap, Screened
from ledger.store import Ledger

log = structlog.get_logger()


class ScreenActivities:
    def __init__(self, ledger: Ledger, report_dir: Path, sources: CsvSources) -> None:
        self._ledger = ledger
        self._report_dir = report_dir
        self._sources = sources

    @activity.defn
    async def screen_contacts(self, inp: ScreenInput) -> ScreenResult:
        with activity_log_context():
            async with ledger_guard(self._ledger):
                return await self._screen_campaign(inp)

    async def _screen_campaign(self, inp: ScreenInput) -> ScreenResult:
        not_started = f"Campaign {inp.campaign_name!r} was not started"
        key = inp.idempotency_key
        await self._ledger.open_campaign(
            CampaignEntry(
                key=key,
                name=inp.campaign_name,
                workflow_id=activity.info().workflow_id,
                campaign_start_time=inp.campaign_start_time,
                campaign_end_time=inp.campaign_end_time,
            )
        )
        try:
            async with open_csv(inp.csv_uri, self._sources) as path:
                if await asyncio.to_thread(file_sha256, path) != inp.content_hash:
                    raise ApplicationError(
                        f"{not_started}: the CSV at {shown(inp.csv_uri)!r} changed after pre-flight checked it. "
                        "Start the campaign again to check the new file.",
                        type=CSV_CHANGED,
                        non_retryable=True,
                    )
                result = await self._screen(inp, path)
        except CsvProblem as err:
            raise ApplicationError(
                f"{not_started}: the CSV at {shown(inp.csv_uri)!r} cannot be used: {err}",
                type=INVALID_CSV,
                non_retryable=True,
            ) from None
        except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
            raise contacts_failure(err, not_started, inp.csv_uri) from None
        log.info("contacts_screened", contacts=result.contacts, suppressed=result.suppressed, capped=result.capped)
        return result

    async def _screen(self, inp: ScreenInput, path: Path) -> ScreenResult:
        key = inp.idempotency_key
        cap = FrequencyCap(inp.frequency_cap.calls, inp.frequency_cap.days) if inp.frequency_cap else None
        folder = await asyncio.to_thread(private_folder, self._report_dir / key)
        screened = ScreenedRows(folder)
        batches: Iterator[tuple[Layout, list[FileContact]]] = contact_batches(
            path,
            inp.variables_map,
            PhoneNormalizer(inp.country_code, inp.number_types),
            self._sources.limits,
            inp.external_id_column,
            inp.passthrough_columns,
        )
        wave = wave_of(key)
        contacts = suppressed = capped = 0
        layout: Layout | None = None
        async with heartbeating(lambda: contacts):
            try:
                while (item := await asyncio.to_thread(next, batches, None)) is not None:
                    layout, batch = item
                    verdict = await self._ledger.screen(key, [c.number for c in batch], cap)
                    entries = [self._entry(c, verdict, screened, layout, cap, wave) for c in batch]
                    await self._ledger.add_contacts(key, entries)
                    contacts += len(entries)
                    suppressed += sum(e.outcome == "suppressed" for e in entries)
                    capped += sum(e.outcome == "capped" for e in entries)
            except BaseException:
                screened.discard()
                raise
            assert layout is not None
            report, exclusions = await asyncio.to_thread(
                screened.finish, contacts_report_path(self._report_dir, key), layout.header
            )
        await self._ledger.update_campaign(
            key, counts={"contacts": contacts, "suppressed": suppressed, "capped": capped}
        )
        return ScreenResult(
            contacts=contacts,
            suppressed=suppressed,
            capped=capped,
            exclusions_path=str(exclusions) if exclusions else None,
            report_path=str(report) if report else None,
        )

    @staticmethod
    def _entry(
        c: FileContact,
        verdict: Screened,
        screened: ScreenedRows,
        layout: Layout,
        cap: FrequencyCap | None,
        wave: str | None,
    ) -> ContactEntry:
        outcome = "pending"
        if (reason := verdict.suppressed.get(c.number)) is not None:
            outcome = "suppressed"
            problem = f"{SUPPRESSED}: {reason} (the suppression list; remove it with `starter.py suppress remove`)"
        elif (calls := verdict.capped.get(c.number)) is not None and cap is not None:
            outcome = "capped"
            problem = (
                f"{CAPPED}: {calls} calls in the last {cap.days:g} days across campaigns reach the request's "
                f"frequency_cap of {cap.calls}"
            )
        if outcome != "pending":
            mobile = layout.mobile_index
            written = c.cells[mobile] if mobile < len(c.cells) else ""
            screened.add(c.row, problem, written, c.cells, c.number)
        return ContactEntry(
            number=c.number, row=c.row, external_id=c.external_id, fields=c.fields, outcome=outcome, wave=wave
        )
