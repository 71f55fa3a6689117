"""`starter.py export`: a campaign's per-contact outcomes written to files by the worker (it holds the Ringg API
key, the CLI does not) through ExportCampaignWorkflow; prints where the files are and the summary."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ActivityError
from temporalio.service import RPCError

from cli.common import client_for, console, fail, resolve_campaign
from cli.copyable import print_below
from cli.export_render import export_lines, export_table
from cli.json_out import print_json
from cli.options import AddressOpt, NamespaceOpt, TaskQueueOpt
from client.program_lookup import ProgramHandle, find_program, program_progress
from contract import search_attributes as sa
from contract.export import EXPORT_FORMATS, ExportRequest
from contract.names import TASK_QUEUE
from contract.program import ProgramProgress, ProgramResult
from workflows.campaign import CampaignWorkflow
from workflows.export import ExportCampaignWorkflow


def _formats(raw: str) -> list[str]:
    formats = [f.strip().lower() for f in raw.split(",") if f.strip()]
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        raise fail(f"--format takes {', '.join(EXPORT_FORMATS)} or both, comma-separated (got {raw!r})")
    return formats


def _reason(err: WorkflowFailureError) -> str:
    cause = err.cause
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    return str(getattr(cause, "message", None) or cause)


def _since(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise fail(
            f"--since {raw!r} is not an ISO date or date-time (e.g. 2030-10-18 or 2030-10-18T09:00+05:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _lists_and_start(client: Client, handle: WorkflowHandle[Any, Any]) -> tuple[list[str], datetime]:
    """The campaign's Ringg lists (one, or one per chunk when it ran on the standard flow in chunks), and when its
    first run started (continue-as-new keeps the workflow ID)."""
    description = await handle.describe()
    first = description.typed_search_attributes.get(sa.BULK_LIST_ID)
    list_ids = [first] if first else []
    try:
        progress = await handle.query(CampaignWorkflow.progress, rpc_timeout=timedelta(seconds=5))
        list_ids = progress.list_ids or ([progress.list_id] if progress.list_id else list_ids)
    except RPCError:
        pass  # no worker answers: the first list, from the search attribute
    started = description.start_time
    async for run in client.list_workflows(f'WorkflowId = "{handle.id}"'):
        started = min(started, run.start_time)
    return list_ids, started


async def _program_lists(handle: ProgramHandle) -> tuple[list[str], str | None]:
    """Every wave's Ringg lists, and the program's merged export once it has ended."""
    description = await handle.describe()
    view: ProgramProgress | ProgramResult | None
    if description.status == WorkflowExecutionStatus.COMPLETED:
        view = await handle.result()
    else:
        view = await program_progress(handle)
    if view is None:
        raise fail(f"program {handle.id} did not answer (is a worker running?): its waves' lists are unknown")
    return [lid for w in view.waves for lid in w.list_ids], view.export_file


def export_command(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    out: Annotated[
        str,
        typer.Option(
            "--out", help="The folder the export is written to, on the worker's machine: a path or file:// URI."
        ),
    ],
    formats: Annotated[
        str, typer.Option("--format", help="The file formats: csv, jsonl, or csv,jsonl for both.")
    ] = "csv,jsonl",
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Export calls from this time (ISO 8601, UTC when no offset is given; default: a day before the "
            "campaign started).",
        ),
    ] = None,
    direct: Annotated[
        bool,
        typer.Option(
            "--list", help="CAMPAIGN is a Ringg list id: skip the workflow lookup (e.g. for a campaign past retention)."
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the export's result as one JSON document (an array, one a list, when the campaign ran in "
            "chunk lists or is a program).",
        ),
    ] = False,
    task_queue: TaskQueueOpt = TASK_QUEUE,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Export a campaign's calls (id, number, name, status, sub-status, attempts, duration, cost) as CSV/JSONL plus
    a JSON summary, written by the worker; works for running and finished campaigns (one set of files per Ringg list
    for a campaign run in chunks, or per wave of a program: program-…)."""
    chosen, window_start = _formats(formats), _since(since)
    uri = out if "://" in out else str(Path(out).expanduser().resolve())

    async def run() -> None:
        client = await client_for(address, namespace)
        list_ids = [campaign]
        since_default: datetime | None = None  # the workflow then looks back EXPORT_LOOKBACK (90 days)
        source = "given directly"
        program = await find_program(client, campaign) if not direct and campaign.startswith("program-") else None
        if program is not None:
            list_ids, merged = await _program_lists(program)
            description = await program.describe()
            since_default, source = description.start_time - timedelta(days=1), f"program [cyan]{program.id}[/]"
            if merged and not as_json:
                console.print(f"The program's own export (every wave, with a wave column): {merged}")
        elif not direct:
            handle = await resolve_campaign(client, campaign)
            list_ids, started = await _lists_and_start(client, handle)
            since_default, source = started - timedelta(days=1), f"campaign [cyan]{handle.id}[/]"
        if not list_ids:
            raise fail(f"campaign {campaign!r} has no Ringg list yet (not uploaded): there is nothing to export")
        results = []
        for n, list_id in enumerate(list_ids, start=1):  # a campaign in chunks: one export per chunk list
            req = ExportRequest(list_id=list_id, out_uri=uri, formats=chosen, since=window_start or since_default)
            export_id = f"export-{list_id}-{uuid.uuid4().hex[:8]}"
            part = f", list {n} of {len(list_ids)}" if len(list_ids) > 1 else ""
            if not as_json:
                console.print(f"Exporting the calls of list [bold]{list_id}[/] ({source}{part}) as {export_id}…")
            try:
                result = await client.execute_workflow(
                    ExportCampaignWorkflow.run, req, id=export_id, task_queue=task_queue
                )
            except WorkflowFailureError as err:
                raise fail(f"export {export_id} failed: {_reason(err)}") from None
            results.append(result)
            if not as_json:
                console.print(export_table(result))
                print_below(console, export_lines(export_id, result))
        if as_json:
            print_json(results[0] if len(results) == 1 else results)

    asyncio.run(run())
