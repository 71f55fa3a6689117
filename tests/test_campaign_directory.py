"""The shared campaign listing: many status reads answered by one /campaign/all read started after each caller's
counts, a fresh one for a caller that came later, and None (the caller searches) for a campaign it does not hold."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activities.ringg.directory import CampaignDirectory
from ringg import RinggClient
from ringg.http import make_http_client

BASE = "https://ringg.test/ca/api/v0"


class Listing:
    """campaign/all over `campaigns` (newest first), slow enough for callers to pile up behind one read."""

    def __init__(self, campaigns: list[dict[str, Any]], delay_s: float = 0.05) -> None:
        self.campaigns = campaigns
        self.delay_s = delay_s
        self.reads: list[tuple[int, int]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/campaign/all") and "search" not in request.url.params
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        self.reads.append((limit, offset))
        await asyncio.sleep(self.delay_s)
        page = self.campaigns[offset : offset + limit]
        return httpx.Response(200, json={"campaigns": page, "pagination": {"total": len(self.campaigns)}})


def campaigns(n: int, status: str = "ongoing") -> list[dict[str, Any]]:
    return [{"id": f"list-{i}", "name": f"Campaign {i}", "campaign_status": status} for i in range(n)]


@pytest.fixture
async def directory_of() -> Any:
    clients: list[httpx.AsyncClient] = []

    def make(listing: Listing, **kwargs: Any) -> CampaignDirectory:
        http = make_http_client(BASE, SecretStr("k"), transport=httpx.MockTransport(listing))
        clients.append(http)
        return CampaignDirectory(RinggClient(http), **kwargs)

    yield make
    for http in clients:
        await http.aclose()


async def test_fifty_status_reads_share_one_listing(directory_of: Any) -> None:
    listing = Listing(campaigns(50))
    directory = directory_of(listing)
    asked_at = time.monotonic()

    answers = await asyncio.gather(*(directory.campaign(f"list-{i}", not_before=asked_at) for i in range(50)))

    assert [c.id for c, _ in answers if c is not None] == [f"list-{i}" for i in range(50)]
    assert listing.reads == [(100, 0)], "one page answered every campaign"
    assert sum(spent for _, spent in answers) == 1


async def test_a_caller_whose_counts_came_after_a_listing_started_gets_a_newer_one(directory_of: Any) -> None:
    listing = Listing(campaigns(3))
    directory = directory_of(listing)
    found, spent = await directory.campaign("list-1", not_before=time.monotonic())
    assert found is not None and spent == 1
    listing.campaigns[1]["campaign_status"] = "completed"

    again, _ = await directory.campaign("list-1", not_before=time.monotonic())

    assert again is not None and again.campaign_status == "completed", "never a status older than the counts"
    assert len(listing.reads) == 2


async def test_a_campaign_beyond_the_pages_read_is_left_to_the_caller(directory_of: Any) -> None:
    listing = Listing(campaigns(450), delay_s=0)
    directory = directory_of(listing, pages=3, page_size=100)

    found, spent = await directory.campaign("list-420", not_before=time.monotonic())

    assert found is None and spent == 3
    assert listing.reads == [(100, 0), (100, 100), (100, 200)], "reads stop at its pages"


async def test_a_short_page_ends_the_listing(directory_of: Any) -> None:
    listing = Listing(campaigns(120), delay_s=0)
    directory = directory_of(listing)

    found, _ = await directory.campaign("list-119", not_before=time.monotonic())

    assert found is not None and listing.reads == [(100, 0), (100, 100)]
