"""Campaigns from Temporal's visibility store, for the CLI (`starter.py list`) and the HTTP API: the query for
stage, name prefix and execution status filters, and the listing itself (newest first, one row per campaign)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowExecution

from contract import search_attributes as sa
from contract.names import CAMPAIGN_WORKFLOW, PROGRAM_WORKFLOW

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
        raise ListProblem(f"{name} cannot contain a double quote or a backslash")
    return f'"{value}"'


def visibility_query(
    *,
    stage: str | None = None,
    name_prefix: str | None = None,
    status: str | None = None,
    extra: str | None = None,
    option_prefix: str = "--",
) -> str:
    """The query for `client.list_workflows`: campaigns and campaign programs only, one row per campaign (runs that
    continued as new are left out: the campaign's current run stands for them). Problems name each filter as
    `<option_prefix><name>` (`--stage` for the CLI, `stage` for the API)."""
    kinds = f'(WorkflowType = "{CAMPAIGN_WORKFLOW}" OR WorkflowType = "{PROGRAM_WORKFLOW}")'
    parts = [kinds, 'ExecutionStatus != "ContinuedAsNew"']
    if stage:
        parts.append(f"{sa.CAMPAIGN_STAGE.name} = {_quoted(option_prefix + 'stage', stage)}")
    if name_prefix:
        parts.append(f"{sa.CAMPAIGN_NAME.name} STARTS_WITH {_quoted(option_prefix + 'name-prefix', name_prefix)}")
    if status:
        if status not in STATUSES:
            raise ListProblem(f"{option_prefix}status must be one of {', '.join(STATUSES)}, got {status!r}")
        parts.append(f'ExecutionStatus = "{STATUSES[status]}"')
    if extra:
        parts.append(f"({extra})")
    return " AND ".join(parts)


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
