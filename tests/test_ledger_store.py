"""The ledger's store on SQLite and PostgreSQL (the `ledger_url` fixture runs each test on both): migrations,
idempotent writes, the suppression list, frequency-cap counting and keyset paging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select

from ledger import migrate
from ledger.records import CallEntry, CampaignEntry, ContactEntry, FrequencyCap, SuppressionEntry
from ledger.store import Ledger, LedgerNotReady
from ledger.tables import campaign_lists, campaigns, metadata

NOW = datetime.now(UTC)


def call(call_id: str, number: str, *, status: str = "completed", attempts: int = 1, ago_days: float = 0) -> CallEntry:
    at = NOW - timedelta(days=ago_days) if attempts else None
    outcome = "answered" if status == "completed" else "no_answer"
    return CallEntry(call_id, number, "L1", status, "ACCEPTED", attempts, 12.5, 0.4, at, outcome)


@pytest_asyncio.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    await migrate.upgrade(ledger_url)  # what the setup command does (a worker migrates only SQLite itself)
    store = Ledger.open(ledger_url)
    await store.ready()
    yield store
    await store.close()


async def test_migrations_upgrade_from_empty_and_round_trip(ledger_url: str) -> None:
    store = Ledger.open(ledger_url)
    try:
        assert await migrate.current(store.engine) is None
        await migrate.upgrade(ledger_url)
        assert await migrate.current(store.engine) == migrate.head()

        def schema_drift(connection: object) -> list[object]:
            drift = compare_metadata(MigrationContext.configure(connection), metadata)  # type: ignore[arg-type]
            return [d for d in drift if not (d[0] == "remove_table" and d[1].name == migrate.VERSION_TABLE)]

        async with store.engine.connect() as conn:
            assert await conn.run_sync(schema_drift) == []
        await migrate.downgrade(ledger_url, "base")
        async with store.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not {t for t in tables if t.startswith("ledger_") and t != migrate.VERSION_TABLE}
        assert await migrate.current(store.engine) is None
        await migrate.upgrade(ledger_url)
        assert await migrate.current(store.engine) == migrate.head()
    finally:
        await store.close()


async def test_a_postgresql_ledger_is_not_migrated_by_a_worker(ledger_url: str) -> None:
    store = Ledger.open(ledger_url)
    try:
        if store.engine.dialect.name == "sqlite":
            await store.ready()  # embedded: the worker migrates it
            assert await migrate.current(store.engine) == migrate.head()
        else:
            with pytest.raises(LedgerNotReady, match=r"run `python -m runtime.ledger_setup`"):
                await store.ready()
    finally:
        await store.close()


async def test_contacts_and_calls_are_recorded_once(ledger: Ledger) -> None:
    await ledger.open_campaign(CampaignEntry("k1", "Renewals", "wf-1", "01/12/2026, 09:00", "02/12/2026, 18:00"))
    contacts = [ContactEntry(f"+9198765{i:05d}", i + 2, f"crm-{i}", {"Plan": "gold"}) for i in range(2500)]
    assert await ledger.add_contacts("k1", contacts) == 2500
    assert await ledger.add_contacts("k1", contacts) == 0  # a retried screening adds nothing
    calls = [call(f"c{i}", f"+9198765{i:05d}") for i in range(2100)]
    assert await ledger.record_calls("k1", calls) == 2100
    assert await ledger.record_calls("k1", calls) == 0  # a re-run recording adds nothing
    assert await ledger.record_calls("k1", [call("c1", "+919876500001", status="failed")]) == 0  # updated in place
    assert await ledger.calls_by_status("k1") == {"completed": 2099, "failed": 1}
    assert await ledger.contact_outcomes("k1") == {"answered": 2099, "no_answer": 1, "pending": 400}
    page = await ledger.contacts_page("k1", limit=3)
    assert [c.row for c in page] == [2, 3, 4] and page[0].external_id == "crm-0" and page[0].fields == {"Plan": "gold"}
    after = await ledger.contacts_page("k1", after=page[-1].id, limit=2)
    assert [c.row for c in after] == [5, 6]
    view = await ledger.campaign("wf-1")
    assert view is not None and view.key == "k1" and view.status == "screened"
    await ledger.update_campaign("k1", status="completed", list_ids=["L1"])
    found = await ledger.campaign("L1")
    assert found is not None and found.status == "completed" and found.list_ids == ["L1"]


async def test_suppression_list_adds_once_and_pages(ledger: Ledger) -> None:
    entries = [SuppressionEntry(f"+1415555{i:04d}", "asked not to be called", "cli") for i in range(30)]
    assert await ledger.add_suppressions(entries) == 30
    assert await ledger.add_suppressions([*entries[:5], SuppressionEntry("+14155559999", "x", "api")]) == 1
    assert await ledger.suppression_count() == 31
    first = await ledger.suppressions_page(limit=10)
    second = await ledger.suppressions_page(after=first[-1].number, limit=10)
    assert len(first) == len(second) == 10 and first[-1].number < second[0].number
    assert await ledger.remove_suppressions(["+14155550000", "+10000000000"]) == 1


async def test_screening_counts_suppression_and_caps_across_campaigns(ledger: Ledger) -> None:
    a, b, c = "+919800000001", "+919800000002", "+919800000003"
    waiting, old, fresh = "+919800000004", "+919800000005", "+919800000006"
    await ledger.open_campaign(CampaignEntry("done", "A"))
    await ledger.add_contacts("done", [ContactEntry(n) for n in (a, b, old)])
    await ledger.record_calls("done", [call("1", a), call("2", b, attempts=0), call("3", old, ago_days=9)])
    await ledger.update_campaign("done", status="completed")
    await ledger.open_campaign(CampaignEntry("running", "B"))
    await ledger.add_contacts("running", [ContactEntry(waiting)])
    await ledger.update_campaign("running", status="launched")
    await ledger.add_suppressions([SuppressionEntry(c, "opted out", "api")])
    numbers = [a, b, c, waiting, old, fresh]

    capped = await ledger.screen("new", numbers, FrequencyCap(calls=1, days=7))
    assert capped.suppressed == {c: "opted out"}
    # a: dialled 0 days ago; waiting: a contact of a running campaign; b never dialled; old: 9 days ago
    assert capped.capped == {a: 1, waiting: 1}
    assert (await ledger.screen("new", numbers, FrequencyCap(calls=2, days=7))).capped == {}
    assert (await ledger.screen("new", numbers, FrequencyCap(calls=1, days=10))).capped == {a: 1, waiting: 1, old: 1}
    assert (await ledger.screen("new", numbers, None)).capped == {}
    # the campaign itself never counts (a retried screening, a duplicate trigger)
    assert waiting not in (await ledger.screen("running", numbers, FrequencyCap(calls=1, days=7))).capped
    await ledger.update_campaign("running", status="failed")  # a failed campaign will not call its contacts
    assert waiting not in (await ledger.screen("new", numbers, FrequencyCap(calls=1, days=7))).capped


async def test_workers_sharing_a_new_sqlite_file_ready_and_write_it_at_once(tmp_path: Path) -> None:
    """Several workers (here: engines) start on one new SQLite ledger together: one migrates, the others wait for
    the write lock and find it migrated; then read-then-write transactions of all of them interleave without a
    'database is locked' failure."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    ledgers = [Ledger.open(url) for _ in range(8)]
    try:
        await asyncio.gather(*(ledger.ready() for ledger in ledgers))
        assert await migrate.current(ledgers[0].engine) == migrate.head()
        await ledgers[0].open_campaign(CampaignEntry("shared", "Shared"))

        async def write(i: int, ledger: Ledger) -> None:
            for n in range(15):
                await ledger.update_campaign("shared", list_ids=[f"L{i}-{n}"])
                await ledger.add_contacts("shared", [ContactEntry(f"+9198{i:03d}{n:05d}")])

        await asyncio.gather(*(write(i, ledger) for i, ledger in enumerate(ledgers)))
        view = await ledgers[0].campaign("shared")
        assert view is not None and len(view.list_ids) == 8 * 15
        assert (await ledgers[0].contact_outcomes("shared")) == {"pending": 8 * 15}
    finally:
        for ledger in ledgers:
            await ledger.close()


