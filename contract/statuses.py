"""Ringg's call and campaign status vocabularies, as the product counts and reports them."""

from __future__ import annotations

# Call statuses in the order a call moves through them; "other" counts statuses Ringg may add later.
CALL_STATUS_ORDER = (
    "registered",
    "ongoing",
    "retry",
    "completed",
    "failed",
    "error",
    "cancelled",
    "forwarded",
    "other",
)
# Calls that have not ended yet.
PENDING_STATUSES = frozenset({"registered", "ongoing", "retry"})
# Campaign statuses after which Ringg places no more calls.
FINAL_CAMPAIGN_STATUSES = frozenset({"completed", "failed", "terminated"})
# Campaign statuses that mean a launch request was accepted at some point.
LAUNCHED_STATUSES = frozenset({"scheduled", "ongoing", "running", "completed", "terminated", "paused"})
