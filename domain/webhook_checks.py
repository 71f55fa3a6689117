"""The checks an event subscription must pass before Ringg is asked for it."""

from __future__ import annotations

from typing import get_args
from urllib.parse import urlparse

from contract.webhooks import SubscribeWebhooksInput
from ringg import EventType

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def subscription_problems(inp: SubscribeWebhooksInput) -> list[str]:
    problems: list[str] = []
    url = urlparse(inp.callback_url)
    if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOOPBACK):
        problems.append(f"callback_url {inp.callback_url!r} must be https:// (http:// only on this machine)")
    unknown = [t for t in inp.event_types if t not in EVENT_TYPES]
    if unknown or not inp.event_types:
        problems.append(f"event types must be among {', '.join(EVENT_TYPES)}; got {', '.join(unknown) or 'none'}")
    if not inp.agent_id.strip():
        problems.append("agent_id is required")
    return problems
