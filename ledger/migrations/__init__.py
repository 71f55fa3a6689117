"""Alembic's environment and the ledger's schema versions (applied by `python -m runtime.ledger_setup`)."""
