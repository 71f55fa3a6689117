"""`starter.py`: start, watch, inspect and cancel campaigns from a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError

from activities.contacts.source import CsvUnreadable
from cli.attributes_cmd import setup_search_attributes_command
from cli.common import (
    AddressOpt,
    NamespaceOpt,
    check_source,
    client_for,
    console,
    contact_sources,
    env_start_checks,
    fail,
    resolve_campaign,
)
from cli.contacts_cmd import contacts_command
from cli.copyable import print_below
from cli.exit_codes import ALREADY_FINISHED, BAD_INPUT, EPILOG, add_epilog
from cli.export_cmd import export_command
from cli.files_cmd import files_command
from cli.follow import current_progress, json_lines, watch
from cli.json_out import print_json
from cli.list_cmd import (
    JsonOpt,
    LimitOpt,
    NameOpt,
    PrefixOpt,
    QueryOpt,
    StageOpt,
    StatusOpt,
    campaign_rows,
    campaigns_table,
)
from cli.options import AgentIdOpt, CallConfigOpt, FlowOpt, FromNumberOpt, MapOpt, NumberPoolOpt, TaskQueueOpt
from cli.program_cmds import (
    approve_command,
    pause_command,
    print_program,
    reject_command,
    resume_command,
)
from cli.render import print_shown
from cli.request_files import load_request_file, parse_json_option, parse_mapping
from cli.schedule_cmds import schedule_app
from cli.suppress_cmds import suppress_app
from cli.webhooks_cmd import webhooks_app
from client.launcher import StartOutcome, start_campaign
from client.listing import ListProblem, campaigns, visibility_query
from client.program_launcher import ProgramStart, start_program
from client.program_lookup import ProgramHandle, find_program, program_progress
from client.start_checks import start_problems
from contract.campaign import CampaignResult
from contract.messages import StopNumbersRequest
from contract.names import TASK_QUEUE
from contract.program import ProgramRequest, is_program
from contract.request_schema import program_json_schema, request_json_schema
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import CsvSources, shown
from domain.request_input import RequestInputError, merged
from workflows.campaign import CampaignWorkflow

app = typer.Typer(
    help="Start, watch, inspect and cancel Ringg campaigns running on Temporal.", epilog=EPILOG, no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(suppress_app, name="suppress")

# A campaign that ended any of these ways did not complete: `status` exits 1 for it.
ENDED_BADLY = (
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
)


@app.command()
def start(
    request: Annotated[
        Path | None,
        typer.Option(
            "--request",
            "-r",
            help="A CampaignRequest (or ProgramRequest) as a JSON or YAML file; the other options override its fields.",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The campaign's name (campaign_name).")] = None,
    agent_id: AgentIdOpt = None,
    csv: Annotated[
        str | None,
        typer.Option(
            "--csv", help="The contacts CSV: a path, file:// or http(s):// URL the workers may read (csv_uri)."
        ),
    ] = None,
    country_code: Annotated[
        str | None,
        typer.Option(
            "--country-code",
            help="The country of numbers written without a country code: +91, 91 or IN (country_code; default +91).",
        ),
    ] = None,
    number_type: Annotated[
        list[str] | None,
        typer.Option(
            "--number-type",
            help="A kind of number to call (repeatable; number_types): mobile, fixed_line_or_mobile, fixed_line "
            "(landlines), voip, toll_free, ... Default: mobile, fixed_line_or_mobile and fixed_line.",
        ),
    ] = None,
    mapping: MapOpt = None,
    from_number: FromNumberOpt = None,
    number_pool_id: NumberPoolOpt = None,
    start_time: Annotated[
        str | None,
        typer.Option(
            "--start-time",
            help='When calling may start, "DD/MM/YYYY, HH:MM" in the call timezone (campaign_start_time).',
        ),
    ] = None,
    end_time: Annotated[
        str | None,
        typer.Option(
            "--end-time", help='When calling stops, "DD/MM/YYYY, HH:MM" in the call timezone (campaign_end_time).'
        ),
    ] = None,
    call_config: CallConfigOpt = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            help="The share of the workspace's lines this campaign may use, 1-100 (concurrency_percentage; large flow "
            "only).",
        ),
    ] = None,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", help="A URL Ringg calls back with call results (callback_url).")
    ] = None,
    remove_invalid_rows: Annotated[
        bool | None,
        typer.Option(
            "--remove-invalid-rows/--keep-invalid-rows",
            help="Upload the CSV without the rows pre-flight cannot call, or stop the campaign with the contacts "
            "report (remove_invalid_rows).",
        ),
    ] = None,
    max_invalid_row_share: Annotated[
        float | None,
        typer.Option(
            "--max-invalid-row-share",
            help="The share of rows, 0 to 1, that may be invalid and skipped (max_invalid_row_share).",
        ),
    ] = None,
    flow: FlowOpt = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Your key for this campaign: the same key never launches twice (default: derived from the CSV, "
            "agent, name and window).",
        ),
    ] = None,
    max_balance_wait: Annotated[
        int | None,
        typer.Option(
            "--max-balance-wait",
            help="How long, in seconds, to wait for Ringg credit before failing (max_balance_wait_seconds).",
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show live progress until the campaign ends, then its result.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: state (started, running, completed), workflow_id, idempotency_key, "
            "campaign_name, and with --wait the result.",
        ),
    ] = False,
    task_queue: TaskQueueOpt = TASK_QUEUE,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Start a campaign (idempotent: the same request returns the same campaign)."""
    try:
        base = load_request_file(request) if request else {}
        overrides: dict[str, Any] = {
            "campaign_name": name,
            "agent_id": agent_id,
            "csv_uri": csv,
            "country_code": country_code,
            "number_types": number_type,
            "from_numbers": from_number,
            "number_pool_id": number_pool_id,
            "campaign_start_time": start_time,
            "campaign_end_time": end_time,
            "call_config": parse_json_option("--call-config", call_config),
            "concurrency_percentage": concurrency,
            "callback_url": callback_url,
            "remove_invalid_rows": remove_invalid_rows,
            "max_invalid_row_share": max_invalid_row_share,
            "flow": flow,
            "idempotency_key": idempotency_key,
            "max_balance_wait_seconds": max_balance_wait,
        }
        if mapping:
            overrides["variables_map"] = {**base.get("variables_map", {}), **parse_mapping(mapping)}
    except RequestInputError as err:
        raise fail(str(err), code=BAD_INPUT) from None
    asyncio.run(_start(merged(base, overrides), wait, task_queue, address, namespace, as_json=as_json))


