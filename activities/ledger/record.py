"""record_calls: a campaign's calls from Ringg's `calling/history` into the ledger, page by page, each page one
idempotent write (a call seen again is updated, never added), with the page offset heartbeated so a retry after
a crash resumes there. Adds the numbers whose outcome the request names to the suppression list. set_ledger_status
records a campaign's launch and end."""

from __future__ import annotations

from datetime import datetime

import structlog
from pydantic import BaseModel, ValidationError
from temporalio import activity

from activities.export.calls import last_page
from activities.export.rows import attempts_of
from activities.heartbeat import heartbeating
from activities.ledger.guard import ledger_guard
from activities.log_context import activity_log_context
from activities.ringg.errors import map_ringg_error
from contract.ledger import LedgerStatus, RecordCallsInput, RecordCallsResult
from contract.number_types import NUMBER_TYPES
from domain.contact_outcome import last_outcome
from domain.ledger_rules import normalised_words, suppression_reason
from domain.phones import PhoneNormalizer
from ledger.records import CallEntry, SuppressionEntry, utc
from ledger.store import Ledger
from ringg import CallRecord, HistoryQuery, RinggClient, RinggError

log = structlog.get_logger()


class RecordCheckpoint(BaseModel):
    """Heartbeat details: where recording stands (indexes and counts only)."""

    list_index: int = 0
    offset: int = 0
    calls: int = 0
    new_calls: int = 0
    suppressed_added: int = 0


def _attempted_at(call: CallRecord) -> datetime | None:
    text = (call.call_attempt_time or "").strip()
    if not text:
        return None
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


class RecordActivities:
    def __init__(self, ledger: Ledger, ringg: RinggClient) -> None:
        self._ledger = ledger
        self._ringg = ringg

    @activity.defn
    async def set_ledger_status(self, inp: LedgerStatus) -> None:
        with activity_log_context():
            async with ledger_guard(self._ledger):
                await self._ledger.update_campaign(inp.idempotency_key, status=inp.status, list_ids=inp.list_ids)

    @activity.defn
    async def record_calls(self, inp: RecordCallsInput) -> RecordCallsResult:
        with activity_log_context():
            async with ledger_guard(self._ledger):
                return await self._record(inp)

    async def _record(self, inp: RecordCallsInput) -> RecordCallsResult:
        checkpoint = _resume_point()
        resumed_at = checkpoint.offset
        words = normalised_words(inp.suppress_on)
        try:
            async with heartbeating(lambda: checkpoint.model_dump()):
                while checkpoint.list_index < len(inp.list_ids):
                    await self._record_list(inp, inp.list_ids[checkpoint.list_index], checkpoint, words)
                    checkpoint.list_index += 1
                    checkpoint.offset = 0
        except RinggError as err:
            raise map_ringg_error(err, doing="reading the call history for the ledger") from None
        key = inp.idempotency_key
        by_status = await self._ledger.calls_by_status(key)
        await self._ledger.update_campaign(
            key, status=inp.final_status, list_ids=inp.list_ids, calls_by_status=by_status
        )
        log.info(
            "calls_recorded",
            calls=checkpoint.calls,
            new_calls=checkpoint.new_calls,
            suppressed_added=checkpoint.suppressed_added,
            resumed_at_offset=resumed_at,
        )
        return RecordCallsResult(
            calls=checkpoint.calls,
            new_calls=checkpoint.new_calls,
            calls_by_status=by_status,
            suppressed_added=checkpoint.suppressed_added,
            resumed_at_offset=resumed_at,
        )

    async def _record_list(
        self, inp: RecordCallsInput, list_id: str, checkpoint: RecordCheckpoint, words: frozenset[str]
    ) -> None:
        query = HistoryQuery(
            bulk_list_id=list_id, start_date=inp.since, end_date=inp.until, limit=inp.page_size, offset=0
        )
        phones = PhoneNormalizer(inp.country_code, NUMBER_TYPES)  # Ringg's numbers, any kind
        source = f"campaign {inp.campaign_name[:120]} ({inp.idempotency_key})"
        while True:
            page = await self._ringg.call_history(query.model_copy(update={"offset": checkpoint.offset}))
            entries, suppress = [], []
            for call in page.calls:
                entry = self._entry(call, list_id, phones)
                entries.append(entry)
                if words and entry.number:
                    reason = suppression_reason(
                        words, call.status or "", call.sub_status or "", attempted=entry.attempted_at is not None
                    )
                    if reason:
                        suppress.append(SuppressionEntry(entry.number, f"call outcome {reason}", source))
            checkpoint.new_calls += await self._ledger.record_calls(inp.idempotency_key, entries)
            if suppress:
                checkpoint.suppressed_added += await self._ledger.add_suppressions(suppress)
            checkpoint.calls += len(entries)
            checkpoint.offset += len(page.calls)
            activity.heartbeat(checkpoint.model_dump())
            if last_page(page, checkpoint.offset, inp.page_size):
                return

    @staticmethod
    def _entry(call: CallRecord, list_id: str, phones: PhoneNormalizer) -> CallEntry:
        number, problem = phones.normalize(call.to_number or "")
        at = _attempted_at(call)
        return CallEntry(
            call_id=call.id,
            number=number if problem is None else (call.to_number or "")[:20],
            list_id=call.bulk_list_id or list_id,
            status=call.status,
            sub_status=call.sub_status,
            attempts=attempts_of(call),
            duration_s=call.call_duration,
            cost=call.call_cost,
            attempted_at=at,
            outcome=last_outcome(call.status or "", call.sub_status or "", attempted=at is not None),
        )


def _resume_point() -> RecordCheckpoint:
    details = activity.info().heartbeat_details
    if details:
        try:
            return RecordCheckpoint.model_validate(details[-1])
        except ValidationError:
            pass
    return RecordCheckpoint()
