"""suppress_numbers: the numbers of an opt-out file (the campaign's `stop_numbers` update) added to the ledger's
suppression list, so no later campaign uploads them."""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.numbers import read_numbers
from activities.contacts.source import CsvUnreadable, contacts_failure, open_csv
from activities.ledger.guard import ledger_guard
from activities.log_context import activity_log_context
from contract.errors import INVALID_REQUEST
from contract.ledger import SuppressNumbersInput, SuppressNumbersResult
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import CsvSources, SourceRefused, shown
from ledger.records import SuppressionEntry
from ledger.store import Ledger

log = structlog.get_logger()


class SuppressActivities:
    def __init__(self, ledger: Ledger, sources: CsvSources) -> None:
        self._ledger = ledger
        self._sources = sources

    @activity.defn
    async def suppress_numbers(self, inp: SuppressNumbersInput) -> SuppressNumbersResult:
        with activity_log_context():
            not_listed = "The opt-outs were not added to the suppression list"
            try:
                async with open_csv(inp.numbers_uri, self._sources, what="numbers_uri") as path:
                    numbers = await asyncio.to_thread(read_numbers, path, inp.country_code, self._sources.limits)
            except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
                raise contacts_failure(err, not_listed, inp.numbers_uri) from None
            except (UnicodeDecodeError, ValueError) as err:
                raise ApplicationError(
                    f"{not_listed}: the number list {shown(inp.numbers_uri)!r} is not UTF-8 CSV text "
                    f"({type(err).__name__}).",
                    type=INVALID_REQUEST,
                    non_retryable=True,
                ) from None
            async with ledger_guard(self._ledger):
                added = await self._ledger.add_suppressions(
                    [SuppressionEntry(n, inp.reason, inp.source) for n in numbers]
                )
            log.info("opt_outs_suppressed", numbers=len(numbers), added=added)
            return SuppressNumbersResult(numbers=len(numbers), added=added)
