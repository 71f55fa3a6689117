"""The idempotency-key claim: the claim workflow's payloads and the owner lookup."""

from __future__ import annotations

from pydantic import BaseModel


class ClaimInput(BaseModel):
    idempotency_key: str
    owner_workflow_id: str


class ClaimResult(BaseModel):
    released: bool = True


class ClaimOwnerInput(BaseModel):
    claim_workflow_id: str
    # Only a claim workflow that is still running counts (the check of a claim under its old ID).
    running_only: bool = False


class ClaimOwnerResult(BaseModel):
    owner_workflow_id: str | None = None
