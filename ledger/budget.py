"""One requests-per-second budget for Ringg's API per workspace, shared by every worker through the ledger's
database: a GCRA bucket whose rate halves on a 429 and climbs back by a tenth of its ceiling per quiet interval."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.engine import insert_for
from ledger.tables import ringg_budget
from ringg import RinggBudgetBusy

DEFAULT_CEILING_RPS = 10.0
QUIET_S = 5.0  # each interval this long without a 429 raises the rate by RAISE_SHARE of the ceiling
RAISE_SHARE = 0.1
CUT_EVERY_S = 1.0  # the requests in flight when Ringg starts refusing all get a 429: they cut the rate once
FLOOR_SHARE = 1 / 20  # the rate never drops below max(MIN_RATE, ceiling / 20)
MIN_RATE = 0.5
MAX_PAUSE_S = 300.0  # a longer Retry-After pauses this long (a hostile header cannot stop the fleet for a day)
DEFAULT_MAX_WAIT_S = 20.0
# Slots are reserved at most this far ahead, at the rate of the moment: a rate cut or raise reaches every request
# after this. A caller whose slot would lie further out sleeps 0.5-1x this (reserving nothing) and asks again.
RESERVE_AHEAD_S = 2.0
RECHECK_AFTER_S = 0.2  # a request that waited this long checks for a 429 in the meantime before it goes


def workspace_key(api_key: str) -> str:
    """The budget's row for a workspace: the SHA-256 of its API key (the key itself is never stored)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def floor_of(ceiling: float) -> float:
    return min(ceiling, max(MIN_RATE, ceiling * FLOOR_SHARE))


