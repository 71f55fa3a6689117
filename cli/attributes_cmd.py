"""`starter.py setup-search-attributes`: registers the campaign search attributes (all Keyword) on a Temporal
server the project does not start (a self-hosted cluster)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table
from temporalio.service import RPCError, RPCStatusCode

from cli.common import console, fail
from cli.json_out import print_json
from cli.options import AddressOpt, NamespaceOpt
from client.connect import connect
from client.payload_keys import PayloadKeyError
from client.search_attribute_setup import WANTED, SetupOutcome, ensure_search_attributes, type_name

REFUSED_HINT = (
    "the server refused to change search attributes. On Temporal Cloud add them in the Cloud UI or with "
    "`tcld namespace search-attributes add`; on a cluster an admin can run this command or "
    "`temporal operator search-attribute create --name NAME --type Keyword`."
)


def outcome_table(outcome: SetupOutcome) -> Table:
    table = Table()
    table.add_column("name")
    table.add_column("type")
    table.add_column("state")
    for name, wanted in WANTED.items():
        state = outcome.state_of(name)
        style = {"added": "green", "already registered": "dim"}.get(state, "bold red")
        table.add_row(name, type_name(wanted), f"[{style}]{state}[/]")
    return table


async def _setup(address: str | None, namespace: str | None, check: bool) -> SetupOutcome:
    target = address or "localhost:7233"
    try:
        client = await connect(address, namespace)
    except PayloadKeyError as err:
        raise fail(str(err), code=2) from None
    except RuntimeError as err:
        detail = "connection refused" if "refused" in str(err).lower() else str(err).splitlines()[0][:160]
        raise fail(f"cannot reach Temporal at {target} ({detail}). Set TEMPORAL_ADDRESS or pass --address.") from None
    try:
        return await ensure_search_attributes(client, namespace, check=check)
    except RPCError as err:
        if err.status in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
            raise fail(f"{REFUSED_HINT} ({err.message})") from None
        if err.status == RPCStatusCode.NOT_FOUND:
            raise fail(f"namespace {namespace or client.namespace!r} not found on {target}: {err.message}") from None
        raise fail(f"{err.status.name if err.status else 'RPC error'}: {err.message}") from None


def setup_search_attributes_command(
    check: Annotated[
        bool, typer.Option("--check", help="Only report what is missing, and exit 1 when any attribute is.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON document: namespace, ok, and each attribute's type and state (added, already "
            "registered, missing, or the type it has instead); the exit code is the same.",
        ),
    ] = False,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Register the search attributes the campaign workflow sets (CampaignName, CampaignStage, BulkListId,
    AgentId, IdempotencyKey; all Keyword) in a namespace. Safe to run again: it adds only what is missing.
    Not needed on the dev server of `make demo` and the tests, which registers them itself at start."""
    outcome = asyncio.run(_setup(address, namespace, check))
    if as_json:
        attributes = {name: {"type": type_name(kind), "state": outcome.state_of(name)} for name, kind in WANTED.items()}
        print_json({"namespace": outcome.namespace, "ok": outcome.ok, "attributes": attributes})
    else:
        console.print(f"Campaign search attributes in namespace [bold]{outcome.namespace}[/]:")
        console.print(outcome_table(outcome))
    if outcome.conflicts:
        found = ", ".join(f"{name} is {kind}" for name, kind in outcome.conflicts.items())
        raise fail(
            f"{found}: the workflow sets Keyword values and would stall. Remove it "
            "(`temporal operator search-attribute remove --name NAME`) and run this again."
        )
    if outcome.missing:
        verb = "are not registered" if check else "were not added"
        raise fail(f"{', '.join(outcome.missing)} {verb}; workflows would stall setting them.")
    if not as_json:
        console.print("All campaign search attributes are registered.")
