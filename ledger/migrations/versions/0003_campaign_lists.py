"""Ringg list ids as rows of their own, so a campaign is found by any of its lists through an index (a webhook,
the API's and CLI's lookups by list id) instead of a scan of every campaign's JSON list. Filled from the
campaigns already recorded.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BACKFILL_BATCH = 1000


def upgrade() -> None:
    lists = op.create_table(
        "ledger_campaign_lists",
        sa.Column("list_id", sa.String(120), nullable=False),
        sa.Column("campaign_key", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_key"],
            ["ledger_campaigns.key"],
            name="fk_ledger_campaign_lists_campaign_key_ledger_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", name="pk_ledger_campaign_lists"),
    )
    op.create_index("ix_ledger_campaign_lists_campaign_key", "ledger_campaign_lists", ["campaign_key"])
    campaigns = sa.table("ledger_campaigns", sa.column("key", sa.String()), sa.column("list_ids", sa.JSON()))
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    for key, list_ids in op.get_bind().execute(sa.select(campaigns.c.key, campaigns.c.list_ids)):
        for list_id in list_ids or []:
            if isinstance(list_id, str) and list_id not in seen:  # a list belongs to the campaign that named it first
                seen.add(list_id)
                rows.append({"list_id": list_id[:120], "campaign_key": key})
    for start in range(0, len(rows), BACKFILL_BATCH):
        op.bulk_insert(lists, rows[start : start + BACKFILL_BATCH])


def downgrade() -> None:
    op.drop_index("ix_ledger_campaign_lists_campaign_key", table_name="ledger_campaign_lists")
    op.drop_table("ledger_campaign_lists")
