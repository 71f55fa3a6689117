"""The options several commands share, declared once: the Temporal connection and a request's common fields."""

from __future__ import annotations

from typing import Annotated

import typer

from contract.names import TASK_QUEUE

AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        envvar="TEMPORAL_ADDRESS",
        help="The Temporal frontend as host:port (env TEMPORAL_ADDRESS; default localhost:7233).",
    ),
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        envvar="TEMPORAL_NAMESPACE",
        help="The Temporal namespace (env TEMPORAL_NAMESPACE; default default).",
    ),
]
TaskQueueOpt = Annotated[
    str,
    typer.Option(
        "--task-queue",
        envvar="RINGG_TASK_QUEUE",
        help=f"The workers' task queue (env RINGG_TASK_QUEUE; default {TASK_QUEUE}).",
    ),
]
AgentIdOpt = Annotated[
    str | None, typer.Option("--agent-id", help="The Ringg agent (assistant) id that makes the calls (agent_id).")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="An assistant variable and the CSV column that fills it, as VARIABLE=Column (repeatable; variables_map).",
    ),
]
FromNumberOpt = Annotated[
    list[str] | None,
    typer.Option("--from-number", help="A caller number id of the workspace (repeatable; from_numbers)."),
]
NumberPoolOpt = Annotated[
    str | None,
    typer.Option(
        "--number-pool-id",
        help="A number pool of the workspace to call from, instead of --from-number (number_pool_id).",
    ),
]
CallConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--call-config", help="The call hours and retries as JSON (call_config), e.g. '{\"call_time\": {...}}'."
    ),
]
FlowOpt = Annotated[
    str | None,
    typer.Option(
        "--flow", help="Which Ringg flow: auto, standard or large (flow; default auto: large from 5,000 rows)."
    ),
]
