"""`python -m runtime.ledger_setup`: creates the contact ledger's database when it is missing (PostgreSQL) and
brings its schema to the code's revision with Alembic; `--downgrade REV` goes back. The compose stack runs it as
the one-shot ledger-setup job; re-runs change nothing."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from ledger import migrate
from ledger.engine import LedgerSettingsError, create_engine, ledger_url, shown_url


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.ledger_setup",
        description="Prepares the contact ledger named by CAMPAIGN_LEDGER_URL (or CAMPAIGN_LEDGER_URL_FILE; default "
        "the SQLite file data/ledger.sqlite3): creates a missing PostgreSQL database, then applies the schema "
        "migrations up to the code's revision. Safe to run again.",
        epilog="Workers migrate an embedded SQLite ledger themselves; a PostgreSQL ledger must be set up by this "
        "command (the compose stack's ledger-setup job) before the workers start.",
    )
    parser.add_argument("--downgrade", metavar="REVISION", help="go back to REVISION ('base': no ledger tables)")
    parser.add_argument(
        "--timeout-s", type=float, default=120.0, help="how long to wait for the database server (default 120)"
    )
    return parser.parse_args(argv)


async def _create_database(url: URL, timeout_s: float) -> bool:
    """PostgreSQL: creates url's database from the server's `postgres` database if it is missing. True if made."""
    if url.get_backend_name() != "postgresql" or not url.database:
        return False
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                async with admin.connect() as conn:
                    found = await conn.scalar(
                        text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
                    )
                    if found:
                        return False
                    quoted = admin.dialect.identifier_preparer.quote(url.database)
                    await conn.execute(text(f"CREATE DATABASE {quoted}"))
                    return True
            except (OSError, OperationalError, InterfaceError):  # not up yet (a compose stack starting)
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(2)
    finally:
        await admin.dispose()


async def run(args: argparse.Namespace) -> str:
    url = ledger_url(os.environ)
    if args.downgrade:
        await migrate.downgrade(url, args.downgrade)
        return f"ledger at {shown_url(url)}: downgraded to {args.downgrade}"
    created = await _create_database(url, args.timeout_s)
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        revision = await migrate.current(engine)
    finally:
        await engine.dispose()
    made = "database created, " if created else ""
    return f"ledger at {shown_url(url)}: {made}schema at revision {revision}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        print(asyncio.run(run(args)))
    except LedgerSettingsError as err:
        print(f"ledger setup failed: {err}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as err:
        kind = type(err.orig).__name__ if isinstance(err, DBAPIError) and err.orig is not None else type(err).__name__
        print(f"ledger setup failed: the database refused or cannot be reached ({kind})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