@dataclass(frozen=True)
class Bucket:
    """One workspace's row: times are seconds since the epoch."""

    rate: float
    ceiling: float
    next_free_at: float
    paused_until: float
    last_429_at: float | None = None
    last_cut_at: float | None = None
    last_raise_at: float | None = None
    throttled: int = 0

    @classmethod
    def fresh(cls, ceiling: float, now: float) -> Bucket:
        return cls(rate=ceiling, ceiling=ceiling, next_free_at=now, paused_until=0.0)

    def settled(self, now: float, ceiling: float, quiet_s: float) -> Bucket:
        """The bucket under this ceiling at `now`: the rate raised for every quiet interval since the last 429 or
        raise (computed lazily: nothing runs between requests)."""
        rate = min(self.rate, ceiling)
        raised = self.last_raise_at
        marks = [t for t in (self.last_429_at, self.last_cut_at, self.last_raise_at) if t is not None]
        if rate < ceiling and not marks:
            raised = now  # the ceiling was raised: climb from here
        elif rate < ceiling:
            since = max(marks)
            steps = int((now - since) // quiet_s)
            if steps > 0:
                rate = min(ceiling, rate + steps * RAISE_SHARE * ceiling)
                raised = since + steps * quiet_s
        return replace(self, rate=rate, ceiling=ceiling, last_raise_at=raised)

    def start_for(self, now: float) -> float:
        """GCRA: the instant the next request may start."""
        return max(now, self.next_free_at, self.paused_until)

    def reserved(self, start: float) -> Bucket:
        return replace(self, next_free_at=start + 1 / self.rate)

    def after_429(self, now: float, retry_after: float | None) -> Bucket:
        rate, cut = self.rate, self.last_cut_at
        if cut is None or now - cut >= CUT_EVERY_S:
            rate, cut = max(floor_of(self.ceiling), rate / 2), now
        paused = self.paused_until
        if retry_after is not None and retry_after > 0:
            paused = max(paused, now + min(retry_after, MAX_PAUSE_S))
        return replace(
            self, rate=rate, last_cut_at=cut, last_429_at=now, paused_until=paused, throttled=self.throttled + 1
        )

    def values(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "ceiling": self.ceiling,
            "next_free_at": self.next_free_at,
            "paused_until": self.paused_until,
            "last_429_at": self.last_429_at,
            "last_cut_at": self.last_cut_at,
            "last_raise_at": self.last_raise_at,
            "throttled": self.throttled,
        }


@dataclass(frozen=True)
class Reservation:
    """`granted`: a slot `wait_s` from now is this caller's; otherwise the next free one is `wait_s` away and
    nothing was reserved."""

    granted: bool
    wait_s: float
    rate: float
    at: float = 0.0  # when it was made (the budget's clock)


@dataclass(frozen=True)
class Waited:
    """How long a request waited for its slot, and the rate it was reserved at."""

    waited_s: float
    rate: float


@dataclass(frozen=True)
class BudgetState:
    rate: float
    ceiling: float
    throttled: int  # 429s seen, ever
    last_429_ago_s: float | None
    paused_for_s: float


class RinggBudget:
    """The shared budget of one workspace (a `ringg.RequestPacer`). `ceiling` is CAMPAIGN_RINGG_BUDGET_RPS;
    `max_wait_s` how long `acquire` may wait for a slot before it raises `RinggBudgetBusy`; `reserve_ahead_s` how far
    ahead a slot may be reserved."""

    def __init__(
        self,
        engine: AsyncEngine,
        workspace: str,
        ceiling: float = DEFAULT_CEILING_RPS,
        *,
        quiet_s: float = QUIET_S,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        reserve_ahead_s: float = RESERVE_AHEAD_S,
    ) -> None:
        if ceiling <= 0 or quiet_s <= 0:
            raise ValueError("a Ringg budget needs a ceiling and a quiet interval above 0")
        self.engine = engine
        self.workspace = workspace
        self.ceiling = ceiling
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self.reserve_ahead_s = reserve_ahead_s

    # -- the pacer -----------------------------------------------------------------------------------------------

    async def acquire(self, endpoint: str) -> None:
        await self.wait_for_slot(endpoint, self.max_wait_s)

    async def wait_for_slot(self, endpoint: str, max_wait_s: float) -> Waited:
        """Returns once this caller's slot has come; raises RinggBudgetBusy (nothing reserved) when the next free
        slot lies beyond `max_wait_s` from the call."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            left = started + max_wait_s - loop.time()
            slot = await self.reserve(min(self.reserve_ahead_s, left))
            if slot.granted:
                if slot.wait_s > 0:
                    await asyncio.sleep(slot.wait_s)
                # A slot reserved before a 429 was spaced for the old rate: queue again at the new one.
                if slot.wait_s < RECHECK_AFTER_S or not await self.cut_since(slot.at):
                    return Waited(loop.time() - started, slot.rate)
                continue
            if slot.wait_s > left:
                raise RinggBudgetBusy(endpoint, slot.wait_s)
            await asyncio.sleep(min(left, self.reserve_ahead_s * random.uniform(0.5, 1.0)))

    async def on_response(self, endpoint: str, status: int | None, retry_after: float | None) -> None:
        if status == 429:
            await self.throttled(retry_after)

    # -- the bucket ----------------------------------------------------------------------------------------------

    async def reserve(self, max_wait_s: float) -> Reservation:
        """One short transaction: the next free instant becomes this caller's if it is at most `max_wait_s` away."""
        async with self.engine.begin() as conn:
            now, bucket = await self._locked(conn)
            start = bucket.start_for(now)
            wait = start - now
            granted = wait <= max_wait_s
            if granted:
                bucket = bucket.reserved(start)
            await self._write(conn, bucket)
        return Reservation(granted, wait, bucket.rate, now)

    async def cut_since(self, since: float) -> bool:
        """Whether Ringg answered 429 (the rate was cut, or a Retry-After pause began) after `since`."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(ringg_budget.c.last_429_at).where(ringg_budget.c.workspace == self.workspace))
            ).first()
        return row is not None and row.last_429_at is not None and row.last_429_at > since

    async def throttled(self, retry_after: float | None) -> Bucket:
        """Ringg answered 429: halve the rate (once a second at most) and pause for its Retry-After."""
        async with self.engine.begin() as conn:
            now, bucket = await self._locked(conn)
            bucket = bucket.after_429(now, retry_after)
            await self._write(conn, bucket)
        return bucket

    async def state(self) -> BudgetState:
        async with self.engine.begin() as conn:
            now, bucket = await self._locked(conn)
        ago = None if bucket.last_429_at is None else max(0.0, now - bucket.last_429_at)
        return BudgetState(bucket.rate, bucket.ceiling, bucket.throttled, ago, max(0.0, bucket.paused_until - now))

    async def _now(self, conn: AsyncConnection) -> float:
        """The database's clock where workers may sit on several hosts (PostgreSQL); SQLite is on this machine."""
        if conn.dialect.name == "postgresql":
            return float((await conn.execute(select(func.extract("epoch", func.clock_timestamp())))).scalar_one())
        return time.time()

    async def _locked(self, conn: AsyncConnection) -> tuple[float, Bucket]:
        """Now and the workspace's bucket, settled to this ceiling; its row locked until the transaction ends."""
        table = ringg_budget
        query = select(table).where(table.c.workspace == self.workspace).with_for_update()
        row = (await conn.execute(query)).first()
        now = await self._now(conn)
        if row is None:
            fresh = Bucket.fresh(self.ceiling, now)
            insert = insert_for(self.engine, table).values(workspace=self.workspace, **fresh.values())
            await conn.execute(insert.on_conflict_do_nothing(index_elements=["workspace"]))
            row = (await conn.execute(query)).one()
        bucket = Bucket(
            rate=row.rate,
            ceiling=row.ceiling,
            next_free_at=row.next_free_at,
            paused_until=row.paused_until,
            last_429_at=row.last_429_at,
            last_cut_at=row.last_cut_at,
            last_raise_at=row.last_raise_at,
            throttled=row.throttled,
        )
        return now, bucket.settled(now, self.ceiling, self.quiet_s)

    async def _write(self, conn: AsyncConnection, bucket: Bucket) -> None:
        table = ringg_budget
        await conn.execute(update(table).where(table.c.workspace == self.workspace).values(bucket.values()))