async def _start(
    data: dict[str, Any], wait: bool, task_queue: str, address: str | None, namespace: str | None, *, as_json: bool
) -> None:
    async with env_start_checks() as checks:
        req, problems = await start_problems(data, checks, datetime.now(UTC))
    sources = checks.sources
    if problems or req is None:
        what = "campaign program" if is_program(data) else "campaign"
        raise fail(escape(f"the {what} was not started:\n  - " + "\n  - ".join(problems)), code=BAD_INPUT)
    client = await client_for(address, namespace)
    if isinstance(req, ProgramRequest):
        await _start_program(client, req, wait, task_queue, sources, as_json=as_json)
        return
    try:
        outcome = await start_campaign(client, req, task_queue=task_queue, sources=sources)
    except (CsvLimitExceeded, CsvUnreadable) as err:
        raise fail(escape(f"cannot read the CSV to compute its idempotency key: {err}")) from None
    except (OSError, httpx.HTTPError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise fail(
            escape(f"cannot read the CSV {shown(req.csv_uri)!r} to compute its idempotency key: {reason}")
        ) from None
    if as_json:
        await _print_started(outcome, req.campaign_name, wait)
        return
    verb = {"started": "Started", "running": "Already running", "completed": "Already completed"}[outcome.state]
    console.print(f"{verb}: campaign [bold]{req.campaign_name}[/] — workflow id [cyan]{outcome.workflow_id}[/]")
    if outcome.state == "completed" or wait:
        await _report(outcome.handle, live=outcome.state != "completed")


async def _print_started(outcome: StartOutcome | ProgramStart, campaign_name: str, wait: bool) -> None:
    """`start --json`: the outcome, and with --wait (or when it already completed) the result or the failure."""
    doc: dict[str, Any] = {"state": outcome.state, "workflow_id": outcome.workflow_id}
    doc |= {"idempotency_key": outcome.idempotency_key, "campaign_name": campaign_name}
    if outcome.state == "completed" or wait:
        try:
            doc["result"] = await outcome.handle.result()
        except WorkflowFailureError as err:
            doc["failure"] = getattr(err.cause, "message", None) or str(err.cause)
            print_json(doc)
            raise fail(f"{doc['workflow_id']} failed: {doc['failure']}") from None
    print_json(doc)


async def _start_program(
    client: Client, req: ProgramRequest, wait: bool, task_queue: str, sources: CsvSources, *, as_json: bool
) -> None:
    try:
        outcome = await start_program(client, req, task_queue=task_queue, sources=sources)
    except (CsvLimitExceeded, CsvUnreadable, OSError, httpx.HTTPError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise fail(
            escape(f"cannot read the CSV {shown(req.csv_uri)!r} to compute the program's key: {reason}")
        ) from None
    if as_json:
        await _print_started(outcome, req.campaign_name, wait)
        return
    verb = {"started": "Started", "running": "Already running", "completed": "Already completed"}[outcome.state]
    console.print(f"{verb}: campaign program [bold]{req.campaign_name}[/] — workflow id [cyan]{outcome.workflow_id}[/]")
    if outcome.state == "completed" or wait:
        await _report_program(outcome.handle, live=outcome.state != "completed")


async def _report_program(handle: ProgramHandle, *, live: bool) -> None:
    """Prints the program's progress each time it changes (one line when not on a terminal), then its result."""
    last = ""
    while live:
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            break
        progress = await program_progress(handle)
        if progress is not None:
            line = f"{progress.stage}: {progress.message} ({progress.calls.total} calls)"
            if line != last:
                if console.is_terminal:
                    print_program(console, handle.id, progress)
                else:
                    console.print(line, highlight=False, markup=False)
                last = line
        await asyncio.sleep(1.0)
    try:
        result = await handle.result()
    except WorkflowFailureError as err:
        cause = err.cause
        raise fail(f"program {handle.id} failed: {getattr(cause, 'message', None) or cause}") from None
    print_program(console, handle.id, result)
    if result.status != "completed":
        raise fail(f"program {handle.id} ended {result.status}: {result.message}")


async def _report(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], *, live: bool) -> None:
    try:
        result = await watch(handle) if live else await handle.result()
    except WorkflowFailureError as err:
        cause = err.cause
        raise fail(f"campaign {handle.id} failed: {getattr(cause, 'message', None) or cause}") from None
    console.print()
    print_shown(console, handle.id, result)


@app.command()
def status(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the progress as one JSON document (the progress query's fields; null when no worker answered) "
            "instead of tables.",
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the campaign ends, then print its state and result.")
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Print one campaign's stage and call counts. Exits 1 when the campaign has ended failed, cancelled or timed
    out, so a script can tell (with --wait, once it has ended)."""

    async def run() -> None:
        client = await client_for(address, namespace)
        program = await find_program(client, campaign) if campaign.startswith("program-") else None
        if program is not None:
            await _program_status(program, as_json, wait)
            return
        handle = await resolve_campaign(client, campaign)
        if wait:
            with contextlib.suppress(WorkflowFailureError):
                await handle.result()
        description = await handle.describe()
        progress = await current_progress(handle)
        state = description.status.name if description.status else "UNKNOWN"
        result = await handle.result() if description.status == WorkflowExecutionStatus.COMPLETED else None
        if as_json:
            print_json(progress)
        else:
            console.print(f"workflow [cyan]{handle.id}[/] is {state}")
            if progress is not None:
                print_shown(console, handle.id, progress)
            if result is not None:
                print_shown(console, handle.id, result)
        ended_badly = description.status in ENDED_BADLY or (result is not None and result.status != "completed")
        if ended_badly:
            outcome = result.status if result is not None else state.lower()
            raise fail(f"campaign {handle.id} ended {outcome}: {progress.message if progress else 'no progress'}")

    asyncio.run(run())


async def _program_status(handle: ProgramHandle, as_json: bool, wait: bool) -> None:
    """As a campaign's status: with --wait once it has ended; exits 1 when it ended failed, cancelled, timed out or
    with a result other than completed (e.g. rejected)."""
    if wait:
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
    description = await handle.describe()
    progress = await program_progress(handle)
    result = await handle.result() if description.status == WorkflowExecutionStatus.COMPLETED else None
    state = description.status.name if description.status else "UNKNOWN"
    if as_json:
        print_json(progress)
    else:
        console.print(f"workflow [cyan]{handle.id}[/] is {state}")
        shown = result if result is not None else progress
        if shown is not None:
            print_program(console, handle.id, shown)
    if description.status in ENDED_BADLY or (result is not None and result.status != "completed"):
        outcome = result.status if result is not None else state.lower()
        raise fail(f"program {handle.id} ended {outcome}: {progress.message if progress else 'no progress'}")


@app.command()
def cancel(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    as_json: Annotated[
        bool,
        typer.Option("--json", help='Print one JSON document: {"workflow_id": ..., "state": "cancel_requested"}.'),
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Cancel a campaign: queued and retry calls are terminated on Ringg; calls in progress finish."""

    async def run() -> None:
        handle = await resolve_campaign(await client_for(address, namespace), campaign)
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            state = description.status.name.lower() if description.status else "unknown"
            raise fail(f"campaign {handle.id} has already ended ({state}): nothing to cancel", code=ALREADY_FINISHED)
        await handle.cancel()
        if as_json:
            print_json({"workflow_id": handle.id, "state": "cancel_requested"})
            return
        console.print(f"Cancel requested for [cyan]{handle.id}[/]; it terminates the campaign on Ringg if launched.")

    asyncio.run(run())


@app.command("stop-numbers")
def stop_numbers(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    numbers_file: Annotated[
        str,
        typer.Option(
            "--file",
            help="The opt-out numbers: one a line, or the first CSV column; a path or URL the workers may read.",
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: workflow_id, numbers (terminated), batches (requests to Ringg) and "
            "suppressed (added to the suppression list).",
        ),
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Terminate queued calls to these numbers inside a running campaign (opt-outs); the numbers stay out of
    Temporal's history: only the file's location is sent."""

    uri = numbers_file if "://" in numbers_file else str(Path(numbers_file).resolve())

    async def run() -> None:
        await check_source(uri, contact_sources(), what="numbers_uri", refused="no number was stopped")
        handle = await resolve_campaign(await client_for(address, namespace), campaign)
        try:
            result = await handle.execute_update(CampaignWorkflow.stop_numbers, StopNumbersRequest(numbers_uri=uri))
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            raise fail(f"campaign {handle.id}: {getattr(cause, 'message', None) or cause}") from None
        if as_json:
            print_json({"workflow_id": handle.id, **result.model_dump(mode="json")})
            return
        console.print(f"Terminated {result.numbers} number(s) in {result.batches} request(s) for [cyan]{handle.id}[/].")

    asyncio.run(run())


@app.command("list")
def list_command(
    stage: StageOpt = None,
    name: NameOpt = None,
    name_prefix: PrefixOpt = None,
    status: StatusOpt = None,
    query: QueryOpt = None,
    limit: LimitOpt = 50,
    as_json: JsonOpt = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """List campaigns, newest first, from Temporal's visibility store (one row per campaign)."""
    try:
        visibility = visibility_query(stage=stage, name_prefix=name_prefix, status=status, extra=query)
    except ListProblem as err:
        raise fail(str(err), code=BAD_INPUT) from None

    async def run() -> None:
        client = await client_for(address, namespace)
        try:
            found = await campaigns(client, visibility, name=name, limit=limit)
        except RPCError as err:
            raise fail(f"Temporal refused the query {visibility!r}: {err.message}", code=BAD_INPUT) from None
        if as_json:
            print_json(campaign_rows(found))
            return
        table, below = campaigns_table(found, visibility, console.width)
        console.print(table)
        print_below(console, below)
        if not found:
            console.print("No campaign matches. Loosen the filters, or check --address/--namespace.")

    asyncio.run(run())


@app.command("watch")
def watch_command(
    campaign: Annotated[str, typer.Argument(help="The campaign's workflow ID, idempotency key or Ringg list id.")],
    once: Annotated[bool, typer.Option("--once", help="Print the progress as it is now and exit.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON: with --once one progress document; otherwise one progress document a line (JSON "
            "Lines) each time it changes, then the result's.",
        ),
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Show a campaign's live progress until it ends, then its result (one line per change when not on a
    terminal)."""

    async def run() -> None:
        client = await client_for(address, namespace)
        program = await find_program(client, campaign) if campaign.startswith("program-") else None
        if program is not None:
            if once or as_json:
                progress = await program_progress(program)
                if as_json:
                    print_json(progress)
                elif progress is not None:
                    print_program(console, program.id, progress)
                if once:
                    return
            await _report_program(program, live=True)
            return
        handle = await resolve_campaign(client, campaign)
        if once:
            now = await current_progress(handle)
            if as_json:
                print_json(now)
            elif now is not None:
                print_shown(console, handle.id, now)
            return
        if as_json:
            await json_lines(handle)
            return
        await _report(handle, live=True)

    asyncio.run(run())


app.command("export")(export_command)
app.command("contacts")(contacts_command)
app.command("approve")(approve_command)
app.command("reject")(reject_command)
app.command("pause")(pause_command)
app.command("resume")(resume_command)
app.command("setup-search-attributes")(setup_search_attributes_command)
app.command("files")(files_command)


@app.command("schema")
def schema_command(
    program: Annotated[
        bool,
        typer.Option(
            "--program",
            help="Print the ProgramRequest schema (pilot, windows, follow_up too) instead of CampaignRequest's.",
        ),
    ] = False,
) -> None:
    """Print the JSON Schema of CampaignRequest (the workflow input), for services that start campaigns; with
    --program, of ProgramRequest (CampaignProgramWorkflow's input)."""
    body = program_json_schema() if program else request_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **body}
    typer.echo(json.dumps(schema, indent=2))


add_epilog(app)  # last: after every command and group is registered
