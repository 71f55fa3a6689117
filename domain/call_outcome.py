"""A contact's outcome from its call row: called (at least one attempt), not called (Ringg never dialled it: the
window closed or the campaign was stopped first) or still pending. A failed call was called."""

from __future__ import annotations

from typing import Literal

from contract.statuses import PENDING_STATUSES
from ringg import CallRecord

Outcome = Literal["called", "not_called", "pending"]
# Calls Ringg closes without dialling them end "cancelled" (terminate, the window's end).
NEVER_DIALLED_STATUS = "cancelled"


def never_attempted(call: CallRecord) -> bool:
    """No attempt time, no retry and no duration: Ringg never dialled this call."""
    return call.call_attempt_time is None and not call.retry_count and not call.call_duration


def outcome(call: CallRecord) -> Outcome:
    if call.status in PENDING_STATUSES:
        return "pending"
    if call.status == NEVER_DIALLED_STATUS and never_attempted(call):
        return "not_called"
    return "called"
