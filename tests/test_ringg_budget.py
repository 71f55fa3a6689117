"""The shared Ringg budget (ledger/budget.py) on SQLite and PostgreSQL: requests spaced 1/rate apart across
engines (as across worker processes), a 429 halves the rate and honours Retry-After, quiet intervals bring it back
to the ceiling; and the RinggClient asks the budget before every request and reports its 429s."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger import migrate
from ledger.budget import MAX_PAUSE_S, Bucket, RinggBudget, floor_of, workspace_key
from ledger.engine import create_engine
from ledger.tables import ringg_budget
from ringg import HistoryQuery, RinggBudgetBusy, RinggClient, RinggRateLimited, make_http_client
from runtime.settings import SettingsError, WorkerSettings

KEY = "sk-budget-test-key"
WORKSPACE = workspace_key(KEY)
DAY = datetime(2026, 12, 1, tzinfo=UTC)


@pytest_asyncio.fixture
async def engines(ledger_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Three engines on one migrated ledger: three worker processes' view of it."""
    await migrate.upgrade(ledger_url)
    made = [create_engine(ledger_url) for _ in range(3)]
    yield made
    for engine in made:
        await engine.dispose()


def max_in_window(times: list[float], width: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < width) for i, t in enumerate(times))


async def test_slots_from_several_engines_are_exactly_one_over_rate_apart(engines: list[AsyncEngine]) -> None:
    budgets = [RinggBudget(engine, WORKSPACE, ceiling=20) for engine in engines]

    async def reserve(budget: RinggBudget) -> list[float]:
        slots = [await budget.reserve(10.0) for _ in range(10)]
        assert all(slot.granted for slot in slots)
        return [slot.at + slot.wait_s for slot in slots]  # each slot's start on the budget's clock

    starts = sorted(t for many in await asyncio.gather(*(reserve(b) for b in budgets)) for t in many)
    assert len(starts) == 30
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [0.05] * 29
    async with engines[0].connect() as conn:
        (row,) = (await conn.execute(select(ringg_budget))).all()
    assert row.workspace == WORKSPACE and KEY not in str(tuple(row)) and row.rate == 20 and row.throttled == 0
    assert row.next_free_at == pytest.approx(starts[-1] + 0.05)


async def test_requests_from_several_engines_go_out_at_the_rate(engines: list[AsyncEngine]) -> None:
    budgets = [RinggBudget(engine, WORKSPACE, ceiling=20) for engine in engines]
    released: list[float] = []

    async def client(budget: RinggBudget) -> None:
        for _ in range(10):
            await budget.acquire("GET calling/history")
            released.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(client(b) for b in budgets for _ in range(2)))  # six callers, 60 requests
    assert len(released) == 60
    assert max(released) - started >= 59 / 20 - 0.05  # 1/rate apart: 60 requests take 2.95 s at least
    assert max_in_window(released) <= 20 + 3  # a loaded machine wakes some sleepers late: they bunch a little


async def test_a_429_halves_the_rate_once_a_second_and_pauses_for_retry_after(engines: list[AsyncEngine]) -> None:
    one, other, _ = (RinggBudget(engine, WORKSPACE, ceiling=10) for engine in engines)
    assert (await one.reserve(1.0)).rate == 10
    cut = await one.throttled(retry_after=2)
    assert cut.rate == 5 and cut.throttled == 1
    again = await other.throttled(retry_after=None)  # the same burst of 429s, seen by another process
    assert again.rate == 5 and again.throttled == 2
    state = await other.state()
    assert state.rate == 5 and state.throttled == 2 and 1 < state.paused_for_s <= 2
    assert state.last_429_ago_s is not None and state.last_429_ago_s < 1
    slot = await other.reserve(5.0)
    assert slot.granted and 1 < slot.wait_s <= 2  # nothing starts before Retry-After
    following = await one.reserve(5.0)
    assert following.granted and following.at + following.wait_s - (slot.at + slot.wait_s) == pytest.approx(1 / 5)


async def test_a_busy_budget_reserves_nothing_and_says_how_long(engines: list[AsyncEngine]) -> None:
    budget = RinggBudget(engines[0], WORKSPACE, ceiling=10, max_wait_s=0.5)
    await budget.throttled(retry_after=3)
    busy = await budget.reserve(0.5)
    assert not busy.granted and 2.5 < busy.wait_s <= 3
    again = await budget.reserve(0.5)
    assert again.at + again.wait_s == pytest.approx(busy.at + busy.wait_s)  # the same next slot: nothing was taken
    with pytest.raises(RinggBudgetBusy) as caught:
        await budget.acquire("GET campaign/all")
    assert 2.5 < caught.value.wait_s <= 3 and caught.value.endpoint == "GET campaign/all"


