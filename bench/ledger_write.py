"""Contact-ledger write speed and memory: 1,000,000 contacts and calls written through the ledger's own paths on
SQLite and PostgreSQL, rows/s and peak RSS, against a bare executemany INSERT (`python -m bench.ledger_write -h`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from activities.ledger.contacts_file import BATCH_ROWS
from bench.table import Figure, own_peak_rss_mb, print_table
from ledger import migrate
from ledger.records import CallEntry, CampaignEntry, ContactEntry
from ledger.store import Ledger

KEY = "bench-ledger"
PAGE = 100  # calls per record_calls: one page of Ringg's call history
STATUSES = ("completed", "completed", "completed", "not_picked", "busy", "failed")
PASSES = ("contacts", "calls")


def number(i: int) -> str:
    return f"+9190{i:08d}"


def contact_batch(start: int, size: int) -> list[ContactEntry]:
    return [
        ContactEntry(
            number=number(i), row=i + 2, external_id=f"CRM-{i}", fields={"Policy ID": f"POL-{i}"}, wave="2026-W49"
        )
        for i in range(start, start + size)
    ]


def call_batch(start: int, size: int, at: datetime) -> list[CallEntry]:
    return [
        CallEntry(
            call_id=f"call-{i:08d}",
            number=number(i),
            list_id="list-bench",
            status=STATUSES[i % len(STATUSES)],
            sub_status=None,
            attempts=1 + i % 2,
            duration_s=float(i % 300),
            cost=1.5,
            attempted_at=at + timedelta(milliseconds=i),
            outcome="answered" if i % len(STATUSES) < 3 else "no_answer",
        )
        for i in range(start, start + size)
    ]


def batch_sizes(rows: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, rows, size):
        yield start, min(size, rows - start)


# -- the product's path ------------------------------------------------------------------------------------------


async def product_pass(url: str, what: str, rows: int) -> None:
    """As the worker writes: contacts by screen_contacts' batches (5,000), calls by record_calls' pages (100)."""
    ledger = Ledger.open(url, pooled=True)  # as the worker opens it
    await ledger.ready()
    try:
        if what == "contacts":
            await ledger.open_campaign(CampaignEntry(key=KEY, name="Bench ledger", workflow_id="bench"))
            for start, size in batch_sizes(rows, BATCH_ROWS):
                await ledger.add_contacts(KEY, contact_batch(start, size))
        else:
            at = datetime.now(UTC)
            for start, size in batch_sizes(rows, PAGE):
                await ledger.record_calls(KEY, call_batch(start, size, at))
    finally:
        await ledger.close()


# -- the anchor: the same rows, the same batches and transactions, a bare executemany through the same driver --------

CONTACT_COLUMNS = ("campaign_key", "number", "external_id", "fields", "wave", "row", "outcome", "attempts")
CALL_COLUMNS = (
    *("campaign_key", "call_id", "list_id", "number", "status", "sub_status", "attempts", "duration_s", "cost"),
    *("attempted_at", "recorded_at"),
)


def contact_tuples(start: int, size: int) -> list[tuple[object, ...]]:
    return [
        (KEY, e.number, e.external_id, _json(e.fields), e.wave, e.row, e.outcome, 0) for e in contact_batch(start, size)
    ]


def call_tuples(start: int, size: int, at: datetime, sqlite: bool) -> list[tuple[object, ...]]:
    now = datetime.now(UTC)

    def stamp(moment: datetime | None) -> object:  # SQLAlchemy stores SQLite datetimes as ISO text
        return moment.isoformat(sep=" ") if sqlite and moment else moment

    return [
        (
            *(KEY, e.call_id, e.list_id, e.number, e.status, e.sub_status, e.attempts, e.duration_s, e.cost),
            stamp(e.attempted_at),
            stamp(now),
        )
        for e in call_batch(start, size, at)
    ]


def _json(fields: dict[str, str] | None) -> str | None:
    return None if fields is None else json.dumps(fields)


def insert_sql(table: str, columns: tuple[str, ...], sqlite: bool) -> str:
    """A plain INSERT of our own constant table and column names (no input reaches it)."""
    marks = ", ".join("?" if sqlite else f"${n}" for n in range(1, len(columns) + 1))
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608


async def anchor_pass(url: str, what: str, rows: int) -> None:
    ledger = Ledger.open(url)  # the schema, and the campaign row the foreign keys need
    await ledger.ready()
    await ledger.open_campaign(CampaignEntry(key=KEY, name="Bench ledger", workflow_id="bench"))
    await ledger.close()
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    table, columns = ("ledger_contacts", CONTACT_COLUMNS) if what == "contacts" else ("ledger_calls", CALL_COLUMNS)
    sql = insert_sql(table, columns, sqlite)
    size = BATCH_ROWS if what == "contacts" else PAGE
    at = datetime.now(UTC)
    async with _raw(url, sqlite) as execute_many:
        for start, n in batch_sizes(rows, size):
            batch = contact_tuples(start, n) if what == "contacts" else call_tuples(start, n, at, sqlite)
            await execute_many(sql, batch)


ExecuteMany = Callable[[str, list[tuple[object, ...]]], Awaitable[None]]


@contextlib.asynccontextmanager
async def _raw(url: str, sqlite: bool) -> AsyncIterator[ExecuteMany]:
    """An executemany in its own transaction, on aiosqlite (with the ledger's pragmas) or asyncpg."""
    parsed = make_url(url)
    if sqlite:
        import aiosqlite

        async with aiosqlite.connect(str(parsed.database)) as db:
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
                await db.execute(f"PRAGMA {pragma}")

            async def execute_many(sql: str, batch: list[tuple[object, ...]]) -> None:
                await db.executemany(sql, batch)
                await db.commit()

            yield execute_many
        return
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, database=parsed.database
    )
    try:

        async def execute_many_pg(sql: str, batch: list[tuple[object, ...]]) -> None:
            async with conn.transaction():
                await conn.executemany(sql, batch)

        yield execute_many_pg
    finally:
        await conn.close()


