"""The window and call_config every upload and large-flow launch must carry: Ringg answers 422 without them."""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError

from contract.errors import INVALID_REQUEST


def required_schedule(
    start: str | None, end: str | None, call_config: dict[str, Any] | None, *, doing: str
) -> tuple[str, str, dict[str, Any]]:
    """The three fields, or a non-retryable error naming the missing ones before anything is sent (a campaign
    started before they were required for the large flow reaches here without them)."""
    missing = [
        name
        for name, value in (("campaign_start_time", start), ("campaign_end_time", end), ("call_config", call_config))
        if not value
    ]
    if missing or start is None or end is None or call_config is None:
        raise ApplicationError(
            f"Nothing was sent to Ringg for {doing}: it requires {', '.join(missing)} (the campaign window and "
            "call_config). Start the campaign again with them.",
            type=INVALID_REQUEST,
            non_retryable=True,
        )
    return start, end, call_config
