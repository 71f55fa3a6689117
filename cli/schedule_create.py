"""`starter.py schedule create`: a campaign template (JSON/YAML and flags), the window relative to each fire,
when it fires (cron or --at/--days in the campaign's timezone) and the overlap and catch-up policies."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli.common import AddressOpt, NamespaceOpt, client_for, console, env_start_checks, fail
from cli.exit_codes import BAD_INPUT
from cli.json_out import print_json
from cli.options import AgentIdOpt, CallConfigOpt, FlowOpt, FromNumberOpt, MapOpt, NumberPoolOpt, TaskQueueOpt
from cli.request_files import load_template_file, parse_json_option, parse_mapping
from cli.schedule_options import ScheduleIdArg, next_step
from cli.schedule_view import local, span, window_text
from client.schedules import create_schedule
from client.start_checks import template_problems_beyond
from contract.names import TASK_QUEUE
from domain.request_input import RequestInputError, merged
from domain.schedule_input import definition_problems


def create(
    schedule_id: ScheduleIdArg,
    request: Annotated[
        Path | None,
        typer.Option(
            "--request",
            "--file",
            "-r",
            help="The campaign template: a JSON or YAML CampaignRequest without window or idempotency key, with an "
            "optional window.",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The campaign's name; it may hold {date} (campaign_name).")
    ] = None,
    agent_id: AgentIdOpt = None,
    csv: Annotated[
        str | None, typer.Option("--csv", help="The contacts CSV; it may hold {date} or {date:%Y%m%d} (csv_uri).")
    ] = None,
    mapping: MapOpt = None,
    from_number: FromNumberOpt = None,
    number_pool_id: NumberPoolOpt = None,
    call_config: CallConfigOpt = None,
    flow: FlowOpt = None,
    until: Annotated[
        str | None, typer.Option("--until", help="The window closes at this local time, HH:MM, on the fire's day.")
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="Or: the window closes this many hours after the fire.")
    ] = None,
    start_delay: Annotated[
        int | None, typer.Option("--start-delay", help="The window opens this many minutes after the fire (default 0).")
    ] = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help='A cron spec of 5 fields, e.g. "0 9 * * 1-5", in the timezone.')
    ] = None,
    at: Annotated[
        list[str] | None, typer.Option("--at", help="Or: fire at this local time, HH:MM (repeatable).")
    ] = None,
    days: Annotated[
        str, typer.Option("--days", help="With --at, the days to fire on: mon-fri, mon,wed,fri or * (default *).")
    ] = "*",
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone", help="The timezone fire times are read in (default: the campaign's call_time timezone)."
        ),
    ] = None,
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap", help="What to do when a fire is due while the previous one still runs (default skip)."
        ),
    ] = "skip",
    catchup: Annotated[
        str, typer.Option("--catchup", help="How late a missed fire may still run, e.g. 10m (default 10m).")
    ] = "10m",
    paused: Annotated[bool, typer.Option("--paused", help="Create the schedule paused.")] = False,
    note: Annotated[str, typer.Option("--note", help="A note shown in describe and the UI.")] = "",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: schedule_id, state (created or exists), paused, timezone and next_fires "
            "(ISO 8601).",
        ),
    ] = False,
    task_queue: TaskQueueOpt = TASK_QUEUE,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Create a recurring campaign (idempotent: an existing schedule ID is left unchanged)."""
    try:
        base, window = load_template_file(request) if request else ({}, {})
        overrides: dict[str, Any] = {
            "campaign_name": name,
            "agent_id": agent_id,
            "csv_uri": csv,
            "from_numbers": from_number,
            "number_pool_id": number_pool_id,
            "call_config": parse_json_option("--call-config", call_config),
            "flow": flow,
        }
        if mapping:
            overrides["variables_map"] = {**base.get("variables_map", {}), **parse_mapping(mapping)}
        if until is not None or hours is not None:
            window = {k: v for k, v in window.items() if k not in ("until", "hours")}
        flags = {"until": until, "hours": hours, "start_delay_minutes": start_delay}
        window = {**window, **{k: v for k, v in flags.items() if v is not None}}
        defn, problems = definition_problems(
            schedule_id,
            base,
            overrides,
            window,
            cron=cron,
            at=at or [],
            days=days,
            timezone=timezone,
            overlap=overlap,
            catchup=catchup,
        )
    except (RequestInputError, ValueError, OverflowError) as err:
        raise fail(str(err), code=BAD_INPUT) from None
    template = merged(base, overrides)

    async def run() -> None:
        async with env_start_checks() as checks:
            found = problems + await template_problems_beyond(template, checks)
        if found or defn is None:
            raise fail(escape("the schedule was not created:\n  - " + "\n  - ".join(found)), code=BAD_INPUT)
        sources = checks.sources
        client = await client_for(address, namespace)
        outcome = await create_schedule(client, defn, task_queue=task_queue, paused=paused, note=note, sources=sources)
        if outcome.state == "exists_different":
            raise fail(
                f"schedule {schedule_id!r} already exists with a different template, timing, policy or task "
                f"queue; it was left unchanged. To replace it: `starter.py schedule delete {schedule_id}`, then "
                "create it again (fires already running are not affected)."
            )
        info = outcome.description.info
        tz = defn.fire.spec.time_zone_name or "UTC"
        if as_json:
            doc = {"schedule_id": schedule_id, "state": outcome.state, "paused": paused, "timezone": tz}
            print_json({**doc, "next_fires": info.next_action_times[:3]})
            return
        if outcome.state == "exists":
            console.print(f"Schedule [bold]{schedule_id}[/] already exists with this definition: nothing changed.")
        else:
            console.print(
                f"Created schedule [bold]{schedule_id}[/]{' [yellow](paused)[/]' if paused else ''}: campaign "
                f"{defn.scheduled.template.campaign_name!r} fires {defn.fire.when}; "
                f"window {window_text(defn.scheduled.window)}; "
                f"overlap {defn.overlap.name}, catch-up {span(defn.catchup)}."
            )
        nexts = ", ".join(local(t, tz) for t in info.next_action_times[:3]) or "none while paused"
        console.print(f"Next fires ({tz}): {nexts}")
        next_step(
            f"`starter.py schedule describe {schedule_id}` · fire now: `starter.py schedule trigger {schedule_id}`"
        )

    asyncio.run(run())
