"""Running an activity from a workflow so that a busy Ringg budget delays it and never fails it: an activity whose
every attempt found the budget busy (nothing was sent to Ringg) runs again, with a new set of attempts, after a
pause. Every workflow runs its activities through `execute`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contract.errors import RINGG_BUDGET_BUSY

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")

# After an activity's attempts all found the Ringg budget busy, it runs again this much later.
BUDGET_BUSY_PAUSE = timedelta(seconds=30)


def budget_busy(err: ActivityError) -> bool:
    return isinstance(err.cause, ApplicationError) and err.cause.type == RINGG_BUDGET_BUSY


async def execute(method: Callable[[Any, InputT], Awaitable[ResultT]], arg: InputT, **kwargs: Any) -> ResultT:
    """workflow.execute_activity_method, run again after BUDGET_BUSY_PAUSE while it ends with the budget busy."""
    while True:
        try:
            return await workflow.execute_activity_method(method, arg, **kwargs)
        except ActivityError as err:
            if not budget_busy(err):
                raise
            workflow.logger.warning("Ringg budget busy through every attempt of %s; running it again", method)
            await workflow.sleep(BUDGET_BUSY_PAUSE, summary="Ringg budget busy")
