"""Applies the ledger's Alembic migrations to a database (upgrade, downgrade, current revision), on the async
engine's own connection, and checks at start-up that a ledger is at the code's revision."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.engine import create_engine

VERSION_TABLE = "ledger_alembic_version"
SCRIPTS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


# Alembic's migration context is one per process: two migrations at once in one process corrupt each other.
_ONE_AT_A_TIME = asyncio.Lock()


async def _on_connection(engine: AsyncEngine, action: str, revision: str) -> None:
    def run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with _ONE_AT_A_TIME, engine.begin() as conn:
        await conn.run_sync(run)


async def upgrade_on(engine: AsyncEngine, revision: str = "head") -> None:
    await _on_connection(engine, "upgrade", revision)


async def upgrade(url: URL | str, revision: str = "head") -> None:
    engine = create_engine(url)
    try:
        await _on_connection(engine, "upgrade", revision)
    finally:
        await engine.dispose()


async def downgrade(url: URL | str, revision: str) -> None:
    engine = create_engine(url)
    try:
        await _on_connection(engine, "downgrade", revision)
    finally:
        await engine.dispose()


async def current(engine: AsyncEngine) -> str | None:
    """The ledger's revision (None: no ledger tables yet)."""

    def read(connection: Any) -> str | None:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)
