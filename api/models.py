"""What the campaign endpoints answer, and the request bodies they declare in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowExecution, WorkflowExecutionStatus

from contract import search_attributes as sa
from contract.campaign import CampaignProgress, CampaignResult

# A workflow ID, an idempotency key or a Ringg list id: what find_campaign accepts, and safe to quote.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@=+-]{0,254}$"
ListStatus = Literal["running", "completed", "failed", "cancelled", "terminated", "timed-out"]  # listing.STATUSES
StartState = Literal["started", "running", "completed"]
Status = Literal["running", "completed", "failed", "cancelled", "terminated", "timed-out", "continued-as-new"]
_STATUS: dict[WorkflowExecutionStatus, Status] = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed-out",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued-as-new",
}


def status_name(status: WorkflowExecutionStatus | None) -> Status:
    return _STATUS.get(status or WorkflowExecutionStatus.RUNNING, "running")


class StartedCampaign(BaseModel):
    workflow_id: str
    idempotency_key: str
    state: StartState = Field(
        description="started: a new campaign (201); running / completed: the campaign this key already has (200)"
    )
    campaign_name: str
    csv_uri: str = Field(description="where the workers read the contacts (the stored file for an upload)")
    location: str = Field(description="GET this for status, progress and result")


class CampaignSummary(BaseModel):
    workflow_id: str
    status: Status
    campaign_name: str | None = None
    stage: str | None = Field(None, description="CampaignStage: validating ... monitoring, completed, failed")
    list_id: str | None = None
    idempotency_key: str | None = None
    start_time: datetime | None = None
    close_time: datetime | None = None

    @classmethod
    def of(cls, execution: WorkflowExecution) -> CampaignSummary:
        attributes = execution.typed_search_attributes
        return cls(
            workflow_id=execution.id,
            status=status_name(execution.status),
            campaign_name=attributes.get(sa.CAMPAIGN_NAME),
            stage=attributes.get(sa.CAMPAIGN_STAGE),
            list_id=attributes.get(sa.BULK_LIST_ID),
            idempotency_key=attributes.get(sa.IDEMPOTENCY_KEY),
            start_time=execution.start_time,
            close_time=execution.close_time,
        )


class CampaignStatus(CampaignSummary):
    progress: CampaignProgress | None = Field(
        None, description="the progress query (running campaigns; null when no worker answered within 3 s)"
    )
    result: CampaignResult | None = Field(None, description="when completed")
    failure: str | None = Field(None, description="why it failed, was cancelled or terminated")


class CampaignList(BaseModel):
    campaigns: list[CampaignSummary]
    query: str = Field(description="the visibility query that was run")


class CancelRequested(BaseModel):
    workflow_id: str
    state: Literal["cancel_requested"] = "cancel_requested"


class StopNumbersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers_uri: str = Field(
        min_length=1, description="a file of phone numbers (one a line, or the first CSV column) the workers read"
    )


class StopNumbersDone(BaseModel):
    workflow_id: str
    numbers_uri: str
    numbers: int = Field(description="numbers sent to Ringg for termination")
    batches: int = Field(description="terminate requests (100 numbers each)")


def body_doc(json_schema: dict[str, Any], file_help: str, request_help: str | None) -> dict[str, Any]:
    """The requestBody of an endpoint that takes JSON or multipart/form-data (for openapi_extra)."""
    parts: dict[str, Any] = {"file": {"type": "string", "format": "binary", "description": file_help}}
    if request_help:
        parts["request"] = {"type": "string", "description": request_help}
    multipart = {"type": "object", "required": sorted(parts), "properties": parts}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": json_schema}, "multipart/form-data": {"schema": multipart}},
        }
    }
