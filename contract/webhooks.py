"""SubscribeWebhooksWorkflow's input and result: where Ringg should post an agent's call events."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SubscribeWebhooksInput(BaseModel):
    """Where Ringg should post an agent's call events; the shared secret comes from the workers' environment,
    so it never enters history."""

    agent_id: str
    callback_url: str
    event_types: list[str] = Field(default_factory=lambda: ["call_completed"])


class SubscribeWebhooksResult(BaseModel):
    agent_id: str
    callback_url: str
    event_types: list[str]
    header: str
    message: str | None = None
