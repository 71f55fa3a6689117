"""Agent event subscriptions (`PATCH agent/v1`, operation `edit_event_subscriptions`): where Ringg posts the
call events of an agent's calls. One URL per event type per agent; a new subscription replaces the old."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import RinggRequest, RinggResponse

EventType = Literal[
    "call_started",
    "call_completed",
    "recording_completed",
    "platform_analysis_completed",
    "client_analysis_completed",
    "all_processing_completed",
]


class EventSubscription(RinggRequest):
    """`headers` are not for Ringg: Ringg sends them back with every event (it does not sign webhooks), so a
    shared secret travels there. Kept out of reprs."""

    event_type: EventType | list[EventType]
    callback_url: str
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    method_type: Literal["POST", "PUT", "PATCH"] = "POST"


class EditEventSubscriptions(RinggRequest):
    operation: Literal["edit_event_subscriptions"] = "edit_event_subscriptions"
    agent_id: str
    event_subscriptions: list[EventSubscription] = Field(min_length=1)


class EditEventSubscriptionsResult(RinggResponse):
    message: str | None = None
