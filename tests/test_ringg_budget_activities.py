"""The worker's side of the Ringg budget (activities/ringg/budget.py) over a real SQLite ledger and a fake Ringg:
a snapshot reports the budget, a 429 cuts it, a busy budget fails the attempt as retryable without sending
anything, waits stay inside the activity's timeouts, and an unreachable ledger leaves requests unpaced."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment

from activities.ringg.activities import RinggActivities
from activities.ringg.budget import ActivityBudget, max_wait_s
from activities.ringg.errors import map_ringg_error
from contract.chunk_steps import ChunkSnapshotInput
from contract.chunks import ChunkList
from contract.errors import RINGG_BUDGET_BUSY, RINGG_RATE_LIMITED
from contract.ringg_steps import SnapshotInput
from ledger import migrate
from ledger.budget import RinggBudget, workspace_key
from ledger.engine import create_engine
from ringg import RinggBudgetBusy, RinggClient, make_http_client
from tests.ringg_activity_helpers import BASE, KEY, LIST_ID, TAG, TAGGED_NAME, FakeRingg, run
from tests.ringg_activity_helpers import ringg as ringg  # fixture: pytest finds it by this name

SINCE = datetime.now(UTC) - timedelta(hours=1)
SNAPSHOT = SnapshotInput(list_id=LIST_ID, idempotency_tag=TAG, since=SINCE)
# The workflow's snapshot timeouts (workflows/options.py): its requests may wait up to 7.5 s for a slot.
POLL = {"start_to_close_timeout": timedelta(minutes=2), "heartbeat_timeout": timedelta(seconds=15)}


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite3'}"
    await migrate.upgrade(url)
    made = create_engine(url)
    yield made
    await made.dispose()


@pytest_asyncio.fixture
async def paced(ringg: FakeRingg, engine: AsyncEngine) -> AsyncIterator[tuple[RinggActivities, RinggBudget]]:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    ringg.calls_by_status = {"completed": 4, "ongoing": 1}
    budget = RinggBudget(engine, workspace_key(KEY), ceiling=20)
    async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
        yield RinggActivities(RinggClient(http, pacer=ActivityBudget(budget))), budget


def env_with(start_to_close_timeout: timedelta, heartbeat_timeout: timedelta | None = None) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, start_to_close_timeout=start_to_close_timeout, heartbeat_timeout=heartbeat_timeout
    )
    return env


async def test_a_snapshot_reports_the_budget_and_a_429_cuts_it(
    ringg: FakeRingg, paced: tuple[RinggActivities, RinggBudget]
) -> None:
    acts, budget = paced
    snap = await run(acts.snapshot_campaign, SNAPSHOT, env_with(**POLL))
    assert snap.budget is not None and (snap.budget.rate, snap.budget.ceiling) == (20, 20)
    assert not snap.budget.throttled
    assert 0 < snap.budget.waited_s < snap.requests / 20 + 1  # its requests waited for slots 1/20 s apart

    ringg.fail("GET calling/history", httpx.Response(429, json={"detail": "slow"}, headers={"Retry-After": "0.2"}))
    with pytest.raises(ApplicationError) as refused:
        await run(acts.snapshot_campaign, SNAPSHOT, env_with(**POLL))
    assert refused.value.type == RINGG_RATE_LIMITED and not refused.value.non_retryable
    after = await run(acts.snapshot_campaign, SNAPSHOT, env_with(**POLL))
    assert after.budget is not None and after.budget.rate == 10 and after.budget.throttled
    assert (await budget.state()).throttled == 1


async def test_the_chunks_snapshot_reports_the_budget_too(paced: tuple[RinggActivities, RinggBudget]) -> None:
    acts, _ = paced
    chunks = ChunkSnapshotInput(lists=[ChunkList(number=1, list_id=LIST_ID, contacts=5)], family_tag=TAG, since=SINCE)
    snap = await run(acts.snapshot_chunks, chunks, env_with(**POLL))
    assert snap.requests >= 1 and [one.list_id for one in snap.lists] == [LIST_ID]
    assert snap.budget is not None and (snap.budget.rate, snap.budget.ceiling) == (20, 20)
    assert 0 <= snap.budget.waited_s < snap.requests / 20 + 1


async def test_a_busy_budget_fails_the_attempt_as_retryable_and_sends_nothing(
    ringg: FakeRingg, paced: tuple[RinggActivities, RinggBudget]
) -> None:
    acts, budget = paced
    await budget.throttled(retry_after=120)  # Ringg asked for two minutes of quiet
    sent = len(ringg.requests)
    env = env_with(start_to_close_timeout=timedelta(seconds=45))
    with pytest.raises(ApplicationError) as busy:
        await run(acts.snapshot_campaign, SNAPSHOT, env)
    assert busy.value.type == RINGG_BUDGET_BUSY and not busy.value.non_retryable
    assert busy.value.category == ApplicationErrorCategory.BENIGN
    assert busy.value.next_retry_delay is not None and busy.value.next_retry_delay > timedelta(seconds=100)
    assert "CAMPAIGN_RINGG_BUDGET_RPS" in str(busy.value)
    assert len(ringg.requests) == sent


async def test_waits_stay_inside_the_activity_timeouts() -> None:
    assert max_wait_s() == 20  # outside an activity: the budget's own bound

    async def bound() -> float:
        return max_wait_s()

    assert await env_with(start_to_close_timeout=timedelta(seconds=45)).run(bound) == 11.25
    snapshot = env_with(start_to_close_timeout=timedelta(minutes=2), heartbeat_timeout=timedelta(seconds=15))
    assert await snapshot.run(bound) == 7.5
    assert await env_with(start_to_close_timeout=timedelta(hours=3)).run(bound) == 20


def test_a_busy_budget_maps_to_a_retry_after_the_wait() -> None:
    err = map_ringg_error(RinggBudgetBusy("GET calling/history", 4.4), doing="reading campaign progress")
    assert err.type == RINGG_BUDGET_BUSY and not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=4.4)
    assert "GET calling/history not sent while reading campaign progress; retrying in 4s" in str(err)


async def test_an_unreachable_ledger_leaves_requests_unpaced(ringg: FakeRingg, tmp_path: Path) -> None:
    ringg.add_campaign(LIST_ID, TAGGED_NAME, "ongoing")
    unmigrated = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")  # no budget table
    try:
        pacer = ActivityBudget(RinggBudget(unmigrated, workspace_key(KEY)))
        async with make_http_client(BASE, SecretStr(KEY), transport=httpx.MockTransport(ringg)) as http:
            snap = await run(RinggActivities(RinggClient(http, pacer=pacer)).snapshot_campaign, SNAPSHOT)
    finally:
        await unmigrated.dispose()
    assert snap.requests > 1 and snap.budget is None
