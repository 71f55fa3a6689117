"""A workflow whose ID is the idempotency key: whoever starts it owns the key. Temporal refuses a second
start while it runs, which serialises duplicate triggers of one campaign whatever their workflow IDs."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel


class ClaimInput(BaseModel):
    idempotency_key: str
    owner_workflow_id: str


class ClaimResult(BaseModel):
    released: bool = True


@workflow.defn(name="CampaignKeyClaim")
class CampaignKeyClaimWorkflow:
    """Held open by its parent (the owning CampaignWorkflow) until the parent signals `release` or closes
    (the parent close policy terminates it). Signal: release."""

    def __init__(self) -> None:
        self._released = False

    @workflow.run
    async def run(self, inp: ClaimInput) -> ClaimResult:
        await workflow.wait_condition(lambda: self._released)
        return ClaimResult()

    @workflow.signal
    def release(self) -> None:
        self._released = True
