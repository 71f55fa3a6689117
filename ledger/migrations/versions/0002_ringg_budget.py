"""The shared Ringg request budget: one row per workspace (ledger/budget.py).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_ringg_budget",
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("ceiling", sa.Float(), nullable=False),
        sa.Column("next_free_at", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("last_429_at", sa.Float()),
        sa.Column("last_cut_at", sa.Float()),
        sa.Column("last_raise_at", sa.Float()),
        sa.Column("throttled", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", name="pk_ledger_ringg_budget"),
    )


def downgrade() -> None:
    op.drop_table("ledger_ringg_budget")
