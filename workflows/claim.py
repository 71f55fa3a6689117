"""A workflow whose ID is the idempotency key: whoever starts it owns the key, so duplicate triggers of one
campaign are serialised whatever their workflow IDs."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.claim import ClaimInput, ClaimResult
    from contract.names import CLAIM_WORKFLOW


@workflow.defn(name=CLAIM_WORKFLOW)
class CampaignKeyClaimWorkflow:
    """Held open by its parent (the owning CampaignWorkflow) until the parent signals `release` or closes
    (the parent close policy terminates it). Temporal refuses a second start while it runs. Signal: release."""

    def __init__(self) -> None:
        self._released = False

    @workflow.run
    async def run(self, inp: ClaimInput) -> ClaimResult:
        await workflow.wait_condition(lambda: self._released)
        return ClaimResult()

    @workflow.signal
    def release(self) -> None:
        self._released = True
