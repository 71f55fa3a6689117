"""Campaign events POSTed to a request's events_url: their types, the body's shape and the delivery activity's
models (counts and ids only: never a phone number, a contact's name or file content)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

STARTED = "campaign.started"
UPLOADED = "campaign.uploaded"
LAUNCHED = "campaign.launched"
PROGRESS = "campaign.progress"
COMPLETED = "campaign.completed"
FAILED = "campaign.failed"
CANCELLED = "campaign.cancelled"
EVENT_TYPES = (STARTED, UPLOADED, LAUNCHED, PROGRESS, COMPLETED, FAILED, CANCELLED)


class EventCampaign(BaseModel):
    """Which campaign an event is about."""

    workflow_id: str
    name: str
    idempotency_key: str | None = None
    list_id: str | None = None


class CampaignEvent(BaseModel):
    """The JSON body of one delivery; `id` is the same for every delivery of the event (drop repeats by it),
    `sequence` orders a campaign's events (1, 2, ...)."""

    id: str
    type: str
    sequence: int
    occurred_at: str
    campaign: EventCampaign
    data: dict[str, Any] = Field(default_factory=dict)


class DeliverEventInput(BaseModel):
    """Activity deliver_event: POST `event` to `url`, signed with the worker's CAMPAIGN_EVENTS_SECRET."""

    url: str
    event: CampaignEvent


class DeliverEventResult(BaseModel):
    status: Literal["delivered"] = "delivered"
    http_status: int = 0


class CheckEventsInput(BaseModel):
    """Activity check_events: whether this worker can sign and send events to `url` (before any upload)."""

    url: str
    campaign_name: str = ""


class CheckEventsResult(BaseModel):
    addresses: int = 0