async def test_quiet_intervals_bring_the_rate_back_to_the_ceiling(engines: list[AsyncEngine]) -> None:
    budget = RinggBudget(engines[0], WORKSPACE, ceiling=10, quiet_s=0.3)
    await budget.throttled(retry_after=None)
    assert (await budget.state()).rate == 5
    assert (await budget.reserve(1.0)).rate == 5  # not one quiet interval yet
    await asyncio.sleep(0.35)
    raised = (await budget.reserve(1.0)).rate
    assert 6 <= raised < 10  # a tenth of the ceiling per quiet interval (the exact steps: test_the_bucket_arithmetic)
    await asyncio.sleep(1.6)
    assert (await budget.reserve(1.0)).rate == 10  # never above the ceiling


def test_the_bucket_arithmetic() -> None:
    b = Bucket.fresh(10, now=100.0)
    assert b.start_for(100.0) == 100.0 and b.reserved(100.0).next_free_at == pytest.approx(100.1)
    for i in range(10):  # a 429 every second: halved each time, never below the floor
        b = b.after_429(100.0 + i, None)
    assert b.rate == floor_of(10) == 0.5 and b.throttled == 10
    assert b.after_429(200.0, 10**9).paused_until == 200.0 + MAX_PAUSE_S
    assert b.settled(109.0 + 4.9, 10, 5.0).rate == 0.5  # not yet one quiet interval
    assert b.settled(109.0 + 5.0, 10, 5.0).rate == 1.5
    assert b.settled(109.0 + 60, 10, 5.0).rate == 10
    assert b.settled(109.0 + 60, 4, 5.0).rate == 4  # a lowered ceiling caps the rate at once
    assert floor_of(100) == 5 and floor_of(0.2) == 0.2


async def test_the_client_asks_the_budget_before_every_request_and_reports_429s(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite3'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    budget = RinggBudget(engine, WORKSPACE, ceiling=10)
    seen: list[float] = []
    replies = [
        httpx.Response(200, json={"data": [], "total": 0}),
        httpx.Response(200, json={"data": [], "total": 0}),
        httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "1"}),
        httpx.Response(200, json={"data": [], "total": 0}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return replies.pop(0)

    transport = httpx.MockTransport(handler)
    try:
        async with make_http_client("https://ringg.test/ca/api/v0", SecretStr(KEY), transport=transport) as http:
            client = RinggClient(http, pacer=budget)
            query = HistoryQuery(bulk_list_id="L1", start_date=DAY, end_date=DAY + timedelta(days=1), limit=1)
            await client.call_history(query)
            await client.call_history(query)
            with pytest.raises(RinggRateLimited):
                await client.call_history(query)
            state = await budget.state()
            assert state.rate == 5 and state.throttled == 1  # the 429 reached the budget
            await client.call_history(query)
    finally:
        await engine.dispose()
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert gaps[0] + gaps[1] >= 0.2 - 0.01  # 1/rate apart (the first went at once)
    assert gaps[2] >= 1.0 - 0.05  # the Retry-After held the next request back


async def test_a_request_reserved_before_a_429_queues_again_behind_the_pause(engines: list[AsyncEngine]) -> None:
    budget = RinggBudget(engines[0], WORKSPACE, ceiling=10)
    for _ in range(5):
        assert (await budget.reserve(1.0)).granted  # five slots ahead: the next request waits about 0.5 s
    started = time.monotonic()
    waiting = asyncio.create_task(budget.acquire("GET calling/history"))
    await asyncio.sleep(0.1)
    await RinggBudget(engines[1], WORKSPACE, ceiling=10).throttled(retry_after=1.0)  # another process saw a 429
    await waiting
    assert time.monotonic() - started >= 1.05  # not at its old slot (0.5 s): after the Retry-After pause


def test_worker_settings_read_the_budget() -> None:
    base = {"RINGG_API_KEY": "sk-live-abc"}
    defaults = WorkerSettings.from_env(base)
    assert (defaults.ringg_budget_rps, defaults.ringg_budget_quiet_s) == (10, 5)
    assert WorkerSettings.from_env({**base, "CAMPAIGN_RINGG_BUDGET_RPS": "0"}).ringg_budget_rps == 0
    assert WorkerSettings.from_env({**base, "CAMPAIGN_RINGG_BUDGET_RPS": " 2.5 "}).ringg_budget_rps == 2.5
    for bad in ("fast", "-1", "nan", "inf"):
        with pytest.raises(SettingsError, match=r"CAMPAIGN_RINGG_BUDGET_RPS=.* must be a number of 0 or more"):
            WorkerSettings.from_env({**base, "CAMPAIGN_RINGG_BUDGET_RPS": bad})
    with pytest.raises(SettingsError, match=r"CAMPAIGN_RINGG_BUDGET_QUIET_S=0: it must be above 0"):
        WorkerSettings.from_env({**base, "CAMPAIGN_RINGG_BUDGET_QUIET_S": "0"})
