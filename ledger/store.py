"""The ledger's reads and writes of campaigns, contacts and calls. Every write is idempotent: recording the same
contacts or calls again changes nothing, so an activity may be retried or re-run after a crash mid-batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger import migrate
from ledger.engine import create_engine, insert_for, shown_url
from ledger.records import SCREENED_OUT, CallEntry, CampaignEntry, CampaignView, ContactEntry, ContactView, utc
from ledger.suppression import SuppressionStore, batches
from ledger.tables import calls, campaign_lists, campaigns, contacts

WRITE_BATCH = 2_000  # rows per INSERT: one transaction each, so a crash loses at most one uncommitted batch


class LedgerNotReady(Exception):
    """The database's schema is not the code's: the message says which command brings it there."""


class Ledger(SuppressionStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._ready = False
        self._lock = asyncio.Lock()

    async def ready(self) -> None:
        """Once per process, before the first read or write: an embedded SQLite ledger is brought to the code's
        schema on the spot; a PostgreSQL one must already be there (its setup job migrates it), else
        LedgerNotReady says what to run."""
        if self._ready:
            return
        async with self._lock:
            if self._ready:
                return
            revision, wanted = await migrate.current(self.engine), migrate.head()
            if revision != wanted:
                if self.engine.dialect.name != "sqlite":
                    raise LedgerNotReady(
                        f"the contact ledger at {shown_url(self.engine.url)} is at schema revision {revision or 'none'}"
                        f", this worker needs {wanted}: run `python -m runtime.ledger_setup` with the same "
                        "CAMPAIGN_LEDGER_URL (the compose stack's ledger-setup job does)"
                    )
                await migrate.upgrade_on(self.engine)
            self._ready = True

    @classmethod
    def open(cls, url: URL | str, *, pooled: bool = False) -> Ledger:
        """`pooled`: for a process that closes the ledger at exit (see ledger.engine.create_engine)."""
        return cls(create_engine(url, pooled=pooled))

    async def close(self) -> None:
        await self.engine.dispose()

    # -- campaigns -----------------------------------------------------------------------------------------------

    async def open_campaign(self, entry: CampaignEntry) -> None:
        """Records a campaign (status `screened`) or refreshes its name and workflow; keeps a later status."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "key": entry.key,
            "name": entry.name[:200],
            "workflow_id": entry.workflow_id,
            "list_ids": [],
            "campaign_start_time": entry.campaign_start_time,
            "campaign_end_time": entry.campaign_end_time,
            "status": "screened",
            "contacts": 0,
            "suppressed": 0,
            "capped": 0,
            "calls_by_status": {},
            "created_at": now,
            "updated_at": now,
        }
        stmt = insert_for(self.engine, campaigns).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"name": stmt.excluded.name, "workflow_id": stmt.excluded.workflow_id, "updated_at": now},
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def update_campaign(
        self,
        key: str,
        *,
        status: str | None = None,
        list_ids: Sequence[str] | None = None,
        counts: dict[str, int] | None = None,
        calls_by_status: dict[str, int] | None = None,
    ) -> bool:
        """Sets what is given; `list_ids` are added to those known. False when the campaign is not recorded."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(campaigns.c.list_ids).where(campaigns.c.key == key))).first()
            if row is None:
                return False
            values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
            if status is not None:
                values["status"] = status
            if list_ids:
                values["list_ids"] = list(dict.fromkeys([*(row.list_ids or []), *list_ids]))
                lists = [{"list_id": list_id, "campaign_key": key} for list_id in dict.fromkeys(list_ids)]
                stmt = insert_for(self.engine, campaign_lists).values(lists)
                await conn.execute(stmt.on_conflict_do_nothing(index_elements=["list_id"]))
            if counts:
                values.update(counts)
            if calls_by_status is not None:
                values["calls_by_status"] = calls_by_status
            await conn.execute(update(campaigns).where(campaigns.c.key == key).values(values))
        return True

    async def campaign(self, ref: str) -> CampaignView | None:
        """By idempotency key, workflow ID or Ringg list id."""
        async with self.engine.connect() as conn:
            for column in (campaigns.c.key, campaigns.c.workflow_id):
                row = (await conn.execute(select(campaigns).where(column == ref))).first()
                if row is not None:
                    return _campaign_view(row)
            by_list = select(campaigns).join(campaign_lists, campaign_lists.c.campaign_key == campaigns.c.key)
            row = (await conn.execute(by_list.where(campaign_lists.c.list_id == ref))).first()
            if row is not None:
                return _campaign_view(row)
        return None

    def _insert_new(self, table: Table, name: str) -> Any:
        """An INSERT of rows the campaign has not got (by `name`), returning `name` of each row it inserted."""
        stmt = insert_for(self.engine, table).on_conflict_do_nothing(index_elements=["campaign_key", name])
        return stmt.returning(table.c[name])

    # -- contacts ------------------------------------------------------------------------------------------------

    async def add_contacts(self, key: str, entries: Sequence[ContactEntry]) -> int:
        """Records contacts of a campaign (one already recorded and not dialled yet is updated). Returns how many
        were new."""
        added = 0
        for chunk in batches(entries, WRITE_BATCH):
            rows = [
                {
                    "campaign_key": key,
                    "number": e.number,
                    "external_id": e.external_id,
                    "fields": e.fields,
                    "wave": e.wave,
                    "row": e.row,
                    "outcome": e.outcome,
                    "attempts": 0,
                }
                for e in chunk
            ]
            stmt = insert_for(self.engine, contacts)
            # Screened again (a retry): a contact not dialled yet takes the new verdict and cells.
            stmt = stmt.on_conflict_do_update(
                index_elements=["campaign_key", "number"],
                set_={name: getattr(stmt.excluded, name) for name in ("outcome", "external_id", "fields", "row")},
                where=contacts.c.attempts == 0,
            )
            async with self.engine.begin() as conn:
                added += await _insert_or_update(conn, self._insert_new(contacts, "number"), stmt, rows, "number")
        return added

    async def contacts_page(self, key: str, after: int = 0, limit: int = 100) -> list[ContactView]:
        """A campaign's contacts in the order they were recorded, from the one after id `after` (keyset)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(contacts)
                .where(contacts.c.campaign_key == key, contacts.c.id > after)
                .order_by(contacts.c.id)
                .limit(limit)
            )
            return [
                ContactView(
                    id=r.id,
                    number=r.number,
                    external_id=r.external_id,
                    fields=r.fields or {},
                    wave=r.wave,
                    row=r.row,
                    outcome=r.outcome,
                    attempts=r.attempts,
                    last_status=r.last_status,
                    last_sub_status=r.last_sub_status,
                    last_call_at=utc(r.last_call_at),
                )
                for r in rows
            ]

    async def contact_outcomes(self, key: str) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(contacts.c.outcome, func.count())
                .where(contacts.c.campaign_key == key)
                .group_by(contacts.c.outcome)
            )
            return {outcome: int(n) for outcome, n in rows}

    # -- calls ---------------------------------------------------------------------------------------------------

    async def record_calls(self, key: str, entries: Sequence[CallEntry]) -> int:
        """Records Ringg's call rows (a call seen again is updated in place, never added twice) and each
        contact's latest outcome. Returns how many calls were new."""
        added = 0
        now = datetime.now(UTC)
        for chunk in batches(entries, WRITE_BATCH):
            rows = [
                {
                    "campaign_key": key,
                    "call_id": e.call_id,
                    "list_id": e.list_id,
                    "number": e.number,
                    "status": e.status,
                    "sub_status": e.sub_status,
                    "attempts": e.attempts,
                    "duration_s": e.duration_s,
                    "cost": e.cost,
                    "attempted_at": e.attempted_at,
                    "recorded_at": now,
                }
                for e in chunk
            ]
            stmt = insert_for(self.engine, calls)
            stmt = stmt.on_conflict_do_update(
                index_elements=["campaign_key", "call_id"],
                set_={
                    name: getattr(stmt.excluded, name)
                    for name in ("status", "sub_status", "attempts", "duration_s", "cost", "attempted_at")
                },
            )
            outcome = (
                update(contacts)
                .where(
                    contacts.c.campaign_key == key,
                    contacts.c.number == bindparam("b_number"),
                    # Written out, not NOT IN (...): an expanding IN cannot run as executemany.
                    *(contacts.c.outcome != screened for screened in SCREENED_OUT),
                )
                .values(
                    outcome=bindparam("b_outcome"),
                    attempts=bindparam("b_attempts"),
                    last_status=bindparam("b_status"),
                    last_sub_status=bindparam("b_sub_status"),
                    last_call_at=bindparam("b_at"),
                )
            )
            latest = {e.number: e for e in sorted(chunk, key=_call_order)}
            async with self.engine.begin() as conn:
                added += await _insert_or_update(conn, self._insert_new(calls, "call_id"), stmt, rows, "call_id")
                await conn.execute(
                    outcome,
                    [
                        {
                            "b_number": e.number,
                            "b_outcome": e.outcome,
                            "b_attempts": e.attempts,
                            "b_status": e.status,
                            "b_sub_status": e.sub_status,
                            "b_at": e.attempted_at,
                        }
                        for e in latest.values()
                    ],
                )
        return added

    async def calls_by_status(self, key: str) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(calls.c.status, func.count()).where(calls.c.campaign_key == key).group_by(calls.c.status)
            )
            return {status or "other": int(n) for status, n in rows}


