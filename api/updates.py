"""The stop_numbers update as an HTTP call: bounded waits, so a request does not hang while the workers are down."""

from __future__ import annotations

import asyncio

from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)

from api.errors import ApiError
from contract.campaign import CampaignResult
from contract.messages import StopNumbersRequest, StopNumbersResult
from workflows.campaign import CampaignWorkflow

ACCEPT_WAIT_S = 15.0  # a running worker validates an update within moments
DONE_WAIT_S = 120.0  # then terminates the numbers, 100 per Ringg request


async def stop_numbers(handle: WorkflowHandle[CampaignWorkflow, CampaignResult], numbers_uri: str) -> StopNumbersResult:
    try:
        async with asyncio.timeout(ACCEPT_WAIT_S):
            update = await handle.start_update(
                CampaignWorkflow.stop_numbers,
                StopNumbersRequest(numbers_uri=numbers_uri),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ApiError(
            503,
            f"no worker took the update within {ACCEPT_WAIT_S:.0f} s: are the workers running? "
            "It may still be applied once one takes it.",
        ) from None
    try:
        async with asyncio.timeout(DONE_WAIT_S):
            return await update.result()
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ApiError(
            503, f"the update was accepted but is still running after {DONE_WAIT_S:.0f} s; it goes on"
        ) from None
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = getattr(cause, "message", None) or str(cause)
        refused = getattr(cause, "type", None) == "ValueError"  # the update's validator: not launched yet
        raise ApiError(409 if refused else 422, f"campaign {handle.id}: {message}") from None
