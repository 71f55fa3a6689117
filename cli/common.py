"""What every `starter.py` command shares: the consoles, the Temporal options and connection, and the error
style (an operator sees one line saying what failed and what to do, never a traceback)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import typer
from rich.console import Console
from rich.markup import escape
from temporalio.client import Client, WorkflowHandle

from activities.contacts.source import admit
from cli.exit_codes import BAD_INPUT, FAILED, NOT_FOUND
from cli.options import AddressOpt as AddressOpt  # re-exported: the commands import it from here
from cli.options import NamespaceOpt as NamespaceOpt
from client.caller_numbers import WorkspaceNumbers
from client.connect import connect
from client.lookup import find_campaign
from client.payload_keys import PayloadKeyError
from client.start_checks import StartChecks
from contract.campaign import CampaignResult
from domain.csv_sources import CsvSources, SourceRefused
from ringg import RinggClient, make_http_client
from runtime.settings import SettingsError, csv_sources, events_targets, ringg_api_key, ringg_base_url
from workflows.campaign import CampaignWorkflow

# Soft wrap: rich never breaks a printed line itself (the terminal wraps it on screen), so an ID or a path in a
# message stays one line a user can copy and a script can match, whatever the width. Tables still fit the width.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = FAILED) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def contact_sources() -> CsvSources:
    """The environment's CAMPAIGN_CSV_* rules: the starter refuses, before anything starts, what the workers
    would refuse."""
    try:
        return csv_sources(os.environ)
    except SettingsError as err:
        raise fail(escape(str(err))) from None


async def check_source(uri: str, sources: CsvSources, *, what: str, refused: str) -> None:
    try:
        await admit(uri, sources, what=what)
    except SourceRefused as err:
        raise fail(escape(f"{refused}: {err}")) from None


async def client_for(address: str | None, namespace: str | None) -> Client:
    try:
        return await connect(address, namespace)
    except PayloadKeyError as err:
        raise fail(str(err), code=BAD_INPUT) from None
    except RuntimeError as err:
        detail = "connection refused" if "refused" in str(err).lower() else str(err).splitlines()[0][:160]
        raise fail(
            f"cannot reach Temporal at {address or 'localhost:7233'} ({detail}). Is the server running? "
            "Set TEMPORAL_ADDRESS or pass --address."
        ) from None


async def resolve_campaign(client: Client, ref: str) -> WorkflowHandle[CampaignWorkflow, CampaignResult]:
    """Accepts a workflow ID, an idempotency key or a Ringg list id."""
    handle = await find_campaign(client, ref)
    if handle is None:
        raise fail(
            f"no campaign found for {ref!r} (tried workflow ID, idempotency key and list id). "
            "Check the value, or `starter.py list` to see the campaigns.",
            code=NOT_FOUND,
        )
    return handle


@contextlib.asynccontextmanager
async def env_start_checks() -> AsyncIterator[StartChecks]:
    """The worker's rules for a start as this terminal's environment has them (CAMPAIGN_CSV_*,
    CAMPAIGN_EVENTS_URL_*); caller numbers are checked against Ringg when RINGG_API_KEY is set here (the worker
    checks them anyway)."""
    try:
        key = ringg_api_key(os.environ)
        events = events_targets(os.environ)
    except SettingsError as err:
        raise fail(str(err), code=BAD_INPUT) from None
    sources = contact_sources()
    async with contextlib.AsyncExitStack() as stack:
        ringg = None
        if key is not None:
            ringg = RinggClient(await stack.enter_async_context(make_http_client(ringg_base_url(os.environ), key)))
        yield StartChecks(sources, events, WorkspaceNumbers(ringg) if ringg else None)