# -- the run: each pass in a child process, so its peak RSS is its own ----------------------------------------------

URL_ENV = "LEDGER_BENCH_URL"  # the child's database (not on its command line: a PostgreSQL URL holds a password)


def measure(path: str, what: str, rows: int) -> None:
    url = os.environ[URL_ENV]
    run = product_pass if path == "product" else anchor_pass
    started = time.perf_counter()
    asyncio.run(run(url, what, rows))
    elapsed = time.perf_counter() - started
    peak_mb = own_peak_rss_mb()
    print(f"{rows} {elapsed:.3f} {peak_mb:.1f}")


def run_child(url: str, path: str, what: str, rows: int) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.ledger_write", "--measure", path, "--pass", what, "--rows", str(rows)],
        capture_output=True,
        text=True,
        env={**os.environ, URL_ENV: url},
    )
    if done.returncode != 0:
        raise SystemExit(f"{path} {what} pass failed:\n{done.stderr[-3000:]}")
    out = done.stdout.splitlines()[-1].split()
    return float(out[1]), float(out[2])


def report(backend: str, urls: dict[str, str], rows: int) -> list[Figure]:
    figures = []
    for what in PASSES:
        anchor_s, anchor_mb = run_child(urls["anchor"], "anchor", what, rows)
        product_s, product_mb = run_child(urls["product"], "product", what, rows)
        batch = BATCH_ROWS if what == "contacts" else PAGE
        label = f"ledger on {backend}: {rows:,} {what} ({batch:,} a batch)"
        figures += [
            Figure(f"{label}: rows/s", rows / product_s, "rows/s", rows / anchor_s, "bare executemany"),
            Figure(f"{label}: peak RSS", product_mb, "MB", anchor_mb, "bare executemany"),
        ]
        print_table(figures[-2:])
    return figures


def figures(quick: bool, *, rows: int | None = None, postgres: bool = True) -> list[Figure]:
    rows = rows or (100_000 if quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        urls = {path: f"sqlite+aiosqlite:///{Path(tmp) / path}.sqlite3" for path in ("product", "anchor")}
        for url in urls.values():
            asyncio.run(migrate.upgrade(url))
        rows_out = report("SQLite", urls, rows)
    if postgres:
        rows_out += run_postgres(rows)
    return rows_out


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger_write",
        description="Contact-ledger writes at scale: --rows contacts written as screen_contacts writes them "
        "(Ledger.add_contacts, 5,000 a batch), then as many calls as record_calls writes them (Ledger.record_calls, "
        "100 a page: each call also sets its contact's outcome), on a SQLite file and on a PostgreSQL server started "
        "from the machine's binaries like the tests' (fsync off; skipped where it cannot start). Each pass runs in "
        "a child process: rows/s and its peak RSS. The anchor is a bare executemany INSERT of the same rows through "
        "the same driver, in the same batches and transactions, into an empty ledger of the same schema.",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts, and calls (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 rows (a laptop's run)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--measure", choices=("product", "anchor"), help=argparse.SUPPRESS)
    parser.add_argument("--pass", dest="what", choices=PASSES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = 100_000 if args.quick else args.rows
    if args.measure:
        measure(args.measure, args.what, rows)
        return
    print(f"{rows:,} contacts, then {rows:,} calls; rows/s and the pass's peak RSS (its own process)")
    print_table(figures(args.quick, rows=rows, postgres=not args.skip_postgres))


def run_postgres(rows: int) -> list[Figure]:
    from tests.postgres_server import PostgresUnavailable, fresh_database, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as why:
        print(f"PostgreSQL skipped: {why}")
        return []

    async def create(stack: contextlib.AsyncExitStack) -> dict[str, str]:
        urls = {path: await stack.enter_async_context(fresh_database(server.url())) for path in ("product", "anchor")}
        for url in urls.values():
            await migrate.upgrade(url)
        return urls

    async def drop(stack: contextlib.AsyncExitStack) -> None:
        await stack.aclose()

    try:
        loop = asyncio.new_event_loop()
        stack = contextlib.AsyncExitStack()
        try:
            urls = loop.run_until_complete(create(stack))
            return report("PostgreSQL", urls, rows)
        finally:
            loop.run_until_complete(drop(stack))
            loop.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