async def test_a_campaign_is_found_by_each_of_its_lists(ledger: Ledger) -> None:
    await ledger.open_campaign(CampaignEntry("ik-chunks", "Chunks", "campaign-chunks-ik-chunks", None, None))
    await ledger.open_campaign(CampaignEntry("ik-other", "Other", "campaign-other-ik-other", None, None))
    assert await ledger.update_campaign("ik-chunks", list_ids=["L-1", "L-2"])
    assert await ledger.update_campaign("ik-chunks", status="launched", list_ids=["L-2", "L-3"])  # L-2 again
    assert await ledger.update_campaign("ik-other", list_ids=["L-9"])
    for ref in ("L-1", "L-2", "L-3", "ik-chunks", "campaign-chunks-ik-chunks"):
        found = await ledger.campaign(ref)
        assert found is not None and found.key == "ik-chunks", ref
    chunks = await ledger.campaign("L-3")
    assert chunks is not None and chunks.list_ids == ["L-1", "L-2", "L-3"] and chunks.status == "launched"
    other = await ledger.campaign("L-9")
    assert other is not None and other.key == "ik-other"
    assert await ledger.campaign("L-404") is None


async def test_the_list_migration_fills_in_the_lists_of_campaigns_recorded_before_it(ledger_url: str) -> None:
    await migrate.upgrade(ledger_url, "0002")
    store = Ledger.open(ledger_url)
    try:
        async with store.engine.begin() as conn:
            for key, lists in (("ik-a", ["LA-1", "LA-2"]), ("ik-b", ["LB-1"]), ("ik-c", [])):
                await conn.execute(
                    insert(campaigns).values(
                        key=key, name=key, list_ids=lists, status="launched", contacts=0, suppressed=0, capped=0,
                        calls_by_status={}, created_at=NOW, updated_at=NOW,
                    )
                )  # fmt: skip
        await migrate.upgrade(ledger_url)
        for ref, key in (("LA-1", "ik-a"), ("LA-2", "ik-a"), ("LB-1", "ik-b")):
            found = await store.campaign(ref)
            assert found is not None and found.key == key
        async with store.engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(campaign_lists))).scalar_one() == 3
        await migrate.downgrade(ledger_url, "0002")
        async with store.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "ledger_campaign_lists" not in tables and "ledger_campaigns" in tables
    finally:
        await store.close()
