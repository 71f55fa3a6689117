"""The ledger's first schema: campaigns, contacts, calls and the suppression list.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_campaigns",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("workflow_id", sa.String(300)),
        sa.Column("list_ids", sa.JSON(), nullable=False),
        sa.Column("campaign_start_time", sa.String(20)),
        sa.Column("campaign_end_time", sa.String(20)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Integer(), nullable=False),
        sa.Column("calls_by_status", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ledger_campaigns"),
    )
    op.create_table(
        "ledger_contacts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("campaign_key", sa.String(120), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(255)),
        sa.Column("fields", sa.JSON()),
        sa.Column("wave", sa.String(120)),
        sa.Column("row", sa.Integer()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.String(40)),
        sa.Column("last_sub_status", sa.String(80)),
        sa.Column("last_call_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["campaign_key"],
            ["ledger_campaigns.key"],
            name="fk_ledger_contacts_campaign_key_ledger_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_contacts"),
        sa.UniqueConstraint("campaign_key", "number", name="uq_ledger_contacts_campaign_number"),
    )
    op.create_index("ix_ledger_contacts_number", "ledger_contacts", ["number"])
    op.create_table(
        "ledger_calls",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("campaign_key", sa.String(120), nullable=False),
        sa.Column("call_id", sa.String(120), nullable=False),
        sa.Column("list_id", sa.String(120)),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("status", sa.String(40)),
        sa.Column("sub_status", sa.String(80)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float()),
        sa.Column("cost", sa.Float()),
        sa.Column("attempted_at", sa.DateTime(timezone=True)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_key"],
            ["ledger_campaigns.key"],
            name="fk_ledger_calls_campaign_key_ledger_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_calls"),
        sa.UniqueConstraint("campaign_key", "call_id", name="uq_ledger_calls_campaign_call"),
    )
    op.create_index("ix_ledger_calls_number_attempted", "ledger_calls", ["number", "attempted_at"])
    op.create_index("ix_ledger_calls_campaign_number", "ledger_calls", ["campaign_key", "number"])
    op.create_table(
        "ledger_suppressions",
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_ledger_suppressions"),
    )


def downgrade() -> None:
    op.drop_table("ledger_suppressions")
    op.drop_index("ix_ledger_calls_campaign_number", table_name="ledger_calls")
    op.drop_index("ix_ledger_calls_number_attempted", table_name="ledger_calls")
    op.drop_table("ledger_calls")
    op.drop_index("ix_ledger_contacts_number", table_name="ledger_contacts")
    op.drop_table("ledger_contacts")
    op.drop_table("ledger_campaigns")
