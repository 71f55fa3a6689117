"""What CampaignWorkflow's update `stop_numbers` and signal `call_events` take: references and ids, never
numbers or names."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contract.limits import Uri


class StopNumbersRequest(BaseModel):
    """Update `stop_numbers`: the numbers travel as a file reference, never in workflow history (PII)."""

    numbers_uri: Uri


class StopNumbersResult(BaseModel):
    numbers: int = 0
    batches: int = 0
    suppressed: int = 0  # of the numbers, added to the ledger's suppression list (not listed there before)


class CallEvent(BaseModel):
    """One call's result as a Ringg webhook reported it: ids and a status, never numbers or names."""

    call_id: str
    status: str


class CallEventsSignal(BaseModel):
    """Signal `call_events`: a batch of webhook events for one campaign."""

    events: list[CallEvent] = Field(default_factory=list)
