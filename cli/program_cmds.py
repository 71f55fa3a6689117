"""`starter.py approve | reject | pause | resume` and how a program's progress and result print in a terminal."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from cli.common import AddressOpt, NamespaceOpt, client_for, console, fail
from cli.copyable import BELOW, print_below
from cli.exit_codes import NOT_FOUND
from cli.json_out import print_json
from client.program_lookup import Action, ProgramHandle, find_program, steer
from contract.program import PilotOutcome, ProgramProgress, ProgramResult
from contract.statuses import CALL_STATUS_ORDER

ProgramArg = Annotated[str, typer.Argument(help="The program's workflow ID (program-…) or idempotency key.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who decides (shown in the program's progress).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (shown in the program's progress).")]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document: workflow_id, action, and the program's progress after it."),
]


async def resolve_program(address: str | None, namespace: str | None, ref: str) -> ProgramHandle:
    handle = await find_program(await client_for(address, namespace), ref)
    if handle is None:
        raise fail(f"no campaign program found for {ref!r} (tried workflow ID and idempotency key)", code=NOT_FOUND)
    return handle


def _steer(
    action: Action, ref: str, by: str, note: str, address: str | None, namespace: str | None, *, as_json: bool
) -> None:
    async def run() -> None:
        handle = await resolve_program(address, namespace, ref)
        try:
            progress = await steer(handle, action, by, note)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            raise fail(f"{action} refused for {handle.id}: {getattr(cause, 'message', None) or cause}") from None
        except RPCError as err:  # the program has closed: updates go only to running workflows
            raise fail(f"{action} refused for {handle.id}: it is no longer running ({err.message})") from None
        if as_json:
            print_json({"workflow_id": handle.id, "action": action, "progress": progress})
            return
        console.print(f"{action.capitalize()}: [cyan]{handle.id}[/] is now {progress.stage} — {progress.message}")

    asyncio.run(run())


def approve_command(
    ref: ProgramArg,
    by: ByOpt = "",
    note: NoteOpt = "",
    as_json: JsonOpt = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Approve a program's pilot: the rest of its contacts are called."""
    _steer("approve", ref, by, note, address, namespace, as_json=as_json)


def reject_command(
    ref: ProgramArg,
    by: ByOpt = "",
    note: NoteOpt = "",
    as_json: JsonOpt = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Reject a program's pilot: nothing else is launched and the program ends rejected."""
    _steer("reject", ref, by, note, address, namespace, as_json=as_json)


def pause_command(
    ref: ProgramArg,
    by: ByOpt = "",
    as_json: JsonOpt = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Pause a program: its running waves are terminated on Ringg; the contacts they had not called yet wait for
    `resume`."""
    _steer("pause", ref, by, "", address, namespace, as_json=as_json)


def resume_command(
    ref: ProgramArg,
    by: ByOpt = "",
    as_json: JsonOpt = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Resume a paused program: exactly the contacts not called before the pause are called."""
    _steer("resume", ref, by, "", address, namespace, as_json=as_json)


def _pilot_rows(table: Table, f: PilotOutcome) -> None:
    table.add_row("pilot", f"{f.contacts} contacts, {f.dialled} dialled")
    table.add_row("  connect rate", f"{f.connect_rate:.1%} ({f.connected} connected)")
    table.add_row("  failure rate", f"{f.failure_rate:.1%} ({f.failed} failed)")
    table.add_row("  cost", f"{f.cost:g} ({f.cost_per_call:g} per dialled contact)")
    for sub, n in sorted(f.failures_by_sub_status.items(), key=lambda kv: -kv[1])[:6]:
        table.add_row(f"  failed {sub}", str(n))


def program_table(p: ProgramProgress | ProgramResult) -> Table:
    """A program's progress or result: stage, approval, pilot figures, counts by status and one row per wave."""
    stage = p.stage if isinstance(p, ProgramProgress) else p.status
    table = Table(title=p.campaign_name, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("stage", stage + (f" — {p.message}" if p.message else ""))
    if isinstance(p, ProgramProgress) and p.approval_deadline and p.stage == "awaiting approval":
        table.add_row("approve or reject by", p.approval_deadline)
    if p.approval:
        table.add_row("approval", p.approval)
    if p.pilot is not None:
        _pilot_rows(table, p.pilot)
    if p.zones:
        table.add_row("timezones", ", ".join(f"{z} {n}" for z, n in sorted(p.zones.items(), key=lambda kv: -kv[1])))
    counts = p.calls.by_status if isinstance(p, ProgramProgress) else p.calls_by_status
    for status in [s for s in CALL_STATUS_ORDER if s in counts] + sorted(set(counts) - set(CALL_STATUS_ORDER)):
        table.add_row(f"  {status}", str(counts[status]))
    table.add_row("calls", str(sum(counts.values())))
    for w in p.waves:
        calls = sum(w.calls_by_status.values())
        when = f", opens {w.opens_at}" if w.status == "waiting" and w.opens_at else ""
        note = f" — {w.message}" if w.message else ""
        table.add_row(f"wave {w.wave_id}", f"{w.status}: {w.contacts} contacts, {calls} calls{when}{note}")
    if p.export_file:
        table.add_row("export", BELOW)
    return table


def program_lines(workflow_id: str, p: ProgramProgress | ProgramResult) -> list[str]:
    """What a user copies from a program's view, whole, one a line: its workflow ID, its contacts report's and its
    export's paths."""
    lines = [f"workflow id: {workflow_id}"]
    if isinstance(p, ProgramProgress) and p.contacts_report:
        lines.append(f"contacts report: {p.contacts_report}")
    if p.export_file:
        lines.append(f"export: {p.export_file}")
    return lines


def print_program(console: Console, workflow_id: str, p: ProgramProgress | ProgramResult) -> None:
    console.print(program_table(p))
    print_below(console, program_lines(workflow_id, p))
