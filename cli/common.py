"""What every `starter.py` command shares: the consoles, the Temporal options and connection, and the error
style (an operator sees one line saying what failed and what to do, never a traceback)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from temporalio.client import Client, WorkflowHandle

from client.connect import connect
from client.lookup import find_campaign
from client.payload_keys import PayloadKeyError
from contract.campaign import CampaignResult
from workflows.campaign import CampaignWorkflow

console = Console()
err_console = Console(stderr=True)

AddressOpt = Annotated[str | None, typer.Option("--address", envvar="TEMPORAL_ADDRESS", help="Temporal host:port")]
NamespaceOpt = Annotated[str | None, typer.Option("--namespace", envvar="TEMPORAL_NAMESPACE")]


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


async def client_for(address: str | None, namespace: str | None) -> Client:
    try:
        return await connect(address, namespace)
    except PayloadKeyError as err:
        raise fail(str(err), code=2) from None
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
        raise fail(f"no campaign found for {ref!r} (tried workflow ID, idempotency key and list id)")
    return handle
