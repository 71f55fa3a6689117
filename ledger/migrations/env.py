"""Alembic's environment for the ledger: runs on the connection ledger.migrate hands it (async engines run the
migration through `run_sync`), against the ledger's own version table."""

from __future__ import annotations

from alembic import context

from ledger.migrate import VERSION_TABLE
from ledger.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the ledger's migrations with `python -m runtime.ledger_setup` (ledger.migrate)")
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
