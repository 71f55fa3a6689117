"""`starter.py list`: campaigns from a Temporal visibility query, newest first, filtered by stage, name or
execution status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from temporalio.client import Client, WorkflowExecution

from campaign import search_attributes as sa

STATUSES = {
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Canceled",
    "terminated": "Terminated",
    "timed-out": "TimedOut",
}


class ListProblem(ValueError):
    """A filter that cannot be turned into a visibility query."""


def _quoted(name: str, value: str) -> str:
    if '"' in value or "\\" in value:
        raise ListProblem(f"--{name} cannot contain a double quote or a backslash")
    return f'"{value}"'


def visibility_query(
    *, stage: str | None = None, name_prefix: str | None = None, status: str | None = None, extra: str | None = None
) -> str:
    """The query for `client.list_workflows`: campaigns only, one row per campaign (runs that continued as new
    are left out: the campaign's current run stands for them)."""
    parts = ['WorkflowType = "CampaignWorkflow"', 'ExecutionStatus != "ContinuedAsNew"']
    if stage:
        parts.append(f"{sa.CAMPAIGN_STAGE.name} = {_quoted('stage', stage)}")
    if name_prefix:
        parts.append(f"{sa.CAMPAIGN_NAME.name} STARTS_WITH {_quoted('name-prefix', name_prefix)}")
    if status:
        if status not in STATUSES:
            raise ListProblem(f"--status must be one of {', '.join(STATUSES)}, got {status!r}")
        parts.append(f'ExecutionStatus = "{STATUSES[status]}"')
    if extra:
        parts.append(f"({extra})")
    return " AND ".join(parts)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


async def campaigns(client: Client, query: str, *, name: str | None, limit: int) -> list[WorkflowExecution]:
    """Up to `limit` campaigns matching the query (and, when given, whose name contains `name`, any case:
    Keyword attributes have no substring search, so that filter runs here, over at most 20 x limit rows)."""
    found: list[WorkflowExecution] = []
    scanned = 0
    async for execution in client.list_workflows(query):
        scanned += 1
        campaign_name = execution.typed_search_attributes.get(sa.CAMPAIGN_NAME) or ""
        if name is None or name.casefold() in campaign_name.casefold():
            found.append(execution)
        if len(found) >= limit or scanned >= 20 * limit:
            break
    return found


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
    str | None, typer.Option("--stage", help="CampaignStage, e.g. monitoring, waiting_for_balance, failed")
]
NameOpt = Annotated[str | None, typer.Option("--name", help="campaign name contains this (any case)")]
PrefixOpt = Annotated[str | None, typer.Option("--name-prefix", help="campaign name starts with this (server-side)")]
StatusOpt = Annotated[str | None, typer.Option("--status", help=" | ".join(STATUSES))]
QueryOpt = Annotated[str | None, typer.Option("--query", help="more visibility query, ANDed, e.g. 'AgentId = \"a1\"'")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="at most this many rows")]
