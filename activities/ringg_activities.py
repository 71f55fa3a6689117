"""One activity per Ringg call, over one shared RinggClient. Every non-idempotent POST first reconciles with
Ringg's own state, so a retry after "committed on the server, response lost" never repeats the side effect."""

from __future__ import annotations

from activities.launch import LaunchActivities
from activities.progress import ProgressActivities
from activities.reconcile import CONFIRM_EVERY_S, CONFIRM_WITHIN_S, LAUNCHED_STATUSES, outcome_unknown
from activities.upload import UploadActivities

__all__ = ["CONFIRM_EVERY_S", "CONFIRM_WITHIN_S", "LAUNCHED_STATUSES", "RinggActivities", "outcome_unknown"]


class RinggActivities(UploadActivities, LaunchActivities, ProgressActivities):
    """All Ringg activities: register its bound methods on the worker (campaign/worker_app.py)."""
