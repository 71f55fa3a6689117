"""The workspace's newest campaigns from one `/campaign/all` read, shared by every campaign this worker polls: a
status read joins the next listing instead of searching for its own campaign (one request answers for many)."""

from __future__ import annotations

import asyncio
import time

from ringg import Campaign, RinggClient

# How much of the workspace one listing reads: its newest campaigns, in pages of Ringg's largest documented limit.
LISTING_PAGE = 100
LISTING_PAGES = 3


class CampaignDirectory:
    """Statuses of the workspace's newest campaigns, read together. A caller passes the instant its own counts
    were read: it is answered from a listing that started at or after it (so a status is never older than the
    counts it comes with), joining a listing already under way or starting the next one. A campaign the listing
    does not hold (older than its newest LISTING_PAGES pages of LISTING_PAGE) gets None: the caller searches for it."""

    def __init__(self, client: RinggClient, *, pages: int = LISTING_PAGES, page_size: int = LISTING_PAGE) -> None:
        self._client = client
        self._pages, self._page_size = pages, page_size
        self._lock = asyncio.Lock()
        self._started_at = float("-inf")  # time.monotonic() when the current listing's first request was sent
        self._campaigns: dict[str, Campaign] = {}
        self.listings = 0
        self.requests = 0

    async def campaign(self, list_id: str, *, not_before: float) -> tuple[Campaign | None, int]:
        """(the campaign as a listing started at or after `not_before` shows it, or None; requests this caller
        caused: 0 when it joined a listing another caller started)."""
        async with self._lock:
            spent = 0
            if self._started_at < not_before:
                spent = await self._refresh()
            return self._campaigns.get(list_id), spent

    async def _refresh(self) -> int:
        started = time.monotonic()
        found: dict[str, Campaign] = {}
        requests = 0
        for page in range(self._pages):
            listing = await self._client.list_campaigns(limit=self._page_size, offset=page * self._page_size)
            requests += 1
            found.update((c.id, c) for c in listing.campaigns)
            if len(listing.campaigns) < self._page_size or (listing.total is not None and listing.total <= len(found)):
                break
        self._campaigns, self._started_at = found, started
        self.listings += 1
        self.requests += requests
        return requests
