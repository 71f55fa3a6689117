"""Where the ledger lives (CAMPAIGN_LEDGER_URL) and the async engine over it: SQLite in WAL mode with a busy
timeout (several processes on one machine), or PostgreSQL through asyncpg. The one place the dialect matters is
the upsert, and SQLAlchemy's own dialect constructs write it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

URL_ENV = "CAMPAIGN_LEDGER_URL"
URL_FILE_ENV = "CAMPAIGN_LEDGER_URL_FILE"
DEFAULT_PATH = Path("data/ledger.sqlite3")
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
BUSY_TIMEOUT_MS = 30_000


class LedgerSettingsError(ValueError):
    """CAMPAIGN_LEDGER_URL cannot be used; the message names the setting and the rule, never a password."""


def default_url(root: Path | None = None) -> str:
    path = (root / DEFAULT_PATH) if root else DEFAULT_PATH.resolve()
    return f"sqlite+aiosqlite:///{path}"


def ledger_url(env: Mapping[str, str]) -> URL:
    """The ledger's URL from CAMPAIGN_LEDGER_URL_FILE (wins) or CAMPAIGN_LEDGER_URL, else the SQLite file
    data/ledger.sqlite3. A plain `sqlite:` or `postgresql:` URL gets the async driver."""
    raw = env.get(URL_ENV, "").strip()
    if file := env.get(URL_FILE_ENV, "").strip():
        try:
            raw = Path(file).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise LedgerSettingsError(f"{URL_FILE_ENV}={file!r} cannot be read ({err.strerror})") from None
    if not raw:
        raw = default_url()
    try:
        url = make_url(raw)
    except ArgumentError:
        raise LedgerSettingsError(
            f"{URL_ENV} is not a database URL: use sqlite+aiosqlite:///path/ledger.sqlite3 or "
            "postgresql+asyncpg://user:password@host:5432/database"
        ) from None
    backend = url.get_backend_name()
    if backend not in DRIVERS:
        raise LedgerSettingsError(f"{URL_ENV} names a {backend!r} database; the ledger runs on sqlite or postgresql")
    if url.drivername == backend:
        url = url.set(drivername=DRIVERS[backend])
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise LedgerSettingsError(f"{URL_ENV} must name a SQLite file: an in-memory ledger is lost at exit")
    return url


def shown_url(url: URL) -> str:
    """The URL for messages and logs: never the password."""
    return url.render_as_string(hide_password=True)


def create_engine(url: URL | str, *, pooled: bool = False, **kwargs: Any) -> AsyncEngine:
    """`pooled` (SQLite): keep connections open between transactions, for a long-lived process that disposes the
    engine at exit (the worker). Without it a connection (and aiosqlite's thread) lives for one transaction, so an
    engine nobody disposed leaves no thread behind, but closing the last connection of a WAL file checkpoints it:
    the pool writes a history page about 1.5x as fast."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        if url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {} if pooled else {"poolclass": NullPool}
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **pool, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own BEGIN is off: _begin_immediate starts every transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer (worker, API and CLI at once)
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash in WAL mode
    cursor.close()


def _begin_immediate(conn: Any) -> None:
    """SQLite: every transaction takes the write lock when it starts (waiting up to the busy timeout). A deferred
    one that reads first and writes later fails at once, without waiting, when another process wrote in between;
    and two workers migrating a new file at once would both create its tables."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def insert_for(engine: AsyncEngine, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can say ON CONFLICT, in the engine's dialect."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
