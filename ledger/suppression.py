"""The suppression list: numbers never uploaded again, each with its reason and where it came from, and the
frequency-cap count of a number's recent calls across campaigns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.engine import insert_for
from ledger.records import ACTIVE_STATUSES, FrequencyCap, Screened, SuppressionEntry, SuppressionView, utc
from ledger.tables import calls, campaigns, contacts, suppressions

BATCH = 5_000  # numbers per IN (...) query: under SQLite's 32,766 bound parameters


T = TypeVar("T")


def batches(items: Sequence[T], size: int = BATCH) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SuppressionStore:
    engine: AsyncEngine

    async def add_suppressions(self, entries: Sequence[SuppressionEntry]) -> int:
        """Adds numbers not already listed (a listed number keeps its first reason). Returns how many were new."""
        added = 0
        now = datetime.now(UTC)
        unique = list({e.number: e for e in entries}.values())
        async with self.engine.begin() as conn:
            for chunk in batches(unique):
                numbers = [e.number for e in chunk]
                present = set(
                    (
                        await conn.execute(select(suppressions.c.number).where(suppressions.c.number.in_(numbers)))
                    ).scalars()
                )
                rows = [
                    {"number": e.number, "reason": e.reason[:200], "source": e.source[:200], "created_at": now}
                    for e in chunk
                    if e.number not in present
                ]
                if rows:
                    stmt = insert_for(self.engine, suppressions).on_conflict_do_nothing(index_elements=["number"])
                    await conn.execute(stmt, rows)
                    added += len(rows)
        return added

    async def remove_suppressions(self, numbers: Sequence[str]) -> int:
        removed = 0
        async with self.engine.begin() as conn:
            for chunk in batches(list(dict.fromkeys(numbers))):
                result = await conn.execute(delete(suppressions).where(suppressions.c.number.in_(chunk)))
                removed += max(result.rowcount or 0, 0)
        return removed

    async def suppressions_page(self, after: str = "", limit: int = 100) -> list[SuppressionView]:
        """The list in number order, from the number after `after` (keyset paging: stable under writes)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(suppressions).where(suppressions.c.number > after).order_by(suppressions.c.number).limit(limit)
            )
            return [SuppressionView(r.number, r.reason, r.source, utc(r.created_at) or r.created_at) for r in rows]

    async def suppression_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(suppressions))).scalar_one())

    async def screen(
        self, key: str, numbers: Sequence[str], cap: FrequencyCap | None, now: datetime | None = None
    ) -> Screened:
        """Which of `numbers` pre-flight must remove: suppressed ones, then (of the rest) those that already
        reached the cap in other campaigns: dials in the last `cap.days` days, plus one for each of their contacts
        still waiting in a campaign not yet finished (it will be dialled). The campaign `key` itself never counts,
        so re-screening it (a retry, a duplicate trigger) gives the same answer."""
        found = Screened()
        since = (now or datetime.now(UTC)) - timedelta(days=cap.days) if cap else None
        async with self.engine.connect() as conn:
            for chunk in batches(numbers):
                rows = await conn.execute(
                    select(suppressions.c.number, suppressions.c.reason).where(suppressions.c.number.in_(chunk))
                )
                found.suppressed.update({r.number: r.reason for r in rows})
                if cap is None or since is None:
                    continue
                rest = [n for n in chunk if n not in found.suppressed]
                counts: dict[str, int] = {}
                dialled = await conn.execute(
                    select(calls.c.number, func.sum(calls.c.attempts))
                    .where(calls.c.number.in_(rest), calls.c.attempted_at >= since, calls.c.campaign_key != key)
                    .group_by(calls.c.number)
                )
                for number, total in dialled:
                    counts[number] = int(total or 0)
                waiting = await conn.execute(
                    select(contacts.c.number, func.count())
                    .join(campaigns, campaigns.c.key == contacts.c.campaign_key)
                    .where(
                        and_(
                            contacts.c.number.in_(rest),
                            contacts.c.campaign_key != key,
                            contacts.c.outcome == "pending",
                            contacts.c.attempts == 0,
                            campaigns.c.status.in_(ACTIVE_STATUSES),
                        )
                    )
                    .group_by(contacts.c.number)
                )
                for number, total in waiting:
                    counts[number] = counts.get(number, 0) + int(total)
                found.capped.update({n: c for n, c in counts.items() if c >= cap.calls})
        return found
