"""`starter.py schedule ...`: recurring campaigns on Temporal Schedules. Each fire runs the template as its own
campaign, keyed by schedule ID + nominal fire time, so no tick ever launches twice."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from temporalio.client import Client, ScheduleBackfill, ScheduleDescription, ScheduleHandle

from cli.common import AddressOpt, NamespaceOpt, client_for, console, fail
from cli.copyable import print_below
from cli.json_out import print_json
from cli.schedule_create import create
from cli.schedule_options import OverlapOpt, ScheduleIdArg, next_step, on_schedule, overlap_option
from cli.schedule_view import (
    fire_lines,
    fires_table,
    local,
    next_steps,
    schedules_table,
    summary_lines,
    summary_table,
)
from client.schedule_report import campaign_schedules, schedule_report
from client.schedules import campaign_of_fire, trigger_schedule
from domain.schedule_input import ScheduleInputError, parse_local_time

schedule_app = typer.Typer(
    help="Recurring campaigns on Temporal Schedules: each fire runs the campaign template once per tick.",
    no_args_is_help=True,
)
schedule_app.command()(create)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print it as one JSON document instead of tables.")]


@schedule_app.command("list")
def list_schedules(as_json: JsonOpt = False, address: AddressOpt = None, namespace: NamespaceOpt = None) -> None:
    """List the campaign schedules with their next and last fire."""

    async def run() -> None:
        rows = await campaign_schedules(await client_for(address, namespace))
        if as_json:
            print_json(rows)
        elif rows:
            table, below = schedules_table(rows, console.width)
            console.print(table)
            print_below(console, below)
        else:
            console.print("No campaign schedules. Create one with `starter.py schedule create --help`.")

    asyncio.run(run())


@schedule_app.command()
def describe(
    schedule_id: ScheduleIdArg, as_json: JsonOpt = False, address: AddressOpt = None, namespace: NamespaceOpt = None
) -> None:
    """What the schedule does, its next fires, skipped/missed fires and each recent fire's outcome."""

    async def act(client: Client, handle: ScheduleHandle) -> None:
        report = await schedule_report(client, await handle.describe())
        if as_json:
            print_json(report)
            return
        console.print(summary_table(report))
        print_below(console, summary_lines(report))
        if report.recent:
            console.print(fires_table(report))
            print_below(console, fire_lines(report))
        else:
            console.print("No fire yet.")
        for step in next_steps(report):
            next_step(step)

    on_schedule(schedule_id, address, namespace, act)


