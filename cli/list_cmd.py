"""`starter.py list`: campaigns from a Temporal visibility query, newest first, filtered by stage, name or
execution status (the query and the listing are in client.listing, shared with the HTTP API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from temporalio.client import WorkflowExecution

from cli.copyable import fits_inline
from client.listing import STATUSES
from contract import search_attributes as sa


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def campaign_rows(executions: list[WorkflowExecution]) -> list[dict[str, Any]]:
    """`list --json`: one object a campaign, named as the HTTP API's list names them."""
    rows = []
    for execution in executions:
        attributes = execution.typed_search_attributes
        rows.append(
            {
                "workflow_id": execution.id,
                "run_id": execution.run_id,
                "campaign_name": attributes.get(sa.CAMPAIGN_NAME),
                "stage": attributes.get(sa.CAMPAIGN_STAGE),
                "status": execution.status.name.lower() if execution.status else None,
                "list_id": attributes.get(sa.BULK_LIST_ID),
                "agent_id": attributes.get(sa.AGENT_ID),
                "idempotency_key": attributes.get(sa.IDEMPOTENCY_KEY),
                "started": execution.start_time.isoformat() if execution.start_time else None,
                "closed": execution.close_time.isoformat() if execution.close_time else None,
            }
        )
    return rows


# Room the other columns need beside a whole workflow ID; narrower, the IDs go below the table.
OTHER_COLUMNS_WIDTH = 70


def campaigns_table(executions: list[WorkflowExecution], query: str, width: int) -> tuple[Table, list[str]]:
    """The table, and the lines to print below it: a workflow ID is never cut (a copied ID must work), so when the
    terminal is too narrow for whole IDs beside the rest, rows are numbered and the IDs follow, one a line."""
    widest = max((len(e.id) for e in executions), default=0)
    inline = fits_inline(width, widest, OTHER_COLUMNS_WIDTH)
    table = Table(title=f"{len(executions)} campaign(s) — {query}", title_justify="left")
    table.add_column("workflow id" if inline else "#", no_wrap=True, min_width=widest if inline else None)
    for column in ("campaign", "stage", "status", "list id", "started", "closed"):
        table.add_column(column, overflow="fold")
    below = []
    for number, execution in enumerate(executions, start=1):
        attributes = execution.typed_search_attributes
        table.add_row(
            execution.id if inline else str(number),
            attributes.get(sa.CAMPAIGN_NAME) or "—",
            attributes.get(sa.CAMPAIGN_STAGE) or "—",
            execution.status.name.lower() if execution.status else "—",
            attributes.get(sa.BULK_LIST_ID) or "—",
            _when(execution.start_time),
            _when(execution.close_time),
        )
        if not inline:
            below.append(f"{number}  {execution.id}")
    return table, below


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
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the campaigns as a JSON array (workflow_id, campaign_name, stage, …).")
]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="List at most this many campaigns.")]
