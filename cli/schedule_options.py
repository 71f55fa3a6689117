"""What the `starter.py schedule` commands share: consoles, common options, the connection and the error style
(an operator sees one line saying what failed and what to do, never a traceback)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from temporalio.client import Client, ScheduleHandle, ScheduleOverlapPolicy
from temporalio.service import RPCError, RPCStatusCode

from cli.common import client_for, console, fail
from cli.exit_codes import NOT_FOUND
from domain.schedule_spec import SpecError, overlap_policy

T = TypeVar("T")

ScheduleIdArg = Annotated[str, typer.Argument(help="The schedule ID (letters, digits, '.', '_' and '-').")]
OverlapOpt = Annotated[
    str | None,
    typer.Option(
        "--overlap",
        help="What to do when the previous fire still runs: skip, buffer_one, buffer_all, cancel_other, "
        "terminate_other or allow_all.",
    ),
]


def next_step(text: str) -> None:
    console.print(f"[dim]next:[/] {text}")


def on_schedule(
    schedule_id: str, address: str | None, namespace: str | None, act: Callable[[Client, ScheduleHandle], Awaitable[T]]
) -> T:
    """Runs `act` on the schedule; a missing schedule is a clear error, not a traceback."""

    async def run() -> T:
        client = await client_for(address, namespace)
        try:
            return await act(client, client.get_schedule_handle(schedule_id))
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise fail(f"no schedule {schedule_id!r}; see `starter.py schedule list`", code=NOT_FOUND) from None
            raise

    return asyncio.run(run())


def overlap_option(name: str | None) -> ScheduleOverlapPolicy | None:
    try:
        return overlap_policy(name) if name else None
    except SpecError as err:
        raise fail(str(err)) from None
