"""`starter.py webhooks subscribe`: points an agent's call events at the webhook receiver. Runs on a worker
(SubscribeWebhooksWorkflow), which holds the Ringg API key and the shared secret."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import typer
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError

from cli.common import AddressOpt, NamespaceOpt, client_for, console, fail
from cli.json_out import print_json
from cli.options import TaskQueueOpt
from contract.names import TASK_QUEUE
from contract.webhooks import SubscribeWebhooksInput
from domain.webhook_checks import EVENT_TYPES, subscription_problems
from workflows.webhook_setup import SubscribeWebhooksWorkflow

webhooks_app = typer.Typer(help="Ringg webhooks: where Ringg posts call events.", no_args_is_help=True)


@webhooks_app.command("subscribe")
def subscribe(
    agent_id: Annotated[str, typer.Option("--agent-id", help="The Ringg agent whose calls report events.")],
    url: Annotated[str, typer.Option("--url", help="The receiver's public URL, ending in /webhooks/ringg.")],
    events: Annotated[
        list[str] | None,
        typer.Option("--event", help=f"An event type to subscribe to (repeatable): {', '.join(EVENT_TYPES)}."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON document: agent_id, callback_url, event_types, header and message."
        ),
    ] = False,
    task_queue: TaskQueueOpt = TASK_QUEUE,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Subscribe an agent's call events (default call_completed) to the receiver. Ringg keeps one URL per event
    type per agent: this replaces any URL the agent had for these events."""
    inp = SubscribeWebhooksInput(agent_id=agent_id, callback_url=url, event_types=events or ["call_completed"])
    problems = subscription_problems(inp)
    if problems:
        raise fail("nothing was subscribed: " + "; ".join(problems))

    async def run() -> None:
        client = await client_for(address, namespace)
        try:
            result = await client.execute_workflow(
                SubscribeWebhooksWorkflow.run,
                inp,
                id=f"webhooks-subscribe-{agent_id}-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
        except WorkflowFailureError as err:
            cause: BaseException | None = err.cause
            if isinstance(cause, ActivityError) and cause.cause is not None:
                cause = cause.cause  # the activity's own error says what to fix
            raise fail(str(getattr(cause, "message", None) or cause)) from None
        if as_json:
            print_json(result)
            return
        console.print(
            f"Ringg now posts {', '.join(result.event_types)} events of agent [bold]{result.agent_id}[/] to "
            f"{result.callback_url}, with the workers' WEBHOOK_SECRET in the {result.header} header."
        )
        console.print(
            "[dim]next:[/] run the receiver there (`python -m webhooks`, same WEBHOOK_SECRET); campaigns of this "
            "agent then count calls as they finish and poll Ringg less often."
        )

    asyncio.run(run())
