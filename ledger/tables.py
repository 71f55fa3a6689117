"""The ledger's tables. Alembic's migrations (ledger/migrations) create them; this is what the code reads and
writes, and what the migration test compares the migrated schema with."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

# Names every constraint, so a migration can drop what it created on any database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
# BIGINT identities on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
NUMBER = 20  # E.164: "+" and at most 15 digits

campaigns = Table(
    "ledger_campaigns",
    metadata,
    Column("key", String(120), primary_key=True),  # the idempotency key
    Column("name", String(200), nullable=False),
    Column("workflow_id", String(300)),
    Column("list_ids", JSON, nullable=False, default=list),  # Ringg's bulk_list_id(s): one, or one per chunk
    Column("campaign_start_time", String(20)),  # the window as the request wrote it ("DD/MM/YYYY, HH:MM")
    Column("campaign_end_time", String(20)),
    # screened (contacts recorded, not launched yet) | launched | completed | terminated | failed | cancelled
    Column("status", String(20), nullable=False),
    Column("contacts", Integer, nullable=False, default=0),
    Column("suppressed", Integer, nullable=False, default=0),
    Column("capped", Integer, nullable=False, default=0),
    Column("calls_by_status", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Each Ringg list id of a campaign (its one list, or one per chunk): campaigns are found by list id through this.
campaign_lists = Table(
    "ledger_campaign_lists",
    metadata,
    Column("list_id", String(120), primary_key=True),
    Column(
        "campaign_key", String(120), ForeignKey("ledger_campaigns.key", ondelete="CASCADE"), nullable=False, index=True
    ),
)

contacts = Table(
    "ledger_contacts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("campaign_key", String(120), ForeignKey("ledger_campaigns.key", ondelete="CASCADE"), nullable=False),
    Column("number", String(NUMBER), nullable=False),
    Column("external_id", String(255)),
    Column("fields", JSON),  # the request's passthrough columns: column -> cell
    Column("wave", String(120)),
    Column("row", Integer),  # the CSV's spreadsheet row
    # pending | suppressed | capped | answered | no_answer | busy | voicemail | failed | error | cancelled |
    # not_called | opted_out (domain.contact_outcome's words)
    Column("outcome", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_status", String(40)),
    Column("last_sub_status", String(80)),
    Column("last_call_at", DateTime(timezone=True)),
    UniqueConstraint("campaign_key", "number", name="uq_ledger_contacts_campaign_number"),
    Index("ix_ledger_contacts_number", "number"),
)

calls = Table(
    "ledger_calls",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("campaign_key", String(120), ForeignKey("ledger_campaigns.key", ondelete="CASCADE"), nullable=False),
    Column("call_id", String(120), nullable=False),  # Ringg's id of the call
    Column("list_id", String(120)),
    Column("number", String(NUMBER), nullable=False),
    Column("status", String(40)),
    Column("sub_status", String(80)),
    Column("attempts", Integer, nullable=False, default=0),  # dials: the first plus Ringg's retries
    Column("duration_s", Float),
    Column("cost", Float),
    Column("attempted_at", DateTime(timezone=True)),  # the latest dial; none = never dialled
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_key", "call_id", name="uq_ledger_calls_campaign_call"),
    Index("ix_ledger_calls_number_attempted", "number", "attempted_at"),
    Index("ix_ledger_calls_campaign_number", "campaign_key", "number"),
)

suppressions = Table(
    "ledger_suppressions",
    metadata,
    Column("number", String(NUMBER), primary_key=True),
    Column("reason", String(200), nullable=False),
    Column("source", String(200), nullable=False),  # cli | api | file <name> | campaign <key> (<outcome>)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per Ringg workspace: the deployment's shared request budget (ledger/budget.py). Times are seconds since
# the epoch on the database's clock (PostgreSQL) or the machine's (SQLite, one machine).
ringg_budget = Table(
    "ledger_ringg_budget",
    metadata,
    Column("workspace", String(64), primary_key=True),  # SHA-256 (hex) of the API key, never the key
    Column("rate", Float, nullable=False),  # requests per second now
    Column("ceiling", Float, nullable=False),  # CAMPAIGN_RINGG_BUDGET_RPS of the latest worker to ask
    Column("next_free_at", Float, nullable=False),  # GCRA: the instant the next request may start
    Column("paused_until", Float, nullable=False),  # a 429's Retry-After: nothing starts before it
    Column("last_429_at", Float),
    Column("last_cut_at", Float),  # the rate is halved at most once a second, however many 429s arrive at once
    Column("last_raise_at", Float),
    Column("throttled", BigInteger, nullable=False, default=0),  # 429s seen, ever
)