def _call_order(entry: CallEntry) -> datetime:
    return entry.attempted_at or datetime.min.replace(tzinfo=UTC)


async def _insert_or_update(conn: Any, insert_new: Any, upsert: Any, rows: list[dict[str, Any]], name: str) -> int:
    """Writes a batch of one campaign's rows, unique by `name` (the last of a repeat wins): those the campaign has
    not got yet in one multi-row INSERT that returns them, then the upsert of the others (none on a first write).
    Returns how many were new. No lookup first: its plan would rest on table statistics that a big first write
    outgrows (PostgreSQL then scanned the campaign's rows for every batch)."""
    unique = list({row[name]: row for row in rows}.values())
    new = set((await conn.execute(insert_new, unique)).scalars())
    seen = [row for row in unique if row[name] not in new]
    if seen:
        await conn.execute(upsert, seen)
    return len(new)


def _campaign_view(row: Any) -> CampaignView:
    return CampaignView(
        key=row.key,
        name=row.name,
        workflow_id=row.workflow_id,
        list_ids=list(row.list_ids or []),
        campaign_start_time=row.campaign_start_time,
        campaign_end_time=row.campaign_end_time,
        status=row.status,
        contacts=row.contacts,
        suppressed=row.suppressed,
        capped=row.capped,
        calls_by_status=dict(row.calls_by_status or {}),
        created_at=utc(row.created_at) or row.created_at,
        updated_at=utc(row.updated_at) or row.updated_at,
    )
