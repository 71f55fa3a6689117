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


class ClaimOwnerResult(BaseModel):
    owner_workflow_id: str | None = None
