"""Reading Ringg's own state to reconcile non-idempotent POSTs (DESIGN.md principle 2): the idempotency
tag in campaign names, launched statuses, and the confirm window after a POST whose outcome is unknown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import structlog

from activities.contacts.source import env_sources
from activities.reports import DEFAULT_REPORT_DIR
from activities.ringg.directory import CampaignDirectory
from contract.ringg_steps import UploadResult
from contract.statuses import LAUNCHED_STATUSES
from domain.csv_sources import CsvSources
from ringg import (
    Campaign,
    RinggClient,
    RinggError,
    RinggServerError,
    RinggTransportError,
)

log = structlog.get_logger()


# After a POST whose outcome is unknown (no response, or a gateway timeout), Ringg may still be processing
# it: watch Ringg's state this long before concluding it did not happen, so a retry cannot overtake it.
CONFIRM_WITHIN_S = 45.0
CONFIRM_EVERY_S = 3.0

T = TypeVar("T")


def outcome_unknown(err: RinggError) -> bool:
    if isinstance(err, RinggTransportError):
        return err.maybe_committed
    return isinstance(err, RinggServerError) and err.status_code in (502, 504)


def reused_upload(found: Campaign) -> UploadResult:
    return UploadResult(
        list_id=found.id,
        reused_existing=True,
        ringg_status=found.campaign_status,
        contacts=found.total_contacts,
        invalid_rows=found.invalidated_rows_count or 0,
        invalid_rows_url=found.invalidated_rows_csv_url,
    )


class RinggBase:
    """One shared RinggClient, and the reads that reconcile a POST with Ringg's own state."""

    def __init__(
        self,
        client: RinggClient,
        *,
        confirm_within_s: float = CONFIRM_WITHIN_S,
        confirm_every_s: float = CONFIRM_EVERY_S,
        report_dir: Path = DEFAULT_REPORT_DIR,
        sources: CsvSources | None = None,
    ) -> None:
        self._ringg = client
        self._directory = CampaignDirectory(client)
        self._report_dir = report_dir
        self._sources = sources or env_sources()  # where csv_uri and numbers_uri may be read from
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

    async def _campaign_status(self, list_id: str, tag: str, *, not_before: float) -> tuple[Campaign | None, int]:
        """The campaign as Ringg lists it no earlier than `not_before` (time.monotonic()), from the listing this
        worker's campaigns share, else from a search for its tag; with the requests this caller made."""
        found, spent = await self._directory.campaign(list_id, not_before=not_before)
        if found is not None:
            return found, spent
        return await self._campaign(list_id, tag), spent + 1
