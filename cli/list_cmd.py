"""`starter.py list`: campaigns from a Temporal visibility query, newest first, filtered by stage, name or
execution status (the query and the listing are in client.listing, shared with the HTTP API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from temporalio.client import WorkflowExecution

from client.listing import STATUSES
from contract import search_attributes as sa


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def campaigns_table(executions: list[WorkflowExecution], query: str) -> Table:
    table = Table(title=f"{len(executions)} campaign(s) — {query}", title_justify="left")
    for column in ("workflow id", "campaign", "stage", "status", "list id", "started", "closed"):
        table.add_column(column, overflow="fold")
    for execution in executions:
        attributes = execution.typed_search_attributes
        table.add_row(
            execution.id,
            attributes.get(sa.CAMPAIGN_NAME) or "—",
            attributes.get(sa.CAMPAIGN_STAGE) or "—",
            execution.status.name.lower() if execution.status else "—",
            attributes.get(sa.BULK_LIST_ID) or "—",
            _when(execution.start_time),
            _when(execution.close_time),
        )
    return table


StageOpt = Annotated[
    str | None,
    typer.Option(
        "--stage", help="Only campaigns at this stage (CampaignStage), e.g. monitoring, waiting_for_balance, failed."
    ),
]
NameOpt = Annotated[str | None, typer.Option("--name", help="Only campaigns whose name contains this text (any case).")]
PrefixOpt = Annotated[
    str | None,
    typer.Option("--name-prefix", help="Only campaigns whose name starts with this text (filtered by Temporal)."),
]
StatusOpt = Annotated[
    str | None, typer.Option("--status", help=f"Only campaigns in this state: {', '.join(STATUSES)}.")
]
QueryOpt = Annotated[
    str | None, typer.Option("--query", help="A visibility query ANDed to the others, e.g. 'AgentId = \"a1\"'.")
]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="List at most this many campaigns.")]