@schedule_app.command()
def pause(
    schedule_id: ScheduleIdArg,
    note: Annotated[
        str, typer.Option("--note", help="Why it is paused (shown in describe and the UI).")
    ] = "paused from starter.py",
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Stop firing (a running campaign continues; cancel it with `starter.py cancel`)."""

    async def act(client: Client, handle: ScheduleHandle) -> None:
        await handle.pause(note=note)
        console.print(f"Paused schedule [bold]{schedule_id}[/]: no new fires. Running campaigns continue.")
        next_step(f"resume with `starter.py schedule unpause {schedule_id}`")

    on_schedule(schedule_id, address, namespace, act)


@schedule_app.command()
def unpause(
    schedule_id: ScheduleIdArg,
    note: Annotated[
        str, typer.Option("--note", help="Why it is unpaused (shown in describe and the UI).")
    ] = "unpaused from starter.py",
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Resume firing (ticks missed while paused do not run; backfill them if needed)."""

    async def act(client: Client, handle: ScheduleHandle) -> None:
        await handle.unpause(note=note)
        description = await handle.describe()
        tz = description.schedule.spec.time_zone_name or "UTC"
        nexts = description.info.next_action_times[:1]
        console.print(
            f"Unpaused schedule [bold]{schedule_id}[/]; next fire {local(nexts[0], tz) if nexts else '—'} ({tz})."
        )

    on_schedule(schedule_id, address, namespace, act)


@schedule_app.command()
def trigger(
    schedule_id: ScheduleIdArg,
    overlap: OverlapOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: schedule_id, state (fired or pending), fire_workflow_id and "
            "campaign_workflow_id (null until known); a skipped trigger still exits 1.",
        ),
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Fire now: a new tick (nominal time = now) under the schedule's overlap policy unless --overlap."""
    policy = overlap_option(overlap)

    async def act(client: Client, handle: ScheduleHandle) -> None:
        outcome = await trigger_schedule(client, schedule_id, policy)
        running = ", ".join(outcome.running) or "the previous fire"
        if as_json and outcome.state != "skipped":
            fire = outcome.fire_workflow_id
            campaign = await campaign_of_fire(client, schedule_id, fire) if outcome.state == "fired" and fire else None
            doc = {"schedule_id": schedule_id, "state": outcome.state, "fire_workflow_id": fire}
            print_json({**doc, "campaign_workflow_id": None if campaign == "?" else campaign})
            return
        if outcome.state == "fired" and outcome.fire_workflow_id:
            campaign = await campaign_of_fire(client, schedule_id, outcome.fire_workflow_id)
            console.print(f"Fired [bold]{schedule_id}[/]: fire {outcome.fire_workflow_id} runs campaign {campaign}.")
            next_step(f"follow it with `starter.py watch {campaign}`")
        elif outcome.state == "skipped":
            raise fail(
                f"the trigger was skipped: {running} is still running and the overlap policy is SKIP. Wait for it, "
                f"or fire anyway with `starter.py schedule trigger {schedule_id} --overlap allow_all`."
            )
        else:
            console.print(
                f"Trigger accepted for [bold]{schedule_id}[/] but no fire started yet (buffered behind {running} "
                "by the overlap policy, or the server is slow)."
            )
            next_step(f"check with `starter.py schedule describe {schedule_id}`")

    on_schedule(schedule_id, address, namespace, act)


@schedule_app.command()
def backfill(
    schedule_id: ScheduleIdArg,
    start: Annotated[
        str,
        typer.Option(
            "--start", help='The first fire time to run, "DD/MM/YYYY, HH:MM" or ISO 8601, in the schedule\'s timezone.'
        ),
    ],
    end: Annotated[
        str | None, typer.Option("--end", help="The last fire time, in the same form (default: --start).")
    ] = None,
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap",
            help="The overlap policy of the backfilled fires (default allow_all: every tick in the range runs).",
        ),
    ] = "allow_all",
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Run the fire times between --start and --end (inclusive) now, e.g. ticks missed while down or paused.
    A tick whose campaign already ran launches nothing."""
    policy = overlap_option(overlap)

    async def act(client: Client, handle: ScheduleHandle) -> None:
        description: ScheduleDescription = await handle.describe()
        tz = description.schedule.spec.time_zone_name or "UTC"
        try:
            first = parse_local_time(start, tz, "--start")
            last = parse_local_time(end, tz, "--end") if end else first
        except ScheduleInputError as err:
            raise fail(str(err)) from None
        if last < first:
            raise fail(f"--end ({end}) is before --start ({start})")
        await handle.backfill(ScheduleBackfill(start_at=first, end_at=last, overlap=policy))
        console.print(
            f"Backfill requested for [bold]{schedule_id}[/]: every fire time from {local(first, tz)} to "
            f"{local(last, tz)} ({tz}) runs now, overlap {policy.name if policy else 'schedule default'}. "
            "A tick whose campaign already ran launches nothing (its fire reports 'already fired')."
        )
        next_step(f"see what each fire did: `starter.py schedule describe {schedule_id}`")

    on_schedule(schedule_id, address, namespace, act)


@schedule_app.command()
def delete(
    schedule_id: ScheduleIdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Delete the schedule (fires and campaigns already running continue)."""
    if not yes and not typer.confirm(f"Delete schedule {schedule_id}?"):
        raise typer.Exit(1)

    async def act(client: Client, handle: ScheduleHandle) -> None:
        await handle.delete()
        console.print(f"Deleted schedule [bold]{schedule_id}[/]. Fires and campaigns already running continue.")
        next_step("stop a running campaign with `starter.py cancel <campaign workflow id>`")

    on_schedule(schedule_id, address, namespace, act)
